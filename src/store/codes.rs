//! Rows of `verification_codes`.

use super::{Store, StoreResult, execute_in_tx, in_tx, on_pool};
use crate::store::outbox::{OutboxRow, insert_outbox_query};

#[derive(Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub id: String,
    pub pool_id: String,
    pub user_id: String,
    pub purpose: String,
    pub code_hash: String,
    pub attempts: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    /// The address the code was sent to.
    pub destination: Option<String>,
}

/// Spends a code: only once, only before it expires, and only if its tries (the right guess
/// itself is one of them, reserved before the comparison) did not run out.
pub(crate) const CONSUME: &str = "UPDATE verification_codes SET consumed_at = $1 \
     WHERE id = $2 AND consumed_at IS NULL AND expires_at > $1 AND attempts <= $3";

pub const COLUMNS: &str = "id, pool_id, user_id, purpose, code_hash, attempts, created_at, expires_at, \
     consumed_at, destination";

macro_rules! insert_code_query {
    ($row:expr) => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO verification_codes ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            $crate::store::codes::COLUMNS
        )))
        .bind(&$row.id)
        .bind(&$row.pool_id)
        .bind(&$row.user_id)
        .bind(&$row.purpose)
        .bind(&$row.code_hash)
        .bind($row.attempts)
        .bind($row.created_at)
        .bind($row.expires_at)
        .bind($row.consumed_at)
        .bind(&$row.destination)
    };
}
pub(crate) use insert_code_query;

/// Kills every live code of a user; `dead_attempts` marks them as spent tries, so a new one
/// may be sent at once (a dead code is no reason to wait).
macro_rules! kill_all_query {
    ($user_id:expr, $now:expr, $dead_attempts:expr) => {
        sqlx::query(
            "UPDATE verification_codes SET consumed_at = $1, attempts = $2 \
             WHERE user_id = $3 AND consumed_at IS NULL",
        )
        .bind($now)
        .bind($dead_attempts)
        .bind($user_id)
    };
}
pub(crate) use kill_all_query;

/// Spends a code (see `CONSUME`), as a statement for a transaction a caller composes.
macro_rules! consume_query {
    ($code_id:expr, $max:expr, $now:expr) => {
        sqlx::query($crate::store::codes::CONSUME)
            .bind($now)
            .bind($code_id)
            .bind($max)
    };
}
pub(crate) use consume_query;

/// Replaces the user's live code of this purpose with `code` and queues its mail, together.
pub async fn replace_code(store: &Store, code: &CodeRow, mail: &OutboxRow) -> StoreResult<()> {
    in_tx!(store, tx => {
        sqlx::query(
            "UPDATE verification_codes SET consumed_at = $1 \
             WHERE user_id = $2 AND purpose = $3 AND consumed_at IS NULL",
        )
        .bind(code.created_at)
        .bind(&code.user_id)
        .bind(&code.purpose)
        .execute(&mut *tx)
        .await?;
        insert_code_query!(code).execute(&mut *tx).await?;
        insert_outbox_query!(mail).execute(&mut *tx).await?;
    });
    Ok(())
}

/// The user's newest live code of this purpose.
pub async fn live_code(
    store: &Store,
    user_id: &str,
    purpose: &str,
    now: i64,
) -> StoreResult<Option<CodeRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, CodeRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM verification_codes \
         WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > $3 \
         ORDER BY created_at DESC LIMIT 1"
    )))
    .bind(user_id)
    .bind(purpose)
    .bind(now)
    .fetch_optional(pool)
    .await?))
}

/// Reserves one try of a live code before it is compared, in one statement: concurrent
/// guesses cannot share a try. Returns the tries used, or `None` if the code is spent, dead
/// or expired.
pub async fn reserve_try(store: &Store, id: &str, max: i64, now: i64) -> StoreResult<Option<i64>> {
    in_tx!(store, tx => Ok(sqlx::query_scalar::<_, i64>(
        "UPDATE verification_codes SET attempts = attempts + 1 \
         WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2 AND attempts < $3 \
         RETURNING attempts",
    )
    .bind(id)
    .bind(now)
    .bind(max)
    .fetch_optional(&mut *tx)
    .await?))
}

/// Spends a code whose try was right (nothing else changes with it).
pub async fn spend(store: &Store, id: &str, max: i64, now: i64) -> StoreResult<bool> {
    let rows = in_tx!(store, tx => consume_query!(id, max, now)
        .execute(&mut *tx)
        .await?
        .rows_affected());
    Ok(rows == 1)
}

/// Kills a code whose last try was wrong.
pub async fn kill(store: &Store, id: &str, now: i64) -> StoreResult<()> {
    execute_in_tx!(
        store,
        "UPDATE verification_codes SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL",
        now,
        id
    );
    Ok(())
}

/// Codes of this purpose the user got since `since`: how many, when the last came, and
/// how many tries the last one has used (a dead one has them all).
pub async fn recent(
    store: &Store,
    user_id: &str,
    purpose: &str,
    since: i64,
) -> StoreResult<(i64, Option<i64>, i64)> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, (i64, Option<i64>, Option<i64>)>(
        "SELECT COUNT(*), MAX(created_at), \
           (SELECT attempts FROM verification_codes \
            WHERE user_id = $1 AND purpose = $2 ORDER BY created_at DESC LIMIT 1) \
         FROM verification_codes WHERE user_id = $1 AND purpose = $2 AND created_at > $3",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(since)
    .fetch_one(pool)
    .await
    .map(|(count, last, tries)| (count, last, tries.unwrap_or(0)))?))
}
