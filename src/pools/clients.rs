//! App clients: who may ask for tokens, from where, for which scopes and for how long.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::to_datetime;
use crate::context::Context;
use crate::crypto::{random, secret};
use crate::error::{Error, Result};
use crate::pools::pool::{PoolConfig, get_pool};
use crate::pools::{resource_servers, text};
use crate::store::paging::{Page, PageRequest};
use crate::store::{StoreError, clients as store};

pub const STANDARD_SCOPES: &[&str] = &[
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];
pub const EXPLICIT_AUTH_FLOWS: &[&str] = &[
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_AUTH",
];
/// Standard attributes a client may be allowed to read or write (OIDC standard claims).
pub const STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];
pub const OAUTH_FLOWS: &[&str] = &["code", "client_credentials"];
// The limits below are checked here and written into the OpenAPI document from here.
pub const MAX_URLS: usize = 100;
pub const URL_MAX_LENGTH: usize = 1024;
pub const NAME_MAX: usize = 128;
/// Seconds, as Cognito allows.
pub const ACCESS_TOKEN_VALIDITY: std::ops::RangeInclusive<u32> = 300..=86_400;
pub const ID_TOKEN_VALIDITY: std::ops::RangeInclusive<u32> = 300..=86_400;
pub const REFRESH_TOKEN_VALIDITY: std::ops::RangeInclusive<u32> = 3_600..=315_360_000;

/// Client settings, stored as one JSON document beside the client's id, name and secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClientConfig {
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    pub default_redirect_uri: Option<String>,
    /// Subset of `code`, `client_credentials`.
    pub allowed_oauth_flows: Vec<String>,
    pub allowed_oauth_scopes: Vec<String>,
    pub explicit_auth_flows: Vec<String>,
    /// Seconds.
    pub access_token_validity: u32,
    pub id_token_validity: u32,
    pub refresh_token_validity: u32,
    pub prevent_user_existence_errors: bool,
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
    /// Where the hosted pages let people sign in: `COGNITO` (the pool's own users) and the
    /// pool's identity providers by name, as Cognito's `SupportedIdentityProviders`.
    #[serde(default = "cognito_only")]
    pub supported_identity_providers: Vec<String>,
    /// Whether a refresh hands out a new refresh token (Cognito's `RefreshTokenRotation`).
    /// Clients made before this setting existed rotate, as they always did.
    #[serde(default)]
    pub refresh_token_rotation: RefreshTokenRotation,
}

/// Refresh-token rotation, as Cognito configures it per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenRotation {
    /// On: each refresh returns a new refresh token, and the one presented is spent (a
    /// second use after the grace period revokes the whole family). Off: the refresh token
    /// stays valid until it expires or is revoked, and refreshes return none.
    pub enabled: bool,
    /// For how long after it was rotated the previous token is still accepted (a retry, two
    /// tabs at once): 0–60 seconds, default 0.
    #[serde(default)]
    pub retry_grace_period_seconds: u32,
}

impl Default for RefreshTokenRotation {
    fn default() -> Self {
        Self {
            enabled: true,
            retry_grace_period_seconds: 0,
        }
    }
}

/// Cognito's range for `RetryGracePeriodSeconds`.
pub const RETRY_GRACE_PERIOD_SECONDS: std::ops::RangeInclusive<u32> = 0..=60;

fn cognito_only() -> Vec<String> {
    vec![crate::domain::COGNITO.to_string()]
}

impl ClientConfig {
    /// Whether the client offers the pool's own sign-in (passwords, sign-up).
    pub fn offers_cognito(&self) -> bool {
        self.offers(crate::domain::COGNITO)
    }

    /// Whether the client offers the identity provider (or `COGNITO`) named `name`.
    pub fn offers(&self, name: &str) -> bool {
        self.supported_identity_providers.iter().any(|p| p == name)
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            callback_urls: vec![],
            logout_urls: vec![],
            default_redirect_uri: None,
            allowed_oauth_flows: vec![],
            allowed_oauth_scopes: vec![],
            explicit_auth_flows: vec![],
            access_token_validity: 3600,
            id_token_validity: 3600,
            refresh_token_validity: 2_592_000,
            prevent_user_existence_errors: true,
            read_attributes: None,
            write_attributes: None,
            supported_identity_providers: cognito_only(),
            refresh_token_rotation: RefreshTokenRotation::default(),
        }
    }
}

