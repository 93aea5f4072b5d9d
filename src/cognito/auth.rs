//! Sign-in over the API: `InitiateAuth`, `RespondToAuthChallenge` and their admin forms,
//! refresh, revocation and the TOTP set-up. Each maps onto the core's sign-in state machine
//! (`accounts::signin`); its `Session` is the machine's opaque step token.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::json;

use crate::accounts::signin::machine::{AuthStep, Binding, Origin, Outcome, Refused, Start};
use crate::accounts::signin::mfa::{self, MfaAnswer};
use crate::accounts::signin::mfa_setup::{self, SetupAnswer};
use crate::accounts::signin::password_verifier::{self as srp_flow, Proof};
use crate::accounts::signin::{
    complete, new_password, password, passwordless, select_challenge, steps, view,
};
use crate::cognito::Call;
use crate::cognito::client::{self, AppClient, flow_allowed};
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::shapes::{destination_shown, masked};
use crate::cognito::tokens::authentication_result;
use crate::domain::MfaFactor;
use crate::store::users::UserRow;
use crate::tokens::grants;

type Parameters = HashMap<String, String>;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Initiate {
    pub auth_flow: String,
    #[serde(default)]
    pub auth_parameters: Parameters,
    pub client_id: String,
    #[serde(default)]
    pub user_pool_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Respond {
    pub client_id: String,
    pub challenge_name: String,
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub challenge_responses: Parameters,
    #[serde(default)]
    pub user_pool_id: Option<String>,
}

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

fn required<'a>(params: &'a Parameters, name: &str) -> Result<&'a str, Exception> {
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
async fn render(call: &Call<'_>, app: &AppClient, outcome: Outcome) -> Answer {
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

/// The flows both `InitiateAuth` and `AdminInitiateAuth` run.
pub(crate) async fn initiate(
    call: &Call<'_>,
    app: &AppClient,
    input: &Initiate,
    admin: bool,
) -> Answer {
    let params = &input.auth_parameters;
    let ctx = call.ctx;
    let start = start(call, app);
    match input.auth_flow.as_str() {
        "USER_PASSWORD_AUTH" | "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH"
            if admin == (input.auth_flow != "USER_PASSWORD_AUTH") =>
        {
            flow_allowed(
                app,
                if admin {
                    "ALLOW_ADMIN_USER_PASSWORD_AUTH"
                } else {
                    "ALLOW_USER_PASSWORD_AUTH"
                },
            )?;
            let username = required(params, "USERNAME")?;
            let password = required(params, "PASSWORD")?;
            client::check_secret_hash(
                call,
                app,
                username,
                params.get("SECRET_HASH").map(String::as_str),
            )?;
            let outcome = password::sign_in(ctx, &start, username, password).await?;
            render(call, app, outcome).await
        }
        "USER_SRP_AUTH" if !admin => {
            flow_allowed(app, "ALLOW_USER_SRP_AUTH")?;
            let username = required(params, "USERNAME")?;
            let srp_a = required(params, "SRP_A")?;
            client::check_secret_hash(
                call,
                app,
                username,
                params.get("SECRET_HASH").map(String::as_str),
            )?;
            srp_challenge(call, &start, username, srp_a).await
        }
        "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
            flow_allowed(app, "ALLOW_REFRESH_TOKEN_AUTH")?;
            // Cognito's rule: a rotating client refreshes only through
            // `GetTokensFromRefreshToken`, which can hand back the new token.
            if grants::rotates(&app.client) {
                return Err(Exception::invalid(
                    "Refresh token rotation is enabled for this app client; refresh with \
                     GetTokensFromRefreshToken.",
                ));
            }
            let token = required(params, "REFRESH_TOKEN")?;
            crate::cognito::tokens::refresh(
                call,
                app,
                token,
                params.get("SECRET_HASH").map(String::as_str),
            )
            .await
        }
        "USER_AUTH" if !admin => {
            flow_allowed(app, "ALLOW_USER_AUTH")?;
            let username = required(params, "USERNAME")?;
            client::check_secret_hash(
                call,
                app,
                username,
                params.get("SECRET_HASH").map(String::as_str),
            )?;
            match params.get("PREFERRED_CHALLENGE").map(String::as_str) {
                None | Some("") => select_challenge(call, app, username).await,
                Some(choice) => chosen(call, app, &start, username, choice, params).await,
            }
        }
        "CUSTOM_AUTH" => Err(Exception::invalid(
            "Custom authentication is not supported.",
        )),
        other => Err(Exception::invalid(format!(
            "1 validation error detected: Value '{}' at 'authFlow' failed to satisfy constraint",
            other.chars().take(64).collect::<String>()
        ))),
    }
}

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
async fn select_challenge(call: &Call<'_>, app: &AppClient, username: &str) -> Answer {
    let session = select_challenge::offer(call.ctx, &app.client.client_id, username)
        .map_err(|e| Exception::new(Kind::InternalError, e.to_string()))?;
    Ok(json!({
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": session,
        "ChallengeParameters": {},
        "AvailableChallenges": available(call, app, username).await?,
    }))
}

