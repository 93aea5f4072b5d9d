//! User pools: their configuration, its validation, and create/read/update/delete.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::{Millis, to_datetime};
use crate::context::Context;
use crate::crypto::jwt::Algorithm;
use crate::crypto::random;
use crate::domain::MfaFactor;
use crate::error::{Error, Result};
use crate::pools::text;
use crate::store::paging::{Page, PageRequest};
use crate::store::{StoreError, pools as store};

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
/// Cognito's other first factors, refused by name until Cognate offers them.
const UNSUPPORTED_FIRST_AUTH_FACTORS: &[&str] = &["SMS_OTP", "WEB_AUTHN"];

/// Password rules checked before any password is hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

/// How the hosted pages of a pool look.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

impl Branding {
    fn validate(&self) -> Result<()> {
        if let Some(name) = &self.display_name {
            text::name("branding.display_name", name, DISPLAY_NAME_MAX)?;
        }
        if let Some(url) = &self.logo_url {
            crate::pools::clients::validate_redirect_url("branding.logo_url", url)?;
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(Error::validation(
                    "branding.logo_url",
                    "must be an https URL",
                ));
            }
        }
        if let Some(color) = &self.primary_color {
            let ok = color.len() == 7
                && color.starts_with('#')
                && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                return Err(Error::validation(
                    "branding.primary_color",
                    "must look like #1a2b3c",
                ));
            }
        }
        Ok(())
    }
}

/// How a sign-in may begin, as Cognito's `Policies.SignInPolicy`. A pool that lists only
/// `PASSWORD` (the default, and what pools made before this setting have) offers no sign-in
/// by a code alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

fn default_mfa_factors() -> Vec<String> {
    vec![MfaFactor::SoftwareToken.as_str().to_string()]
}

fn default_signing_algorithm() -> String {
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

/// A pool as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl PasswordPolicy {
    fn apply(&mut self, patch: PasswordPolicyPatch) {
        let p = patch;
        self.minimum_length = p.minimum_length.unwrap_or(self.minimum_length);
        self.require_uppercase = p.require_uppercase.unwrap_or(self.require_uppercase);
        self.require_lowercase = p.require_lowercase.unwrap_or(self.require_lowercase);
        self.require_numbers = p.require_numbers.unwrap_or(self.require_numbers);
        self.require_symbols = p.require_symbols.unwrap_or(self.require_symbols);
        self.temporary_password_validity_days = p
            .temporary_password_validity_days
            .unwrap_or(self.temporary_password_validity_days);
    }

    fn validate(&self) -> Result<()> {
        if !MINIMUM_LENGTH.contains(&self.minimum_length) {
            return Err(Error::validation(
                "password_policy.minimum_length",
                format!(
                    "must be between {} and {}",
                    MINIMUM_LENGTH.start(),
                    MINIMUM_LENGTH.end()
                ),
            ));
        }
        if !TEMPORARY_PASSWORD_DAYS.contains(&self.temporary_password_validity_days) {
            return Err(Error::validation(
                "password_policy.temporary_password_validity_days",
                format!(
                    "must be between {} and {}",
                    TEMPORARY_PASSWORD_DAYS.start(),
                    TEMPORARY_PASSWORD_DAYS.end()
                ),
            ));
        }
        Ok(())
    }
}

fn validate_username_attributes(values: &[String]) -> Result<()> {
    match values {
        [] => Ok(()),
        [one] if one == "email" => Ok(()),
        _ => Err(Error::validation(
            "username_attributes",
            "must be [] or [\"email\"]",
        )),
    }
}

fn validate_auto_verified(values: &[String]) -> Result<()> {
    let mut seen = Vec::new();
    for v in values {
        if !AUTO_VERIFIABLE.contains(&v.as_str()) {
            return Err(Error::validation(
                "auto_verified_attributes",
                format!("unknown attribute `{v}` (allowed: email, phone_number)"),
            ));
        }
        if seen.contains(&v) {
            return Err(Error::validation(
                "auto_verified_attributes",
                format!("`{v}` is listed twice"),
            ));
        }
        seen.push(v);
    }
    Ok(())
}

