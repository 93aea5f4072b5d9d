//! Cognito's pool shapes as Cognate's pool settings, and back (`UserPoolType`): the
//! conversions `admin::pools` parses and renders with.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::cognito::protocol::Exception;
use crate::cognito::shapes::epoch;
use crate::context::Context;
use crate::iam::arn::pool_arn;
use crate::pools::Pool;
use crate::pools::client_config::STANDARD_ATTRIBUTES;
use crate::pools::pool::PasswordPolicyPatch;
use crate::pools::pool_config::{CustomAttribute, EmailSettings, PasswordPolicy, SignInPolicy};

pub(super) fn unsupported(member: &str) -> Exception {
    Exception::invalid(format!("Cognate does not support {member}."))
}

/// `PasswordPolicyType`. Cognito reads an absent requirement as `false`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PasswordPolicyType {
    pub(super) minimum_length: Option<u32>,
    #[serde(default)]
    pub(super) require_uppercase: bool,
    #[serde(default)]
    pub(super) require_lowercase: bool,
    #[serde(default)]
    pub(super) require_numbers: bool,
    #[serde(default)]
    pub(super) require_symbols: bool,
    pub(super) temporary_password_validity_days: Option<u32>,
    pub(super) password_history_size: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Policies {
    pub(super) password_policy: Option<PasswordPolicyType>,
    pub(super) sign_in_policy: Option<SignInPolicyType>,
}