async fn chosen(
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

async fn srp_challenge(call: &Call<'_>, start: &Start<'_>, username: &str, srp_a: &str) -> Answer {
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

pub async fn initiate_auth(call: &Call<'_>) -> Answer {
    let input: Initiate = call.input()?;
    let app = client::find(call, &input.client_id).await?;
    initiate(call, &app, &input, false).await
}

/// The challenge responses both `RespondToAuthChallenge` and its admin form take.
pub(crate) async fn respond(call: &Call<'_>, app: &AppClient, input: &Respond) -> Answer {
    let ctx = call.ctx;
    let start = start(call, app);
    let responses = &input.challenge_responses;
    let session = input.session.as_deref().unwrap_or_default();
    if let Some(username) = responses.get("USERNAME") {
        client::check_secret_hash(
            call,
            app,
            username,
            responses.get("SECRET_HASH").map(String::as_str),
        )?;
    } else if app.client.is_confidential() {
        return Err(Exception::invalid("Missing required parameter USERNAME"));
    }
    let outcome = match input.challenge_name.as_str() {
        "PASSWORD_VERIFIER" => {
            let proof = Proof {
                username: required(responses, "USERNAME")?,
                secret_block: required(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?,
                timestamp: required(responses, "TIMESTAMP")?,
                signature: required(responses, "PASSWORD_CLAIM_SIGNATURE")?,
            };
            srp_flow::verify(ctx, &start, &proof, &start.origin).await?
        }
        "NEW_PASSWORD_REQUIRED" => {
            let password = required(responses, "NEW_PASSWORD")?;
            new_password::answer(ctx, &start, session, password, password).await?
        }
        "SOFTWARE_TOKEN_MFA" | "EMAIL_OTP" => {
            let (factor, field) = if input.challenge_name == "EMAIL_OTP" {
                (MfaFactor::Email, "EMAIL_OTP_CODE")
            } else {
                (MfaFactor::SoftwareToken, "SOFTWARE_TOKEN_MFA_CODE")
            };
            let code = required(responses, field)?;
            let view = view::step(ctx, &start, session).await?;
            match view.map(|v| (v.current, v.step)) {
                Some((Some(current), _)) if current == factor => {
                    mfa::answer(ctx, &start, session, MfaAnswer::Code(code), call.address).await?
                }
                Some((Some(_), _)) => Outcome::Refused(Refused::Expired),
                // A code sign-in (`USER_AUTH`), or a session nobody holds: which one is not
                // told.
                _ if factor == MfaFactor::Email => {
                    passwordless::answer(ctx, &start, session, code, call.address).await?
                }
                _ => Outcome::Refused(Refused::Expired),
            }
        }
        "SELECT_MFA_TYPE" => {
            let answer = required(responses, "ANSWER")?;
            let factor = MfaFactor::parse(answer).ok_or_else(|| {
                Exception::invalid("ANSWER must be SOFTWARE_TOKEN_MFA or EMAIL_OTP")
            })?;
            match mfa::answer(
                ctx,
                &start,
                session,
                MfaAnswer::Switch(factor),
                call.address,
            )
            .await?
            {
                // A choice is not a guess: the chosen factor's step, whatever is current.
                Outcome::Refused(Refused::WrongCode { .. }) => {
                    return Err(Exception::invalid(
                        "That factor is not set up for this user.",
                    ));
                }
                other => force_challenge(other),
            }
        }
        "MFA_SETUP" => match complete::collect(ctx, &start, session).await? {
            Some(done) => Outcome::Step(AuthStep::Complete(Box::new(done))),
            None if responses.get("ANSWER").map(String::as_str) == Some("EMAIL_OTP") => {
                mfa_setup::answer(ctx, &start, session, SetupAnswer::Email).await?
            }
            None => Outcome::Refused(Refused::Expired),
        },
        "SELECT_CHALLENGE" => {
            let username = required(responses, "USERNAME")?;
            let answer = required(responses, "ANSWER")?;
            if !select_challenge::is_open(ctx, session, &app.client.client_id, username) {
                return Err(refused(Refused::Expired));
            }
            return chosen(call, app, &start, username, answer, responses).await;
        }
        other => {
            return Err(Exception::invalid(format!(
                "The challenge {} is not supported.",
                other.chars().take(64).collect::<String>()
            )));
        }
    };
    render(call, app, outcome).await
}

/// A factor the client chose is asked for as such, not offered for choosing again.
fn force_challenge(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Step(AuthStep::MfaRequired {
            token,
            current,
            recovery,
            ..
        }) => Outcome::Step(AuthStep::MfaRequired {
            token,
            current,
            factors: vec![current],
            recovery,
        }),
        other => other,
    }
}

pub async fn respond_to_auth_challenge(call: &Call<'_>) -> Answer {
    let input: Respond = call.input()?;
    let app = client::find(call, &input.client_id).await?;
    respond(call, &app, &input).await
}
