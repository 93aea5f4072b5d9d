//! The operations a signed-in user authorises with an access token of the pool that
//! carries `aws.cognito.signin.user.admin`, over the same core as the account page.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::factors::codes::{CodeCheck, Resend};
use crate::accounts::factors::step_up;
use crate::accounts::signin::machine::Origin;
use crate::accounts::signin::password::{SignIn, authenticate};
use crate::accounts::users::lookup::find_by_sub;
use crate::accounts::users::shapes::{MfaPreference, SetPassword, User, UserPatch};
use crate::accounts::users::{credentials, manage};
use crate::accounts::verification::attribute;
use crate::cognito::Call;
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::shapes::{AttributeType, attributes_from, attributes_to, delivery};
use crate::pools::Pool;
use crate::pools::clients::find_oauth_client;
use crate::pools::pool::cached_pool;
use crate::store::users::UserRow;
use crate::tokens::OAuthError;
use crate::tokens::claims::USER_ADMIN_SCOPE;

/// Who an access token speaks for.
pub struct SignedIn {
    pub pool: Pool,
    pub client_id: String,
    pub user: UserRow,
    /// The access token's `jti`.
    pub jti: String,
    /// The sign-in behind the token: when it was (`auth_time`) and its grant family.
    pub auth_time: crate::clock::Millis,
    pub origin_jti: String,
}

/// The pool an access token claims to be from, read before the signature is checked (the
/// check then uses that pool's keys and issuer).
fn claimed_pool(call: &Call<'_>, token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let iss = claims["iss"].as_str()?;
    let base = call.ctx.public_url.as_str().trim_end_matches('/');
    let pool = iss.strip_prefix(base)?.strip_prefix('/')?;
    (!pool.is_empty() && !pool.contains('/')).then(|| pool.to_string())
}