/// `SignInPolicyType`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SignInPolicyType {
    #[serde(default)]
    pub(super) allowed_first_auth_factors: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AdminCreateUserConfig {
    #[serde(default)]
    pub(super) allow_admin_create_user_only: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct EmailConfiguration {
    pub(super) from: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VerificationMessageTemplate {
    pub(super) email_message: Option<String>,
    pub(super) email_subject: Option<String>,
    pub(super) default_email_option: Option<String>,
}

/// What `CreateUserPool` and `UpdateUserPool` both set.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Settings {
    pub(super) policies: Option<Policies>,
    pub(super) deletion_protection: Option<String>,
    pub(super) auto_verified_attributes: Option<Vec<String>>,
    pub(super) email_verification_message: Option<String>,
    pub(super) email_verification_subject: Option<String>,
    pub(super) verification_message_template: Option<VerificationMessageTemplate>,
    pub(super) email_configuration: Option<EmailConfiguration>,
    pub(super) mfa_configuration: Option<String>,
    pub(super) admin_create_user_config: Option<AdminCreateUserConfig>,
    pub(super) lambda_config: Option<Map<String, Value>>,
}

/// The settings as the core's values. An absent member is Cognito's default, as both
/// operations read it (`UpdateUserPool` resets what it is not given).
pub(super) struct Resolved {
    pub(super) password_policy: PasswordPolicyPatch,
    pub(super) deletion_protection: bool,
    pub(super) auto_verified_attributes: Vec<String>,
    pub(super) email: EmailSettings,
    pub(super) mfa_configuration: String,
    pub(super) allow_admin_create_user_only: bool,
    pub(super) sign_in_policy: SignInPolicy,
}

impl Settings {
    pub(super) fn resolve(self) -> Result<Resolved, Exception> {
        if self.lambda_config.is_some_and(|c| !c.is_empty()) {
            return Err(unsupported("Lambda triggers (LambdaConfig)"));
        }
        let template = self.verification_message_template;
        if let Some(option) = template
            .as_ref()
            .and_then(|t| t.default_email_option.as_deref())
            && option != "CONFIRM_WITH_CODE"
        {
            return Err(unsupported(
                "DefaultEmailOption other than CONFIRM_WITH_CODE",
            ));
        }
        let (template_message, template_subject) = template
            .map(|t| (t.email_message, t.email_subject))
            .unwrap_or_default();
        let deletion_protection = match self.deletion_protection.as_deref() {
            None | Some("INACTIVE") => false,
            Some("ACTIVE") => true,
            Some(_) => {
                return Err(Exception::invalid(
                    "DeletionProtection must be ACTIVE or INACTIVE.",
                ));
            }
        };
        let (given_password_policy, given_sign_in_policy) = match self.policies {
            Some(p) => (p.password_policy, p.sign_in_policy),
            None => (None, None),
        };
        Ok(Resolved {
            password_policy: password_policy(given_password_policy)?,
            // An absent policy is Cognito's default, passwords only.
            sign_in_policy: given_sign_in_policy
                .map(|p| SignInPolicy {
                    allowed_first_auth_factors: p.allowed_first_auth_factors,
                })
                .unwrap_or_default(),
            deletion_protection,
            auto_verified_attributes: self.auto_verified_attributes.unwrap_or_default(),
            email: EmailSettings {
                from: self.email_configuration.and_then(|e| e.from),
                verification_subject: self.email_verification_subject.or(template_subject),
                verification_message: self.email_verification_message.or(template_message),
            },
            mfa_configuration: self.mfa_configuration.unwrap_or_else(|| "OFF".into()),
            allow_admin_create_user_only: self
                .admin_create_user_config
                .is_some_and(|c| c.allow_admin_create_user_only),
        })
    }
}

/// Every field set, so that the core replaces the whole policy.
pub(super) fn password_policy(
    given: Option<PasswordPolicyType>,
) -> Result<PasswordPolicyPatch, Exception> {
    let d = PasswordPolicy::default();
    let p = match given {
        None => d,
        Some(p) if p.password_history_size.is_some_and(|n| n > 0) => {
            return Err(unsupported("password history (PasswordHistorySize)"));
        }
        Some(p) => PasswordPolicy {
            minimum_length: p.minimum_length.unwrap_or(d.minimum_length),
            require_uppercase: p.require_uppercase,
            require_lowercase: p.require_lowercase,
            require_numbers: p.require_numbers,
            require_symbols: p.require_symbols,
            temporary_password_validity_days: p
                .temporary_password_validity_days
                .unwrap_or(d.temporary_password_validity_days),
        },
    };
    Ok(PasswordPolicyPatch {
        minimum_length: Some(p.minimum_length),
        require_uppercase: Some(p.require_uppercase),
        require_lowercase: Some(p.require_lowercase),
        require_numbers: Some(p.require_numbers),
        require_symbols: Some(p.require_symbols),
        temporary_password_validity_days: Some(p.temporary_password_validity_days),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StringConstraints {
    pub(super) min_length: Option<String>,
    pub(super) max_length: Option<String>,
}

/// `SchemaAttributeType`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SchemaAttribute {
    pub(super) name: String,
    pub(super) attribute_data_type: Option<String>,
    #[serde(default)]
    pub(super) developer_only_attribute: bool,
    pub(super) mutable: Option<bool>,
    #[serde(default)]
    pub(super) required: bool,
    pub(super) number_attribute_constraints: Option<Map<String, Value>>,
    pub(super) string_attribute_constraints: Option<StringConstraints>,
}

pub(super) fn length(value: Option<String>, member: &str) -> Result<Option<u32>, Exception> {
    value
        .map(|v| {
            v.parse()
                .map_err(|_| Exception::invalid(format!("{member} must be a whole number.")))
        })
        .transpose()
}

/// Cognito's schema as the core's custom attributes. Standard attributes always exist in
/// Cognate; an entry for one is accepted only when it asks for nothing more.
pub(super) fn custom_attributes(
    schema: Vec<SchemaAttribute>,
    email_is_username: bool,
) -> Result<Vec<CustomAttribute>, Exception> {
    let mut out = Vec::new();
    for attr in schema {
        if STANDARD_ATTRIBUTES.contains(&attr.name.as_str()) || attr.name == "sub" {
            if attr.required && !(attr.name == "email" && email_is_username) {
                return Err(unsupported(&format!(
                    "required standard attributes ({})",
                    attr.name
                )));
            }
            continue;
        }
        if attr.developer_only_attribute {
            return Err(unsupported("DeveloperOnlyAttribute"));
        }
        if attr
            .number_attribute_constraints
            .is_some_and(|c| !c.is_empty())
        {
            return Err(unsupported("NumberAttributeConstraints"));
        }
        let kind = match attr.attribute_data_type.as_deref() {
            None | Some("String") => "string",
            Some("Number") => "number",
            Some("Boolean") => "boolean",
            Some(other) => return Err(unsupported(&format!("the attribute data type {other}"))),
        };
        let (min_length, max_length) = match attr.string_attribute_constraints {
            Some(c) => (
                length(c.min_length, "MinLength")?,
                length(c.max_length, "MaxLength")?,
            ),
            None => (None, None),
        };
        let name = attr.name.strip_prefix("custom:").unwrap_or(&attr.name);
        out.push(CustomAttribute {
            name: name.to_string(),
            kind: kind.to_string(),
            mutable: attr.mutable.unwrap_or(true),
            required: attr.required,
            min_length,
            max_length,
        });
    }
    Ok(out)
}

pub(super) fn schema_attribute(attr: &CustomAttribute) -> Value {
    let kind = match attr.kind.as_str() {
        "number" => "Number",
        "boolean" => "Boolean",
        _ => "String",
    };
    let mut out = json!({
        "Name": format!("custom:{}", attr.name),
        "AttributeDataType": kind,
        "DeveloperOnlyAttribute": false,
        "Mutable": attr.mutable,
        "Required": attr.required,
    });
    if attr.kind == "string" {
        let mut c = Map::new();
        if let Some(min) = attr.min_length {
            c.insert("MinLength".into(), json!(min.to_string()));
        }
        if let Some(max) = attr.max_length {
            c.insert("MaxLength".into(), json!(max.to_string()));
        }
        out["StringAttributeConstraints"] = Value::Object(c);
    }
    out
}

/// `UserPoolType`. Cognate counts no users cheaply, so `EstimatedNumberOfUsers` is absent.
pub(super) fn user_pool_type(ctx: &Context, pool: &Pool) -> Value {
    let c = &pool.config;
    let p = &c.password_policy;
    let mut template = json!({"DefaultEmailOption": "CONFIRM_WITH_CODE"});
    let mut out = json!({
        "Id": pool.id,
        "Name": pool.name,
        "Arn": pool_arn(&ctx.region, &ctx.account_id, &pool.id),
        "Policies": {"PasswordPolicy": {
            "MinimumLength": p.minimum_length,
            "RequireUppercase": p.require_uppercase,
            "RequireLowercase": p.require_lowercase,
            "RequireNumbers": p.require_numbers,
            "RequireSymbols": p.require_symbols,
            "TemporaryPasswordValidityDays": p.temporary_password_validity_days,
        }, "SignInPolicy": {
            "AllowedFirstAuthFactors": c.sign_in_policy.allowed_first_auth_factors,
        }},
        "DeletionProtection": if c.deletion_protection { "ACTIVE" } else { "INACTIVE" },
        "LambdaConfig": {},
        "SchemaAttributes": c.schema.iter().map(schema_attribute).collect::<Vec<_>>(),
        "AutoVerifiedAttributes": c.auto_verified_attributes,
        "MfaConfiguration": c.mfa_configuration,
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": c.allow_admin_create_user_only},
        "UsernameConfiguration": {"CaseSensitive": c.case_sensitive_usernames},
        "EmailConfiguration": {},
        "CreationDate": epoch(pool.created_at),
        "LastModifiedDate": epoch(pool.updated_at),
    });
    if !c.username_attributes.is_empty() {
        out["UsernameAttributes"] = json!(c.username_attributes);
    }
    if let Some(from) = &c.email.from {
        out["EmailConfiguration"]["From"] = json!(from);
    }
    if let Some(message) = &c.email.verification_message {
        out["EmailVerificationMessage"] = json!(message);
        template["EmailMessage"] = json!(message);
    }
    if let Some(subject) = &c.email.verification_subject {
        out["EmailVerificationSubject"] = json!(subject);
        template["EmailSubject"] = json!(subject);
    }
    out["VerificationMessageTemplate"] = template;
    out
}
