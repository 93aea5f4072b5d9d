//! Rows of `refused_sign_ups`: the password of a sign-up that did not create an account.

use super::{Store, StoreResult, execute_in_tx, on_pool};

/// Keeps (or replaces) the refused sign-up's password hash for `login_key` until `expires_at`.
pub async fn remember(
    store: &Store,
    pool_id: &str,
    login_key: &str,
    password_hash: &str,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    execute_in_tx!(
        store,
        "INSERT INTO refused_sign_ups (pool_id, login_key, password_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (pool_id, login_key) DO UPDATE SET \
               password_hash = $3, created_at = $4, expires_at = $5",
        pool_id,
        login_key,
        password_hash,
        now,
        expires_at
    );
    Ok(())
}

/// The live refused sign-up's password hash for `login_key`.
pub async fn live(
    store: &Store,
    pool_id: &str,
    login_key: &str,
    now: i64,
) -> StoreResult<Option<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, String>(
        "SELECT password_hash FROM refused_sign_ups \
         WHERE pool_id = $1 AND login_key = $2 AND expires_at > $3",
    )
    .bind(pool_id)
    .bind(login_key)
    .bind(now)
    .fetch_optional(pool)
    .await?))
}
