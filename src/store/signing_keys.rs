//! Rows of `signing_keys`.

use super::{Store, StoreResult, in_tx, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub pool_id: String,
    /// Sealed with the master key; see `crypto::sealed`.
    pub private_key: String,
    /// RSA keys from before algorithms were a choice; empty for newer keys.
    pub public_n: String,
    pub public_e: String,
    /// `RS256`, `ES256` or `EdDSA`.
    pub alg: String,
    /// The published JWK as JSON (every key made since algorithms were a choice).
    pub public_jwk: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub publish_until: Option<i64>,
}

crate::redact::debug_fields!(KeyRow {
    kid,
    pool_id,
    active
});

pub(crate) const INSERT: &str = "INSERT INTO signing_keys (kid, pool_id, private_key, public_n, public_e, active, \
     created_at, retired_at, publish_until, alg, public_jwk) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const COLUMNS: &str = "kid, pool_id, private_key, public_n, public_e, active, created_at, retired_at, \
     publish_until, alg, public_jwk";

/// Binds a key row to `INSERT`, for use inside a caller's transaction.
macro_rules! bind_key {
    ($query:expr, $key:expr) => {
        $query
            .bind(&$key.kid)
            .bind(&$key.pool_id)
            .bind(&$key.private_key)
            .bind(&$key.public_n)
            .bind(&$key.public_e)
            .bind($key.active)
            .bind($key.created_at)
            .bind($key.retired_at)
            .bind($key.publish_until)
            .bind(&$key.alg)
            .bind(&$key.public_jwk)
    };
}
pub(crate) use bind_key;

pub async fn insert(store: &Store, key: &KeyRow) -> StoreResult<()> {
    crate::store::in_tx!(store, tx => {
        bind_key!(sqlx::query(INSERT), key).execute(&mut *tx).await?;
    });
    Ok(())
}

pub async fn active(store: &Store, pool_id: &str) -> StoreResult<KeyRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, KeyRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM signing_keys WHERE pool_id = $1 AND active"
    )))
    .bind(pool_id)
    .fetch_one(pool)
    .await?))
}

pub async fn get(store: &Store, pool_id: &str, kid: &str) -> StoreResult<KeyRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, KeyRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM signing_keys WHERE pool_id = $1 AND kid = $2"
    )))
    .bind(pool_id)
    .bind(kid)
    .fetch_one(pool)
    .await?))
}

/// The active key and every retired key still within its publication window.
pub async fn published(store: &Store, pool_id: &str, now: i64) -> StoreResult<Vec<KeyRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, KeyRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM signing_keys WHERE pool_id = $1 AND (active OR publish_until > $2) \
         ORDER BY created_at DESC"
    )))
    .bind(pool_id)
    .bind(now)
    .fetch_all(pool)
    .await?))
}

/// Retires the active key of `new`'s pool and makes `new` active, inside a transaction.
macro_rules! rotate_in {
    ($tx:expr, $new:expr, $now:expr, $publish_until:expr) => {{
        sqlx::query(
            "UPDATE signing_keys SET active = FALSE, retired_at = $1, publish_until = $2 \
             WHERE pool_id = $3 AND active",
        )
        .bind($now)
        .bind($publish_until)
        .bind(&$new.pool_id)
        .execute(&mut *$tx)
        .await?;
        $crate::store::signing_keys::bind_key!(
            sqlx::query($crate::store::signing_keys::INSERT),
            $new
        )
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use rotate_in;

/// Retires the active key (published until `publish_until`) and makes `new` active, together.
pub async fn rotate(store: &Store, new: &KeyRow, now: i64, publish_until: i64) -> StoreResult<()> {
    in_tx!(store, tx => {
        rotate_in!(tx, new, now, publish_until);
    });
    Ok(())
}

/// Any one stored key, to check the master key at start-up.
pub async fn any(store: &Store) -> StoreResult<Option<KeyRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, KeyRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM signing_keys ORDER BY created_at LIMIT 1"
    )))
    .fetch_optional(pool)
    .await?))
}
