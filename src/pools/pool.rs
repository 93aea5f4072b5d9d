//! User pools: create, read, update and delete, and the commands for them.

use crate::clock::to_datetime;
use crate::context::Context;
use crate::crypto::random;
use crate::error::{Error, Result};
use crate::pools::pool_config::{
    Branding, CustomAttribute, EmailSettings, NAME_MAX, PasswordPolicy, Pool, PoolConfig,
    SignInPolicy,
};
use crate::pools::pool_config::{default_mfa_factors, default_signing_algorithm};
use crate::pools::pool_rules::is_pool_id;
use crate::pools::text;
use crate::store::paging::{Page, PageRequest};
use crate::store::{StoreError, pools as store};

/// A new pool; absent settings take their defaults.
#[derive(Debug, Default)]
pub struct NewPool {
    pub name: String,
    pub username_attributes: Option<Vec<String>>,
    pub case_sensitive_usernames: Option<bool>,
    pub auto_verified_attributes: Option<Vec<String>>,
    pub password_policy: Option<PasswordPolicyPatch>,
    pub schema: Option<Vec<CustomAttribute>>,
    pub mfa_configuration: Option<String>,
    pub email: Option<EmailSettings>,
    pub deletion_protection: Option<bool>,
    pub branding: Option<Branding>,
    pub allow_admin_create_user_only: Option<bool>,
    /// Link a first federated sign-in to the local user with the same address when both
    /// sides have it verified (default false).
    pub link_by_verified_email: Option<bool>,
    /// `RS256` (the default, as Cognito), `ES256` or `EdDSA`.
    pub token_signing_algorithm: Option<String>,
    /// A subset of `["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]` (default `["SOFTWARE_TOKEN_MFA"]`).
    pub mfa_factors: Option<Vec<String>>,
    /// `{"allowed_first_auth_factors": ["PASSWORD", "EMAIL_OTP"]}`; default `["PASSWORD"]`.
    pub sign_in_policy: Option<SignInPolicy>,
}

/// Password policy fields; absent ones keep their current (or default) value.
#[derive(Debug, Default)]
pub struct PasswordPolicyPatch {
    pub minimum_length: Option<u32>,
    pub require_uppercase: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub require_numbers: Option<bool>,
    pub require_symbols: Option<bool>,
    pub temporary_password_validity_days: Option<u32>,
}

/// A change to a pool; absent fields keep their value. `username_attributes` and
/// `case_sensitive_usernames` are fixed at creation; `schema` is the whole new list, which
/// may add attributes but not remove or change existing ones.
#[derive(Debug, Default)]
pub struct PoolPatch {
    pub name: Option<String>,
    /// Refused: fixed at creation; given only to be refused by name.
    pub username_attributes: Option<Vec<String>>,
    pub case_sensitive_usernames: Option<bool>,
    pub auto_verified_attributes: Option<Vec<String>>,
    pub password_policy: Option<PasswordPolicyPatch>,
    pub schema: Option<Vec<CustomAttribute>>,
    pub mfa_configuration: Option<String>,
    pub email: Option<EmailSettings>,
    pub deletion_protection: Option<bool>,
    /// Replaces the whole branding object.
    pub branding: Option<Branding>,
    pub allow_admin_create_user_only: Option<bool>,
    pub link_by_verified_email: Option<bool>,
    /// A change makes a new signing key of that kind at once; the old key stays published
    /// until every token it signed has expired.
    pub token_signing_algorithm: Option<String>,
    /// The whole new list of allowed second factors.
    pub mfa_factors: Option<Vec<String>>,
    /// Replaces the whole sign-in policy.
    pub sign_in_policy: Option<SignInPolicy>,
}

impl PasswordPolicy {
    fn apply(&mut self, patch: PasswordPolicyPatch) {
        let p = patch;
        self.minimum_length = p.minimum_length.unwrap_or(self.minimum_length);
        self.require_uppercase = p.require_uppercase.unwrap_or(self.require_uppercase);
        self.require_lowercase = p.require_lowercase.unwrap_or(self.require_lowercase);
        self.require_numbers = p.require_numbers.unwrap_or(self.require_numbers);
        self.require_symbols = p.require_symbols.unwrap_or(self.require_symbols);
        self.temporary_password_validity_days = p
            .temporary_password_validity_days
            .unwrap_or(self.temporary_password_validity_days);
    }
}

fn new_pool_id(region: &str) -> String {
    format!("{region}_{}", random::alphanumeric(9))
}

fn to_pool(ctx: &Context, row: store::PoolRow) -> Result<Pool> {
    let config: PoolConfig = serde_json::from_str(&row.config).map_err(StoreError::from)?;
    Ok(Pool {
        issuer: ctx.issuer(&row.id),
        id: row.id,
        name: row.name,
        config,
        created_at: to_datetime(row.created_at),
        updated_at: to_datetime(row.updated_at),
    })
}

