//! A pool's identity providers as admins configure them: Cognito's `CreateIdentityProvider`
//! shapes in snake case, checked, discovered, and stored with the client secret sealed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::attributes;
use crate::clock::to_datetime;
use crate::context::Context;
use crate::domain::COGNITO;
use crate::error::{Error, Result};
use crate::federation::discovery::{self, Metadata};
use crate::pools::pool::get_pool;
use crate::store::StoreError;
use crate::store::identity_providers::{self as store, IdentifierRow, Outcome, ProviderRow};
use crate::store::paging::{Page, PageRequest};

// The limits below are checked here and written into the OpenAPI document from here.
pub const NAME_MAX: usize = 32;
pub const MAX_PER_POOL: i64 = crate::domain::MAX_IDENTITY_PROVIDERS;
pub const MAX_IDENTIFIERS: usize = 50;
pub const IDENTIFIER_MAX: usize = 40;
pub const MAX_MAPPINGS: usize = 50;
pub const CLAIM_MAX: usize = 128;
pub const URL_MAX: usize = 2048;
pub const CLIENT_ID_MAX: usize = 256;
pub const SECRET_MAX: usize = 1024;
pub const DEFAULT_SCOPES: &str = "openid email profile";

/// `details` of a new provider.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDetails {
    /// The provider's issuer; its metadata is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Sealed under the master key; never shown again.
    pub client_secret: String,
    /// Space-separated, with `openid`; default `openid email profile`.
    #[serde(default)]
    pub authorize_scopes: Option<String>,
    /// How userInfo is called: `GET` (default) or `POST`.
    #[serde(default)]
    pub attributes_request_method: Option<String>,
}

/// `POST /pools/{pool_id}/identity-providers` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdentityProvider {
    /// 1-32 letters, digits, `.`, `-`, starting with a letter or digit; not `COGNITO`.
    pub name: String,
    /// `OIDC`.
    #[serde(rename = "type")]
    pub provider_type: String,
    pub details: NewDetails,
    /// Pool attribute → the provider's claim. `username` names the claim that identifies
    /// the user upstream (default `sub`).
    #[serde(default)]
    pub attribute_mapping: BTreeMap<String, String>,
    /// Email domains or short names that send a sign-in to this provider.
    #[serde(default)]
    pub idp_identifiers: Vec<String>,
    /// Send the browser to the provider's `end_session_endpoint` on sign-out.
    #[serde(default)]
    pub sign_out_upstream: bool,
}

/// `details` of a change: each given field replaces the stored one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailsUpdate {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub authorize_scopes: Option<String>,
    #[serde(default)]
    pub attributes_request_method: Option<String>,
}

/// `PATCH /pools/{pool_id}/identity-providers/{name}` body. Discovery runs again.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderUpdate {
    #[serde(default)]
    pub details: Option<DetailsUpdate>,
    #[serde(default)]
    pub attribute_mapping: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub idp_identifiers: Option<Vec<String>>,
    #[serde(default)]
    pub sign_out_upstream: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Details {
    pub issuer: String,
    pub client_id: String,
    pub authorize_scopes: String,
    pub attributes_request_method: String,
}

/// What discovery found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Endpoints {
    pub authorization_endpoint: String,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
}

/// A provider as the API shows it; the client secret never leaves the store.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdentityProvider {
    pub name: String,
    #[serde(rename = "type")]
    pub provider_type: String,
    pub details: Details,
    pub attribute_mapping: BTreeMap<String, String>,
    pub idp_identifiers: Vec<String>,
    pub sign_out_upstream: bool,
    pub endpoints: Endpoints,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= NAME_MAX
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    // No `_`: a federated username is `<name>_<subject>`, which must split one way only.
    if !ok {
        return Err(Error::validation(
            "name",
            "must be 1-32 letters, digits, `.` or `-`, starting with a letter or digit",
        ));
    }
    if name.eq_ignore_ascii_case(COGNITO) {
        return Err(Error::validation(
            "name",
            "COGNITO is the pool's own sign-in",
        ));
    }
    Ok(())
}

fn visible(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() || value.len() > max || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::validation(
            field,
            format!("must be 1-{max} visible ASCII characters"),
        ));
    }
    Ok(())
}

