//! `SOFTWARE_TOKEN_MFA` / `EMAIL_OTP`: the answer to a second-factor step, a code, a
//! recovery code, or a switch to another of the user's factors (`SELECT_MFA_TYPE`).

use std::net::IpAddr;

use crate::accounts::factors::codes::CodeCheck;
use crate::accounts::factors::mfa;
use crate::accounts::signin::machine::{
    AuthStep, Completed, Outcome, Refused, Start, Step, join_amr,
};
use crate::accounts::signin::second_factor::{mfa_step, step_factors};
use crate::accounts::signin::steps::{retry_token, take};
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::error::Result;

/// What a person answers to a second-factor step.
#[derive(Debug, Clone, Copy)]
pub enum MfaAnswer<'a> {
    /// The code of the factor asked for.
    Code(&'a str),
    /// One of the recovery codes, instead of a TOTP code.
    Recovery(&'a str),
    /// Ask for another of the user's factors instead ("Email me a code instead").
    Switch(MfaFactor),
}

/// `SOFTWARE_TOKEN_MFA` / `EMAIL_OTP`: the second factor.
pub async fn answer(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
    answer: MfaAnswer<'_>,
    address: Option<IpAddr>,
) -> Result<Outcome> {
    let kinds = [
        Step::Mfa(MfaFactor::SoftwareToken),
        Step::Mfa(MfaFactor::Email),
    ];
    let Some((row, user)) = take(ctx, start, token, &kinds).await? else {
        return Ok(Outcome::Refused(Refused::Expired));
    };
    let Some(current) = MfaFactor::parse(&row.step) else {
        return Ok(Outcome::Refused(Refused::Expired));
    };
    let factors = step_factors(ctx, start.pool, &user, &row.amr).await?;
    let again = |ctx, factor, expires| {
        mfa_step(
            ctx,
            start,
            &user,
            &row.amr,
            row.auth_time,
            factor,
            factors.clone(),
            expires,
            retry_token(start, token),
        )
    };
    let code = match answer {
        MfaAnswer::Switch(factor) if factors.contains(&factor) => {
            // A new factor asked for: its own step (and code by email), same expiry.
            let step = if factor == MfaFactor::Email {
                mfa::send_email_code(ctx, start.pool, &user).await?;
                again(ctx, factor, Some(row.expires_at)).await?
            } else {
                again(ctx, factor, Some(row.expires_at)).await?
            };
            return Ok(Outcome::Step(step));
        }
        MfaAnswer::Switch(_) => {
            let retry = again(ctx, current, Some(row.expires_at)).await?;
            return Ok(Outcome::Refused(Refused::WrongCode {
                retry: Box::new(retry),
                dead: false,
                locked: false,
            }));
        }
        MfaAnswer::Code(code) | MfaAnswer::Recovery(code) => code,
    };
    // What cannot be a code is refused without counting as a guess.
    let shaped = match answer {
        MfaAnswer::Recovery(code) => mfa::is_recovery_code_shaped(code),
        _ => mfa::is_code_shaped(code),
    };
    if !shaped {
        let retry = again(ctx, current, Some(row.expires_at)).await?;
        return Ok(Outcome::Refused(Refused::WrongCode {
            retry: Box::new(retry),
            dead: false,
            locked: false,
        }));
    }
    // A second-factor guess is throttled like a password.
    let Some(attempt) = mfa::begin_check(ctx, start.pool, &user, address).await? else {
        let retry = again(ctx, current, Some(row.expires_at)).await?;
        return Ok(Outcome::Refused(Refused::WrongCode {
            retry: Box::new(retry),
            dead: false,
            locked: true,
        }));
    };
    let checked: Result<(bool, bool, &str)> = async {
        Ok(match (answer, current) {
            (MfaAnswer::Recovery(_), _) if factors.contains(&MfaFactor::SoftwareToken) => (
                mfa::spend_recovery_code(ctx, &user, code).await?,
                false,
                "mfa",
            ),
            (MfaAnswer::Recovery(_), _) => (false, false, "mfa"),
            (_, MfaFactor::SoftwareToken) => {
                (mfa::check_totp(ctx, &user, code).await?, false, "otp mfa")
            }
            (_, MfaFactor::Email) => match mfa::check_email_code(ctx, &user, code).await? {
                CodeCheck::Accepted => (true, false, "email mfa"),
                CodeCheck::TooManyTries => (false, true, "email mfa"),
                CodeCheck::Rejected => (false, false, "email mfa"),
            },
        })
    }
    .await;
    let (right, dead, methods) = match checked {
        Ok(found) => found,
        Err(e) => {
            attempt.abandoned().await?;
            return Err(e);
        }
    };
    if right {
        attempt.succeeded().await?;
        return Ok(Outcome::Step(AuthStep::Complete(Box::new(Completed {
            user,
            amr: join_amr(&row.amr, methods),
            auth_time: ctx.now(),
            recovery_codes: None,
        }))));
    }
    attempt.failed().await?;
    let retry = again(ctx, current, Some(row.expires_at)).await?;
    Ok(Outcome::Refused(Refused::WrongCode {
        retry: Box::new(retry),
        dead,
        locked: false,
    }))
}
