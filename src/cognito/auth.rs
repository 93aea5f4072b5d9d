//! Sign-in over the API: `InitiateAuth`, `RespondToAuthChallenge` and their admin forms.
//! Each maps onto the core's sign-in state machine (`accounts::signin`); its `Session` is
//! the machine's opaque step token. Where the machine stands is answered by `challenges`;
//! `USER_AUTH`'s choice of challenge is `user_auth`.

use serde::Deserialize;

use crate::accounts::signin::machine::{AuthStep, Outcome, Refused};
use crate::accounts::signin::mfa::{self, MfaAnswer};
use crate::accounts::signin::mfa_setup::{self, SetupAnswer};
use crate::accounts::signin::password_verifier::{self as srp_flow, Proof};
use crate::accounts::signin::{
    complete, new_password, password, passwordless, select_challenge, view,
};
use crate::cognito::Call;
use crate::cognito::challenges::{Parameters, refused, render, required, srp_challenge, start};
use crate::cognito::client::{self, AppClient, flow_allowed};
use crate::cognito::protocol::{Answer, Exception};
use crate::cognito::user_auth::{self, chosen};
use crate::domain::MfaFactor;
use crate::tokens::grants;

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
                None | Some("") => user_auth::select_challenge(call, app, username).await,
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
