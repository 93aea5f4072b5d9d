//! What makes a pool's configuration valid: each setting's rule, with the field it names
//! in its error. Create and update run the same checks.

use crate::crypto::jwt::Algorithm;
use crate::domain::MfaFactor;
use crate::error::{Error, Result};
use crate::pools::pool_config::{
    ATTRIBUTE_TYPES, AUTO_VERIFIABLE, Branding, CUSTOM_ATTRIBUTE_LENGTH_MAX,
    CUSTOM_ATTRIBUTE_NAME_MAX, CustomAttribute, DISPLAY_NAME_MAX, EMAIL_MESSAGE_MAX,
    EMAIL_SUBJECT_MAX, EmailSettings, FIRST_AUTH_FACTORS, MAX_CUSTOM_ATTRIBUTES,
    MFA_CONFIGURATIONS, MINIMUM_LENGTH, MfaConfiguration, PasswordPolicy, PoolConfig,
    TEMPORARY_PASSWORD_DAYS,
};
use crate::pools::text;

/// Cognito's other first factors, refused by name until Cognate offers them.
const UNSUPPORTED_FIRST_AUTH_FACTORS: &[&str] = &["SMS_OTP", "WEB_AUTHN"];

impl Branding {
    fn validate(&self) -> Result<()> {
        if let Some(name) = &self.display_name {
            text::name("branding.display_name", name, DISPLAY_NAME_MAX)?;
        }
        if let Some(url) = &self.logo_url {
            crate::pools::urls::validate_redirect_url("branding.logo_url", url)?;
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

impl PasswordPolicy {
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
    /// Every rule of a pool's configuration; create and update call it.
    pub(crate) fn validate(&self) -> Result<()> {
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
