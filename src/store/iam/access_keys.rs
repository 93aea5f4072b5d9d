//! Rows of `iam_access_keys`: an IAM user's keys and when each was last used.

use sqlx::AssertSqlSafe;

use crate::store::iam::principals::lock_user_query;
use crate::store::{Store, StoreError, StoreResult, execute_in_tx, in_tx, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct AccessKeyRow {
    pub id: String,
    pub user_name: String,
    pub secret_sealed: String,
    pub status: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_address: Option<String>,
}

crate::redact::debug_fields!(AccessKeyRow {
    id,
    user_name,
    status
});

pub(super) const KEY_COLUMNS: &str = "id, user_name, secret_sealed, status, created_at, expires_at, \
     last_used_at, last_used_address";

/// Inserts an access key unless its user already has `max` keys; false when it has. The
/// user's row is locked first (a no-op update), so two requests at once cannot both pass
/// the count on either engine. `NotFound` when the user does not exist.
pub async fn insert_key_within(store: &Store, row: &AccessKeyRow, max: i64) -> StoreResult<bool> {
    in_tx!(store, tx => {
        let locked = lock_user_query!(&row.user_name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if locked != 1 {
            return Err(StoreError::NotFound);
        }
        let held: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM iam_access_keys WHERE user_name = $1")
                .bind(&row.user_name)
                .fetch_one(&mut *tx)
                .await?;
        if held >= max {
            return Ok(false);
        }
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO iam_access_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)"
        )))
        .bind(&row.id)
        .bind(&row.user_name)
        .bind(&row.secret_sealed)
        .bind(&row.status)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(&mut *tx)
        .await?;
    });
    Ok(true)
}

pub async fn keys_of(store: &Store, user: &str) -> StoreResult<Vec<AccessKeyRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, AccessKeyRow>(AssertSqlSafe(format!(
        "SELECT {KEY_COLUMNS} FROM iam_access_keys WHERE user_name = $1 ORDER BY created_at, id"
    )))
    .bind(user)
    .fetch_all(pool)
    .await?))
}

pub async fn set_key_status(
    store: &Store,
    user: &str,
    id: &str,
    status: &str,
) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "UPDATE iam_access_keys SET status = $3 WHERE user_name = $1 AND id = $2",
        user,
        id,
        status
    );
    Ok(rows == 1)
}

pub async fn delete_key(store: &Store, user: &str, id: &str) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "DELETE FROM iam_access_keys WHERE user_name = $1 AND id = $2",
        user,
        id
    );
    Ok(rows == 1)
}

/// Records a key's use: when and from where.
pub async fn touch_key(
    store: &Store,
    id: &str,
    now: i64,
    address: Option<&str>,
) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "UPDATE iam_access_keys SET last_used_at = $2, last_used_address = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .bind(address)
        .execute(pool)
        .await?;
    });
    Ok(())
}
