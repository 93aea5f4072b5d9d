//! `MFA_SETUP`: the answer to a step that sets up the second factor a pool requires, the
//! new app's first code or codes by email; then the sign-in completes with it.

use crate::accounts::factors::mfa;
use crate::accounts::signin::machine::{
    AuthStep, Completed, Outcome, Refused, Start, Step, join_amr,
};
use crate::accounts::signin::second_factor::mfa_step;
use crate::accounts::signin::steps::{NewStep, retry_token, save_step_as, take};
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::error::{Error, Result};
use crate::store::StoreError;

/// What a person answers to `MFA_SETUP`.
#[derive(Debug, Clone, Copy)]
pub enum SetupAnswer<'a> {
    /// The first code of the authenticator app set up with the step's secret.
    Totp(&'a str),
    /// Use codes by email (to the verified address) instead.
    Email,
}

/// `MFA_SETUP`: confirms a new factor; then the sign-in completes with it.
pub async fn answer(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
    answer: SetupAnswer<'_>,
) -> Result<Outcome> {
    let Some((row, user)) = take(ctx, start, token, &[Step::MfaSetup]).await? else {
        return Ok(Outcome::Refused(Refused::Expired));
    };
    // The step is for an account without a factor. One set up meanwhile (in another
    // browser) is the one to ask for: this step must not replace it. The settings are
    // written only if they are still as read here.
    let settings = mfa::current_row(ctx, &user).await?;
    let have = mfa::factors_in(&user, &settings);
    let allowed = start.pool.config.allowed_factors();
    if allowed.iter().any(|f| match f {
        MfaFactor::SoftwareToken => have.totp,
        MfaFactor::Email => have.email,
    }) {
        return Ok(Outcome::Refused(Refused::Expired));
    }
    let settable = mfa::settable(start.pool, &user);
    match answer {
        SetupAnswer::Totp(code) if settable.contains(&MfaFactor::SoftwareToken) => {
            let Some(sealed) = row.setup_secret.as_deref() else {
                return Ok(Outcome::Refused(Refused::Expired));
            };
            match mfa::confirm_new_secret(ctx, &user.id, sealed, code)? {
                Some(step) => {
                    let codes = match mfa::enable_totp(ctx, settings, sealed, step).await {
                        Ok(codes) => codes,
                        Err(Error::Store(StoreError::Contention)) => {
                            return Ok(Outcome::Refused(Refused::Expired));
                        }
                        Err(e) => return Err(e),
                    };
                    mfa::notify_change(ctx, start.pool, &user, "an authenticator app was set up")
                        .await?;
                    Ok(Outcome::Step(AuthStep::Complete(Box::new(Completed {
                        user,
                        amr: join_amr(&row.amr, "otp mfa"),
                        auth_time: ctx.now(),
                        recovery_codes: Some(codes),
                    }))))
                }
                None => {
                    // The same secret again: the app already holds it.
                    let token = save_step_as(
                        ctx,
                        start,
                        NewStep {
                            user: &user,
                            step: Step::MfaSetup,
                            amr: &row.amr,
                            auth_time: row.auth_time,
                            setup_secret: row.setup_secret.clone(),
                            expires_at: Some(row.expires_at),
                        },
                        retry_token(start, token),
                    )
                    .await?;
                    Ok(Outcome::Refused(Refused::WrongCode {
                        retry: Box::new(AuthStep::MfaSetupRequired {
                            token,
                            factors: settable,
                        }),
                        dead: false,
                        locked: false,
                    }))
                }
            }
        }
        SetupAnswer::Email if settable.contains(&MfaFactor::Email) => {
            let settings = mfa::with_preferences(ctx, &user, settings, Some(true), None)?;
            match crate::store::mfa::save(&ctx.store, &settings, None).await {
                Ok(()) => {}
                Err(StoreError::Contention) => return Ok(Outcome::Refused(Refused::Expired)),
                Err(e) => return Err(e.into()),
            }
            mfa::notify_change(ctx, start.pool, &user, "codes by email were turned on").await?;
            // The address proves itself with the first code.
            let step = mfa_step(
                ctx,
                start,
                &user,
                &row.amr,
                row.auth_time,
                MfaFactor::Email,
                vec![MfaFactor::Email],
                None,
                None,
            )
            .await?;
            Ok(Outcome::Step(step))
        }
        _ => Ok(Outcome::Refused(Refused::NoFactorPossible)),
    }
}