fn validate_issuer(issuer: &str) -> Result<()> {
    let field = "details.issuer";
    visible(field, issuer, URL_MAX)?;
    let url = url::Url::parse(issuer)
        .map_err(|e| Error::validation(field, format!("is not a URL: {e}")))?;
    crate::federation::http::check_url(&url).map_err(|why| Error::validation(field, why))?;
    if url.query().is_some() {
        return Err(Error::validation(field, "must not have a query"));
    }
    Ok(())
}

fn validate_scopes(scopes: &str) -> Result<()> {
    let field = "details.authorize_scopes";
    if scopes.len() > URL_MAX {
        return Err(Error::validation(field, "is too long"));
    }
    let list: Vec<&str> = scopes.split(' ').collect();
    let bad = |s: &&str| {
        s.is_empty()
            || !s
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    };
    if list.iter().any(bad) {
        return Err(Error::validation(
            field,
            "must be scopes separated by single spaces",
        ));
    }
    if !list.contains(&"openid") {
        return Err(Error::validation(field, "must include `openid`"));
    }
    Ok(())
}

fn validate_method(method: &str) -> Result<()> {
    if method != "GET" && method != "POST" {
        return Err(Error::validation(
            "details.attributes_request_method",
            "must be GET or POST",
        ));
    }
    Ok(())
}

fn validate_mapping(
    pool: &crate::pools::PoolConfig,
    mapping: &BTreeMap<String, String>,
) -> Result<()> {
    if mapping.len() > MAX_MAPPINGS {
        return Err(Error::validation(
            "attribute_mapping",
            format!("at most {MAX_MAPPINGS} attributes"),
        ));
    }
    for (attribute, claim) in mapping {
        let field = format!(
            "attribute_mapping.{}",
            attribute.chars().take(64).collect::<String>()
        );
        if attribute != "username" && !attributes::is_mappable(pool, attribute) {
            return Err(Error::validation(
                field,
                "is not an attribute of this pool that a provider may set",
            ));
        }
        visible(&field, claim, CLAIM_MAX)?;
    }
    Ok(())
}

