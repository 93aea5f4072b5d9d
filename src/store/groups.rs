//! Rows of `user_groups` and `group_members`.

use super::{Store, StoreResult, on_pool};
use crate::store::paging::PageRequest;
use crate::store::users::UserRow;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub pool_id: String,
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn insert(store: &Store, row: &GroupRow) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "INSERT INTO user_groups (pool_id, name, description, precedence, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.pool_id)
        .bind(&row.name)
        .bind(&row.description)
        .bind(row.precedence)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(pool)
        .await?;
    });
    Ok(())
}

pub async fn get(store: &Store, pool_id: &str, name: &str) -> StoreResult<GroupRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, GroupRow>(
        "SELECT pool_id, name, description, precedence, created_at, updated_at FROM user_groups \
         WHERE pool_id = $1 AND name = $2",
    )
    .bind(pool_id)
    .bind(name)
    .fetch_one(pool)
    .await?))
}

pub async fn list(store: &Store, pool_id: &str, page: &PageRequest) -> StoreResult<Vec<GroupRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, GroupRow>(
        "SELECT pool_id, name, description, precedence, created_at, updated_at FROM user_groups \
         WHERE pool_id = $1 AND ($2 IS NULL OR name > $2) ORDER BY name LIMIT $3",
    )
    .bind(pool_id)
    .bind(page.after_key())
    .bind(page.fetch())
    .fetch_all(pool)
    .await?))
}

/// The groups a user belongs to, by name.
pub async fn list_for_user(
    store: &Store,
    user_id: &str,
    page: &PageRequest,
) -> StoreResult<Vec<GroupRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, GroupRow>(
        "SELECT g.pool_id, g.name, g.description, g.precedence, g.created_at, g.updated_at \
         FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name \
         WHERE m.user_id = $1 AND ($2 IS NULL OR g.name > $2) ORDER BY g.name LIMIT $3",
    )
    .bind(user_id)
    .bind(page.after_key())
    .bind(page.fetch())
    .fetch_all(pool)
    .await?))
}

pub async fn update(store: &Store, row: &GroupRow) -> StoreResult<bool> {
    let rows = on_pool!(store, pool => sqlx::query(
        "UPDATE user_groups SET description = $1, precedence = $2, updated_at = $3 \
         WHERE pool_id = $4 AND name = $5",
    )
    .bind(&row.description)
    .bind(row.precedence)
    .bind(row.updated_at)
    .bind(&row.pool_id)
    .bind(&row.name)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(rows == 1)
}

pub async fn delete(store: &Store, pool_id: &str, name: &str) -> StoreResult<bool> {
    let rows = on_pool!(store, pool => sqlx::query("DELETE FROM user_groups WHERE pool_id = $1 AND name = $2")
        .bind(pool_id)
        .bind(name)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(rows == 1)
}

/// Adds the member; adding an existing member changes nothing.
pub async fn add_member(store: &Store, pool_id: &str, group: &str, user_id: &str, now: i64) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "INSERT INTO group_members (pool_id, group_name, user_id, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (pool_id, group_name, user_id) DO NOTHING",
        )
        .bind(pool_id)
        .bind(group)
        .bind(user_id)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

pub async fn remove_member(store: &Store, pool_id: &str, group: &str, user_id: &str) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query("DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2 AND user_id = $3")
            .bind(pool_id)
            .bind(group)
            .bind(user_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Members of a group ordered by username key.
pub async fn members(
    store: &Store,
    pool_id: &str,
    group: &str,
    page: &PageRequest,
) -> StoreResult<Vec<UserRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, UserRow>(
        "SELECT u.id, u.pool_id, u.username, u.username_key, u.email_key, u.status, u.enabled, u.attributes, \
         u.email, u.phone_number, u.name, u.given_name, u.family_name, u.preferred_username, u.password_hash, \
         u.temporary_password_expires_at, u.signed_out_at, u.version, u.created_at, u.updated_at \
         FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.pool_id = $1 AND m.group_name = $2 AND ($3 IS NULL OR u.username_key > $3) \
         ORDER BY u.username_key LIMIT $4",
    )
    .bind(pool_id)
    .bind(group)
    .bind(page.after_key())
    .bind(page.fetch())
    .fetch_all(pool)
    .await?))
}