pub async fn authorise(call: &Call<'_>, token: &str) -> Result<SignedIn, Exception> {
    let invalid = || Exception::not_authorized("Invalid Access Token");
    if token.len() > 16 * 1024 {
        return Err(invalid());
    }
    let pool_id = claimed_pool(call, token).ok_or_else(invalid)?;
    let pool = cached_pool(call.ctx, &pool_id)
        .await
        .map_err(|_| invalid())?;
    let (claims, user) =
        crate::tokens::revocation::validate_access_token(call.ctx, &pool.id, token)
            .await
            .map_err(|e| match e {
                OAuthError::InvalidToken(m) if m.contains("expired") => {
                    Exception::not_authorized("Access Token has expired")
                }
                OAuthError::InvalidToken(m) if m.contains("revoked") => {
                    Exception::not_authorized("Access Token has been revoked")
                }
                OAuthError::InvalidToken(_) => invalid(),
                other => other.into(),
            })?;
    let scoped = claims["scope"]
        .as_str()
        .is_some_and(|s| s.split(' ').any(|s| s == USER_ADMIN_SCOPE));
    if !scoped {
        return Err(Exception::not_authorized(
            "Access Token does not have required scopes",
        ));
    }
    // A deleted client's tokens speak for no one: its `write_attributes` and
    // `read_attributes` would no longer bound what they do.
    let client_id = claims["client_id"].as_str().unwrap_or_default().to_string();
    if find_oauth_client(call.ctx, &pool.id, &client_id)
        .await?
        .is_none()
    {
        return Err(invalid());
    }
    Ok(SignedIn {
        pool,
        client_id,
        user,
        jti: claims["jti"].as_str().unwrap_or_default().to_string(),
        auth_time: claims["auth_time"]
            .as_i64()
            .and_then(|t| t.checked_mul(1000))
            .unwrap_or(0),
        origin_jti: claims["origin_jti"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WithToken {
    access_token: String,
}

async fn signed(call: &Call<'_>) -> Result<SignedIn, Exception> {
    let input: WithToken = call.input()?;
    authorise(call, &input.access_token).await
}

fn mfa_settings(user: &User) -> Value {
    let mfa = user.mfa.as_ref();
    let mut list = Vec::new();
    if mfa.is_some_and(|m| m.totp) {
        list.push("SOFTWARE_TOKEN_MFA");
    }
    if mfa.is_some_and(|m| m.email) {
        list.push("EMAIL_OTP");
    }
    let mut out = json!({"UserMFASettingList": list});
    if let Some(preferred) = mfa.and_then(|m| m.preferred.clone()) {
        out["PreferredMfaSetting"] = json!(preferred);
    }
    out
}

pub async fn get_user(call: &Call<'_>) -> Answer {
    let signed = signed(call).await?;
    // The user the token check read: no second lookup by name.
    let user = manage::describe(call.ctx, signed.user).await?;
    // The client's `read_attributes`, when it has a list, bound what it is shown.
    let readable = find_oauth_client(call.ctx, &signed.pool.id, &signed.client_id)
        .await?
        .and_then(|c| c.config.read_attributes)
        .map(|mut list| {
            list.push("sub".into());
            list
        });
    let mut out = json!({
        "Username": user.username,
        "UserAttributes": attributes_to(&user.sub, &user.attributes, readable.as_deref()),
        "MFAOptions": [],
    });
    if let (Some(obj), Value::Object(mfa)) = (out.as_object_mut(), mfa_settings(&user)) {
        obj.extend(mfa);
    }
    Ok(out)
}

/// The client's `write_attributes`, when it has a list, bound what its users may change.
async fn may_write(call: &Call<'_>, signed: &SignedIn, names: &[&str]) -> Result<(), Exception> {
    let client = find_oauth_client(call.ctx, &signed.pool.id, &signed.client_id).await?;
    let allowed = client.and_then(|c| c.config.write_attributes);
    for name in names {
        if name.ends_with("_verified") {
            return Err(Exception::not_authorized(format!(
                "A user cannot change {name}: it is set by verification"
            )));
        }
        if let Some(list) = &allowed
            && !list.iter().any(|a| a == name)
        {
            return Err(Exception::not_authorized(format!(
                "A client attempted to write unauthorized attribute {name}"
            )));
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateAttributes {
    access_token: String,
    user_attributes: Vec<AttributeType>,
}

pub async fn update_user_attributes(call: &Call<'_>) -> Answer {
    let input: UpdateAttributes = call.input()?;
    let signed = authorise(call, &input.access_token).await?;
    let names: Vec<&str> = input
        .user_attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    may_write(call, &signed, &names).await?;
    let attributes = attributes_from(&input.user_attributes)?;
    let before = signed.user.email.clone();
    let new_email = input
        .user_attributes
        .iter()
        .find(|a| a.name == "email")
        .and_then(|a| a.value.as_deref());
    if new_email.is_some_and(|e| before.as_deref() != Some(e)) {
        address_may_change(call, &signed).await?;
    }
    let user = manage::update_user(
        call.ctx,
        &signed.pool.id,
        &signed.user.username,
        UserPatch {
            attributes,
            email_verified: None,
        },
    )
    .await
    .map_err(alias_conflict)?;
    let mut deliveries = Vec::new();
    let email = user.attributes.get("email").and_then(Value::as_str);
    if let Some(email) = email
        && before.as_deref() != Some(email)
        && let Some(row) = find_by_sub(call.ctx, &signed.pool.id, &user.sub).await?
    {
        attribute::send(call.ctx, &signed.pool, &row).await?;
        deliveries.push(delivery(email));
        // The old address hears of it: it may be the owner's only warning.
        crate::accounts::factors::mfa::notify_change(
            call.ctx,
            &signed.pool,
            &signed.user,
            "your email address was changed",
        )
        .await?;
    }
    Ok(json!({"CodeDeliveryDetailsList": deliveries}))
}

/// The address codes by email and resets go to is part of how a user with a second factor
/// signs in: changing or removing it, like any change of factors, follows `step_up`.
async fn address_may_change(call: &Call<'_>, signed: &SignedIn) -> Result<(), Exception> {
    step_up::check_api(
        call.ctx,
        &signed.pool.id,
        &signed.user,
        &signed.origin_jti,
        signed.auth_time,
    )
    .await?
    .map_err(step_up_needed)
}

/// An address another account has is Cognito's `AliasExistsException`.
fn alias_conflict(err: crate::error::Error) -> Exception {
    match err {
        crate::error::Error::Conflict(m) if m.contains("email") => Exception::new(
            Kind::AliasExists,
            "An account with the given email already exists.",
        ),
        other => other.into(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteAttributes {
    access_token: String,
    user_attribute_names: Vec<String>,
}

pub async fn delete_user_attributes(call: &Call<'_>) -> Answer {
    let input: DeleteAttributes = call.input()?;
    let signed = authorise(call, &input.access_token).await?;
    let names: Vec<&str> = input
        .user_attribute_names
        .iter()
        .map(String::as_str)
        .collect();
    may_write(call, &signed, &names).await?;
    if names.contains(&"email") && signed.user.email.is_some() {
        address_may_change(call, &signed).await?;
    }
    let attributes = input
        .user_attribute_names
        .iter()
        .map(|n| (n.clone(), Value::Null))
        .collect();
    manage::update_user(
        call.ctx,
        &signed.pool.id,
        &signed.user.username,
        UserPatch {
            attributes,
            email_verified: None,
        },
    )
    .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeCode {
    access_token: String,
    attribute_name: String,
}

fn email_only(name: &str) -> Result<(), Exception> {
    if name == "email" {
        Ok(())
    } else {
        Err(Exception::invalid(
            "Only the email attribute can be verified here.",
        ))
    }
}

pub async fn get_user_attribute_verification_code(call: &Call<'_>) -> Answer {
    let input: AttributeCode = call.input()?;
    let signed = authorise(call, &input.access_token).await?;
    email_only(&input.attribute_name)?;
    let Some(email) = signed.user.email.clone() else {
        return Err(Exception::invalid("The user has no email address."));
    };
    match attribute::send(call.ctx, &signed.pool, &signed.user).await? {
        Resend::Sent => Ok(json!({"CodeDeliveryDetails": delivery(&email)})),
        Resend::TooSoon => Err(Exception::new(
            Kind::LimitExceeded,
            "Attempt limit exceeded, please try after some time.",
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VerifyAttribute {
    access_token: String,
    attribute_name: String,
    code: String,
}

pub async fn verify_user_attribute(call: &Call<'_>) -> Answer {
    let input: VerifyAttribute = call.input()?;
    let signed = authorise(call, &input.access_token).await?;
    email_only(&input.attribute_name)?;
    match attribute::verify(
        call.ctx,
        &signed.pool,
        signed.user,
        &input.code,
        call.address,
    )
    .await?
    {
        CodeCheck::Accepted => Ok(json!({})),
        CodeCheck::Rejected => Err(Exception::new(
            Kind::CodeMismatch,
            "Invalid verification code provided, please try again.",
        )),
        CodeCheck::TooManyTries => Err(Exception::new(
            Kind::LimitExceeded,
            "Attempt limit exceeded, please try after some time.",
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChangePassword {
    access_token: String,
    previous_password: String,
    proposed_password: String,
}

/// `ChangePassword`: the current password is checked as a sign-in is (and throttled
/// like one), then the new one replaces it.
pub async fn change_password(call: &Call<'_>) -> Answer {
    let input: ChangePassword = call.input()?;
    let signed = authorise(call, &input.access_token).await?;
    crate::accounts::password_policy::check(
        "proposed_password",
        &signed.pool.config.password_policy,
        &input.proposed_password,
    )?;
    let origin = Origin {
        address: call.address,
        device: None,
    };
    match authenticate(
        call.ctx,
        &signed.pool,
        &signed.user.username,
        &input.previous_password,
        &origin,
    )
    .await?
    {
        SignIn::Success(user) if user.id == signed.user.id => {}
        SignIn::Throttled => {
            return Err(Exception::new(
                Kind::LimitExceeded,
                "Attempt limit exceeded, please try after some time.",
            ));
        }
        _ => return Err(Exception::wrong_credentials()),
    }
    credentials::set_password(
        call.ctx,
        &signed.pool.id,
        &signed.user.username,
        SetPassword {
            password: input.proposed_password,
            permanent: true,
        },
    )
    .await?;
    Ok(json!({}))
}

pub async fn delete_user(call: &Call<'_>) -> Answer {
    let signed = signed(call).await?;
    manage::delete_user(call.ctx, &signed.pool.id, &signed.user.username).await?;
    Ok(json!({}))
}

pub async fn global_sign_out(call: &Call<'_>) -> Answer {
    let signed = signed(call).await?;
    manage::sign_out(call.ctx, &signed.pool.id, &signed.user.username).await?;
    Ok(json!({}))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FactorSettings {
    pub enabled: Option<bool>,
    pub preferred_mfa: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MfaPreferenceInput {
    access_token: String,
    #[serde(default)]
    software_token_mfa_settings: Option<FactorSettings>,
    #[serde(default)]
    email_mfa_settings: Option<FactorSettings>,
}

/// Cognito's two settings blocks as the core's preference change.
pub(crate) fn preference(
    totp: Option<&FactorSettings>,
    email: Option<&FactorSettings>,
) -> MfaPreference {
    let preferred = if totp.is_some_and(|t| t.preferred_mfa == Some(true)) {
        Some(Some("SOFTWARE_TOKEN_MFA".to_string()))
    } else if email.is_some_and(|e| e.preferred_mfa == Some(true)) {
        Some(Some("EMAIL_OTP".to_string()))
    } else if totp.is_some_and(|t| t.enabled == Some(false))
        || email.is_some_and(|e| e.enabled == Some(false))
    {
        Some(None)
    } else {
        None
    };
    MfaPreference {
        preferred,
        email_enabled: email.and_then(|e| e.enabled),
    }
}

pub async fn set_user_mfa_preference(call: &Call<'_>) -> Answer {
    let input: MfaPreferenceInput = call.input()?;
    let signed = authorise(call, &input.access_token).await?;
    let change = preference(
        input.software_token_mfa_settings.as_ref(),
        input.email_mfa_settings.as_ref(),
    );
    // Turning codes by email on or off, or choosing which factor is asked for: a change of
    // factors, under the rule every door shares.
    let have = crate::accounts::factors::mfa::factors(call.ctx, &signed.user).await?;
    let preferred_now = have.preferred.map(|f| f.as_str().to_string());
    if change
        .email_enabled
        .is_some_and(|on| on != have.email_enabled)
        || change
            .preferred
            .as_ref()
            .is_some_and(|p| *p != preferred_now)
    {
        address_may_change(call, &signed).await?;
    }
    manage::set_mfa_preference(call.ctx, &signed.pool.id, &signed.user.username, change).await?;
    Ok(json!({}))
}

/// Cognito's answer when a change of factors needs a fresher or stronger sign-in.
pub(crate) fn step_up_needed(needed: step_up::Needed) -> Exception {
    Exception::not_authorized(match needed {
        step_up::Needed::Fresh => {
            "Changing the user's MFA needs a sign-in in the last 5 minutes that proved the \
             user's current second factor; sign in again."
        }
        step_up::Needed::App => {
            "The user has an authenticator app: changing the user's MFA needs a sign-in in the \
             last 5 minutes with its code (SOFTWARE_TOKEN_MFA)."
        }
        step_up::Needed::Email => {
            "The user signs in with codes by email: changing the user's MFA needs a sign-in in \
             the last 5 minutes with such a code (EMAIL_OTP)."
        }
    })
}
