//! Rows of `sign_in_steps`: the pending step of a sign-in. A step token is consumed in one
//! statement, so it is used once however many requests carry it.

use super::{Store, StoreResult, in_tx, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct StepRow {
    pub token_hash: String,
    pub pool_id: String,
    pub client_id: String,
    pub user_id: String,
    pub step: String,
    pub browser: Option<String>,
    pub auth_request_id: Option<String>,
    pub amr: String,
    pub auth_time: i64,
    pub setup_secret: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
}

crate::redact::debug_fields!(StepRow {
    pool_id,
    user_id,
    step
});

const COLUMNS: &str = "token_hash, pool_id, client_id, user_id, step, browser, auth_request_id, amr, \
     auth_time, setup_secret, created_at, expires_at, consumed_at";

/// The `INSERT` of one step row, for either engine's transaction.
macro_rules! insert_step {
    ($row:expr) => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO sign_in_steps ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(&$row.token_hash)
        .bind(&$row.pool_id)
        .bind(&$row.client_id)
        .bind(&$row.user_id)
        .bind(&$row.step)
        .bind(&$row.browser)
        .bind(&$row.auth_request_id)
        .bind(&$row.amr)
        .bind($row.auth_time)
        .bind(&$row.setup_secret)
        .bind($row.created_at)
        .bind($row.expires_at)
        .bind($row.consumed_at)
    };
}

pub async fn insert(store: &Store, row: &StepRow) -> StoreResult<()> {
    in_tx!(store, tx => {
        insert_step!(row).execute(&mut *tx).await?;
    });
    Ok(())
}

/// Puts `row` under the token of a step that was just spent (an API client's retry keeps
/// its `Session`). Nothing happens unless that step was spent: a live one is not replaced.
pub async fn replace_spent(store: &Store, row: &StepRow) -> StoreResult<()> {
    replace(store, row, true).await
}

/// Puts `row` under its token, in place of any step there (`only_spent`: only of a spent
/// one; otherwise nothing is written).
pub async fn replace(store: &Store, row: &StepRow, only_spent: bool) -> StoreResult<()> {
    in_tx!(store, tx => {
        let gone = sqlx::query(
            "DELETE FROM sign_in_steps WHERE token_hash = $1 AND (consumed_at IS NOT NULL OR $2)",
        )
        .bind(&row.token_hash)
        .bind(!only_spent)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if gone == 1 || !only_spent {
            insert_step!(row).execute(&mut *tx).await?;
        }
    });
    Ok(())
}

/// A live step, for showing its page (nothing is consumed).
pub async fn live(
    store: &Store,
    pool_id: &str,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<StepRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, StepRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sign_in_steps \
         WHERE token_hash = $1 AND pool_id = $2 AND consumed_at IS NULL AND expires_at > $3"
    )))
    .bind(token_hash)
    .bind(pool_id)
    .bind(now)
    .fetch_optional(pool)
    .await?))
}

/// A live step in any pool.
pub async fn live_anywhere(
    store: &Store,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<StepRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, StepRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sign_in_steps \
         WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2"
    )))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?))
}

/// Consumes a live step and returns it; `None` if it is unknown, used, or expired.
pub async fn consume(
    store: &Store,
    pool_id: &str,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<StepRow>> {
    in_tx!(store, tx => Ok(sqlx::query_as::<_, StepRow>(sqlx::AssertSqlSafe(format!(
        "UPDATE sign_in_steps SET consumed_at = $3 \
         WHERE token_hash = $1 AND pool_id = $2 AND consumed_at IS NULL AND expires_at > $3 \
         RETURNING {COLUMNS}"
    )))
    .bind(token_hash)
    .bind(pool_id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?))
}

pub async fn sweep(store: &Store, now: i64) -> StoreResult<u64> {
    Ok(
        on_pool!(store, pool => sqlx::query("DELETE FROM sign_in_steps WHERE expires_at < $1")
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()),
    )
}
