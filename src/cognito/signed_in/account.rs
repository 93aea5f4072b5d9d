//! The account as a whole: its password, its sessions everywhere, and itself.

use serde::Deserialize;
use serde_json::json;

use crate::accounts::signin::machine::Origin;
use crate::accounts::signin::password::{SignIn, authenticate};
use crate::accounts::users::shapes::SetPassword;
use crate::accounts::users::{credentials, manage};
use crate::cognito::Call;
use crate::cognito::protocol::{Answer, Exception};
use crate::cognito::signed_in::token::{authorise, signed};

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
        SignIn::Throttled => return Err(Exception::too_many_tries()),
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
