//! Users as an admin manages them: `AdminCreateUser` … `ListUsers`, over `accounts::users`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::attributes::Attributes;
use crate::accounts::users::shapes::{NewUser, SetPassword, User, UserPatch};
use crate::accounts::users::{credentials, manage};
use crate::cognito::Call;
use crate::cognito::auth::{self, Initiate, Respond};
use crate::cognito::client::{self, AppClient};
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::shapes::{AttributeType, attributes_from, attributes_to, epoch, user_type};
use crate::cognito::signed_in::{FactorSettings, preference};
use crate::error::{Clash, Error};
use crate::store::paging::PageRequest;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolUser {
    user_pool_id: String,
    username: String,
}

/// `email_verified` is its own field of the core's input.
fn split_verified(mut attrs: Attributes) -> (Attributes, Option<bool>) {
    let verified = attrs.remove("email_verified").and_then(|v| v.as_bool());
    (attrs, verified)
}

/// The core's errors as the user operations name them.
fn user_error(err: Error) -> Exception {
    match err {
        Error::NotFound("pool") => {
            Exception::new(Kind::ResourceNotFound, "User pool does not exist.")
        }
        Error::Conflict(Clash::Alias, _) => Exception::new(
            Kind::AliasExists,
            "An account with the given email already exists.",
        ),
        Error::Conflict(Clash::Exists, _) => {
            Exception::new(Kind::UsernameExists, "User account already exists")
        }
        other => other.into(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateUser {
    user_pool_id: String,
    username: String,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
    #[serde(default)]
    temporary_password: Option<String>,
    #[serde(default)]
    message_action: Option<String>,
    #[serde(default)]
    desired_delivery_mediums: Option<Vec<String>>,
}

pub async fn admin_create_user(call: &Call<'_>) -> Answer {
    let input: CreateUser = call.input()?;
    if let Some(mediums) = &input.desired_delivery_mediums
        && mediums.iter().any(|m| m != "EMAIL")
    {
        return Err(Exception::invalid("Cognate delivers by EMAIL only."));
    }
    let user = match input.message_action.as_deref() {
        Some("RESEND") => credentials::resend_invitation(
            call.ctx,
            &input.user_pool_id,
            &input.username,
            input.temporary_password,
        )
        .await
        .map_err(user_error)?,
        None | Some("SUPPRESS") => {
            let (attributes, email_verified) =
                split_verified(attributes_from(&input.user_attributes)?);
            manage::create_user(
                call.ctx,
                &input.user_pool_id,
                NewUser {
                    username: Some(input.username),
                    attributes,
                    password: None,
                    temporary_password: input.temporary_password,
                    email_verified,
                    suppress_invitation: Some(input.message_action.is_some()),
                },
            )
            .await
            .map_err(user_error)?
        }
        Some(_) => {
            return Err(Exception::invalid(
                "MessageAction must be RESEND or SUPPRESS.",
            ));
        }
    };
    Ok(json!({"User": user_type(&user, None)}))
}

fn mfa_of(user: &User) -> Value {
    let mfa = user.mfa.as_ref();
    let mut list = Vec::new();
    if mfa.is_some_and(|m| m.totp) {
        list.push("SOFTWARE_TOKEN_MFA");
    }
    if mfa.is_some_and(|m| m.email) {
        list.push("EMAIL_OTP");
    }
    json!({
        "list": list,
        "preferred": mfa.and_then(|m| m.preferred.clone()),
    })
}

pub async fn admin_get_user(call: &Call<'_>) -> Answer {
    let input: PoolUser = call.input()?;
    let user = manage::get_user(call.ctx, &input.user_pool_id, &input.username)
        .await
        .map_err(user_error)?;
    let mfa = mfa_of(&user);
    let mut out = json!({
        "Username": user.username,
        "UserAttributes": attributes_to(&user.sub, &user.attributes, None),
        "UserCreateDate": epoch(user.created_at),
        "UserLastModifiedDate": epoch(user.updated_at),
        "Enabled": user.enabled,
        "UserStatus": user.status,
        "MFAOptions": [],
        "UserMFASettingList": mfa["list"],
    });
    if mfa["preferred"].is_string() {
        out["PreferredMfaSetting"] = mfa["preferred"].clone();
    }
    Ok(out)
}

pub async fn admin_delete_user(call: &Call<'_>) -> Answer {
    let input: PoolUser = call.input()?;
    manage::delete_user(call.ctx, &input.user_pool_id, &input.username)
        .await
        .map_err(user_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateAttributes {
    user_pool_id: String,
    username: String,
    user_attributes: Vec<AttributeType>,
}

pub async fn admin_update_user_attributes(call: &Call<'_>) -> Answer {
    let input: UpdateAttributes = call.input()?;
    let (attributes, email_verified) = split_verified(attributes_from(&input.user_attributes)?);
    manage::update_user(
        call.ctx,
        &input.user_pool_id,
        &input.username,
        UserPatch {
            attributes,
            email_verified,
        },
    )
    .await
    .map_err(user_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteAttributes {
    user_pool_id: String,
    username: String,
    user_attribute_names: Vec<String>,
}

pub async fn admin_delete_user_attributes(call: &Call<'_>) -> Answer {
    let input: DeleteAttributes = call.input()?;
    if input.user_attribute_names.iter().any(|n| n == "sub") {
        return Err(Exception::invalid(
            "Cannot modify the non-mutable attribute sub.",
        ));
    }
    let attributes = input
        .user_attribute_names
        .iter()
        .map(|n| (n.clone(), Value::Null))
        .collect();
    manage::update_user(
        call.ctx,
        &input.user_pool_id,
        &input.username,
        UserPatch {
            attributes,
            email_verified: None,
        },
    )
    .await
    .map_err(user_error)?;
    Ok(json!({}))
}

pub async fn admin_set_enabled(call: &Call<'_>, enabled: bool) -> Answer {
    let input: PoolUser = call.input()?;
    manage::set_enabled(call.ctx, &input.user_pool_id, &input.username, enabled)
        .await
        .map_err(user_error)?;
    Ok(json!({}))
}

pub async fn admin_confirm_sign_up(call: &Call<'_>) -> Answer {
    let input: PoolUser = call.input()?;
    manage::confirm(call.ctx, &input.user_pool_id, &input.username)
        .await
        .map_err(|e| match e {
            Error::Conflict(..) => Exception::not_authorized(
                "User cannot be confirmed. Current status is not UNCONFIRMED.",
            ),
            other => user_error(other),
        })?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetUserPassword {
    user_pool_id: String,
    username: String,
    password: String,
    #[serde(default)]
    permanent: bool,
}

pub async fn admin_set_user_password(call: &Call<'_>) -> Answer {
    let input: SetUserPassword = call.input()?;
    credentials::set_password(
        call.ctx,
        &input.user_pool_id,
        &input.username,
        SetPassword {
            password: input.password,
            permanent: input.permanent,
        },
    )
    .await
    .map_err(user_error)?;
    Ok(json!({}))
}

pub async fn admin_reset_user_password(call: &Call<'_>) -> Answer {
    let input: PoolUser = call.input()?;
    credentials::require_reset(call.ctx, &input.user_pool_id, &input.username)
        .await
        .map_err(user_error)?;
    Ok(json!({}))
}

/// The client named, which must be of the pool named.
async fn pool_client(
    call: &Call<'_>,
    pool_id: Option<&str>,
    client_id: &str,
) -> Result<AppClient, Exception> {
    let app = client::find(call, client_id).await?;
    if Some(app.pool.id.as_str()) != pool_id {
        return Err(Exception::new(
            Kind::ResourceNotFound,
            "User pool client does not exist.",
        ));
    }
    Ok(app)
}

pub async fn admin_initiate_auth(call: &Call<'_>) -> Answer {
    let input: Initiate = call.input()?;
    let app = pool_client(call, input.user_pool_id.as_deref(), &input.client_id).await?;
    auth::initiate(call, &app, &input, true).await
}

pub async fn admin_respond_to_auth_challenge(call: &Call<'_>) -> Answer {
    let input: Respond = call.input()?;
    let app = pool_client(call, input.user_pool_id.as_deref(), &input.client_id).await?;
    auth::respond(call, &app, &input).await
}

pub async fn admin_user_global_sign_out(call: &Call<'_>) -> Answer {
    let input: PoolUser = call.input()?;
    manage::sign_out(call.ctx, &input.user_pool_id, &input.username)
        .await
        .map_err(user_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MfaPreferenceInput {
    user_pool_id: String,
    username: String,
    #[serde(default)]
    software_token_mfa_settings: Option<FactorSettings>,
    #[serde(default)]
    email_mfa_settings: Option<FactorSettings>,
}

pub async fn admin_set_user_mfa_preference(call: &Call<'_>) -> Answer {
    let input: MfaPreferenceInput = call.input()?;
    let change = preference(
        input.software_token_mfa_settings.as_ref(),
        input.email_mfa_settings.as_ref(),
    );
    manage::set_mfa_preference(call.ctx, &input.user_pool_id, &input.username, change)
        .await
        .map_err(user_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUsers {
    user_pool_id: String,
    #[serde(default)]
    attributes_to_get: Option<Vec<String>>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    pagination_token: Option<String>,
    #[serde(default)]
    filter: Option<String>,
}

pub async fn list_users(call: &Call<'_>) -> Answer {
    let input: ListUsers = call.input()?;
    let page = PageRequest::parse(input.limit, input.pagination_token.as_deref())
        .map_err(|e| Exception::invalid(e.to_string()))?;
    let found = manage::list_users(call.ctx, &input.user_pool_id, input.filter.as_deref(), page)
        .await
        .map_err(user_error)?;
    let only = input.attributes_to_get.as_deref();
    let listed: Vec<Value> = found.items.iter().map(|u| user_type(u, only)).collect();
    let mut out = json!({"Users": listed});
    if let Some(token) = found.next_token {
        out["PaginationToken"] = json!(token);
    }
    Ok(out)
}
