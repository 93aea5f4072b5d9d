//! `/pools/{pool_id}/clients` bodies and answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admin::wire::{fields, mirror, some};
use crate::pools::client_config as core;
use crate::pools::clients as command;

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

fields!(ClientInput => command::ClientInput {
    name, generate_secret, callback_urls, logout_urls, default_redirect_uri,
    allowed_oauth_flows, allowed_oauth_scopes, explicit_auth_flows, access_token_validity,
    id_token_validity, refresh_token_validity, prevent_user_existence_errors, read_attributes,
    write_attributes, supported_identity_providers, refresh_token_rotation: some,
});

/// An app client as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
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

fields!(command::AppClient => AppClient {
    client_id, pool_id, name, has_secret, client_secret, config, created_at, updated_at,
});

/// A client's settings.
#[derive(Debug, Serialize, ToSchema)]
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
    pub supported_identity_providers: Vec<String>,
    /// Whether a refresh hands out a new refresh token (Cognito's `RefreshTokenRotation`).
    pub refresh_token_rotation: RefreshTokenRotation,
}

fields!(core::ClientConfig => ClientConfig {
    callback_urls, logout_urls, default_redirect_uri, allowed_oauth_flows,
    allowed_oauth_scopes, explicit_auth_flows, access_token_validity, id_token_validity,
    refresh_token_validity, prevent_user_existence_errors, read_attributes, write_attributes,
    supported_identity_providers, refresh_token_rotation,
});

/// Refresh-token rotation, as Cognito configures it per client.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
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

mirror!(
    RefreshTokenRotation,
    core::RefreshTokenRotation {
        enabled,
        retry_grace_period_seconds,
    }
);
