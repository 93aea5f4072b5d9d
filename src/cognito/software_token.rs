//! TOTP set-up over the API: `AssociateSoftwareToken` and `VerifySoftwareToken`, with the
//! `Session` of `MFA_SETUP` (the sign-in state machine's step) or with an access token
//! (`accounts::factors::enrol`).

use serde::Deserialize;
use serde_json::json;

use crate::accounts::factors::enrol::{self, Verified};
use crate::accounts::signin::machine::{AuthStep, Outcome, Refused};
use crate::accounts::signin::mfa_setup::{self, SetupAnswer};
use crate::accounts::signin::{complete, steps, view};
use crate::cognito::Call;
use crate::cognito::challenges::{refused, start};
use crate::cognito::client::{self, AppClient};
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::signed_in;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Associate {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    session: Option<String>,
}

/// `AssociateSoftwareToken`: with the `Session` of `MFA_SETUP`, that step's secret; with an
/// access token, a new secret for the signed-in user.
pub async fn associate_software_token(call: &Call<'_>) -> Answer {
    let input: Associate = call.input()?;
    match (input.access_token.as_deref(), input.session.as_deref()) {
        (Some(token), None) => {
            let signed = signed_in::authorise(call, token).await?;
            let secret = enrol::begin(
                call.ctx,
                &signed.pool,
                &signed.client_id,
                &signed.user,
                &enrolling(&signed),
            )
            .await?
            .map_err(signed_in::step_up_needed)?;
            Ok(json!({"SecretCode": secret}))
        }
        (None, Some(session)) => {
            let (app, view) = setup_step(call, session).await?;
            let secret = view
                .and_then(|v| v.setup)
                .map(|(base32, _)| base32)
                .ok_or_else(|| refused(Refused::Expired))?;
            drop(app);
            Ok(json!({"SecretCode": secret, "Session": session}))
        }
        _ => Err(Exception::invalid("Give either AccessToken or Session.")),
    }
}

fn enrolling(signed: &signed_in::SignedIn) -> enrol::Signed<'_> {
    enrol::Signed {
        jti: &signed.jti,
        origin_jti: &signed.origin_jti,
        auth_time: signed.auth_time,
    }
}

/// The client and view of an `MFA_SETUP` step, from its token alone.
async fn setup_step(
    call: &Call<'_>,
    session: &str,
) -> Result<(AppClient, Option<view::StepView>), Exception> {
    let Some(client_id) = steps::step_client(call.ctx, session).await? else {
        return Err(refused(Refused::Expired));
    };
    let app = client::find(call, &client_id).await?;
    let view = view::step(call.ctx, &start(call, &app), session)
        .await?
        .filter(|v| v.step == "MFA_SETUP");
    Ok((app, view))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VerifyToken {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    session: Option<String>,
    user_code: String,
}

fn code_mismatch() -> Exception {
    Exception::new(
        Kind::EnableSoftwareTokenMfa,
        "Code mismatch and fail enable Software Token MFA",
    )
}

/// `VerifySoftwareToken`: the first code confirms the secret. During `MFA_SETUP` the
/// sign-in is then finished, and its tokens are collected by `RespondToAuthChallenge`.
pub async fn verify_software_token(call: &Call<'_>) -> Answer {
    let input: VerifyToken = call.input()?;
    match (input.access_token.as_deref(), input.session.as_deref()) {
        (Some(token), None) => {
            let signed = signed_in::authorise(call, token).await?;
            match enrol::verify(
                call.ctx,
                &signed.pool,
                &signed.client_id,
                &enrolling(&signed),
                &input.user_code,
            )
            .await?
            {
                Verified::Enabled => Ok(json!({"Status": "SUCCESS"})),
                Verified::StepUpNeeded(needed) => Err(signed_in::step_up_needed(needed)),
                Verified::WrongCode => Err(code_mismatch()),
                Verified::NothingPending => Err(Exception::invalid(
                    "No software token is being set up; call AssociateSoftwareToken first.",
                )),
            }
        }
        (None, Some(session)) => {
            let (app, _) = setup_step(call, session).await?;
            let start = start(call, &app);
            match mfa_setup::answer(
                call.ctx,
                &start,
                session,
                SetupAnswer::Totp(&input.user_code),
            )
            .await?
            {
                Outcome::Step(AuthStep::Complete(done)) => {
                    let held = complete::hold(call.ctx, &start, &done).await?;
                    Ok(json!({"Status": "SUCCESS", "Session": held}))
                }
                Outcome::Refused(Refused::WrongCode { .. }) => Err(code_mismatch()),
                Outcome::Refused(other) => Err(refused(other)),
                Outcome::Step(_) => Err(refused(Refused::Expired)),
            }
        }
        _ => Err(Exception::invalid("Give either AccessToken or Session.")),
    }
}
