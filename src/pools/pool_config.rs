//! A user pool's configuration as it is stored and read: its settings, their defaults and
//! limits. The stored document is read tolerantly: a field it does not know is passed over,
//! so a setting added later never breaks an older row (each door's own types are strict).

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::crypto::jwt::Algorithm;
use crate::domain::MfaFactor;

pub const MAX_CUSTOM_ATTRIBUTES: usize = 50;
// The limits below are checked here and written into the OpenAPI document from here.
pub const NAME_MAX: usize = 128;
pub const MINIMUM_LENGTH: std::ops::RangeInclusive<u32> = 6..=99;
pub const TEMPORARY_PASSWORD_DAYS: std::ops::RangeInclusive<u32> = 0..=365;
pub const CUSTOM_ATTRIBUTE_NAME_MAX: usize = 20;
pub const CUSTOM_ATTRIBUTE_LENGTH_MAX: u32 = 2048;
pub const ATTRIBUTE_TYPES: &[&str] = &["string", "number", "boolean"];
pub const AUTO_VERIFIABLE: &[&str] = &["email", "phone_number"];
pub const MFA_CONFIGURATIONS: &[&str] = &["OFF", "OPTIONAL", "ON"];
pub const EMAIL_SUBJECT_MAX: usize = 140;
pub const EMAIL_MESSAGE_MAX: usize = 20_000;
pub const DISPLAY_NAME_MAX: usize = 128;
/// The ways a sign-in may begin (Cognito's `AllowedFirstAuthFactors`) that Cognate offers.
pub const FIRST_AUTH_FACTORS: &[&str] = &["PASSWORD", "EMAIL_OTP"];

/// Password rules checked before any password is hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }
}

/// A custom attribute, used on users as `custom:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomAttribute {
    pub name: String,
    /// `string`, `number` or `boolean`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "yes")]
    pub mutable: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSettings {
    /// Sender address of this pool's mail; the deployment default when absent.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub verification_subject: Option<String>,
    /// Must contain `{####}`, replaced by the code.
    #[serde(default)]
    pub verification_message: Option<String>,
}

/// How the hosted pages of a pool look.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    /// Shown as the page heading; the pool name when absent.
    #[serde(default)]
    pub display_name: Option<String>,
    /// An https image URL (http only for localhost).
    #[serde(default)]
    pub logo_url: Option<String>,
    /// `#rrggbb`, used for buttons and links.
    #[serde(default)]
    pub primary_color: Option<String>,
}

/// How a sign-in may begin, as Cognito's `Policies.SignInPolicy`. A pool that lists only
/// `PASSWORD` (the default, and what pools made before this setting have) offers no sign-in
/// by a code alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInPolicy {
    /// `PASSWORD` (always) and, where the pool's MFA is not `ON`, `EMAIL_OTP`.
    pub allowed_first_auth_factors: Vec<String>,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        Self {
            allowed_first_auth_factors: vec!["PASSWORD".into()],
        }
    }
}

impl SignInPolicy {
    pub fn allows(&self, factor: &str) -> bool {
        self.allowed_first_auth_factors.iter().any(|f| f == factor)
    }
}

/// Whether a pool asks for a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaConfiguration {
    /// Nobody is asked; factors set up are kept.
    Off,
    /// Users who set up a factor are asked for it.
    Optional,
    /// Everyone is asked, and a user without a factor must set one up.
    On,
}

/// Everything about a pool but its id, name and timestamps; stored as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolConfig {
    /// `[]`, or `["email"]` when the email address is the username.
    pub username_attributes: Vec<String>,
    pub case_sensitive_usernames: bool,
    pub auto_verified_attributes: Vec<String>,
    pub password_policy: PasswordPolicy,
    pub schema: Vec<CustomAttribute>,
    /// `OFF`, `OPTIONAL` or `ON`.
    pub mfa_configuration: String,
    pub email: EmailSettings,
    pub deletion_protection: bool,
    #[serde(default)]
    pub branding: Branding,
    /// When true, only admins create users: the hosted sign-up page is off.
    #[serde(default)]
    pub allow_admin_create_user_only: bool,
    /// A first sign-in through an identity provider links to the one local user with the
    /// same address when both the provider and the pool have it verified (off by default).
    #[serde(default)]
    pub link_by_verified_email: bool,
    /// `RS256` (RSA-2048, Cognito's and the default), `ES256` (P-256) or `EdDSA` (Ed25519).
    #[serde(default = "default_signing_algorithm")]
    pub token_signing_algorithm: String,
    /// The second factors users may use: `SOFTWARE_TOKEN_MFA` (TOTP), `EMAIL_OTP`.
    #[serde(default = "default_mfa_factors")]
    pub mfa_factors: Vec<String>,
    /// How a sign-in may begin; absent (pools made before it existed) is `["PASSWORD"]`.
    #[serde(default)]
    pub sign_in_policy: SignInPolicy,
}

pub(crate) fn default_mfa_factors() -> Vec<String> {
    vec![MfaFactor::SoftwareToken.as_str().to_string()]
}

pub(crate) fn default_signing_algorithm() -> String {
    Algorithm::Rs256.as_str().to_string()
}

impl PoolConfig {
    pub fn email_is_username(&self) -> bool {
        self.username_attributes.iter().any(|a| a == "email")
    }

    /// The algorithm new tokens are signed with (validated when the pool was saved).
    pub fn signing_algorithm(&self) -> Algorithm {
        Algorithm::parse(&self.token_signing_algorithm).unwrap_or_default()
    }

    /// The second factors the pool allows, in the order they were listed.
    pub fn allowed_factors(&self) -> Vec<MfaFactor> {
        self.mfa_factors
            .iter()
            .filter_map(|f| MfaFactor::parse(f))
            .collect()
    }

    /// `OFF`, `OPTIONAL` or `ON` (validated when the pool was saved).
    pub fn mfa(&self) -> MfaConfiguration {
        match self.mfa_configuration.as_str() {
            "ON" => MfaConfiguration::On,
            "OPTIONAL" => MfaConfiguration::Optional,
            _ => MfaConfiguration::Off,
        }
    }

    pub fn custom_attribute(&self, name: &str) -> Option<&CustomAttribute> {
        self.schema.iter().find(|a| a.name == name)
    }
}

/// A pool: its id, name and issuer, its stored settings and when it was made and changed.
#[derive(Debug, Clone)]
pub struct Pool {
    /// `<region>_<9 alphanumerics>`.
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub config: PoolConfig,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl crate::mail::Sender for Pool {
    fn pool_id(&self) -> &str {
        &self.id
    }

    fn display_name(&self) -> &str {
        self.config
            .branding
            .display_name
            .as_deref()
            .unwrap_or(&self.name)
    }

    fn sender_address(&self) -> Option<&str> {
        self.config.email.from.as_deref()
    }

    fn verification_subject(&self) -> Option<&str> {
        self.config.email.verification_subject.as_deref()
    }

    fn verification_message(&self) -> Option<&str> {
        self.config.email.verification_message.as_deref()
    }

    fn temporary_password_days(&self) -> u32 {
        self.config.password_policy.temporary_password_validity_days
    }
}

/// Milliseconds a temporary password stays valid under this policy.
pub fn temporary_password_lifetime(policy: &PasswordPolicy) -> Millis {
    i64::from(policy.temporary_password_validity_days) * 86_400_000
}
