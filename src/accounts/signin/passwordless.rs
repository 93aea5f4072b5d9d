//! Sign-in with a code by email instead of a password (`USER_AUTH` with `EMAIL_OTP`, as
//! Cognito's choice-based sign-in offers it), where the pool's sign-in policy lists
//! `EMAIL_OTP`. A pool that requires a second factor does not offer it: one code is one
//! factor. A user with an authenticator app is asked for it after the code: whoever reads
//! the mailbox must not get past the app. A name without an account, or one that cannot get a
//! code, gets a session of the same shape that no code opens, and the same answers: every
//! failure is a wrong code, each guess is counted against the name's code-guess throttles
//! (not the second factor's, which a stranger must not be able to fill), and each answer
//! takes at least the code pages' floor.

use std::net::IpAddr;

use crate::accounts::factors::codes::{CodeCheck, begin_guess, padded};
use crate::accounts::factors::mfa;
use crate::accounts::signin::machine::{AuthStep, Completed, Outcome, Refused, Start, Step};
use crate::accounts::signin::second_factor::app_after_code;
use crate::accounts::signin::steps::{NewStep, save_step, save_step_as, take};
use crate::accounts::users::lookup::find_user;
use crate::context::Context;
use crate::domain::{AMR_EMAIL as METHOD, MfaFactor, UserStatus};
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::pools::pool_config::MfaConfiguration;

const SESSION_CONTEXT: &str = "email-otp-session";

/// The session the client holds: the step's token (or a decoy's) and the name typed,
/// sealed, so a decoy's session is counted against its name as a real one is.
#[derive(serde::Serialize, serde::Deserialize)]
struct Session {
    token: String,
    pool: String,
    client: String,
    typed: String,
}

fn seal(ctx: &Context, session: &Session) -> Result<String> {
    let plain = serde_json::to_vec(session).map_err(crate::store::StoreError::from)?;
    ctx.keys
        .seal(&plain, SESSION_CONTEXT)
        .map_err(|e| Error::Store(crate::store::StoreError::Corrupt(e.to_string())))
}

/// Whether the pool offers sign-in that begins with a code by email: its sign-in policy
/// lists `EMAIL_OTP` (validated against `ON` when saved; checked again here).
pub fn offered(pool: &Pool) -> bool {
    pool.config.sign_in_policy.allows("EMAIL_OTP") && pool.config.mfa() != MfaConfiguration::On
}

/// Whether `user` could answer a code sign-in: enabled, confirmed, with a verified address.
fn can_receive(user: &crate::store::users::UserRow) -> bool {
    user.enabled
        && UserStatus::of(user) == Some(UserStatus::Confirmed)
        && mfa::has_verified_email(user)
}

/// The account named `username`, if it could answer a code sign-in.
async fn receiver(
    ctx: &Context,
    pool: &Pool,
    username: &str,
) -> Result<Option<crate::store::users::UserRow>> {
    if username.is_empty() || username.len() > 512 {
        return Ok(None);
    }
    match find_user(ctx, pool, username).await {
        Ok(user) => Ok(Some(user).filter(can_receive)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether the account named `username` could answer a code sign-in (false for no account).
pub async fn answerable(ctx: &Context, pool: &Pool, username: &str) -> Result<bool> {
    Ok(receiver(ctx, pool, username).await?.is_some())
}

/// A code sign-in begun: the session, and where the code went (the real address for an
/// account, a stand-in otherwise).
pub struct Begun {
    pub session: String,
    pub destination: Option<String>,
}

pub async fn begin(ctx: &Context, start: &Start<'_>, username: &str) -> Result<Begun> {
    let user = receiver(ctx, start.pool, username).await?;
    let sealed = |token| {
        seal(
            ctx,
            &Session {
                token,
                pool: start.pool.id.clone(),
                client: start.client_id.to_string(),
                typed: username.to_string(),
            },
        )
    };
    let Some(user) = user else {
        return Ok(Begun {
            session: sealed(crate::crypto::random::token(32))?,
            destination: None,
        });
    };
    mfa::send_email_code(ctx, start.pool, &user).await?;
    let token = save_step(
        ctx,
        start,
        NewStep {
            user: &user,
            step: Step::EmailOtpSignIn,
            amr: "",
            auth_time: ctx.now(),
            setup_secret: None,
            expires_at: None,
        },
    )
    .await?;
    Ok(Begun {
        session: sealed(token)?,
        destination: user.email.clone(),
    })
}

/// A wrong code (whatever made it wrong): the same session goes on.
fn wrong(session: &str) -> Outcome {
    Outcome::Refused(Refused::WrongCode {
        retry: Box::new(AuthStep::MfaRequired {
            token: session.to_string(),
            current: MfaFactor::Email,
            factors: vec![MfaFactor::Email],
            recovery: false,
        }),
        dead: false,
        locked: false,
    })
}

/// The code, for the session `session`.
pub async fn answer(
    ctx: &Context,
    start: &Start<'_>,
    session: &str,
    code: &str,
    address: Option<IpAddr>,
) -> Result<Outcome> {
    padded(async {
        // A session this server did not seal names nobody: refused without counting.
        let Some(opened) = ctx
            .keys
            .open(session, SESSION_CONTEXT)
            .ok()
            .and_then(|plain| serde_json::from_slice::<Session>(&plain).ok())
            .filter(|s| s.pool == start.pool.id && s.client == start.client_id)
        else {
            return Ok(wrong(session));
        };
        let taken = if mfa::is_code_shaped(code) {
            take(ctx, start, &opened.token, &[Step::EmailOtpSignIn]).await?
        } else {
            // What cannot be a code is refused without counting as a guess.
            return Ok(wrong(session));
        };
        let user = taken.as_ref().map(|(_, user)| user);
        let Some(attempt) = begin_guess(ctx, start.pool, &opened.typed, user, address).await?
        else {
            if let Some((row, user)) = &taken {
                again(ctx, start, row, user, &opened.token).await?;
            }
            return Ok(wrong(session));
        };
        let Some((row, user)) = taken else {
            attempt.failed().await?;
            return Ok(wrong(session));
        };
        let checked = match mfa::check_email_code(ctx, &user, code).await {
            Ok(checked) => checked,
            Err(e) => {
                attempt.abandoned().await?;
                return Err(e);
            }
        };
        if checked == CodeCheck::Accepted {
            attempt.succeeded().await?;
            // The mailbox is one factor. An account with an authenticator app has said the app
            // guards it: the sign-in goes on to the app (or one of its recovery codes).
            if mfa::factors(ctx, &user).await?.totp {
                let step = app_after_code(ctx, start, &user, METHOD, ctx.now()).await?;
                return Ok(Outcome::Step(step));
            }
            return Ok(Outcome::Step(AuthStep::Complete(Box::new(Completed {
                user,
                amr: METHOD.into(),
                auth_time: ctx.now(),
                recovery_codes: None,
            }))));
        }
        attempt.failed().await?;
        again(ctx, start, &row, &user, &opened.token).await?;
        Ok(wrong(session))
    })
    .await
}

/// The same step again, under the same token and expiry.
async fn again(
    ctx: &Context,
    start: &Start<'_>,
    row: &crate::store::sign_in_steps::StepRow,
    user: &crate::store::users::UserRow,
    token: &str,
) -> Result<()> {
    save_step_as(
        ctx,
        start,
        NewStep {
            user,
            step: Step::EmailOtpSignIn,
            amr: "",
            auth_time: row.auth_time,
            setup_secret: None,
            expires_at: Some(row.expires_at),
        },
        Some(token),
    )
    .await?;
    Ok(())
}
