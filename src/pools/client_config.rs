//! An app client's settings as stored and read: who may ask for tokens, from where, for
//! which scopes and for how long; their defaults and limits. The stored document is read
//! tolerantly: a field it does not know is passed over, so an older row always loads.

use serde::{Deserialize, Serialize};

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
pub const NAME_MAX: usize = 128;
/// Seconds, as Cognito allows.
pub const ACCESS_TOKEN_VALIDITY: std::ops::RangeInclusive<u32> = 300..=86_400;
pub const ID_TOKEN_VALIDITY: std::ops::RangeInclusive<u32> = 300..=86_400;
pub const REFRESH_TOKEN_VALIDITY: std::ops::RangeInclusive<u32> = 3_600..=315_360_000;

/// Client settings, stored as one JSON document beside the client's id, name and secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
