//! The account's password, changed with the current one: every other session ends, and
//! the notice goes out with the change.

use crate::accounts::account::page::{Account, Change, Refused};
use crate::accounts::factors::codes::MAX_TRIES;
use crate::accounts::factors::mfa;
use crate::accounts::sessions;
use crate::accounts::signin::machine::Origin;
use crate::accounts::signin::new_password::check_new_password;
use crate::accounts::signin::password::{SignIn, authenticate};
use crate::accounts::signin::srp;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::account as store;

/// A new password, the current one required (which is its step-up). Every other session and
/// refresh token of the user ends, and live reset codes die; this browser continues on the
/// new session whose cookie value is returned.
pub async fn change_password(
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    current: &str,
    new_password: &str,
    confirm_password: &str,
    origin: &Origin<'_>,
) -> Result<Change<String>> {
    // The policy first: a typo costs no hash and no attempt.
    check_new_password(pool, new_password, confirm_password)?;
    // A session the password alone cannot step up cannot change the password on it alone.
    if !account.password_suffices(pool) && !account.stepped_up(ctx.now()) {
        return Ok(Err(Refused::FactorRequired));
    }
    let mut hash = None;
    for _ in 0..mfa::RETRIES {
        let mut user = match authenticate(ctx, pool, &account.name, current, origin).await? {
            SignIn::Success(found) if found.id == account.session.user.id => found,
            SignIn::Throttled => return Ok(Err(Refused::Throttled)),
            _ => return Ok(Err(Refused::Invalid)),
        };
        if hash.is_none() {
            hash = Some(ctx.hasher.hash(new_password).await?);
        }
        let now = ctx.now();
        let version = user.version;
        user.password_hash = hash.clone();
        let (token, token_hash) = sessions::mint();
        let mut session = sessions::new_row(
            ctx,
            &pool.id,
            &user.id,
            &token_hash,
            account.session.auth_time,
            &account.session.amr,
        );
        // Later than the sign-out, so it is the one session that survives it.
        session.created_at = now + 1;
        let notice = mfa::notice(ctx, pool, &user, "your password was changed");
        if store::change_password(
            &ctx.store,
            &user,
            version,
            now,
            &session,
            MAX_TRIES,
            notice.as_ref(),
        )
        .await?
        {
            ctx.outbox.wake();
            srp::remember(ctx, &user, new_password).await;
            // The current password was just proved: the new session may go on changing
            // settings.
            store::record_step_up(&ctx.store, &token_hash, now + 1, "pwd").await?;
            return Ok(Ok(token));
        }
        // The user changed meanwhile (the same change posted twice, an admin): nothing was
        // written. Check the current password again against what is stored now.
    }
    Err(Error::Store(StoreError::Contention))
}
