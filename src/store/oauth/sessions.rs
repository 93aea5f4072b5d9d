//! Rows of `sessions`: the browser's sign-in (SSO) sessions.

use crate::store::{Store, StoreResult, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub pool_id: String,
    pub user_id: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The methods the sign-in used (RFC 8176), space-separated.
    pub amr: Option<String>,
    /// The identity provider that signed it in, for a federated sign-in.
    pub identity_provider: Option<String>,
    /// That provider's ID token, sealed: the hint its sign-out endpoint takes.
    pub upstream_id_token: Option<String>,
}

macro_rules! insert_session_query {
    ($row:expr) => {
        sqlx::query(
            "INSERT INTO sessions (token_hash, pool_id, user_id, auth_time, created_at, expires_at, revoked_at, amr, \
             identity_provider, upstream_id_token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&$row.token_hash)
        .bind(&$row.pool_id)
        .bind(&$row.user_id)
        .bind($row.auth_time)
        .bind($row.created_at)
        .bind($row.expires_at)
        .bind($row.revoked_at)
        .bind(&$row.amr)
        .bind(&$row.identity_provider)
        .bind(&$row.upstream_id_token)
    };
}
pub(crate) use insert_session_query;

pub async fn live_session(
    store: &Store,
    pool_id: &str,
    token_hash: &str,
    now: i64,
) -> StoreResult<SessionRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, SessionRow>(
        "SELECT token_hash, pool_id, user_id, auth_time, created_at, expires_at, revoked_at, amr, \
         identity_provider, upstream_id_token FROM sessions \
         WHERE token_hash = $1 AND pool_id = $2 AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(pool_id)
    .bind(now)
    .fetch_one(pool)
    .await?))
}

pub async fn revoke_session(store: &Store, token_hash: &str, now: i64) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(token_hash)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Whether the session with this digest was ended (logout, admin sign-out, new sign-in).
pub async fn session_ended(store: &Store, token_hash: &str) -> StoreResult<bool> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM sessions WHERE token_hash = $1 AND revoked_at IS NOT NULL",
    )
    .bind(token_hash)
    .fetch_one(pool)
    .await? > 0))
}

/// Revokes every live session of a user.
macro_rules! revoke_sessions_of_query {
    ($user_id:expr, $now:expr) => {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind($now)
            .bind($user_id)
    };
}
pub(crate) use revoke_sessions_of_query;