pub async fn create_pool(ctx: &Context, input: NewPool) -> Result<Pool> {
    text::name("name", &input.name, NAME_MAX)?;
    let mut password_policy = PasswordPolicy::default();
    password_policy.apply(input.password_policy.unwrap_or_default());
    let config = PoolConfig {
        username_attributes: input.username_attributes.unwrap_or_default(),
        case_sensitive_usernames: input.case_sensitive_usernames.unwrap_or(false),
        auto_verified_attributes: input
            .auto_verified_attributes
            .unwrap_or_else(|| vec!["email".into()]),
        password_policy,
        schema: input.schema.unwrap_or_default(),
        mfa_configuration: input.mfa_configuration.unwrap_or_else(|| "OFF".into()),
        email: input.email.unwrap_or_default(),
        deletion_protection: input.deletion_protection.unwrap_or(false),
        branding: input.branding.unwrap_or_default(),
        allow_admin_create_user_only: input.allow_admin_create_user_only.unwrap_or(false),
        link_by_verified_email: input.link_by_verified_email.unwrap_or(false),
        token_signing_algorithm: input
            .token_signing_algorithm
            .unwrap_or_else(default_signing_algorithm),
        mfa_factors: input.mfa_factors.unwrap_or_else(default_mfa_factors),
        sign_in_policy: input.sign_in_policy.unwrap_or_default(),
    };
    config.validate()?;
    let now = ctx.now();
    let config_json = serde_json::to_string(&config).map_err(StoreError::from)?;
    // A fresh random id colliding is astronomically unlikely, but cheap to retry.
    for _ in 0..3 {
        let id = new_pool_id(&ctx.region);
        let key = ctx
            .keys
            .generate(&id, config.signing_algorithm(), now, true)
            .await
            .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
        let row = store::PoolRow {
            id,
            name: input.name.clone(),
            config: config_json.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        match store::insert(&ctx.store, &row, &key).await {
            Ok(()) => return to_pool(ctx, row),
            Err(StoreError::Conflict(what)) if what.contains("name") => {
                return Err(Error::exists(format!(
                    "a pool named `{}` already exists",
                    input.name
                )));
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(Error::state("could not allocate a pool id"))
}

pub async fn get_pool(ctx: &Context, pool_id: &str) -> Result<Pool> {
    load(ctx, pool_id).await.map(|(pool, _)| pool)
}

/// Pools as `cached_pool` keeps them, by id.
struct Cached;

impl crate::cache::Kept for Cached {
    type Key = String;
    type Value = Pool;
}

/// The pool as the OAuth endpoints and hosted pages see it: at most `cache::TTL_MS` old,
/// and current for changes made through this process. Admin reads use `get_pool`.
pub async fn cached_pool(ctx: &Context, pool_id: &str) -> Result<Pool> {
    let now = ctx.now();
    if let Some(pool) = ctx.caches.get::<Cached, _>(pool_id, now) {
        return Ok(pool);
    }
    let since = ctx.caches.generation();
    let pool = get_pool(ctx, pool_id).await?;
    ctx.caches
        .keep::<Cached>(since, pool.id.clone(), pool.clone(), now, None);
    Ok(pool)
}

/// The pool and the version its config was read at.
async fn load(ctx: &Context, pool_id: &str) -> Result<(Pool, i64)> {
    if !is_pool_id(pool_id) {
        return Err(Error::NotFound("pool"));
    }
    match store::get(&ctx.store, pool_id).await {
        Ok(row) => {
            let version = row.version;
            Ok((to_pool(ctx, row)?, version))
        }
        Err(StoreError::NotFound) => Err(Error::NotFound("pool")),
        Err(e) => Err(e.into()),
    }
}

pub async fn list_pools(ctx: &Context, page: PageRequest) -> Result<Page<Pool>> {
    let rows = store::list(&ctx.store, &page).await?;
    page.finish(rows, |r| r.id.clone())
        .try_map(|row| to_pool(ctx, row))
}

pub async fn update_pool(ctx: &Context, pool_id: &str, patch: PoolPatch) -> Result<Pool> {
    // Optimistic concurrency: re-read and re-apply if another writer got in between.
    for _ in 0..5 {
        let (current, version) = load(ctx, pool_id).await?;
        let (name, config) = apply_patch(&current, &patch)?;
        let config_json = serde_json::to_string(&config).map_err(StoreError::from)?;
        let now = ctx.now();
        let alg = config.signing_algorithm();
        let saved = if alg == current.config.signing_algorithm() {
            store::update(&ctx.store, pool_id, version, &name, &config_json, now).await
        } else {
            // A new algorithm signs new tokens at once: the pool and its new key are written
            // together, and the old key is published until its tokens have expired.
            let key = ctx
                .keys
                .generate(pool_id, alg, now, true)
                .await
                .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
            let until = now + crate::domain::PUBLISH_AFTER_RETIREMENT_MS;
            store::update_with_new_key(
                &ctx.store,
                pool_id,
                version,
                &name,
                &config_json,
                now,
                &key,
                until,
            )
            .await
        };
        match saved {
            Ok(true) => {
                ctx.keys.forget_active(pool_id);
                ctx.caches.clear();
                return get_pool(ctx, pool_id).await;
            }
            Ok(false) => continue,
            Err(StoreError::Conflict(_)) => {
                return Err(Error::exists(format!(
                    "a pool named `{name}` already exists"
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Store(StoreError::Contention))
}

fn apply_patch(current: &Pool, patch: &PoolPatch) -> Result<(String, PoolConfig)> {
    let mut config = current.config.clone();
    let name = patch.name.clone().unwrap_or_else(|| current.name.clone());
    text::name("name", &name, NAME_MAX)?;
    // Refused even when unchanged: the document does not offer these fields, so a body
    // that names them is not a valid patch.
    if patch.username_attributes.is_some() {
        return Err(Error::validation(
            "username_attributes",
            "cannot be changed after the pool is created",
        ));
    }
    if patch.case_sensitive_usernames.is_some() {
        return Err(Error::validation(
            "case_sensitive_usernames",
            "cannot be changed after the pool is created",
        ));
    }
    if let Some(v) = &patch.auto_verified_attributes {
        config.auto_verified_attributes = v.clone();
    }
    if let Some(p) = &patch.password_policy {
        config.password_policy.apply(PasswordPolicyPatch {
            minimum_length: p.minimum_length,
            require_uppercase: p.require_uppercase,
            require_lowercase: p.require_lowercase,
            require_numbers: p.require_numbers,
            require_symbols: p.require_symbols,
            temporary_password_validity_days: p.temporary_password_validity_days,
        });
    }
    if let Some(schema) = &patch.schema {
        for existing in &config.schema {
            match schema.iter().find(|a| a.name == existing.name) {
                None => {
                    return Err(Error::validation(
                        "schema",
                        format!(
                            "custom attribute `{}` cannot be removed; attributes may only be added",
                            existing.name
                        ),
                    ));
                }
                Some(new) if new != existing => {
                    return Err(Error::validation(
                        "schema",
                        format!("custom attribute `{}` cannot be changed", existing.name),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(added) = schema
            .iter()
            .find(|a| a.required && current.config.custom_attribute(&a.name).is_none())
        {
            return Err(Error::validation(
                "schema",
                format!(
                    "custom attribute `{}` cannot be required when added to an existing pool",
                    added.name
                ),
            ));
        }
        config.schema = schema.clone();
    }
    if let Some(v) = &patch.mfa_configuration {
        config.mfa_configuration = v.clone();
    }
    if let Some(v) = &patch.email {
        config.email = v.clone();
    }
    if let Some(v) = patch.deletion_protection {
        config.deletion_protection = v;
    }
    if let Some(v) = &patch.branding {
        config.branding = v.clone();
    }
    if let Some(v) = patch.allow_admin_create_user_only {
        config.allow_admin_create_user_only = v;
    }
    if let Some(v) = patch.link_by_verified_email {
        config.link_by_verified_email = v;
    }
    if let Some(v) = &patch.token_signing_algorithm {
        config.token_signing_algorithm = v.clone();
    }
    if let Some(v) = &patch.mfa_factors {
        config.mfa_factors = v.clone();
    }
    if let Some(v) = &patch.sign_in_policy {
        config.sign_in_policy = v.clone();
    }
    config.validate()?;
    Ok((name, config))
}

pub async fn delete_pool(ctx: &Context, pool_id: &str) -> Result<()> {
    for _ in 0..5 {
        let (pool, version) = load(ctx, pool_id).await?;
        if pool.config.deletion_protection {
            return Err(Error::state(
                "deletion_protection is on; turn it off with PATCH first",
            ));
        }
        // Deleting at the version that was checked means a concurrent PATCH turning
        // protection on cannot slip in between.
        match store::delete_at_version(&ctx.store, pool_id, version).await {
            Ok(true) => {
                ctx.caches.clear();
                return Ok(());
            }
            Ok(false) => {}
            // The cascade deadlocked with writes into the pool (PostgreSQL): again.
            Err(StoreError::Contention) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Store(StoreError::Contention))
}
