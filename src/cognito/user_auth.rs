//! `USER_AUTH`, the choice-based sign-in: the challenges a pool offers a name
//! (`SELECT_CHALLENGE`), and the one the client chose.

use serde_json::json;

use crate::accounts::signin::machine::Start;
use crate::accounts::signin::{password, passwordless, select_challenge};
use crate::cognito::Call;
use crate::cognito::challenges::{Parameters, render, required, srp_challenge};
use crate::cognito::client::AppClient;
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::shapes::destination_shown;

/// The challenges `USER_AUTH` offers: what the pool's sign-in policy allows. With
/// `PreventUserExistenceErrors` on, the same for every name, so the list tells nothing;
/// otherwise also only what this user can answer (`EMAIL_OTP` needs a verified address).
async fn available(
    call: &Call<'_>,
    app: &AppClient,
    username: &str,
) -> Result<Vec<&'static str>, Exception> {
    let mut out = vec!["PASSWORD", "PASSWORD_SRP"];
    if passwordless::offered(&app.pool)
        && (app.protects_users() || passwordless::answerable(call.ctx, &app.pool, username).await?)
    {
        out.push("EMAIL_OTP");
    }
    Ok(out)
}

/// `SELECT_CHALLENGE`: its session holds only the name and the client, sealed, and grants
/// nothing: it stands for a new `InitiateAuth`.
pub(crate) async fn select_challenge(call: &Call<'_>, app: &AppClient, username: &str) -> Answer {
    let session = select_challenge::offer(call.ctx, &app.client.client_id, username)
        .map_err(|e| Exception::new(Kind::InternalError, e.to_string()))?;
    Ok(json!({
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": session,
        "ChallengeParameters": {},
        "AvailableChallenges": available(call, app, username).await?,
    }))
}

pub(crate) async fn chosen(
    call: &Call<'_>,
    app: &AppClient,
    start: &Start<'_>,
    username: &str,
    choice: &str,
    params: &Parameters,
) -> Answer {
    if !available(call, app, username).await?.contains(&choice) {
        return Err(Exception::invalid(format!(
            "The challenge {choice} is not available."
        )));
    }
    match choice {
        "PASSWORD" => {
            let Some(password) = params.get("PASSWORD") else {
                return select_challenge(call, app, username).await;
            };
            let outcome = password::sign_in(call.ctx, start, username, password).await?;
            render(call, app, outcome).await
        }
        "PASSWORD_SRP" => {
            let srp_a = required(params, "SRP_A")?;
            srp_challenge(call, start, username, srp_a).await
        }
        _ => {
            let begun = passwordless::begin(call.ctx, start, username).await?;
            let shown =
                destination_shown(call.ctx, &app.pool, username, begun.destination.as_deref());
            Ok(json!({
                "ChallengeName": "EMAIL_OTP",
                "Session": begun.session,
                "ChallengeParameters": {
                    "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                    "CODE_DELIVERY_DESTINATION": shown,
                },
            }))
        }
    }
}
