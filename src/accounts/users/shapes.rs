//! A user as the core shows it (`User`), and the commands that create and change one.

use crate::accounts::attributes::Attributes;
use crate::accounts::username;
use crate::clock::to_datetime;
use crate::error::Result;
use crate::store::StoreError;
use crate::store::users::UserRow;

/// Checked here and written into the OpenAPI document from here.
pub const USERNAME_MAX: usize = username::MAX_CHARS;

/// A user as the core shows it. The password hash never leaves the store.
#[derive(Debug, Clone)]
pub struct User {
    pub username: String,
    /// Stable UUID of the user.
    pub sub: String,
    pub status: String,
    pub enabled: bool,
    pub attributes: Attributes,
    /// The generated temporary password, present only where it was just made.
    pub temporary_password: Option<String>,
    /// The user's second factors (in the answers about one user).
    pub mfa: Option<MfaSummary>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// What a user has of second factors.
#[derive(Debug, Clone)]
pub struct MfaSummary {
    /// An authenticator app is set up.
    pub totp: bool,
    /// Codes by email are on (and the email is verified).
    pub email: bool,
    /// `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, or null.
    pub preferred: Option<String>,
    pub recovery_codes_left: i64,
}

/// A change to a user's second factors, as Cognito's `AdminSetUserMFAPreference`: absent
/// fields stay as they are.
#[derive(Debug)]
pub struct MfaPreference {
    /// `Some(None)` clears the preferred factor; `None` keeps it.
    pub preferred: Option<Option<String>>,
    pub email_enabled: Option<bool>,
}

/// A new user.
pub struct NewUser {
    /// The username; in pools whose username is the email, the email address.
    pub username: Option<String>,
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

/// A change to a user.
#[derive(Debug)]
pub struct UserPatch {
    /// Attributes to set; `null` removes one.
    pub attributes: Attributes,
    pub email_verified: Option<bool>,
}

/// A password an admin (or the user) sets: permanent, or temporary until the next sign-in.
pub struct SetPassword {
    pub password: String,
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
