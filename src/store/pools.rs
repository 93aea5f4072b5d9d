//! Rows of `pools`.

use super::signing_keys::{self, KeyRow, bind_key};
use super::{Store, StoreResult, execute_in_tx, in_tx, on_pool};
use crate::store::paging::{PageRequest, fetch_page};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PoolRow {
    pub id: String,
    pub name: String,
    pub config: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Inserts the pool together with its first signing key.
pub async fn insert(store: &Store, row: &PoolRow, key: &KeyRow) -> StoreResult<()> {
    in_tx!(store, tx => {
        sqlx::query(
            "INSERT INTO pools (id, name, config, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.config)
        .bind(row.version)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(&mut *tx)
        .await?;
        bind_key!(sqlx::query(signing_keys::INSERT), key).execute(&mut *tx).await?;
    });
    Ok(())
}

pub async fn get(store: &Store, id: &str) -> StoreResult<PoolRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, PoolRow>(
        "SELECT id, name, config, version, created_at, updated_at FROM pools WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await?))
}

pub async fn list(store: &Store, page: &PageRequest) -> StoreResult<Vec<PoolRow>> {
    let sql = format!(
        "SELECT id, name, config, version, created_at, updated_at FROM pools \
         WHERE 1 = 1{} ORDER BY id LIMIT $1",
        page.after_sql("id", 2)
    );
    fetch_page!(store, PoolRow, sql, page, [page.fetch()])
}

/// Writes a new name and config if the row is still at `version`; false when it moved on.
pub async fn update(
    store: &Store,
    id: &str,
    version: i64,
    name: &str,
    config: &str,
    now: i64,
) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "UPDATE pools SET name = $1, config = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5",
        name,
        config,
        now,
        id,
        version
    );
    Ok(rows == 1)
}

/// Updates the pool as `update` does and, in the same transaction, makes `key` its active
/// signing key (the old one is published until `publish_until`): a pool never says one
/// algorithm while signing with another.
#[allow(clippy::too_many_arguments)]
pub async fn update_with_new_key(
    store: &Store,
    id: &str,
    version: i64,
    name: &str,
    config: &str,
    now: i64,
    key: &KeyRow,
    publish_until: i64,
) -> StoreResult<bool> {
    in_tx!(store, tx => {
        let rows = sqlx::query(
            "UPDATE pools SET name = $1, config = $2, version = version + 1, updated_at = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(name)
        .bind(config)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if rows != 1 {
            return Ok(false);
        }
        signing_keys::rotate_in!(tx, key, now, publish_until);
    });
    Ok(true)
}

/// Deletes the pool, and through foreign keys everything in it, if it is still at
/// `version` (the version whose config was checked for deletion protection).
pub async fn delete_at_version(store: &Store, id: &str, version: i64) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "DELETE FROM pools WHERE id = $1 AND version = $2",
        id,
        version
    );
    Ok(rows == 1)
}

/// Takes the pool's row lock for the rest of a transaction, so per-pool limits (such as
/// the number of resource servers) are checked without a race; changes no row if the pool
/// is gone.
pub const LOCK_SQL: &str = "UPDATE pools SET version = version WHERE id = $1";

/// Inside `$tx`: takes the pool's row lock (`LOCK_SQL`; `NotFound` when the pool is gone),
/// then says whether the pool already has `$max` of what `$count_sql` counts.
macro_rules! pool_limit_reached {
    ($tx:ident, $pool_id:expr, $count_sql:expr, $max:expr) => {{
        let locked = sqlx::query($crate::store::pools::LOCK_SQL)
            .bind($pool_id)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if locked != 1 {
            return Err($crate::store::StoreError::NotFound);
        }
        let count: i64 = sqlx::query_scalar($count_sql)
            .bind($pool_id)
            .fetch_one(&mut *$tx)
            .await?;
        count >= $max
    }};
}

pub(crate) use pool_limit_reached;

pub async fn id_by_name(store: &Store, name: &str) -> StoreResult<Option<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, String>("SELECT id FROM pools WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?))
}
