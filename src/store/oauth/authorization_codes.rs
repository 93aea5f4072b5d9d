//! Rows of `authorization_codes`: each consumed in one statement, and kept a while after so
//! that a replay is recognised.

use crate::store::{Store, StoreResult, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub code_hash: String,
    pub pool_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub session_hash: Option<String>,
    pub auth_time: i64,
    pub origin_jti: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub amr: Option<String>,
}

pub(super) const CODE_COLUMNS: &str = "code_hash, pool_id, client_id, user_id, redirect_uri, scope, nonce, code_challenge, \
     session_hash, auth_time, origin_jti, created_at, expires_at, consumed_at, amr";

/// Stores a code issued straight from a live session (single sign-on).
pub async fn insert_code(store: &Store, code: &CodeRow) -> StoreResult<()> {
    on_pool!(store, pool => {
        insert_code_query!(code).execute(pool).await?;
    });
    Ok(())
}

macro_rules! insert_code_query {
    ($code:expr) => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO authorization_codes ({CODE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )))
        .bind(&$code.code_hash)
        .bind(&$code.pool_id)
        .bind(&$code.client_id)
        .bind(&$code.user_id)
        .bind(&$code.redirect_uri)
        .bind(&$code.scope)
        .bind(&$code.nonce)
        .bind(&$code.code_challenge)
        .bind(&$code.session_hash)
        .bind($code.auth_time)
        .bind(&$code.origin_jti)
        .bind($code.created_at)
        .bind($code.expires_at)
        .bind($code.consumed_at)
        .bind(&$code.amr)
    };
}
pub(crate) use insert_code_query;

/// Consumes the code in one statement, for the client it was issued to only. `None` when
/// it does not exist, belongs to another client, or was already used.
pub async fn consume_code(
    store: &Store,
    pool_id: &str,
    client_id: &str,
    code_hash: &str,
    now: i64,
) -> StoreResult<Option<CodeRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, CodeRow>(sqlx::AssertSqlSafe(format!(
        "UPDATE authorization_codes SET consumed_at = $1 \
         WHERE code_hash = $2 AND pool_id = $3 AND client_id = $4 AND consumed_at IS NULL \
         RETURNING {CODE_COLUMNS}"
    )))
    .bind(now)
    .bind(code_hash)
    .bind(pool_id)
    .bind(client_id)
    .fetch_optional(pool)
    .await?))
}

/// A code that exists but was consumed already: a replay.
pub async fn consumed_code(
    store: &Store,
    pool_id: &str,
    code_hash: &str,
) -> StoreResult<Option<CodeRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, CodeRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {CODE_COLUMNS} FROM authorization_codes \
         WHERE code_hash = $1 AND pool_id = $2 AND consumed_at IS NOT NULL"
    )))
    .bind(code_hash)
    .bind(pool_id)
    .fetch_optional(pool)
    .await?))
}
