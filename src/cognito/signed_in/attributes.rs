//! A user's own attributes: reading them, changing and deleting them within what the client
//! may write, and verifying the email address.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::attributes::Attributes;
use crate::accounts::factors::codes::Resend;
use crate::accounts::users::lookup::find_by_sub;
use crate::accounts::users::manage;
use crate::accounts::users::shapes::{User, UserPatch};
use crate::accounts::verification::attribute;
use crate::cognito::Call;
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::shapes::{
    AttributeType, attributes_from, attributes_to, code_answer, delivery,
};
use crate::cognito::signed_in::token::{SignedIn, address_may_change, authorise, signed};
use crate::pools::oauth_client::find_oauth_client;

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
    let user = write_own(call, &signed, attributes)
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

/// Writes the user's own attributes; only verification sets `email_verified`.
async fn write_own(
    call: &Call<'_>,
    signed: &SignedIn,
    attributes: Attributes,
) -> crate::error::Result<User> {
    let patch = UserPatch {
        attributes,
        email_verified: None,
    };
    manage::update_user(call.ctx, &signed.pool.id, &signed.user.username, patch).await
}

/// An address another account has is Cognito's `AliasExistsException`.
fn alias_conflict(err: crate::error::Error) -> Exception {
    match err {
        crate::error::Error::Conflict(crate::error::Clash::Alias, _) => Exception::new(
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
    write_own(call, &signed, attributes).await?;
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
        Resend::TooSoon => Err(Exception::too_many_tries()),
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
    let check = attribute::verify(
        call.ctx,
        &signed.pool,
        signed.user,
        &input.code,
        call.address,
    )
    .await?;
    code_answer(check)
}
