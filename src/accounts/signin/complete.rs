//! `COMPLETE`: a finished sign-in kept as a step of its own, for a door that finishes it in
//! one request and hands its tokens out in the next.

use crate::accounts::signin::machine::{Completed, Start, Step};
use crate::accounts::signin::steps::{NewStep, save_step, take};
use crate::context::Context;
use crate::error::Result;

/// Keeps a finished sign-in for one more request under a new token: the API's `MFA_SETUP`
/// finishes in `VerifySoftwareToken`, and its tokens are collected by the next
/// `RespondToAuthChallenge`.
pub async fn hold(ctx: &Context, start: &Start<'_>, done: &Completed) -> Result<String> {
    save_step(
        ctx,
        start,
        NewStep {
            user: &done.user,
            step: Step::Complete,
            amr: &done.amr,
            auth_time: done.auth_time,
            setup_secret: None,
            expires_at: None,
        },
    )
    .await
}

/// Spends what `hold` kept.
pub async fn collect(ctx: &Context, start: &Start<'_>, token: &str) -> Result<Option<Completed>> {
    Ok(take(ctx, start, token, &[Step::Complete])
        .await?
        .map(|(row, user)| Completed {
            user,
            amr: row.amr,
            auth_time: row.auth_time,
            recovery_codes: None,
        }))
}
