//! Plain types every area speaks in, with no behaviour that reads or writes anything: a
//! user's state, second factors, what a mailed code is for, OpenID Connect's `prompt`, the
//! names of sign-in methods in `amr`, the name of a pool's own sign-in. It imports nothing
//! of Cognate above `crypto`.

/// How long a process may keep signing with a key it cached as a pool's active one.
pub const ACTIVE_KEY_CACHE_MS: i64 = 30_000;
/// How long a retired signing key stays published: the longest an ID or access token can
/// live (a client's maximum), plus the time another process may keep signing with it.
pub const PUBLISH_AFTER_RETIREMENT_MS: i64 = 86_400_000 + 2 * ACTIVE_KEY_CACHE_MS;

/// A pool has at most this many identity providers.
pub const MAX_IDENTITY_PROVIDERS: i64 = 50;

/// The user attribute that holds a federated or linked user's identities (a JSON string).
pub const IDENTITIES: &str = "identities";

/// The name of a pool's own sign-in among a client's identity providers (Cognito's).
pub const COGNITO: &str = "COGNITO";

/// Marks an identity provider's `amr` methods in what Cognate keeps: only this pool's own
/// checks count as proofs of its factors (`tokens::claims::public_amr` unmarks them).
pub const UPSTREAM_AMR: &str = "idp:";

/// The `amr` method of a code by email (RFC 8176's `otp` is HOTP and TOTP: the app; it
/// names no method for email).
pub const AMR_EMAIL: &str = "email";

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
}

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

/// OpenID Connect's `prompt` (Core §3.1.2.1), as far as Cognate honours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Default,
    None,
    Login,
}
