//! Rows of `user_groups` and `group_members`.

use super::{Store, StoreResult, execute_in_tx, on_pool};

use crate::store::paging::{PageRequest, fetch_page};
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
    execute_in_tx!(
        store,
        "INSERT INTO user_groups (pool_id, name, description, precedence, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        &row.pool_id,
        &row.name,
        &row.description,
        row.precedence,
        row.created_at,
        row.updated_at
    );
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
    let sql = format!(
        "SELECT pool_id, name, description, precedence, created_at, updated_at FROM user_groups \
         WHERE pool_id = $1{} ORDER BY name LIMIT $2",
        page.after_sql("name", 3)
    );
    fetch_page!(store, GroupRow, sql, page, [pool_id, page.fetch()])
}

/// The groups a user belongs to, by name.
pub async fn list_for_user(
    store: &Store,
    user_id: &str,
    page: &PageRequest,
) -> StoreResult<Vec<GroupRow>> {
    let sql = format!(
        "SELECT g.pool_id, g.name, g.description, g.precedence, g.created_at, g.updated_at \
         FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name \
         WHERE m.user_id = $1{} ORDER BY g.name LIMIT $2",
        page.after_sql("g.name", 3)
    );
    fetch_page!(store, GroupRow, sql, page, [user_id, page.fetch()])
}

/// Sets the given fields; `None` keeps the stored value.
pub async fn update(
    store: &Store,
    pool_id: &str,
    name: &str,
    description: Option<&str>,
    precedence: Option<i64>,
    now: i64,
) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "UPDATE user_groups SET description = COALESCE($1, description), \
         precedence = COALESCE($2, precedence), updated_at = $3 WHERE pool_id = $4 AND name = $5",
        description,
        precedence,
        now,
        pool_id,
        name
    );
    Ok(rows == 1)
}

pub async fn delete(store: &Store, pool_id: &str, name: &str) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "DELETE FROM user_groups WHERE pool_id = $1 AND name = $2",
        pool_id,
        name
    );
    Ok(rows == 1)
}

/// Adds the member; adding an existing member changes nothing.
pub async fn add_member(
    store: &Store,
    pool_id: &str,
    group: &str,
    user_id: &str,
    now: i64,
) -> StoreResult<()> {
    execute_in_tx!(
        store,
        "INSERT INTO group_members (pool_id, group_name, user_id, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (pool_id, group_name, user_id) DO NOTHING",
        pool_id,
        group,
        user_id,
        now
    );
    Ok(())
}

pub async fn remove_member(
    store: &Store,
    pool_id: &str,
    group: &str,
    user_id: &str,
) -> StoreResult<()> {
    execute_in_tx!(
        store,
        "DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2 AND user_id = $3",
        pool_id,
        group,
        user_id
    );
    Ok(())
}

/// Members of a group ordered by username key.
pub async fn members(
    store: &Store,
    pool_id: &str,
    group: &str,
    page: &PageRequest,
) -> StoreResult<Vec<UserRow>> {
    let sql = format!(
        "SELECT u.id, u.pool_id, u.username, u.username_key, u.email_key, u.status, u.enabled, u.attributes, \
         u.email, u.phone_number, u.name, u.given_name, u.family_name, u.preferred_username, u.password_hash, \
         u.temporary_password_expires_at, u.signed_out_at, u.signup_submitted_by, u.signup_contested, \
         u.version, u.created_at, u.updated_at \
         FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.pool_id = $1 AND m.group_name = $3{} ORDER BY u.username_key LIMIT $2",
        page.after_sql("u.username_key", 4)
    );
    fetch_page!(store, UserRow, sql, page, [pool_id, page.fetch(), group])
}

/// Names of the groups a user is in, by precedence then name (for `cognito:groups`).
pub async fn group_names(store: &Store, user_id: &str) -> StoreResult<Vec<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, String>(
        "SELECT g.name FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name \
         WHERE m.user_id = $1 ORDER BY COALESCE(g.precedence, 2147483647), g.name LIMIT 100",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?))
}
