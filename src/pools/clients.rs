//! App clients: create, read, update, delete and secret rotation.

use crate::clock::to_datetime;
use crate::context::Context;
use crate::crypto::{random, secret};
use crate::error::{Error, Result};
use crate::pools::client_config::{ClientConfig, NAME_MAX, RefreshTokenRotation};
use crate::pools::client_rules::is_client_id;
use crate::pools::pool::get_pool;
use crate::pools::{resource_servers, text};
use crate::store::paging::{Page, PageRequest};
use crate::store::{StoreError, clients as store};

/// An app client: its ids and name, whether it has a secret, and its stored settings.
#[derive(Debug, Clone)]
pub struct AppClient {
    /// 26 lowercase alphanumerics.
    pub client_id: String,
    pub pool_id: String,
    pub name: String,
    /// True for a confidential client (one with a secret).
    pub has_secret: bool,
    /// Present only where the secret was just made (creation or rotation).
    pub client_secret: Option<String>,
    pub config: ClientConfig,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A new client (`name` required) or a change to one (`generate_secret` refused); absent
/// fields take their default or keep their value.
#[derive(Debug, Default)]
pub struct ClientInput {
    pub name: Option<String>,
    pub generate_secret: Option<bool>,
    pub callback_urls: Option<Vec<String>>,
    pub logout_urls: Option<Vec<String>>,
    pub default_redirect_uri: Option<String>,
    pub allowed_oauth_flows: Option<Vec<String>>,
    pub allowed_oauth_scopes: Option<Vec<String>>,
    pub explicit_auth_flows: Option<Vec<String>>,
    pub access_token_validity: Option<u32>,
    pub id_token_validity: Option<u32>,
    pub refresh_token_validity: Option<u32>,
    pub prevent_user_existence_errors: Option<bool>,
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
    /// `COGNITO` and/or identity providers of the pool; default `["COGNITO"]`.
    pub supported_identity_providers: Option<Vec<String>>,
    /// Default `{"enabled": true, "retry_grace_period_seconds": 0}` (the Cognito API's
    /// default is off: see the README).
    pub refresh_token_rotation: Option<RefreshTokenRotation>,
}

impl ClientConfig {
    fn apply(&mut self, input: &ClientInput) {
        let i = input;
        if let Some(v) = &i.callback_urls {
            self.callback_urls = v.clone();
        }
        if let Some(v) = &i.logout_urls {
            self.logout_urls = v.clone();
        }
        if let Some(v) = &i.default_redirect_uri {
            self.default_redirect_uri = (!v.is_empty()).then(|| v.clone());
        }
        if let Some(v) = &i.allowed_oauth_flows {
            self.allowed_oauth_flows = v.clone();
        }
        if let Some(v) = &i.allowed_oauth_scopes {
            self.allowed_oauth_scopes = v.clone();
        }
        if let Some(v) = &i.explicit_auth_flows {
            self.explicit_auth_flows = v.clone();
        }
        self.access_token_validity = i
            .access_token_validity
            .unwrap_or(self.access_token_validity);
        self.id_token_validity = i.id_token_validity.unwrap_or(self.id_token_validity);
        self.refresh_token_validity = i
            .refresh_token_validity
            .unwrap_or(self.refresh_token_validity);
        self.prevent_user_existence_errors = i
            .prevent_user_existence_errors
            .unwrap_or(self.prevent_user_existence_errors);
        if let Some(v) = &i.read_attributes {
            self.read_attributes = Some(v.clone());
        }
        if let Some(v) = &i.write_attributes {
            self.write_attributes = Some(v.clone());
        }
        if let Some(v) = &i.supported_identity_providers {
            self.supported_identity_providers = v.clone();
        }
        if let Some(v) = i.refresh_token_rotation {
            self.refresh_token_rotation = v;
        }
    }
}

fn new_secret() -> String {
    // 48 random bytes: 64 characters of base64url, well past the 51 the design asks for.
    random::token(48)
}

/// The client secret sealed under the master key, bound to the client.
fn seal_secret(ctx: &Context, client_id: &str, secret: &str) -> Result<String> {
    ctx.keys
        .seal(secret.as_bytes(), &format!("client-secret:{client_id}"))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
}

fn to_client(row: store::ClientRow, secret: Option<String>) -> Result<AppClient> {
    let config: ClientConfig = serde_json::from_str(&row.config).map_err(StoreError::from)?;
    Ok(AppClient {
        client_id: row.client_id,
        pool_id: row.pool_id,
        name: row.name,
        has_secret: row.secret_hash.is_some(),
        client_secret: secret,
        config,
        created_at: to_datetime(row.created_at),
        updated_at: to_datetime(row.updated_at),
    })
}

fn map_write_error(err: StoreError, name: &str) -> Error {
    match err {
        StoreError::Conflict(_) => Error::exists(format!(
            "a client named `{name}` already exists in this pool"
        )),
        StoreError::Reference(_) => Error::validation(
            "allowed_oauth_scopes",
            "a custom scope was deleted meanwhile",
        ),
        StoreError::NotFound => Error::NotFound("pool"),
        other => other.into(),
    }
}

pub async fn create_client(ctx: &Context, pool_id: &str, input: ClientInput) -> Result<AppClient> {
    let pool = get_pool(ctx, pool_id).await?;
    let name = input
        .name
        .clone()
        .ok_or_else(|| Error::validation("name", "is required"))?;
    text::name("name", &name, NAME_MAX)?;
    let has_secret = input.generate_secret.unwrap_or(false);
    let mut config = ClientConfig::default();
    config.apply(&input);
    let known = resource_servers::all_scopes(ctx, pool_id).await?;
    let custom = config.validate(&pool.config, has_secret, &known)?;
    check_supported(ctx, pool_id, &config.supported_identity_providers).await?;
    let secret = has_secret.then(new_secret);
    let now = ctx.now();
    let client_id = random::lower_alphanumeric(26);
    let secret_sealed = secret
        .as_deref()
        .map(|s| seal_secret(ctx, &client_id, s))
        .transpose()?;
    let row = store::ClientRow {
        client_id,
        pool_id: pool_id.to_string(),
        name: name.clone(),
        secret_hash: secret.as_deref().map(secret::digest),
        secret_sealed,
        config: serde_json::to_string(&config).map_err(StoreError::from)?,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    if let Err(err) = store::insert(&ctx.store, &row, &custom).await {
        // A foreign key fails both when a scope and when the pool went away meanwhile.
        get_pool(ctx, pool_id).await?;
        return Err(map_write_error(err, &name));
    }
    to_client(row, secret)
}

async fn load(ctx: &Context, pool_id: &str, client_id: &str) -> Result<store::ClientRow> {
    if !is_client_id(client_id) {
        return Err(Error::NotFound("client"));
    }
    match store::get(&ctx.store, pool_id, client_id).await {
        Ok(row) => Ok(row),
        Err(StoreError::NotFound) => Err(Error::NotFound("client")),
        Err(e) => Err(e.into()),
    }
}

pub async fn get_client(ctx: &Context, pool_id: &str, client_id: &str) -> Result<AppClient> {
    get_pool(ctx, pool_id).await?;
    to_client(load(ctx, pool_id, client_id).await?, None)
}

pub async fn list_clients(
    ctx: &Context,
    pool_id: &str,
    page: PageRequest,
) -> Result<Page<AppClient>> {
    get_pool(ctx, pool_id).await?;
    let rows = store::list(&ctx.store, pool_id, &page).await?;
    page.finish(rows, |r| r.client_id.clone())
        .try_map(|row| to_client(row, None))
}

pub async fn update_client(
    ctx: &Context,
    pool_id: &str,
    client_id: &str,
    input: ClientInput,
) -> Result<AppClient> {
    if input.generate_secret.is_some() {
        return Err(Error::validation(
            "generate_secret",
            "cannot be changed after the client is created",
        ));
    }
    let pool = get_pool(ctx, pool_id).await?;
    for _ in 0..5 {
        let row = load(ctx, pool_id, client_id).await?;
        let mut config: ClientConfig =
            serde_json::from_str(&row.config).map_err(StoreError::from)?;
        config.apply(&input);
        let name = input.name.clone().unwrap_or_else(|| row.name.clone());
        text::name("name", &name, NAME_MAX)?;
        let known = resource_servers::all_scopes(ctx, pool_id).await?;
        let custom = config.validate(&pool.config, row.secret_hash.is_some(), &known)?;
        if input.supported_identity_providers.is_some() {
            check_supported(ctx, pool_id, &config.supported_identity_providers).await?;
        }
        let updated = store::ClientRow {
            name: name.clone(),
            config: serde_json::to_string(&config).map_err(StoreError::from)?,
            updated_at: ctx.now(),
            ..row.clone()
        };
        match store::update(&ctx.store, &updated, row.version, &custom).await {
            Ok(true) => {
                ctx.caches.clear();
                return get_client(ctx, pool_id, client_id).await;
            }
            Ok(false) => continue,
            Err(e) => {
                get_pool(ctx, pool_id).await?;
                return Err(map_write_error(e, &name));
            }
        }
    }
    Err(Error::Store(StoreError::Contention))
}

pub async fn delete_client(ctx: &Context, pool_id: &str, client_id: &str) -> Result<()> {
    get_pool(ctx, pool_id).await?;
    if !is_client_id(client_id) || !store::delete(&ctx.store, pool_id, client_id).await? {
        return Err(Error::NotFound("client"));
    }
    ctx.caches.clear();
    Ok(())
}

/// Replaces a confidential client's secret; the new one is shown in this answer only.
pub async fn rotate_secret(ctx: &Context, pool_id: &str, client_id: &str) -> Result<AppClient> {
    get_pool(ctx, pool_id).await?;
    let row = load(ctx, pool_id, client_id).await?;
    if row.secret_hash.is_none() {
        return Err(Error::state(
            "this is a public client; it has no secret to rotate",
        ));
    }
    let secret = new_secret();
    let now = ctx.now();
    if !store::set_secret(
        &ctx.store,
        pool_id,
        client_id,
        &secret::digest(&secret),
        &seal_secret(ctx, client_id, &secret)?,
        now,
    )
    .await?
    {
        return Err(Error::NotFound("client"));
    }
    ctx.caches.clear();
    to_client(load(ctx, pool_id, client_id).await?, Some(secret))
}

/// Checks a client's `supported_identity_providers`: `crate::domain::COGNITO` or providers of the pool,
/// each once.
async fn check_supported(ctx: &Context, pool_id: &str, names: &[String]) -> Result<()> {
    if names.len() > crate::domain::MAX_IDENTITY_PROVIDERS as usize + 1 {
        return Err(Error::validation(
            "supported_identity_providers",
            "lists too many providers",
        ));
    }
    let known = if names.iter().any(|n| n != crate::domain::COGNITO) {
        crate::store::identity_providers::names(&ctx.store, pool_id).await?
    } else {
        Vec::new()
    };
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(Error::validation(
                format!("supported_identity_providers[{i}]"),
                "is listed twice",
            ));
        }
        if name != crate::domain::COGNITO && !known.contains(name) {
            return Err(Error::validation(
                format!("supported_identity_providers[{i}]"),
                "is not crate::domain::COGNITO nor an identity provider of this pool",
            ));
        }
    }
    Ok(())
}
