//! `/pools/{pool_id}/users` bodies and answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::attributes::Attributes;
use crate::accounts::users::shapes as core;
use crate::admin::wire::{fields, some};

/// A user as the API shows it. The password hash never leaves the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub username: String,
    /// Stable UUID of the user.
    pub sub: String,
    pub status: String,
    pub enabled: bool,
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    /// The generated temporary password, present only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
    /// The user's second factors (in the answers about one user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa: Option<MfaSummary>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fields!(core::User => User {
    username, sub, status, enabled, attributes, temporary_password, mfa: some, created_at,
    updated_at,
});

/// What a user has of second factors.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaSummary {
    /// An authenticator app is set up.
    pub totp: bool,
    /// Codes by email are on (and the email is verified).
    pub email: bool,
    /// `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, or null.
    pub preferred: Option<String>,
    pub recovery_codes_left: i64,
}

fields!(core::MfaSummary => MfaSummary { totp, email, preferred, recovery_codes_left });

/// `PUT /pools/{pool_id}/users/{username}/mfa` body, as Cognito's
/// `AdminSetUserMFAPreference`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaPreference {
    /// `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, or null for none.
    #[serde(default, deserialize_with = "present")]
    pub preferred: Option<Option<String>>,
    pub email_enabled: Option<bool>,
}

fields!(MfaPreference => core::MfaPreference { preferred, email_enabled });

/// Tells an absent field (`None`) from an explicit null (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `POST /pools/{pool_id}/users` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The username; in pools whose username is the email, the email address.
    pub username: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    /// A permanent password: the user is `CONFIRMED`.
    pub password: Option<String>,
    /// A temporary password: the user must choose a new one at first sign-in. Without
    /// either password one is generated and returned once.
    pub temporary_password: Option<String>,
    pub email_verified: Option<bool>,
    /// Do not email the temporary password to the user (default `false`).
    pub suppress_invitation: Option<bool>,
}

fields!(NewUser => core::NewUser {
    username, attributes, password, temporary_password, email_verified, suppress_invitation,
});

/// `PATCH /pools/{pool_id}/users/{username}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Attributes to set; `null` removes one.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    pub email_verified: Option<bool>,
}

fields!(UserPatch => core::UserPatch { attributes, email_verified });

/// `POST .../users/{username}/password` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub password: String,
    #[serde(default)]
    pub permanent: bool,
}

fields!(SetPassword => core::SetPassword { password, permanent });

// Passwords never reach a `Debug` dump: the core's types print them redacted.
impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewUser { .. }")
    }
}

impl std::fmt::Debug for SetPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetPassword { .. }")
    }
}
