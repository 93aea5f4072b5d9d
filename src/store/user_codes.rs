//! Writes that change a user together with its verification codes (and the mail they
//! promise), each in one transaction composed from the tables' own statements: `users`,
//! `codes` and `outbox` each write only their own table, and this file only composes them.

use super::{Store, StoreResult, in_tx};
use crate::store::codes::{CodeRow, consume_query, insert_code_query, kill_all_query};
use crate::store::outbox::{OutboxRow, insert_outbox_query};
use crate::store::users::{
    UserRow, confirm_user_query, insert_user_query, reset_password_query, save_user_query,
};

/// Inserts a user with, in the same transaction, an optional code and the mails that go
/// with it: a user never exists without the mail that was promised, nor the reverse.
pub async fn insert_with(
    store: &Store,
    row: &UserRow,
    code: Option<&CodeRow>,
    mails: &[OutboxRow],
) -> StoreResult<()> {
    in_tx!(store, tx => {
        insert_user_query!(row).execute(&mut *tx).await?;
        if let Some(code) = code {
            insert_code_query!(code).execute(&mut *tx).await?;
        }
        for mail in mails {
            insert_outbox_query!(mail).execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// Saves the row and, in the same transaction, kills every live code of the user: a code
/// vouches for the address and password it was sent for, not for what replaced them.
/// False (and nothing written) when the row moved on.
pub async fn save_killing_codes(
    store: &Store,
    row: &UserRow,
    version: i64,
    dead_attempts: i64,
) -> StoreResult<bool> {
    in_tx!(store, tx => {
        let saved = save_user_query!(row, version).execute(&mut *tx).await?.rows_affected();
        if saved != 1 {
            return Ok(false);
        }
        kill_all_query!(&row.id, row.updated_at, dead_attempts)
            .execute(&mut *tx)
            .await?;
    });
    Ok(true)
}

/// Consumes the code `$code_id` and runs `$then` (a query), in one transaction; true when
/// both changed their row, and nothing is written otherwise.
macro_rules! consume_then {
    ($store:expr, $code_id:expr, $max:expr, $now:expr, $then:expr) => {{
        in_tx!($store, tx => {
            let consumed = consume_query!($code_id, $max, $now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if consumed != 1 {
                return Ok(false);
            }
            let updated = $then.execute(&mut *tx).await?.rows_affected();
            if updated != 1 {
                return Ok(false);
            }
        });
        Ok(true)
    }};
}

/// Consumes the sign-up code and confirms the user (status and verified email), together.
/// False if either moved on meanwhile; nothing is written then.
pub async fn confirm_user(
    store: &Store,
    code_id: &str,
    max: i64,
    user: &UserRow,
    version: i64,
    now: i64,
) -> StoreResult<bool> {
    consume_then!(
        store,
        code_id,
        max,
        now,
        confirm_user_query!(user, version, now)
    )
}

/// Consumes the reset code and sets the new password, status and sign-out time, together.
pub async fn reset_password(
    store: &Store,
    code_id: &str,
    max: i64,
    user: &UserRow,
    version: i64,
    now: i64,
) -> StoreResult<bool> {
    consume_then!(
        store,
        code_id,
        max,
        now,
        reset_password_query!(user, version, now)
    )
}
