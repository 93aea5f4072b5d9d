//! The sign-in machine (`accounts::signin`) as this API speaks it: the machine's start for a
//! call, each step as Cognito's challenge, each refusal as Cognito's exception.

use std::collections::HashMap;

use serde_json::json;

use crate::accounts::signin::machine::{AuthStep, Binding, Origin, Outcome, Refused, Start};
use crate::accounts::signin::password_verifier as srp_flow;
use crate::accounts::signin::{steps, view};
use crate::cognito::Call;
use crate::cognito::client::AppClient;
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::shapes::masked;
use crate::cognito::tokens::authentication_result;
use crate::domain::MfaFactor;
use crate::store::users::UserRow;
use crate::tokens::grants;

/// `AuthParameters` and `ChallengeResponses`.
pub(crate) type Parameters = HashMap<String, String>;

pub(crate) fn start<'a>(call: &Call<'_>, app: &'a AppClient) -> Start<'a> {
    Start {
        pool: &app.pool,
        client_id: &app.client.client_id,
        binding: Binding::Opaque,
        origin: Origin {
            address: call.address,
            device: None,
        },
    }
}

pub(crate) fn required<'a>(params: &'a Parameters, name: &str) -> Result<&'a str, Exception> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| Exception::invalid(format!("Missing required parameter {name}")))
}

/// The Cognito answer to a refused step.
pub(crate) fn refused(refusal: Refused) -> Exception {
    match refusal {
        Refused::Invalid => Exception::wrong_credentials(),
        Refused::Throttled => Exception::not_authorized("Password attempts exceeded"),
        Refused::TemporaryPasswordExpired => Exception::not_authorized(
            "Temporary password has expired and must be reset by an administrator.",
        ),
        Refused::ResetRequired => Exception::new(
            Kind::PasswordResetRequired,
            "Password reset required for the user",
        ),
        Refused::NotAllowed => Exception::not_authorized("User is disabled."),
        Refused::Unconfirmed => Exception::new(Kind::UserNotConfirmed, "User is not confirmed."),
        Refused::Expired => {
            Exception::not_authorized("Invalid session for the user, session is expired.")
        }
        Refused::WrongCode { locked: true, .. } => Exception::new(
            Kind::TooManyFailedAttempts,
            "Too many failed attempts; try again later.",
        ),
        Refused::WrongCode { dead: true, .. } => Exception::new(
            Kind::ExpiredCode,
            "The code has expired; sign in again for a new one.",
        ),
        Refused::WrongCode { .. } => Exception::new(
            Kind::CodeMismatch,
            "Invalid code or auth state for the user.",
        ),
        Refused::NoFactorPossible => Exception::not_authorized(
            "The pool requires MFA, and this account cannot set up any factor.",
        ),
    }
}

fn list(factors: &[MfaFactor]) -> String {
    serde_json::to_string(&factors.iter().map(|f| f.as_str()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// Renders where the sign-in stands, as Cognito's `InitiateAuth` answer.
pub(crate) async fn render(call: &Call<'_>, app: &AppClient, outcome: Outcome) -> Answer {
    let step = match outcome {
        Outcome::Step(step) => step,
        Outcome::Refused(refusal) => return Err(refused(refusal)),
    };
    Ok(match step {
        AuthStep::Complete(done) => {
            let answer =
                grants::api_sign_in(call.ctx, &app.client, &done.user, &done.amr, done.auth_time)
                    .await?;
            json!({"ChallengeParameters": {}, "AuthenticationResult": authentication_result(answer)})
        }
        AuthStep::NewPasswordRequired { token } => json!({
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": token,
            "ChallengeParameters": {"requiredAttributes": "[]", "userAttributes": "{}"},
        }),
        AuthStep::MfaSetupRequired { token, factors } => json!({
            "ChallengeName": "MFA_SETUP",
            "Session": token,
            "ChallengeParameters": {"MFAS_CAN_SETUP": list(&factors)},
        }),
        AuthStep::MfaRequired {
            token,
            current,
            factors,
            ..
        } => {
            let view = view::step(call.ctx, &start(call, app), &token).await?;
            let choose = factors.len() > 1
                && view.as_ref().is_some_and(|v| v.current == Some(current))
                && !has_preference(call, app, &token).await?;
            if choose {
                json!({
                    "ChallengeName": "SELECT_MFA_TYPE",
                    "Session": token,
                    "ChallengeParameters": {"MFAS_CAN_CHOOSE": list(&factors)},
                })
            } else if current == MfaFactor::Email {
                json!({
                    "ChallengeName": "EMAIL_OTP",
                    "Session": token,
                    "ChallengeParameters": {
                        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                        "CODE_DELIVERY_DESTINATION": destination_of(call, app, &token).await?,
                    },
                })
            } else {
                json!({
                    "ChallengeName": "SOFTWARE_TOKEN_MFA",
                    "Session": token,
                    "ChallengeParameters": {},
                })
            }
        }
    })
}

/// The user behind a live step, without spending it.
async fn step_user(
    call: &Call<'_>,
    app: &AppClient,
    token: &str,
) -> Result<Option<UserRow>, Exception> {
    Ok(steps::step_user(call.ctx, &start(call, app), token).await?)
}

async fn has_preference(call: &Call<'_>, app: &AppClient, token: &str) -> Result<bool, Exception> {
    Ok(match step_user(call, app, token).await? {
        Some(user) => crate::accounts::factors::mfa::factors(call.ctx, &user)
            .await?
            .preferred
            .is_some(),
        None => true,
    })
}

async fn destination_of(
    call: &Call<'_>,
    app: &AppClient,
    token: &str,
) -> Result<String, Exception> {
    Ok(step_user(call, app, token)
        .await?
        .and_then(|u| u.email)
        .map(|e| masked(&e))
        .unwrap_or_default())
}

pub(crate) async fn srp_challenge(
    call: &Call<'_>,
    start: &Start<'_>,
    username: &str,
    srp_a: &str,
) -> Answer {
    let Some(challenge) = srp_flow::challenge(call.ctx, start, username, srp_a).await? else {
        return Err(Exception::invalid("SRP_A is not a valid public value."));
    };
    Ok(json!({
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": challenge.salt,
            "SRP_B": challenge.srp_b,
            "SECRET_BLOCK": challenge.secret_block,
            "USER_ID_FOR_SRP": challenge.user_id_for_srp,
            "USERNAME": challenge.user_id_for_srp,
        },
    }))
}
