//! Rows of `resource_servers` and `resource_server_scopes`.

use sqlx::AssertSqlSafe;

use super::{Store, StoreError, StoreResult, in_tx, on_pool};
use crate::store::paging::PageRequest;
use crate::store::pools::pool_limit_reached;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResourceServerRow {
    pub pool_id: String,
    pub identifier: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScopeRow {
    pub identifier: String,
    pub name: String,
    pub description: String,
}

/// A client that still allows a scope a change would remove.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScopeUse {
    pub client_id: String,
    pub client_name: String,
    pub scope_name: String,
}

pub enum Outcome {
    Done,
    LimitReached,
    InUse(ScopeUse),
}

const INSERT_SCOPE: &str = "INSERT INTO resource_server_scopes (pool_id, identifier, name, description, position) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (pool_id, identifier, name) DO UPDATE SET description = excluded.description, position = excluded.position";

/// Inserts or updates the scopes, in their order, inside the transaction `$tx`.
macro_rules! put_scopes {
    ($tx:ident, $row:expr, $scopes:expr) => {
        for (position, scope) in $scopes.iter().enumerate() {
            sqlx::query(INSERT_SCOPE)
                .bind(&$row.pool_id)
                .bind(&$row.identifier)
                .bind(&scope.name)
                .bind(&scope.description)
                .bind(position as i64)
                .execute(&mut *$tx)
                .await?;
        }
    };
}
const SCOPE_USES: &str = "SELECT s.client_id, c.name AS client_name, s.scope_name \
     FROM client_custom_scopes s JOIN app_clients c ON c.client_id = s.client_id \
     WHERE s.pool_id = $1 AND s.identifier = $2 ORDER BY c.name, s.scope_name";

/// Creates the resource server with its scopes unless the pool already has `max` of them.
pub async fn create(
    store: &Store,
    row: &ResourceServerRow,
    scopes: &[ScopeRow],
    max: i64,
) -> StoreResult<Outcome> {
    in_tx!(store, tx => {
        let count_sql = "SELECT COUNT(*) FROM resource_servers WHERE pool_id = $1";
        if pool_limit_reached!(tx, &row.pool_id, count_sql, max) {
            return Ok(Outcome::LimitReached);
        }
        sqlx::query(
            "INSERT INTO resource_servers (pool_id, identifier, name, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&row.pool_id)
        .bind(&row.identifier)
        .bind(&row.name)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(&mut *tx)
        .await?;
        put_scopes!(tx, row, scopes);
    });
    Ok(Outcome::Done)
}

pub async fn get(
    store: &Store,
    pool_id: &str,
    identifier: &str,
) -> StoreResult<(ResourceServerRow, Vec<ScopeRow>)> {
    on_pool!(store, pool => {
        let row = sqlx::query_as::<_, ResourceServerRow>(
            "SELECT pool_id, identifier, name, created_at, updated_at FROM resource_servers \
             WHERE pool_id = $1 AND identifier = $2",
        )
        .bind(pool_id)
        .bind(identifier)
        .fetch_one(pool)
        .await?;
        let scopes = sqlx::query_as::<_, ScopeRow>(
            "SELECT identifier, name, description FROM resource_server_scopes \
             WHERE pool_id = $1 AND identifier = $2 ORDER BY position",
        )
        .bind(pool_id)
        .bind(identifier)
        .fetch_all(pool)
        .await?;
        Ok((row, scopes))
    })
}

/// A page of resource servers (one more than asked, for the next token) with their scopes.
pub async fn list(
    store: &Store,
    pool_id: &str,
    page: &PageRequest,
) -> StoreResult<(Vec<ResourceServerRow>, Vec<ScopeRow>)> {
    let sql = format!(
        "SELECT pool_id, identifier, name, created_at, updated_at FROM resource_servers \
         WHERE pool_id = $1{} ORDER BY identifier LIMIT $2",
        page.after_sql("identifier", 3)
    );
    on_pool!(store, pool => {
        let mut query = sqlx::query_as::<_, ResourceServerRow>(AssertSqlSafe(sql))
            .bind(pool_id)
            .bind(page.fetch());
        if let Some(after) = page.after_key() {
            query = query.bind(after);
        }
        let rows = query.fetch_all(pool).await?;
        let scopes = match (rows.first(), rows.last()) {
            (Some(first), Some(last)) => sqlx::query_as::<_, ScopeRow>(
                "SELECT identifier, name, description FROM resource_server_scopes \
                 WHERE pool_id = $1 AND identifier >= $2 AND identifier <= $3 \
                 ORDER BY identifier, position",
            )
            .bind(pool_id)
            .bind(&first.identifier)
            .bind(&last.identifier)
            .fetch_all(pool)
            .await?,
            _ => Vec::new(),
        };
        Ok((rows, scopes))
    })
}

/// Every custom scope of the pool as (resource server identifier, scope name).
pub async fn all_scopes(store: &Store, pool_id: &str) -> StoreResult<Vec<(String, String)>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT identifier, name FROM resource_server_scopes WHERE pool_id = $1 \
         ORDER BY identifier, position",
    )
    .bind(pool_id)
    .fetch_all(pool)
    .await?))
}

/// Renames the resource server and replaces its scopes, unless a client still allows a
/// scope that would go.
pub async fn replace(
    store: &Store,
    row: &ResourceServerRow,
    scopes: &[ScopeRow],
) -> StoreResult<Outcome> {
    in_tx!(store, tx => {
        let updated = sqlx::query(
            "UPDATE resource_servers SET name = $1, updated_at = $2 WHERE pool_id = $3 AND identifier = $4",
        )
        .bind(&row.name)
        .bind(row.updated_at)
        .bind(&row.pool_id)
        .bind(&row.identifier)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::NotFound);
        }
        let uses = sqlx::query_as::<_, ScopeUse>(SCOPE_USES)
            .bind(&row.pool_id)
            .bind(&row.identifier)
            .fetch_all(&mut *tx)
            .await?;
        if let Some(used) = uses.into_iter().find(|u| !scopes.iter().any(|s| s.name == u.scope_name)) {
            return Ok(Outcome::InUse(used));
        }
        let existing: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM resource_server_scopes WHERE pool_id = $1 AND identifier = $2",
        )
        .bind(&row.pool_id)
        .bind(&row.identifier)
        .fetch_all(&mut *tx)
        .await?;
        for gone in existing.iter().filter(|n| !scopes.iter().any(|s| &s.name == *n)) {
            sqlx::query(
                "DELETE FROM resource_server_scopes WHERE pool_id = $1 AND identifier = $2 AND name = $3",
            )
            .bind(&row.pool_id)
            .bind(&row.identifier)
            .bind(gone)
            .execute(&mut *tx)
            .await?;
        }
        put_scopes!(tx, row, scopes);
    });
    Ok(Outcome::Done)
}

/// Deletes the resource server and its scopes, unless a client still allows one of them.
pub async fn delete(store: &Store, pool_id: &str, identifier: &str) -> StoreResult<Outcome> {
    in_tx!(store, tx => {
        let uses = sqlx::query_as::<_, ScopeUse>(SCOPE_USES)
            .bind(pool_id)
            .bind(identifier)
            .fetch_all(&mut *tx)
            .await?;
        if let Some(used) = uses.into_iter().next() {
            return Ok(Outcome::InUse(used));
        }
        let deleted = sqlx::query("DELETE FROM resource_servers WHERE pool_id = $1 AND identifier = $2")
            .bind(pool_id)
            .bind(identifier)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted != 1 {
            return Err(StoreError::NotFound);
        }
    });
    Ok(Outcome::Done)
}