impl PoolConfig {
    fn validate_factors(&self) -> Result<()> {
        let field = "mfa_factors";
        let mut seen = Vec::new();
        for name in &self.mfa_factors {
            let Some(factor) = MfaFactor::parse(name) else {
                return Err(Error::validation(
                    field,
                    "may hold only SOFTWARE_TOKEN_MFA and EMAIL_OTP",
                ));
            };
            if seen.contains(&factor) {
                return Err(Error::validation(field, format!("{name} is listed twice")));
            }
            seen.push(factor);
        }
        if self.mfa() == MfaConfiguration::On && seen.is_empty() {
            return Err(Error::validation(
                field,
                "mfa_configuration ON needs at least one factor",
            ));
        }
        if seen.contains(&MfaFactor::Email)
            && !self.auto_verified_attributes.iter().any(|a| a == "email")
        {
            return Err(Error::validation(
                field,
                "EMAIL_OTP needs email among auto_verified_attributes",
            ));
        }
        Ok(())
    }
}

impl PoolConfig {
    /// Cognito's rules: `PASSWORD` is always listed, each factor once, and a code alone
    /// cannot begin a sign-in in a pool that requires a second factor.
    fn validate_sign_in_policy(&self) -> Result<()> {
        let field = "sign_in_policy.allowed_first_auth_factors";
        let listed = &self.sign_in_policy.allowed_first_auth_factors;
        for (i, factor) in listed.iter().enumerate() {
            if UNSUPPORTED_FIRST_AUTH_FACTORS.contains(&factor.as_str()) {
                return Err(Error::validation(
                    field,
                    format!("Cognate does not offer {factor} sign-in yet"),
                ));
            }
            if !FIRST_AUTH_FACTORS.contains(&factor.as_str()) {
                return Err(Error::validation(
                    field,
                    "may hold only PASSWORD and EMAIL_OTP",
                ));
            }
            if listed[..i].contains(factor) {
                return Err(Error::validation(
                    field,
                    format!("{factor} is listed twice"),
                ));
            }
        }
        if !self.sign_in_policy.allows("PASSWORD") {
            return Err(Error::validation(field, "must include PASSWORD"));
        }
        if self.sign_in_policy.allows("EMAIL_OTP") && self.mfa() == MfaConfiguration::On {
            return Err(Error::validation(
                field,
                "EMAIL_OTP cannot be a first factor where mfa_configuration is ON",
            ));
        }
        Ok(())
    }
}

fn validate_mfa(value: &str) -> Result<()> {
    if MFA_CONFIGURATIONS.contains(&value) {
        Ok(())
    } else {
        Err(Error::validation(
            "mfa_configuration",
            "must be OFF, OPTIONAL or ON",
        ))
    }
}

fn validate_email_settings(email: &EmailSettings) -> Result<()> {
    if let Some(from) = &email.from
        && !text::is_email(from)
    {
        return Err(Error::validation(
            "email.from",
            "must be a valid email address",
        ));
    }
    if let Some(subject) = &email.verification_subject {
        text::header_line("email.verification_subject", subject, EMAIL_SUBJECT_MAX)?;
    }
    if let Some(message) = &email.verification_message {
        text::free_text("email.verification_message", message, EMAIL_MESSAGE_MAX)?;
        if !message.contains("{####}") {
            return Err(Error::validation(
                "email.verification_message",
                "must contain {####}, which is replaced by the code",
            ));
        }
    }
    Ok(())
}

