//! The account page's state on a session row (when its user last stepped up, and a TOTP
//! secret being set up), and its changes, each written with the notice mail it sends. Each
//! write names a live session, so a revoked or expired session can neither step up nor
//! finish a set-up.

use super::mfa::{MfaRow, save_in};
use super::outbox::{OutboxRow, insert_outbox_query};
use super::users::UserRow;
use super::{Store, StoreResult, execute_in_tx, in_tx, on_pool};
use crate::store::oauth::SessionRow;

macro_rules! notice_in {
    ($tx:expr, $notice:expr) => {
        if let Some(mail) = $notice {
            insert_outbox_query!(mail).execute(&mut *$tx).await?;
        }
    };
}

#[derive(Debug, Default, Clone, sqlx::FromRow)]
pub struct AccountState {
    pub stepped_up_at: Option<i64>,
    /// What the step-up proved (`pwd`, `otp` or `email`).
    pub stepped_up_amr: Option<String>,
    pub setup_secret: Option<String>,
    pub setup_expires_at: Option<i64>,
}

pub async fn state(store: &Store, token_hash: &str) -> StoreResult<AccountState> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, AccountState>(
        "SELECT stepped_up_at, stepped_up_amr, setup_secret, setup_expires_at \
         FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?
    .unwrap_or_default()))
}

/// Records a step-up that proved `amr` on the live session; false if the session is gone.
pub async fn record_step_up(
    store: &Store,
    token_hash: &str,
    now: i64,
    amr: &str,
) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "UPDATE sessions SET stepped_up_at = $1, stepped_up_amr = $3 \
         WHERE token_hash = $2 AND revoked_at IS NULL AND expires_at > $1",
        now,
        token_hash,
        amr
    );
    Ok(rows == 1)
}

/// Keeps `sealed` on the live session as the secret being set up, until `expires_at`; it
/// replaces any earlier one.
pub async fn hold_setup_secret(
    store: &Store,
    token_hash: &str,
    sealed: &str,
    now: i64,
    expires_at: i64,
) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "UPDATE sessions SET setup_secret = $1, setup_expires_at = $2 \
         WHERE token_hash = $3 AND revoked_at IS NULL AND expires_at > $4",
        sealed,
        expires_at,
        token_hash,
        now
    );
    Ok(rows == 1)
}

/// Takes the session's set-up secret (it must still be `sealed` and live) and makes it the
/// user's factor with its new recovery codes, together: two confirmations of one set-up
/// make one factor.
pub async fn confirm_setup(
    store: &Store,
    token_hash: &str,
    sealed: &str,
    now: i64,
    row: &MfaRow,
    recovery: &[String],
    notice: Option<&OutboxRow>,
) -> StoreResult<bool> {
    in_tx!(store, tx => {
        let taken = sqlx::query(
            "UPDATE sessions SET setup_secret = NULL, setup_expires_at = NULL \
             WHERE token_hash = $1 AND setup_secret = $2 AND setup_expires_at > $3 \
             AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(sealed)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken != 1 {
            return Ok(false);
        }
        save_in!(tx, row, Some(recovery));
        notice_in!(tx, notice);
    });
    Ok(true)
}

/// A password change from the account page: the user's new password hash (if `version` is
/// still current), a sign-out of every other session and refresh token, and the new session
/// this browser continues with, together.
pub async fn change_password(
    store: &Store,
    user: &UserRow,
    version: i64,
    signed_out_at: i64,
    session: &SessionRow,
    dead_attempts: i64,
    notice: Option<&OutboxRow>,
) -> StoreResult<bool> {
    in_tx!(store, tx => {
        let updated = sqlx::query(
            "UPDATE users SET password_hash = $1, signed_out_at = $2, updated_at = $2, \
             version = version + 1 WHERE id = $3 AND version = $4",
        )
        .bind(&user.password_hash)
        .bind(signed_out_at)
        .bind(&user.id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Ok(false);
        }
        crate::store::oauth::revoke_user_in!(tx, &user.pool_id, &user.id, signed_out_at);
        // Reset codes in flight die with the old password.
        crate::store::codes::kill_all_query!(&user.id, signed_out_at, dead_attempts)
            .execute(&mut *tx)
            .await?;
        crate::store::oauth::insert_session_query!(session)
            .execute(&mut *tx)
            .await?;
        notice_in!(tx, notice);
    });
    Ok(true)
}

/// Writes a user's second-factor settings if they are still at the version read (else
/// `Contention`; with `recovery`, a new set of recovery codes, empty to remove them) and the
/// notice, together.
pub async fn save_settings(
    store: &Store,
    row: &MfaRow,
    recovery: Option<&[String]>,
    notice: Option<&OutboxRow>,
) -> StoreResult<()> {
    in_tx!(store, tx => {
        save_in!(tx, row, recovery);
        notice_in!(tx, notice);
    });
    Ok(())
}
