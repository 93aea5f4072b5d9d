//! What follows a first factor: the pool's MFA rule decides between done, a factor to set
//! up (`MFA_SETUP`) and a factor to prove (`SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`), and the
//! steps that ask for them are entered here. Their answers are `mfa_setup` and `mfa`.

use crate::accounts::factors::mfa;
use crate::accounts::signin::machine::{AuthStep, Completed, Outcome, Refused, Start, Step};
use crate::accounts::signin::steps::{NewStep, save_step, save_step_as};
use crate::clock::Millis;
use crate::context::Context;
use crate::domain::{AMR_EMAIL, MfaFactor};
use crate::error::Result;
use crate::pools::Pool;
use crate::pools::pool_config::MfaConfiguration;
use crate::store::users::UserRow;

/// What follows a first factor (or a session that lacks the second the pool now wants):
/// the pool's MFA rule decides. With `force`, a factor is asked for whatever the rule
/// (the session's step-up).
pub async fn after_first_factor(
    ctx: &Context,
    start: &Start<'_>,
    user: UserRow,
    amr: &str,
    auth_time: Millis,
    force: bool,
) -> Result<Outcome> {
    let pool = start.pool;
    let rule = pool.config.mfa();
    let complete = |user| {
        Outcome::Step(AuthStep::Complete(Box::new(Completed {
            user,
            amr: amr.to_string(),
            auth_time,
            recovery_codes: None,
        })))
    };
    // A pool without MFA pays nothing here: no read.
    if rule == MfaConfiguration::Off && !force {
        return Ok(complete(user));
    }
    let usable = mfa::usable(ctx, pool, &user).await?;
    if usable.is_empty() {
        if rule == MfaConfiguration::Optional && !force {
            return Ok(complete(user));
        }
        return setup_step(ctx, start, &user, amr, auth_time).await;
    }
    Ok(Outcome::Step(
        mfa_step(
            ctx, start, &user, amr, auth_time, usable[0], usable, None, None,
        )
        .await?,
    ))
}

/// The second factors a step accepts. After a sign-in that began with a code by email,
/// only the authenticator app (or its recovery codes): a second mailed code would prove the
/// same mailbox twice.
pub(super) async fn step_factors(
    ctx: &Context,
    pool: &Pool,
    user: &UserRow,
    amr: &str,
) -> Result<Vec<MfaFactor>> {
    let mut factors = mfa::usable(ctx, pool, user).await?;
    if began_with_code(amr) {
        factors.retain(|f| *f != MfaFactor::Email);
        if factors.is_empty() && mfa::factors(ctx, user).await?.totp {
            factors.push(MfaFactor::SoftwareToken);
        }
    }
    Ok(factors)
}

fn began_with_code(amr: &str) -> bool {
    amr.split(' ').any(|m| m == AMR_EMAIL)
}

/// The authenticator app's step after a code by email began the sign-in (`amr` its method).
pub(crate) async fn app_after_code(
    ctx: &Context,
    start: &Start<'_>,
    user: &UserRow,
    amr: &str,
    auth_time: Millis,
) -> Result<AuthStep> {
    mfa_step(
        ctx,
        start,
        user,
        amr,
        auth_time,
        MfaFactor::SoftwareToken,
        vec![MfaFactor::SoftwareToken],
        None,
        None,
    )
    .await
}

async fn setup_step(
    ctx: &Context,
    start: &Start<'_>,
    user: &UserRow,
    amr: &str,
    auth_time: Millis,
) -> Result<Outcome> {
    let factors = mfa::settable(start.pool, user);
    if factors.is_empty() {
        // The pool asks for a factor this account cannot have (codes by email, and no
        // verified address): no code is issued.
        return Ok(Outcome::Refused(Refused::NoFactorPossible));
    }
    let sealed = mfa::new_totp_secret(ctx, &user.id)?;
    let token = save_step(
        ctx,
        start,
        NewStep {
            user,
            step: Step::MfaSetup,
            amr,
            auth_time,
            setup_secret: Some(sealed),
            expires_at: None,
        },
    )
    .await?;
    Ok(Outcome::Step(AuthStep::MfaSetupRequired { token, factors }))
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn mfa_step(
    ctx: &Context,
    start: &Start<'_>,
    user: &UserRow,
    amr: &str,
    auth_time: Millis,
    current: MfaFactor,
    factors: Vec<MfaFactor>,
    expires_at: Option<Millis>,
    reuse: Option<&str>,
) -> Result<AuthStep> {
    // A code by email is sent when that factor is asked for (not again on a retry).
    if current == MfaFactor::Email && expires_at.is_none() {
        mfa::send_email_code(ctx, start.pool, user).await?;
    }
    let recovery = factors.contains(&MfaFactor::SoftwareToken)
        && mfa::factors(ctx, user).await?.recovery_codes_left > 0;
    let token = save_step_as(
        ctx,
        start,
        NewStep {
            user,
            step: Step::Mfa(current),
            amr,
            auth_time,
            setup_secret: None,
            expires_at,
        },
        reuse,
    )
    .await?;
    Ok(AuthStep::MfaRequired {
        token,
        current,
        factors,
        recovery,
    })
}
