//! The forced new password after a temporary one (`NEW_PASSWORD_REQUIRED`), and the checks
//! on a chosen password that the account page's change of password shares.

use crate::accounts::factors::codes::MAX_TRIES;
use crate::accounts::password_policy;
use crate::accounts::signin::machine::{Outcome, Refused, Start, Step};
use crate::accounts::signin::second_factor::after_first_factor;
use crate::accounts::signin::srp;
use crate::accounts::signin::steps::take;
use crate::accounts::users::lookup::{CONFIRMED, FORCE_CHANGE_PASSWORD, find_by_sub};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::user_codes;
use crate::store::users::UserRow;

/// The checks on a chosen password that need no account: the two fields agree and the
/// pool's policy holds.
pub fn check_new_password(pool: &Pool, new_password: &str, confirm_password: &str) -> Result<()> {
    if new_password != confirm_password {
        return Err(Error::validation(
            "confirm_password",
            "the passwords do not match",
        ));
    }
    password_policy::check("new_password", &pool.config.password_policy, new_password)
}

/// Replaces a temporary password with one the user chose; the user is then `CONFIRMED`.
pub async fn choose_new_password(
    ctx: &Context,
    pool: &Pool,
    user_id: &str,
    new_password: &str,
    confirm_password: &str,
) -> Result<UserRow> {
    check_new_password(pool, new_password, confirm_password)?;
    let hash = ctx.hasher.hash(new_password).await?;
    for _ in 0..5 {
        let Some(mut user) = find_by_sub(ctx, &pool.id, user_id).await? else {
            return Err(Error::NotFound("user"));
        };
        let expired = user
            .temporary_password_expires_at
            .is_some_and(|t| t <= ctx.now());
        if user.status != FORCE_CHANGE_PASSWORD || !user.enabled || expired {
            return Err(Error::state("this account no longer needs a new password"));
        }
        let version = user.version;
        user.password_hash = Some(hash.clone());
        user.status = CONFIRMED.to_string();
        user.temporary_password_expires_at = None;
        user.updated_at = ctx.now();
        if user_codes::save_killing_codes(&ctx.store, &user, version, MAX_TRIES).await? {
            user.version += 1;
            srp::remember(ctx, &user, new_password).await;
            return Ok(user);
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// `NEW_PASSWORD_REQUIRED`: the chosen password (checked against the policy first, so a
/// typo does not spend the step).
pub async fn answer(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
    new_password: &str,
    confirm_password: &str,
) -> Result<Outcome> {
    check_new_password(start.pool, new_password, confirm_password)?;
    let Some((row, user)) = take(ctx, start, token, &[Step::NewPasswordRequired]).await? else {
        return Ok(Outcome::Refused(Refused::Expired));
    };
    let user = match choose_new_password(ctx, start.pool, &user.id, new_password, confirm_password)
        .await
    {
        Ok(user) => user,
        Err(Error::Conflict(..) | Error::NotFound(_)) => {
            return Ok(Outcome::Refused(Refused::Expired));
        }
        Err(e) => return Err(e),
    };
    after_first_factor(ctx, start, user, &row.amr, row.auth_time, false).await
}
