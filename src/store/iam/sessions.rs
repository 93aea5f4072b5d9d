//! Rows of `iam_sessions`: the temporary credentials of assumed roles.

use sqlx::AssertSqlSafe;

use crate::store::{Store, StoreResult, execute_in_tx, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub access_key_id: String,
    pub role_name: String,
    pub session_name: String,
    pub caller_arn: String,
    pub secret_sealed: String,
    pub token_hash: String,
    pub session_policy: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

crate::redact::debug_fields!(SessionRow {
    access_key_id,
    role_name,
    expires_at
});

const SESSION_COLUMNS: &str = "access_key_id, role_name, session_name, caller_arn, \
     secret_sealed, token_hash, session_policy, created_at, expires_at";

pub async fn insert_session(store: &Store, row: &SessionRow) -> StoreResult<()> {
    execute_in_tx!(
        store,
        AssertSqlSafe(format!(
            "INSERT INTO iam_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )),
        &row.access_key_id,
        &row.role_name,
        &row.session_name,
        &row.caller_arn,
        &row.secret_sealed,
        &row.token_hash,
        &row.session_policy,
        row.created_at,
        row.expires_at
    );
    Ok(())
}

/// A session that has not expired at `now`.
pub async fn live_session(store: &Store, id: &str, now: i64) -> StoreResult<Option<SessionRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, SessionRow>(AssertSqlSafe(format!(
        "SELECT {SESSION_COLUMNS} FROM iam_sessions WHERE access_key_id = $1 AND expires_at > $2"
    )))
    .bind(id)
    .bind(now)
    .fetch_optional(pool)
    .await?))
}

pub async fn sweep_sessions(store: &Store, now: i64) -> StoreResult<u64> {
    on_pool!(store, pool => Ok(sqlx::query("DELETE FROM iam_sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()))
}