fn validate_schema(schema: &[CustomAttribute]) -> Result<()> {
    if schema.len() > MAX_CUSTOM_ATTRIBUTES {
        return Err(Error::validation(
            "schema",
            format!("at most {MAX_CUSTOM_ATTRIBUTES} custom attributes"),
        ));
    }
    for (i, attr) in schema.iter().enumerate() {
        let field = format!("schema[{i}]");
        let name_ok = !attr.name.is_empty()
            && attr.name.len() <= CUSTOM_ATTRIBUTE_NAME_MAX
            && attr
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(Error::validation(
                format!("{field}.name"),
                "must be 1-20 characters of A-Z, a-z, 0-9, `_` and `-`",
            ));
        }
        if schema[..i].iter().any(|a| a.name == attr.name) {
            return Err(Error::validation(
                format!("{field}.name"),
                format!("`{}` is defined twice", attr.name),
            ));
        }
        if !ATTRIBUTE_TYPES.contains(&attr.kind.as_str()) {
            return Err(Error::validation(
                format!("{field}.type"),
                "must be string, number or boolean",
            ));
        }
        if attr.kind != "string" && (attr.min_length.is_some() || attr.max_length.is_some()) {
            return Err(Error::validation(
                format!("{field}.min_length"),
                "min_length and max_length apply to string attributes only",
            ));
        }
        let min = attr.min_length.unwrap_or(0);
        let max = attr.max_length.unwrap_or(CUSTOM_ATTRIBUTE_LENGTH_MAX);
        if max > CUSTOM_ATTRIBUTE_LENGTH_MAX || min > max {
            return Err(Error::validation(
                format!("{field}.max_length"),
                "lengths must satisfy 0 <= min_length <= max_length <= 2048",
            ));
        }
    }
    Ok(())
}

impl PoolConfig {
    fn validate(&self) -> Result<()> {
        validate_username_attributes(&self.username_attributes)?;
        validate_auto_verified(&self.auto_verified_attributes)?;
        self.password_policy.validate()?;
        validate_schema(&self.schema)?;
        validate_mfa(&self.mfa_configuration)?;
        self.validate_factors()?;
        self.validate_sign_in_policy()?;
        validate_email_settings(&self.email)?;
        if Algorithm::parse(&self.token_signing_algorithm).is_none() {
            return Err(Error::validation(
                "token_signing_algorithm",
                "must be RS256, ES256 or EdDSA",
            ));
        }
        self.branding.validate()
    }
}

fn new_pool_id(region: &str) -> String {
    format!("{region}_{}", random::alphanumeric(9))
}

