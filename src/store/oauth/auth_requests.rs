//! Rows of `auth_requests`: authorization requests pending while their user signs in.

use crate::store::{Store, StoreResult, in_tx, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthRequestRow {
    pub id: String,
    pub pool_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub pending_user_id: Option<String>,
    pub pending_browser: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub client_address: Option<String>,
    pub response_mode: Option<String>,
    /// The provider that answered the request, while its user is in a second-factor step.
    #[sqlx(default)]
    pub identity_provider: Option<String>,
    /// That provider's ID token, sealed to this request.
    #[sqlx(default)]
    pub upstream_id_token: Option<String>,
}

const AUTH_REQUEST_COLUMNS: &str = "id, pool_id, client_id, redirect_uri, scope, state, nonce, code_challenge, \
     max_age, login_hint, pending_user_id, pending_browser, created_at, expires_at, consumed_at, \
     client_address, response_mode";

/// Stores a pending request unless its client address already has `max_per_address` live
/// ones (count and insert are one statement); false when refused.
pub async fn insert_auth_request(
    store: &Store,
    row: &AuthRequestRow,
    max_per_address: i64,
) -> StoreResult<bool> {
    // The count and the insert must see the same rows: one statement, in a write of its own.
    let inserted = in_tx!(store, tx => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO auth_requests ({AUTH_REQUEST_COLUMNS}) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17 \
             WHERE $16 IS NULL OR (SELECT COUNT(*) FROM auth_requests \
               WHERE client_address = $16 AND expires_at > $13 AND consumed_at IS NULL) < $18"
        )))
        .bind(&row.id)
        .bind(&row.pool_id)
        .bind(&row.client_id)
        .bind(&row.redirect_uri)
        .bind(&row.scope)
        .bind(&row.state)
        .bind(&row.nonce)
        .bind(&row.code_challenge)
        .bind(row.max_age)
        .bind(&row.login_hint)
        .bind(&row.pending_user_id)
        .bind(&row.pending_browser)
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(row.consumed_at)
        .bind(&row.client_address)
        .bind(&row.response_mode)
        .bind(max_per_address)
        .execute(&mut *tx)
        .await?
        .rows_affected()
    });
    Ok(inserted == 1)
}

/// A pending request that has neither expired nor been used.
pub async fn live_auth_request(
    store: &Store,
    pool_id: &str,
    id: &str,
    now: i64,
) -> StoreResult<AuthRequestRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, AuthRequestRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {AUTH_REQUEST_COLUMNS}, identity_provider, upstream_id_token FROM auth_requests \
         WHERE id = $1 AND pool_id = $2 AND consumed_at IS NULL AND expires_at > $3"
    )))
    .bind(id)
    .bind(pool_id)
    .bind(now)
    .fetch_one(pool)
    .await?))
}

/// Records that a provider answered the request (its ID token sealed), for the session its
/// user gets after a second-factor step.
pub async fn set_request_upstream(
    store: &Store,
    id: &str,
    provider: &str,
    sealed_token: &str,
) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "UPDATE auth_requests SET identity_provider = $1, upstream_id_token = $2 \
             WHERE id = $3 AND consumed_at IS NULL",
        )
        .bind(provider)
        .bind(sealed_token)
        .bind(id)
        .execute(pool)
        .await?;
        Ok(())
    })
}

/// Records that the user behind this request signed in with a temporary password, in the
/// browser whose CSRF-cookie digest is `browser`: only that browser may choose the password.
pub async fn set_pending_user(
    store: &Store,
    id: &str,
    user_id: &str,
    browser: &str,
) -> StoreResult<bool> {
    let rows = on_pool!(store, pool => sqlx::query(
        "UPDATE auth_requests SET pending_user_id = $1, pending_browser = $2 \
         WHERE id = $3 AND consumed_at IS NULL",
    )
    .bind(user_id)
    .bind(browser)
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(rows == 1)
}

/// Marks the pending request used at `$now`, unless it was used or has expired by then.
macro_rules! consume_request_query {
    ($id:expr, $now:expr) => {
        sqlx::query(
            "UPDATE auth_requests SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL AND expires_at > $1",
        )
        .bind($now)
        .bind($id)
    };
}
pub(crate) use consume_request_query;
