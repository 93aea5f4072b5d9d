//! Rows of `admin_keys`: only digests of keys are kept.

use super::{Store, StoreResult, on_pool};

const ROOT: &str = "root";

/// Makes `digest` the root key, replacing an earlier root key.
pub async fn set_root(store: &Store, digest: &str, now: i64) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "INSERT INTO admin_keys (id, key_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET key_hash = excluded.key_hash, created_at = excluded.created_at",
        )
        .bind(ROOT)
        .bind(digest)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Stores `digest` as the root key unless one exists; true when this call stored it. Two
/// processes starting at once cannot both win: the primary key decides.
pub async fn create_root_if_absent(store: &Store, digest: &str, now: i64) -> StoreResult<bool> {
    let rows = on_pool!(store, pool => sqlx::query(
        "INSERT INTO admin_keys (id, key_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(ROOT)
    .bind(digest)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(rows == 1)
}

pub async fn digests(store: &Store) -> StoreResult<Vec<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, String>("SELECT key_hash FROM admin_keys")
        .fetch_all(pool)
        .await?))
}

/// Disables (`Some(now)`) or enables (`None`) the root key; false when there is none.
pub async fn set_root_disabled(store: &Store, disabled_at: Option<i64>) -> StoreResult<bool> {
    let rows = on_pool!(store, pool => sqlx::query("UPDATE admin_keys SET disabled_at = $2 WHERE id = $1")
        .bind(ROOT)
        .bind(disabled_at)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(rows == 1)
}
