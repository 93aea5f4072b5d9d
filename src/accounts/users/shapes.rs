//! Users as the admin API shows them (`User`) and the bodies it takes to create and change
//! them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::attributes::Attributes;
use crate::accounts::username;
use crate::clock::to_datetime;
use crate::error::Result;
use crate::store::StoreError;
use crate::store::users::UserRow;

/// Checked here and written into the OpenAPI document from here.
pub const USERNAME_MAX: usize = username::MAX_CHARS;

/// A user as the API shows it. The password hash never leaves the store.
#[derive(Debug, Clone, Serialize, ToSchema)]
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

/// What a user has of second factors.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MfaSummary {
    /// An authenticator app is set up.
    pub totp: bool,
    /// Codes by email are on (and the email is verified).
    pub email: bool,
    /// `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, or null.
    pub preferred: Option<String>,
    pub recovery_codes_left: i64,
}

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

/// `POST .../users/{username}/password` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub password: String,
    #[serde(default)]
    pub permanent: bool,
}

// Passwords never reach a `Debug` dump.
impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("attributes", &self.attributes)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field(
                "temporary_password",
                &self.temporary_password.as_ref().map(|_| "[redacted]"),
            )
            .field("email_verified", &self.email_verified)
            .field("suppress_invitation", &self.suppress_invitation)
            .finish()
    }
}

impl std::fmt::Debug for SetPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetPassword")
            .field("password", &"[redacted]")
            .field("permanent", &self.permanent)
            .finish()
    }
}

pub(super) fn to_user(row: UserRow, temporary_password: Option<String>) -> Result<User> {
    let attributes: Attributes = serde_json::from_str(&row.attributes).map_err(StoreError::from)?;
    Ok(User {
        username: row.username,
        sub: row.id,
        status: row.status,
        enabled: row.enabled,
        attributes,
        temporary_password,
        mfa: None,
        created_at: to_datetime(row.created_at),
        updated_at: to_datetime(row.updated_at),
    })
}

/// A stored user as the API shows it.
pub fn user_from_row(row: UserRow) -> Result<User> {
    to_user(row, None)
}
