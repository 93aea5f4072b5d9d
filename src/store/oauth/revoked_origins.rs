//! Rows of `revoked_origins`: grant families revoked, whose access tokens are refused.

use crate::store::{Store, StoreResult, on_pool};

pub async fn is_revoked(store: &Store, origin_jti: &str) -> StoreResult<bool> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM revoked_origins WHERE origin_jti = $1",
    )
    .bind(origin_jti)
    .fetch_one(pool)
    .await? > 0))
}

/// Records the grant family `origin_jti` as revoked (again is no change).
macro_rules! revoke_origin_query {
    ($origin_jti:expr, $pool_id:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO revoked_origins (origin_jti, pool_id, revoked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (origin_jti) DO NOTHING",
        )
        .bind($origin_jti)
        .bind($pool_id)
        .bind($now)
    };
}
pub(crate) use revoke_origin_query;

/// Records every grant family of a user's refresh tokens as revoked.
macro_rules! revoke_origins_of_query {
    ($pool_id:expr, $user_id:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO revoked_origins (origin_jti, pool_id, revoked_at) \
             SELECT DISTINCT origin_jti, $1, $2 FROM refresh_tokens WHERE user_id = $3 \
             ON CONFLICT (origin_jti) DO NOTHING",
        )
        .bind($pool_id)
        .bind($now)
        .bind($user_id)
    };
}
pub(crate) use revoke_origins_of_query;
