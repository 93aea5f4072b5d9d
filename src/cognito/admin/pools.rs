//! User pools as an admin manages them: `CreateUserPool` … `SetUserPoolMfaConfig`, over
//! `pools::pool`. Members Cognate cannot honour (Lambda triggers, aliases, SMS) are refused
//! rather than ignored, so a caller never believes a setting took effect when it did not.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::Call;
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::shapes::epoch;
use crate::domain::MfaFactor;
use crate::error::Error;
use crate::pools::Pool;
use crate::pools::pool::{self, NewPool, PoolPatch};
use crate::store::paging::PageRequest;

use super::pool_shapes::{
    SchemaAttribute, Settings, custom_attributes, unsupported, user_pool_type,
};

/// The core's errors as the pool operations name them.
fn pool_error(err: Error) -> Exception {
    match err {
        Error::NotFound("pool") => {
            Exception::new(Kind::ResourceNotFound, "User pool does not exist.")
        }
        other => other.into(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolId {
    user_pool_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UsernameConfiguration {
    case_sensitive: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreatePool {
    pool_name: String,
    #[serde(flatten)]
    settings: Settings,
    username_attributes: Option<Vec<String>>,
    alias_attributes: Option<Vec<String>>,
    username_configuration: Option<UsernameConfiguration>,
    schema: Option<Vec<SchemaAttribute>>,
}

pub async fn create_user_pool(call: &Call<'_>) -> Answer {
    let input: CreatePool = call.input()?;
    if input.alias_attributes.is_some_and(|a| !a.is_empty()) {
        return Err(unsupported(
            "AliasAttributes; use UsernameAttributes [\"email\"]",
        ));
    }
    let username_attributes = input.username_attributes.unwrap_or_default();
    let email_is_username = username_attributes.iter().any(|a| a == "email");
    let schema = custom_attributes(input.schema.unwrap_or_default(), email_is_username)?;
    let s = input.settings.resolve()?;
    let created = pool::create_pool(
        call.ctx,
        NewPool {
            name: input.pool_name,
            username_attributes: Some(username_attributes),
            // Cognito's pools made without UsernameConfiguration are case sensitive.
            case_sensitive_usernames: Some(
                input
                    .username_configuration
                    .is_none_or(|u| u.case_sensitive),
            ),
            auto_verified_attributes: Some(s.auto_verified_attributes),
            password_policy: Some(s.password_policy),
            schema: Some(schema),
            mfa_configuration: Some(s.mfa_configuration),
            email: Some(s.email),
            deletion_protection: Some(s.deletion_protection),
            branding: None,
            allow_admin_create_user_only: Some(s.allow_admin_create_user_only),
            link_by_verified_email: None,
            token_signing_algorithm: None,
            mfa_factors: None,
            sign_in_policy: Some(s.sign_in_policy),
        },
    )
    .await
    .map_err(pool_error)?;
    Ok(json!({"UserPool": user_pool_type(call.ctx, &created)}))
}

pub async fn describe_user_pool(call: &Call<'_>) -> Answer {
    let input: PoolId = call.input()?;
    let found = pool::get_pool(call.ctx, &input.user_pool_id)
        .await
        .map_err(pool_error)?;
    Ok(json!({"UserPool": user_pool_type(call.ctx, &found)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdatePool {
    user_pool_id: String,
    pool_name: Option<String>,
    #[serde(flatten)]
    settings: Settings,
}

pub async fn update_user_pool(call: &Call<'_>) -> Answer {
    let input: UpdatePool = call.input()?;
    let s = input.settings.resolve()?;
    pool::update_pool(
        call.ctx,
        &input.user_pool_id,
        PoolPatch {
            name: input.pool_name,
            auto_verified_attributes: Some(s.auto_verified_attributes),
            password_policy: Some(s.password_policy),
            mfa_configuration: Some(s.mfa_configuration),
            email: Some(s.email),
            deletion_protection: Some(s.deletion_protection),
            allow_admin_create_user_only: Some(s.allow_admin_create_user_only),
            sign_in_policy: Some(s.sign_in_policy),
            ..PoolPatch::default()
        },
    )
    .await
    .map_err(pool_error)?;
    Ok(json!({}))
}

pub async fn delete_user_pool(call: &Call<'_>) -> Answer {
    let input: PoolId = call.input()?;
    pool::delete_pool(call.ctx, &input.user_pool_id)
        .await
        .map_err(pool_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPools {
    max_results: i64,
    next_token: Option<String>,
}

pub async fn list_user_pools(call: &Call<'_>) -> Answer {
    let input: ListPools = call.input()?;
    let page = PageRequest::parse(Some(input.max_results), input.next_token.as_deref())
        .map_err(|e| Exception::invalid(e.to_string()))?;
    let found = pool::list_pools(call.ctx, page).await.map_err(pool_error)?;
    let listed: Vec<Value> = found
        .items
        .iter()
        .map(|p| {
            json!({
                "Id": p.id,
                "Name": p.name,
                "LambdaConfig": {},
                "CreationDate": epoch(p.created_at),
                "LastModifiedDate": epoch(p.updated_at),
            })
        })
        .collect();
    let mut out = json!({"UserPools": listed});
    if let Some(token) = found.next_token {
        out["NextToken"] = json!(token);
    }
    Ok(out)
}

/// `GetUserPoolMfaConfig`'s shape. Cognate's `EMAIL_OTP` mail has no custom text, so
/// `EmailMfaConfiguration` is present and empty when the pool allows it.
fn mfa_config(found: &Pool) -> Value {
    let allowed = found.config.allowed_factors();
    let mut out = json!({
        "SoftwareTokenMfaConfiguration": {"Enabled": allowed.contains(&MfaFactor::SoftwareToken)},
        "MfaConfiguration": found.config.mfa_configuration,
    });
    if allowed.contains(&MfaFactor::Email) {
        out["EmailMfaConfiguration"] = json!({});
    }
    out
}

pub async fn get_user_pool_mfa_config(call: &Call<'_>) -> Answer {
    let input: PoolId = call.input()?;
    let found = pool::get_pool(call.ctx, &input.user_pool_id)
        .await
        .map_err(pool_error)?;
    Ok(mfa_config(&found))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SoftwareTokenMfaConfig {
    #[serde(default)]
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EmailMfaConfig {
    message: Option<String>,
    subject: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetMfaConfig {
    user_pool_id: String,
    sms_mfa_configuration: Option<Value>,
    software_token_mfa_configuration: Option<SoftwareTokenMfaConfig>,
    email_mfa_configuration: Option<EmailMfaConfig>,
    mfa_configuration: Option<String>,
    web_authn_configuration: Option<Value>,
}

pub async fn set_user_pool_mfa_config(call: &Call<'_>) -> Answer {
    let input: SetMfaConfig = call.input()?;
    if input.sms_mfa_configuration.is_some_and(|v| !v.is_null()) {
        return Err(unsupported("SMS messages (SmsMfaConfiguration)"));
    }
    if input.web_authn_configuration.is_some_and(|v| !v.is_null()) {
        return Err(unsupported("passkeys (WebAuthnConfiguration)"));
    }
    if input
        .email_mfa_configuration
        .as_ref()
        .is_some_and(|e| e.message.is_some() || e.subject.is_some())
    {
        return Err(unsupported("a custom EMAIL_OTP message or subject"));
    }
    // The factors are the whole new list: `EmailMfaConfigType` has no `Enabled`, so email
    // is allowed exactly when its configuration is sent, as in Cognito.
    let mut factors = Vec::new();
    if input
        .software_token_mfa_configuration
        .is_some_and(|s| s.enabled)
    {
        factors.push(MfaFactor::SoftwareToken.as_str().to_string());
    }
    if input.email_mfa_configuration.is_some() {
        factors.push(MfaFactor::Email.as_str().to_string());
    }
    let updated = pool::update_pool(
        call.ctx,
        &input.user_pool_id,
        PoolPatch {
            mfa_configuration: input.mfa_configuration,
            mfa_factors: Some(factors),
            ..PoolPatch::default()
        },
    )
    .await
    .map_err(pool_error)?;
    Ok(mfa_config(&updated))
}
