//! Sign-in with a code by email instead of a password (`USER_AUTH` with `EMAIL_OTP`, as
//! Cognito's choice-based sign-in offers it). A pool that requires a second factor does not
//! offer it: one code is one factor. A name without an account, or one that cannot get a
//! code, gets a session of the same shape that no code opens, and the same answers.

use std::net::IpAddr;

use crate::accounts::auth_flow::{self, AuthStep, Completed, NewStep, Outcome, Refused, Start};
use crate::accounts::codes::CodeCheck;
use crate::accounts::mfa;
use crate::accounts::types::{MfaFactor, UserStatus};
use crate::accounts::users::find_user;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::pools::pool::MfaConfiguration;

const STEP: &str = "EMAIL_OTP_SIGN_IN";

/// Whether the pool offers sign-in by a code alone.
pub fn offered(pool: &Pool) -> bool {
    pool.config.mfa() != MfaConfiguration::On
}

/// A code sign-in begun: the session, and where the code went (the real address for an
/// account, a stand-in otherwise).
pub struct Begun {
    pub session: String,
    pub destination: Option<String>,
}

pub async fn begin(ctx: &Context, start: &Start<'_>, username: &str) -> Result<Begun> {
    let user = if username.is_empty() || username.len() > 512 {
        None
    } else {
        match find_user(ctx, start.pool, username).await {
            Ok(user) => Some(user),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        }
    };
    let user = user.filter(|u| {
        u.enabled && UserStatus::of(u) == Some(UserStatus::Confirmed) && mfa::has_verified_email(u)
    });
    let Some(user) = user else {
        return Ok(Begun {
            session: crate::crypto::random::token(32),
            destination: None,
        });
    };
    mfa::send_email_code(ctx, start.pool, &user).await?;
    let session = auth_flow::save_step(
        ctx,
        start,
        NewStep {
            user: &user,
            step: STEP.into(),
            amr: "",
            auth_time: ctx.now(),
            setup_secret: None,
            expires_at: None,
        },
    )
    .await?;
    Ok(Begun {
        session,
        destination: user.email.clone(),
    })
}

/// A wrong code: the same step goes on (under the same session, for the API).
fn wrong(token: &str, dead: bool, locked: bool) -> Outcome {
    Outcome::Refused(Refused::WrongCode {
        retry: Box::new(AuthStep::MfaRequired {
            token: token.to_string(),
            current: MfaFactor::Email,
            factors: vec![MfaFactor::Email],
            recovery: false,
        }),
        dead,
        locked,
    })
}

/// The code. A session no account stands behind reads as a wrong code, as a live one does.
pub async fn answer(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
    code: &str,
    address: Option<IpAddr>,
) -> Result<Outcome> {
    let Some((row, user)) = auth_flow::take(ctx, start, token, &[STEP]).await? else {
        return Ok(wrong(token, false, false));
    };
    let again = |ctx| {
        auth_flow::save_step_as(
            ctx,
            start,
            NewStep {
                user: &user,
                step: STEP.into(),
                amr: "",
                auth_time: row.auth_time,
                setup_secret: None,
                expires_at: Some(row.expires_at),
            },
            auth_flow::retry_token(start, token),
        )
    };
    if !mfa::is_code_shaped(code) {
        let token = again(ctx).await?;
        return Ok(wrong(&token, false, false));
    }
    let Some(attempt) = mfa::begin_check(ctx, start.pool, &user, address).await? else {
        let token = again(ctx).await?;
        return Ok(wrong(&token, false, true));
    };
    let checked = match mfa::check_email_code(ctx, &user, code).await {
        Ok(checked) => checked,
        Err(e) => {
            attempt.abandoned().await?;
            return Err(e);
        }
    };
    match checked {
        CodeCheck::Accepted => {
            attempt.succeeded().await?;
            Ok(Outcome::Step(AuthStep::Complete(Box::new(Completed {
                user,
                amr: "otp".into(),
                auth_time: ctx.now(),
                recovery_codes: None,
            }))))
        }
        other => {
            attempt.failed().await?;
            let token = again(ctx).await?;
            Ok(wrong(&token, other == CodeCheck::TooManyTries, false))
        }
    }
}
