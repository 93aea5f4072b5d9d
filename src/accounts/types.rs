//! The account domain's own types: where the store keeps text, the core speaks in these.

use crate::clock::Millis;
use crate::store::users::UserRow;

/// A user's state (design §4). Enabled or disabled is separate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    /// Admin-created with a temporary password: a new one must be chosen first.
    ForceChangePassword,
    /// An admin asked for a reset.
    ResetRequired,
    /// Made by a first sign-in through an identity provider; it has no password here.
    ExternalProvider,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ResetRequired => "RESET_REQUIRED",
            UserStatus::ExternalProvider => "EXTERNAL_PROVIDER",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            UserStatus::Unconfirmed,
            UserStatus::Confirmed,
            UserStatus::ForceChangePassword,
            UserStatus::ResetRequired,
            UserStatus::ExternalProvider,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn of(user: &UserRow) -> Option<Self> {
        Self::parse(&user.status)
    }
}

/// The `amr` method of a code by email (RFC 8176's `otp` is HOTP and TOTP: the app; it
/// names no method for email).
pub const AMR_EMAIL: &str = "email";

/// What a mailed code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    SignUp,
    Reset,
    /// A second factor by email.
    EmailOtp,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::SignUp => "signup",
            CodePurpose::Reset => "reset",
            CodePurpose::EmailOtp => "email_otp",
        }
    }
}

/// A second factor, by Cognito's challenge names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MfaFactor {
    /// TOTP from an authenticator app (`SOFTWARE_TOKEN_MFA`).
    SoftwareToken,
    /// A code by email (`EMAIL_OTP`).
    Email,
}

impl MfaFactor {
    pub const ALL: [MfaFactor; 2] = [MfaFactor::SoftwareToken, MfaFactor::Email];

    /// Cognito's name, as pools and the API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            MfaFactor::SoftwareToken => "SOFTWARE_TOKEN_MFA",
            MfaFactor::Email => "EMAIL_OTP",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// Whether the account may hold a session or tokens issued at `issued_at` (milliseconds):
/// it exists as a confirmed, enabled account, and has not been signed out everywhere
/// since. The one place this is decided, for sessions, codes, refresh tokens and access
/// tokens alike.
pub fn may_hold_tokens(user: &UserRow, issued_at: Millis) -> bool {
    user.enabled
        && matches!(
            UserStatus::of(user),
            Some(UserStatus::Confirmed | UserStatus::ExternalProvider)
        )
        && user.signed_out_at.is_none_or(|t| t < issued_at)
}