/// Identifiers as stored: lowercase, each once.
fn normalise_identifiers(given: &[String]) -> Result<Vec<String>> {
    if given.len() > MAX_IDENTIFIERS {
        return Err(Error::validation(
            "idp_identifiers",
            format!("at most {MAX_IDENTIFIERS} identifiers"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for (i, raw) in given.iter().enumerate() {
        let id = raw.to_ascii_lowercase();
        let ok = !id.is_empty()
            && id.len() <= IDENTIFIER_MAX
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-+=@".contains(&b));
        if !ok {
            return Err(Error::validation(
                format!("idp_identifiers[{i}]"),
                "must be 1-40 letters, digits or `._-+=@`",
            ));
        }
        if out.contains(&id) {
            return Err(Error::validation(
                format!("idp_identifiers[{i}]"),
                format!("`{id}` is listed twice"),
            ));
        }
        out.push(id);
    }
    Ok(out)
}

fn seal_context(pool_id: &str, name: &str) -> String {
    format!("identity-provider:{pool_id}:{name}")
}

fn seal_secret(ctx: &Context, pool_id: &str, name: &str, secret: &str) -> Result<String> {
    visible("details.client_secret", secret, SECRET_MAX)?;
    ctx.keys
        .seal(secret.as_bytes(), &seal_context(pool_id, name))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
}

/// The provider's client secret, opened.
pub fn client_secret(ctx: &Context, row: &ProviderRow) -> Result<String> {
    let bytes = ctx
        .keys
        .open(
            &row.client_secret_sealed,
            &seal_context(&row.pool_id, &row.name),
        )
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    String::from_utf8(bytes).map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
}

async fn discover(ctx: &Context, issuer: &str) -> Result<discovery::Discovered> {
    discovery::discover(issuer, ctx.federation_allow_private_networks)
        .await
        .map_err(|why| Error::validation("details.issuer", format!("discovery failed: {why}")))
}

fn endpoints(row: &ProviderRow) -> Endpoints {
    let metadata: Option<Metadata> = serde_json::from_str(&row.metadata).ok();
    let text = |u: &Option<url::Url>| u.as_ref().map(ToString::to_string);
    match metadata {
        Some(m) => Endpoints {
            authorization_endpoint: m.authorization_endpoint.to_string(),
            token_endpoint: text(&m.token_endpoint),
            userinfo_endpoint: text(&m.userinfo_endpoint),
            jwks_uri: m.jwks_uri.to_string(),
            end_session_endpoint: text(&m.end_session_endpoint),
        },
        None => Endpoints {
            authorization_endpoint: String::new(),
            token_endpoint: None,
            userinfo_endpoint: None,
            jwks_uri: String::new(),
            end_session_endpoint: None,
        },
    }
}

/// The stored mapping; `username` is `sub` unless mapped otherwise.
pub fn mapping_of(row: &ProviderRow) -> BTreeMap<String, String> {
    serde_json::from_str(&row.attribute_mapping).unwrap_or_default()
}

fn to_provider(row: ProviderRow, identifiers: &[IdentifierRow]) -> IdentityProvider {
    IdentityProvider {
        endpoints: endpoints(&row),
        attribute_mapping: mapping_of(&row),
        idp_identifiers: identifiers
            .iter()
            .filter(|i| i.provider_name == row.name)
            .map(|i| i.identifier.clone())
            .collect(),
        details: Details {
            issuer: row.issuer,
            client_id: row.client_id,
            authorize_scopes: row.authorize_scopes,
            attributes_request_method: row.attributes_request_method,
        },
        sign_out_upstream: row.sign_out_upstream,
        provider_type: row.provider_type,
        name: row.name,
        created_at: to_datetime(row.created_at),
        updated_at: to_datetime(row.updated_at),
    }
}

fn with_default_username(mut mapping: BTreeMap<String, String>) -> BTreeMap<String, String> {
    mapping
        .entry("username".to_string())
        .or_insert_with(|| "sub".to_string());
    mapping
}

fn conflict(err: StoreError, name: &str) -> Error {
    match err {
        StoreError::Conflict(what) if what.contains("identity_provider_identifiers") => {
            Error::Conflict(
                "an identifier in idp_identifiers already routes to another provider of this pool"
                    .into(),
            )
        }
        StoreError::Conflict(_) => {
            Error::Conflict(format!("identity provider `{name}` already exists"))
        }
        StoreError::NotFound => Error::NotFound("identity provider"),
        other => other.into(),
    }
}

pub async fn create_provider(
    ctx: &Context,
    pool_id: &str,
    input: NewIdentityProvider,
) -> Result<IdentityProvider> {
    let pool = get_pool(ctx, pool_id).await?;
    validate_name(&input.name)?;
    if input.provider_type != "OIDC" {
        return Err(Error::validation("type", "must be OIDC"));
    }
    let details = input.details;
    validate_issuer(&details.issuer)?;
    visible("details.client_id", &details.client_id, CLIENT_ID_MAX)?;
    let scopes = details
        .authorize_scopes
        .unwrap_or_else(|| DEFAULT_SCOPES.into());
    validate_scopes(&scopes)?;
    let method = details
        .attributes_request_method
        .unwrap_or_else(|| "GET".into());
    validate_method(&method)?;
    validate_mapping(&pool.config, &input.attribute_mapping)?;
    let identifiers = normalise_identifiers(&input.idp_identifiers)?;
    let sealed = seal_secret(ctx, pool_id, &input.name, &details.client_secret)?;
    let found = discover(ctx, &details.issuer).await?;
    let now = ctx.now();
    let row = ProviderRow {
        pool_id: pool.id.clone(),
        name: input.name.clone(),
        provider_type: input.provider_type,
        issuer: details.issuer,
        client_id: details.client_id,
        client_secret_sealed: sealed,
        authorize_scopes: scopes,
        attributes_request_method: method,
        attribute_mapping: serde_json::to_string(&with_default_username(input.attribute_mapping))
            .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?,
        sign_out_upstream: input.sign_out_upstream,
        metadata: found.metadata,
        jwks: found.jwks,
        metadata_refresh_at: now + found.refresh_in,
        created_at: now,
        updated_at: now,
    };
    match store::create(&ctx.store, &row, &identifiers, MAX_PER_POOL).await {
        Ok(Outcome::Done) => {}
        Ok(_) => {
            return Err(Error::Conflict(format!(
                "a pool has at most {MAX_PER_POOL} identity providers"
            )));
        }
        Err(err) => return Err(conflict(err, &input.name)),
    }
    get_provider(ctx, pool_id, &input.name).await
}

async fn find_row(ctx: &Context, pool_id: &str, name: &str) -> Result<ProviderRow> {
    match store::get(&ctx.store, pool_id, name).await {
        Ok(row) => Ok(row),
        Err(StoreError::NotFound) => {
            // A missing pool and a missing provider answer alike to nobody in particular,
            // but an admin is told which.
            get_pool(ctx, pool_id).await?;
            Err(Error::NotFound("identity provider"))
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn get_provider(ctx: &Context, pool_id: &str, name: &str) -> Result<IdentityProvider> {
    let row = find_row(ctx, pool_id, name).await?;
    let identifiers = store::identifiers(&ctx.store, pool_id, Some(name)).await?;
    Ok(to_provider(row, &identifiers))
}

pub async fn list_providers(
    ctx: &Context,
    pool_id: &str,
    page: PageRequest,
) -> Result<Page<IdentityProvider>> {
    get_pool(ctx, pool_id).await?;
    let rows = store::list(&ctx.store, pool_id, &page).await?;
    let identifiers = store::identifiers(&ctx.store, pool_id, None).await?;
    let page = page.finish(rows, |r| r.name.clone());
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|r| to_provider(r, &identifiers))
            .collect(),
        next_token: page.next_token,
    })
}

pub async fn update_provider(
    ctx: &Context,
    pool_id: &str,
    name: &str,
    input: IdentityProviderUpdate,
) -> Result<IdentityProvider> {
    let pool = get_pool(ctx, pool_id).await?;
    let mut row = find_row(ctx, pool_id, name).await?;
    let details = input.details.unwrap_or_default();
    if let Some(issuer) = details.issuer {
        validate_issuer(&issuer)?;
        row.issuer = issuer;
    }
    if let Some(client_id) = details.client_id {
        visible("details.client_id", &client_id, CLIENT_ID_MAX)?;
        row.client_id = client_id;
    }
    if let Some(secret) = details.client_secret {
        row.client_secret_sealed = seal_secret(ctx, pool_id, name, &secret)?;
    }
    if let Some(scopes) = details.authorize_scopes {
        validate_scopes(&scopes)?;
        row.authorize_scopes = scopes;
    }
    if let Some(method) = details.attributes_request_method {
        validate_method(&method)?;
        row.attributes_request_method = method;
    }
    let subject_claim = mapping_of(&row).get("username").cloned();
    if let Some(mapping) = input.attribute_mapping {
        validate_mapping(&pool.config, &mapping)?;
        row.attribute_mapping = serde_json::to_string(&with_default_username(mapping))
            .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    }
    // Links name identities by issuer and subject claim: neither may change under them.
    let identity_changed = mapping_of(&row).get("username").cloned() != subject_claim;
    if let Some(sign_out) = input.sign_out_upstream {
        row.sign_out_upstream = sign_out;
    }
    let identifiers = input
        .idp_identifiers
        .as_deref()
        .map(normalise_identifiers)
        .transpose()?;
    let found = discover(ctx, &row.issuer).await?;
    let now = ctx.now();
    row.metadata = found.metadata;
    row.jwks = found.jwks;
    row.metadata_refresh_at = now + found.refresh_in;
    row.updated_at = now;
    match store::update(&ctx.store, &row, identifiers.as_deref(), identity_changed).await {
        Ok(Outcome::Done | Outcome::LimitReached) => {}
        Ok(Outcome::Linked(n)) => {
            return Err(Error::Conflict(format!(
                "{n} identities are linked through this provider: its issuer and the claim \
                 `username` maps to cannot change under them (make a new provider instead)"
            )));
        }
        Err(err) => return Err(conflict(err, name)),
    }
    get_provider(ctx, pool_id, name).await
}

pub async fn delete_provider(ctx: &Context, pool_id: &str, name: &str) -> Result<()> {
    if !store::delete(&ctx.store, pool_id, name).await? {
        get_pool(ctx, pool_id).await?;
        return Err(Error::NotFound("identity provider"));
    }
    Ok(())
}
