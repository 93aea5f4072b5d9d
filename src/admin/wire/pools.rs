//! `/pools` bodies and answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admin::wire::{each, fields, mirror, some, some_each};
use crate::crypto::jwt::Jwk;
use crate::pools::keys;
use crate::pools::pool as command;
use crate::pools::pool_config as core;

/// `POST /pools` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPool {
    pub name: String,
    #[serde(default)]
    pub username_attributes: Option<Vec<String>>,
    #[serde(default)]
    pub case_sensitive_usernames: Option<bool>,
    #[serde(default)]
    pub auto_verified_attributes: Option<Vec<String>>,
    #[serde(default)]
    pub password_policy: Option<PasswordPolicyPatch>,
    #[serde(default)]
    pub schema: Option<Vec<CustomAttribute>>,
    #[serde(default)]
    pub mfa_configuration: Option<String>,
    #[serde(default)]
    pub email: Option<EmailSettings>,
    #[serde(default)]
    pub deletion_protection: Option<bool>,
    #[serde(default)]
    pub branding: Option<Branding>,
    #[serde(default)]
    pub allow_admin_create_user_only: Option<bool>,
    /// Link a first federated sign-in to the local user with the same address when both
    /// sides have it verified (default false).
    #[serde(default)]
    pub link_by_verified_email: Option<bool>,
    /// `RS256` (the default, as Cognito), `ES256` or `EdDSA`.
    #[serde(default)]
    pub token_signing_algorithm: Option<String>,
    /// A subset of `["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]` (default `["SOFTWARE_TOKEN_MFA"]`).
    #[serde(default)]
    pub mfa_factors: Option<Vec<String>>,
    /// `{"allowed_first_auth_factors": ["PASSWORD", "EMAIL_OTP"]}`; default `["PASSWORD"]`.
    #[serde(default)]
    pub sign_in_policy: Option<SignInPolicy>,
}

fields!(NewPool => command::NewPool {
    name, username_attributes, case_sensitive_usernames, auto_verified_attributes,
    password_policy: some, schema: some_each, mfa_configuration, email: some,
    deletion_protection, branding: some, allow_admin_create_user_only, link_by_verified_email,
    token_signing_algorithm, mfa_factors, sign_in_policy: some,
});

/// Password policy fields; absent ones keep their current (or default) value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicyPatch {
    pub minimum_length: Option<u32>,
    pub require_uppercase: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub require_numbers: Option<bool>,
    pub require_symbols: Option<bool>,
    pub temporary_password_validity_days: Option<u32>,
}

fields!(PasswordPolicyPatch => command::PasswordPolicyPatch {
    minimum_length, require_uppercase, require_lowercase, require_numbers, require_symbols,
    temporary_password_validity_days,
});

/// `PATCH /pools/{id}` body. `username_attributes` and `case_sensitive_usernames` are fixed
/// at creation; `schema` is the whole new list, which may add attributes but not remove or
/// change existing ones.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolPatch {
    pub name: Option<String>,
    /// Refused: fixed at creation. Read only to say so, never offered in the document.
    #[schema(ignore)]
    pub username_attributes: Option<Vec<String>>,
    #[schema(ignore)]
    pub case_sensitive_usernames: Option<bool>,
    pub auto_verified_attributes: Option<Vec<String>>,
    pub password_policy: Option<PasswordPolicyPatch>,
    pub schema: Option<Vec<CustomAttribute>>,
    pub mfa_configuration: Option<String>,
    pub email: Option<EmailSettings>,
    pub deletion_protection: Option<bool>,
    /// Replaces the whole branding object.
    pub branding: Option<Branding>,
    pub allow_admin_create_user_only: Option<bool>,
    pub link_by_verified_email: Option<bool>,
    /// A change makes a new signing key of that kind at once; the old key stays published
    /// until every token it signed has expired.
    pub token_signing_algorithm: Option<String>,
    /// The whole new list of allowed second factors.
    pub mfa_factors: Option<Vec<String>>,
    /// Replaces the whole sign-in policy.
    pub sign_in_policy: Option<SignInPolicy>,
}

fields!(PoolPatch => command::PoolPatch {
    name, username_attributes, case_sensitive_usernames, auto_verified_attributes,
    password_policy: some, schema: some_each, mfa_configuration, email: some,
    deletion_protection, branding: some, allow_admin_create_user_only, link_by_verified_email,
    token_signing_algorithm, mfa_factors, sign_in_policy: some,
});

/// The answer to a key rotation: the new active key id and the pool's published keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedKeys {
    pub active_kid: String,
    /// The JWKS after rotation: the new key and the retired keys still published.
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<Jwk>,
}

fields!(keys::RotatedKeys => RotatedKeys { active_kid, keys });

/// A pool as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pool {
    /// `<region>_<9 alphanumerics>`.
    pub id: String,
    pub name: String,
    pub issuer: String,
    #[serde(flatten)]
    pub config: PoolConfig,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fields!(core::Pool => Pool { id, name, issuer, config, created_at, updated_at });

/// Everything about a pool but its id, name and timestamps.
#[derive(Debug, Serialize, ToSchema)]
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
    pub branding: Branding,
    /// When true, only admins create users: the hosted sign-up page is off.
    pub allow_admin_create_user_only: bool,
    /// A first sign-in through an identity provider links to the one local user with the
    /// same address when both the provider and the pool have it verified (off by default).
    pub link_by_verified_email: bool,
    /// `RS256` (RSA-2048, Cognito's and the default), `ES256` (P-256) or `EdDSA` (Ed25519).
    pub token_signing_algorithm: String,
    /// The second factors users may use: `SOFTWARE_TOKEN_MFA` (TOTP), `EMAIL_OTP`.
    pub mfa_factors: Vec<String>,
    /// How a sign-in may begin.
    pub sign_in_policy: SignInPolicy,
}

fields!(core::PoolConfig => PoolConfig {
    username_attributes, case_sensitive_usernames, auto_verified_attributes, password_policy,
    schema: each, mfa_configuration, email, deletion_protection, branding,
    allow_admin_create_user_only, link_by_verified_email, token_signing_algorithm, mfa_factors,
    sign_in_policy,
});

/// Password rules checked before any password is hashed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub temporary_password_validity_days: u32,
}

fields!(core::PasswordPolicy => PasswordPolicy {
    minimum_length, require_uppercase, require_lowercase, require_numbers, require_symbols,
    temporary_password_validity_days,
});

/// A custom attribute, used on users as `custom:<name>`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

mirror!(
    CustomAttribute,
    core::CustomAttribute {
        name,
        kind,
        mutable,
        required,
        min_length,
        max_length,
    }
);

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

mirror!(
    EmailSettings,
    core::EmailSettings {
        from,
        verification_subject,
        verification_message
    }
);

/// How the hosted pages of a pool look.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

mirror!(
    Branding,
    core::Branding {
        display_name,
        logo_url,
        primary_color
    }
);

/// How a sign-in may begin, as Cognito's `Policies.SignInPolicy`. A pool that lists only
/// `PASSWORD` (the default, and what pools made before this setting have) offers no sign-in
/// by a code alone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInPolicy {
    /// `PASSWORD` (always) and, where the pool's MFA is not `ON`, `EMAIL_OTP`.
    pub allowed_first_auth_factors: Vec<String>,
}

mirror!(
    SignInPolicy,
    core::SignInPolicy {
        allowed_first_auth_factors
    }
);
