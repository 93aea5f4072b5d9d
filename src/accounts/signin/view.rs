//! What a step's page shows, read without spending the step: its kind, the factors it
//! offers, and for a TOTP set-up the secret to enter into the app.

use crate::accounts::factors::mfa;
use crate::accounts::signin::machine::{Start, Step};
use crate::accounts::signin::second_factor::step_factors;
use crate::accounts::signin::steps::live_step;
use crate::accounts::users::lookup::sign_in_name;
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::error::Result;

/// What a step's page needs to show, without using the step.
#[derive(Debug)]
pub struct StepView {
    pub step: String,
    pub current: Option<MfaFactor>,
    pub factors: Vec<MfaFactor>,
    pub recovery: bool,
    /// For a TOTP set-up: the secret in base32 and its `otpauth://` URI.
    pub setup: Option<(String, String)>,
}

/// The live step behind `token`, if it belongs to `start`, as its page shows it.
pub async fn step(ctx: &Context, start: &Start<'_>, token: &str) -> Result<Option<StepView>> {
    let Some((row, user)) = live_step(ctx, start, token).await? else {
        return Ok(None);
    };
    let current = MfaFactor::parse(&row.step);
    let (factors, recovery) = if current.is_some() {
        let factors = step_factors(ctx, start.pool, &user, &row.amr).await?;
        let recovery = factors.contains(&MfaFactor::SoftwareToken)
            && mfa::factors(ctx, &user).await?.recovery_codes_left > 0;
        (factors, recovery)
    } else if row.step == Step::MfaSetup.as_str() {
        (mfa::settable(start.pool, &user), false)
    } else {
        (Vec::new(), false)
    };
    // Only a set-up step holds a TOTP secret.
    let setup = match row
        .setup_secret
        .as_ref()
        .filter(|_| row.step == Step::MfaSetup.as_str())
    {
        Some(sealed) => {
            let secret = mfa::open_totp_secret(ctx, &user.id, sealed)?;
            let issuer = start
                .pool
                .config
                .branding
                .display_name
                .clone()
                .unwrap_or_else(|| start.pool.name.clone());
            let account = sign_in_name(start.pool, &user);
            Some((
                crate::crypto::totp::base32(&secret),
                crate::crypto::totp::otpauth_uri(&issuer, &account, &secret),
            ))
        }
        None => None,
    };
    Ok(Some(StepView {
        step: row.step,
        current,
        factors,
        recovery,
        setup,
    }))
}