/// True when `id` has the shape of a pool id; anything else cannot exist.
pub fn is_pool_id(id: &str) -> bool {
    match id.split_once('_') {
        Some((region, rest)) => {
            !region.is_empty()
                && region.len() <= 32
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && rest.len() == 9
                && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        None => false,
    }
}

fn to_pool(ctx: &Context, row: store::PoolRow) -> Result<Pool> {
    let config: PoolConfig = serde_json::from_str(&row.config).map_err(StoreError::from)?;
    Ok(Pool {
        issuer: ctx.issuer(&row.id),
        id: row.id,
        name: row.name,
        config,
        created_at: to_datetime(row.created_at),
        updated_at: to_datetime(row.updated_at),
    })
}

pub async fn create_pool(ctx: &Context, input: NewPool) -> Result<Pool> {
    text::name("name", &input.name, NAME_MAX)?;
    let mut password_policy = PasswordPolicy::default();
    password_policy.apply(input.password_policy.unwrap_or_default());
    let config = PoolConfig {
        username_attributes: input.username_attributes.unwrap_or_default(),
        case_sensitive_usernames: input.case_sensitive_usernames.unwrap_or(false),
        auto_verified_attributes: input
            .auto_verified_attributes
            .unwrap_or_else(|| vec!["email".into()]),
        password_policy,
        schema: input.schema.unwrap_or_default(),
        mfa_configuration: input.mfa_configuration.unwrap_or_else(|| "OFF".into()),
        email: input.email.unwrap_or_default(),
        deletion_protection: input.deletion_protection.unwrap_or(false),
        branding: input.branding.unwrap_or_default(),
        allow_admin_create_user_only: input.allow_admin_create_user_only.unwrap_or(false),
        link_by_verified_email: input.link_by_verified_email.unwrap_or(false),
        token_signing_algorithm: input
            .token_signing_algorithm
            .unwrap_or_else(default_signing_algorithm),
        mfa_factors: input.mfa_factors.unwrap_or_else(default_mfa_factors),
        sign_in_policy: input.sign_in_policy.unwrap_or_default(),
    };
    config.validate()?;
    let now = ctx.now();
    let config_json = serde_json::to_string(&config).map_err(StoreError::from)?;
    // A fresh random id colliding is astronomically unlikely, but cheap to retry.
    for _ in 0..3 {
        let id = new_pool_id(&ctx.region);
        let key = ctx
            .keys
            .generate(&id, config.signing_algorithm(), now, true)
            .await
            .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
        let row = store::PoolRow {
            id,
            name: input.name.clone(),
            config: config_json.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        match store::insert(&ctx.store, &row, &key).await {
            Ok(()) => return to_pool(ctx, row),
            Err(StoreError::Conflict(what)) if what.contains("name") => {
                return Err(Error::Conflict(format!(
                    "a pool named `{}` already exists",
                    input.name
                )));
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(Error::Conflict("could not allocate a pool id".into()))
}

pub async fn get_pool(ctx: &Context, pool_id: &str) -> Result<Pool> {
    load(ctx, pool_id).await.map(|(pool, _)| pool)
}

/// Pools as `cached_pool` keeps them, by id.
struct Cached;

impl crate::cache::Kept for Cached {
    type Key = String;
    type Value = Pool;
}

/// The pool as the OAuth endpoints and hosted pages see it: at most `cache::TTL_MS` old,
/// and current for changes made through this process. Admin reads use `get_pool`.
pub async fn cached_pool(ctx: &Context, pool_id: &str) -> Result<Pool> {
    let now = ctx.now();
    if let Some(pool) = ctx.caches.get::<Cached, _>(pool_id, now) {
        return Ok(pool);
    }
    let since = ctx.caches.generation();
    let pool = get_pool(ctx, pool_id).await?;
    ctx.caches
        .keep::<Cached>(since, pool.id.clone(), pool.clone(), now, None);
    Ok(pool)
}

/// The pool and the version its config was read at.
async fn load(ctx: &Context, pool_id: &str) -> Result<(Pool, i64)> {
    if !is_pool_id(pool_id) {
        return Err(Error::NotFound("pool"));
    }
    match store::get(&ctx.store, pool_id).await {
        Ok(row) => {
            let version = row.version;
            Ok((to_pool(ctx, row)?, version))
        }
        Err(StoreError::NotFound) => Err(Error::NotFound("pool")),
        Err(e) => Err(e.into()),
    }
}

pub async fn list_pools(ctx: &Context, page: PageRequest) -> Result<Page<Pool>> {
    let rows = store::list(&ctx.store, &page).await?;
    page.finish(rows, |r| r.id.clone())
        .try_map(|row| to_pool(ctx, row))
}

pub async fn update_pool(ctx: &Context, pool_id: &str, patch: PoolPatch) -> Result<Pool> {
    // Optimistic concurrency: re-read and re-apply if another writer got in between.
    for _ in 0..5 {
        let (current, version) = load(ctx, pool_id).await?;
        let (name, config) = apply_patch(&current, &patch)?;
        let config_json = serde_json::to_string(&config).map_err(StoreError::from)?;
        let now = ctx.now();
        let alg = config.signing_algorithm();
        let saved = if alg == current.config.signing_algorithm() {
            store::update(&ctx.store, pool_id, version, &name, &config_json, now).await
        } else {
            // A new algorithm signs new tokens at once: the pool and its new key are written
            // together, and the old key is published until its tokens have expired.
            let key = ctx
                .keys
                .generate(pool_id, alg, now, true)
                .await
                .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
            let until = now + crate::domain::PUBLISH_AFTER_RETIREMENT_MS;
            store::update_with_new_key(
                &ctx.store,
                pool_id,
                version,
                &name,
                &config_json,
                now,
                &key,
                until,
            )
            .await
        };
        match saved {
            Ok(true) => {
                ctx.keys.forget_active(pool_id);
                ctx.caches.clear();
                return get_pool(ctx, pool_id).await;
            }
            Ok(false) => continue,
            Err(StoreError::Conflict(_)) => {
                return Err(Error::Conflict(format!(
                    "a pool named `{name}` already exists"
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Store(StoreError::Contention))
}

fn apply_patch(current: &Pool, patch: &PoolPatch) -> Result<(String, PoolConfig)> {
    let mut config = current.config.clone();
    let name = patch.name.clone().unwrap_or_else(|| current.name.clone());
    text::name("name", &name, NAME_MAX)?;
    // Refused even when unchanged: the document does not offer these fields, so a body
    // that names them is not a valid patch.
    if patch.username_attributes.is_some() {
        return Err(Error::validation(
            "username_attributes",
            "cannot be changed after the pool is created",
        ));
    }
    if patch.case_sensitive_usernames.is_some() {
        return Err(Error::validation(
            "case_sensitive_usernames",
            "cannot be changed after the pool is created",
        ));
    }
    if let Some(v) = &patch.auto_verified_attributes {
        config.auto_verified_attributes = v.clone();
    }
    if let Some(p) = &patch.password_policy {
        config.password_policy.apply(PasswordPolicyPatch {
            minimum_length: p.minimum_length,
            require_uppercase: p.require_uppercase,
            require_lowercase: p.require_lowercase,
            require_numbers: p.require_numbers,
            require_symbols: p.require_symbols,
            temporary_password_validity_days: p.temporary_password_validity_days,
        });
    }
    if let Some(schema) = &patch.schema {
        for existing in &config.schema {
            match schema.iter().find(|a| a.name == existing.name) {
                None => {
                    return Err(Error::validation(
                        "schema",
                        format!(
                            "custom attribute `{}` cannot be removed; attributes may only be added",
                            existing.name
                        ),
                    ));
                }
                Some(new) if new != existing => {
                    return Err(Error::validation(
                        "schema",
                        format!("custom attribute `{}` cannot be changed", existing.name),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(added) = schema
            .iter()
            .find(|a| a.required && current.config.custom_attribute(&a.name).is_none())
        {
            return Err(Error::validation(
                "schema",
                format!(
                    "custom attribute `{}` cannot be required when added to an existing pool",
                    added.name
                ),
            ));
        }
        config.schema = schema.clone();
    }
    if let Some(v) = &patch.mfa_configuration {
        config.mfa_configuration = v.clone();
    }
    if let Some(v) = &patch.email {
        config.email = v.clone();
    }
    if let Some(v) = patch.deletion_protection {
        config.deletion_protection = v;
    }
    if let Some(v) = &patch.branding {
        config.branding = v.clone();
    }
    if let Some(v) = patch.allow_admin_create_user_only {
        config.allow_admin_create_user_only = v;
    }
    if let Some(v) = patch.link_by_verified_email {
        config.link_by_verified_email = v;
    }
    if let Some(v) = &patch.token_signing_algorithm {
        config.token_signing_algorithm = v.clone();
    }
    if let Some(v) = &patch.mfa_factors {
        config.mfa_factors = v.clone();
    }
    if let Some(v) = &patch.sign_in_policy {
        config.sign_in_policy = v.clone();
    }
    config.validate()?;
    Ok((name, config))
}

pub async fn delete_pool(ctx: &Context, pool_id: &str) -> Result<()> {
    for _ in 0..5 {
        let (pool, version) = load(ctx, pool_id).await?;
        if pool.config.deletion_protection {
            return Err(Error::Conflict(
                "deletion_protection is on; turn it off with PATCH first".into(),
            ));
        }
        // Deleting at the version that was checked means a concurrent PATCH turning
        // protection on cannot slip in between.
        match store::delete_at_version(&ctx.store, pool_id, version).await {
            Ok(true) => {
                ctx.caches.clear();
                return Ok(());
            }
            Ok(false) => {}
            // The cascade deadlocked with writes into the pool (PostgreSQL): again.
            Err(StoreError::Contention) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// Milliseconds a temporary password stays valid under this policy.
pub fn temporary_password_lifetime(policy: &PasswordPolicy) -> Millis {
    i64::from(policy.temporary_password_validity_days) * 86_400_000
}