/// An app client as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppClient {
    /// 26 lowercase alphanumerics.
    pub client_id: String,
    pub pool_id: String,
    pub name: String,
    /// True for a confidential client (one with a secret).
    pub has_secret: bool,
    /// Present only in the answer that created or rotated the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(flatten)]
    pub config: ClientConfig,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /pools/{pool_id}/clients` body; `PATCH` takes the same fields but
/// `generate_secret`, all optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

    /// Checks every rule; returns the custom scopes as (resource server, scope name).
    fn validate(
        &self,
        pool: &PoolConfig,
        has_secret: bool,
        custom_scopes: &[(String, String)],
    ) -> Result<Vec<(String, String)>> {
        for (field, urls) in [
            ("callback_urls", &self.callback_urls),
            ("logout_urls", &self.logout_urls),
        ] {
            if urls.len() > MAX_URLS {
                return Err(Error::validation(field, format!("at most {MAX_URLS} URLs")));
            }
            for (i, url) in urls.iter().enumerate() {
                validate_redirect_url(&format!("{field}[{i}]"), url)?;
                if urls[..i].contains(url) {
                    return Err(Error::validation(
                        format!("{field}[{i}]"),
                        "is listed twice",
                    ));
                }
            }
        }
        if let Some(default) = &self.default_redirect_uri
            && !self.callback_urls.contains(default)
        {
            return Err(Error::validation(
                "default_redirect_uri",
                "must be one of callback_urls",
            ));
        }
        for flow in &self.allowed_oauth_flows {
            if !OAUTH_FLOWS.contains(&flow.as_str()) {
                return Err(Error::validation(
                    "allowed_oauth_flows",
                    format!("unknown flow `{flow}` (allowed: code, client_credentials)"),
                ));
            }
        }
        let has = |f: &str| self.allowed_oauth_flows.iter().any(|x| x == f);
        if has("client_credentials") && has("code") {
            return Err(Error::validation(
                "allowed_oauth_flows",
                "client_credentials cannot be combined with code",
            ));
        }
        if has("client_credentials") && !has_secret {
            return Err(Error::validation(
                "allowed_oauth_flows",
                "client_credentials requires a client secret (generate_secret: true)",
            ));
        }
        if has("code") && self.callback_urls.is_empty() {
            return Err(Error::validation(
                "callback_urls",
                "at least one callback URL is required for the code flow",
            ));
        }
        let mut custom = Vec::new();
        for scope in &self.allowed_oauth_scopes {
            if STANDARD_SCOPES.contains(&scope.as_str()) {
                if has("client_credentials") {
                    return Err(Error::validation(
                        "allowed_oauth_scopes",
                        format!(
                            "`{scope}` is a user scope; client_credentials clients take custom scopes only"
                        ),
                    ));
                }
                continue;
            }
            let parsed = scope.rsplit_once('/').filter(|(rs, name)| {
                custom_scopes
                    .iter()
                    .any(|(r, n)| r.as_str() == *rs && n.as_str() == *name)
            });
            match parsed {
                Some((rs, name)) => custom.push((rs.to_string(), name.to_string())),
                None => {
                    return Err(Error::validation(
                        "allowed_oauth_scopes",
                        format!(
                            "unknown scope `{}`",
                            scope.chars().take(300).collect::<String>()
                        ),
                    ));
                }
            }
        }
        custom.sort();
        if custom.windows(2).any(|w| w[0] == w[1])
            || self.allowed_oauth_scopes.len()
                != self
                    .allowed_oauth_scopes
                    .iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
        {
            return Err(Error::validation(
                "allowed_oauth_scopes",
                "a scope is listed twice",
            ));
        }
        if !RETRY_GRACE_PERIOD_SECONDS
            .contains(&self.refresh_token_rotation.retry_grace_period_seconds)
        {
            return Err(Error::validation(
                "refresh_token_rotation.retry_grace_period_seconds",
                "must be between 0 and 60",
            ));
        }
        for flow in &self.explicit_auth_flows {
            if !EXPLICIT_AUTH_FLOWS.contains(&flow.as_str()) {
                return Err(Error::validation(
                    "explicit_auth_flows",
                    format!("unknown flow `{flow}`"),
                ));
            }
        }
        for (field, value, range) in [
            (
                "access_token_validity",
                self.access_token_validity,
                ACCESS_TOKEN_VALIDITY,
            ),
            (
                "id_token_validity",
                self.id_token_validity,
                ID_TOKEN_VALIDITY,
            ),
            (
                "refresh_token_validity",
                self.refresh_token_validity,
                REFRESH_TOKEN_VALIDITY,
            ),
        ] {
            if !range.contains(&value) {
                return Err(Error::validation(
                    field,
                    format!(
                        "must be between {} and {} seconds",
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
        for (field, list) in [
            ("read_attributes", &self.read_attributes),
            ("write_attributes", &self.write_attributes),
        ] {
            for attr in list.iter().flatten() {
                let known = STANDARD_ATTRIBUTES.contains(&attr.as_str())
                    || attr
                        .strip_prefix("custom:")
                        .is_some_and(|n| pool.custom_attribute(n).is_some());
                if !known {
                    return Err(Error::validation(
                        field,
                        format!(
                            "unknown attribute `{}`",
                            attr.chars().take(300).collect::<String>()
                        ),
                    ));
                }
            }
        }
        Ok(custom)
    }
}

/// Callback and sign-out URLs: absolute; `https`, `http` only on loopback hosts, or an app's
/// own scheme; never a fragment. Stored exactly as given, since matching is exact.
pub fn validate_redirect_url(field: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > URL_MAX_LENGTH {
        return Err(Error::validation(
            field,
            format!("must be 1-{URL_MAX_LENGTH} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || text::is_deceptive(c))
    {
        return Err(Error::validation(
            field,
            "must not contain whitespace, control or invisible characters",
        ));
    }
    let url =
        url::Url::parse(value).map_err(|_| Error::validation(field, "must be an absolute URL"))?;
    if url.fragment().is_some() || value.contains('#') {
        return Err(Error::validation(field, "must not contain a fragment"));
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if !loopback {
                return Err(Error::validation(
                    field,
                    "http is allowed only for localhost and 127.0.0.1; use https",
                ));
            }
        }
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" | "ftp" | "ws" | "wss" => {
            return Err(Error::validation(
                field,
                format!("the `{}` scheme is not allowed", url.scheme()),
            ));
        }
        _ => {}
    }
    if matches!(url.scheme(), "http" | "https") && url.host().is_none() {
        return Err(Error::validation(field, "must name a host"));
    }
    Ok(())
}

/// True when `id` has the shape of a client id; anything else cannot exist.
pub fn is_client_id(id: &str) -> bool {
    id.len() == 26
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
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
        StoreError::Conflict(_) => Error::Conflict(format!(
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
        return Err(Error::Conflict(
            "this is a public client; it has no secret to rotate".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_urls() {
        assert!(validate_redirect_url("u", "https://app.example.com/cb").is_ok());
        assert!(validate_redirect_url("u", "http://localhost:3000/cb").is_ok());
        assert!(validate_redirect_url("u", "http://127.0.0.1/cb").is_ok());
        assert!(validate_redirect_url("u", "myapp://callback").is_ok());
        assert!(validate_redirect_url("u", "http://example.com/cb").is_err());
        assert!(validate_redirect_url("u", "https://app.example.com/cb#x").is_err());
        assert!(validate_redirect_url("u", "javascript:alert(1)").is_err());
        assert!(validate_redirect_url("u", "/relative").is_err());
        assert!(validate_redirect_url("u", "https://a.example.com/\ncb").is_err());
    }
}

/// A client as the token endpoint sees it: its settings and secret digest.
#[derive(Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub pool_id: String,
    pub config: ClientConfig,
    secret_hash: Option<String>,
    secret_sealed: Option<String>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some()
    }

    /// Constant-time check of a presented secret; a public client has none to match.
    pub fn secret_matches(&self, presented: &str) -> bool {
        match &self.secret_hash {
            Some(digest) => secret::matches(presented, digest),
            None => false,
        }
    }

    /// The secret itself, for checks keyed with it (`SECRET_HASH`); `None` for a public
    /// client, or one whose secret predates sealing (until it is rotated).
    pub fn secret(&self, ctx: &Context) -> Option<String> {
        let sealed = self.secret_sealed.as_deref()?;
        let opened = ctx
            .keys
            .open(sealed, &format!("client-secret:{}", self.client_id))
            .ok()?;
        String::from_utf8(opened).ok()
    }

    pub fn allows_flow(&self, flow: &str) -> bool {
        self.config.allowed_oauth_flows.iter().any(|f| f == flow)
    }

    pub fn allows_scope(&self, scope: &str) -> bool {
        self.config.allowed_oauth_scopes.iter().any(|s| s == scope)
    }
}

/// Clients as `find_oauth_client` keeps them, by `"<pool id>/<client id>"`.
struct Cached;

impl crate::cache::Kept for Cached {
    type Key = String;
    type Value = OAuthClient;
}

/// The client with this id in this pool, if any: at most `cache::TTL_MS` old, and current
/// for changes made through this process.
pub async fn find_oauth_client(
    ctx: &Context,
    pool_id: &str,
    client_id: &str,
) -> Result<Option<OAuthClient>> {
    if !is_client_id(client_id) {
        return Ok(None);
    }
    let now = ctx.now();
    let key = format!("{pool_id}/{client_id}");
    if let Some(client) = ctx.caches.get::<Cached, _>(&key, now) {
        return Ok(Some(client));
    }
    let since = ctx.caches.generation();
    match store::get(&ctx.store, pool_id, client_id).await {
        Ok(row) => {
            let client = OAuthClient {
                config: serde_json::from_str(&row.config).map_err(StoreError::from)?,
                client_id: row.client_id,
                pool_id: row.pool_id,
                secret_hash: row.secret_hash,
                secret_sealed: row.secret_sealed,
            };
            ctx.caches
                .keep::<Cached>(since, key, client.clone(), now, None);
            Ok(Some(client))
        }
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
