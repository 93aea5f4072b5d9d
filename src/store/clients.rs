//! Rows of `app_clients` and `client_custom_scopes`.

use super::{Store, StoreResult, execute_in_tx, in_tx, on_pool};
use crate::store::paging::{PageRequest, fetch_page};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub client_id: String,
    pub pool_id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    /// The secret itself, sealed under the master key (for `SECRET_HASH`).
    pub secret_sealed: Option<String>,
    pub config: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Inserts the custom scopes (resource server identifier, scope name) the client allows,
/// inside the transaction `$tx`.
macro_rules! insert_scopes {
    ($tx:ident, $row:expr, $scopes:expr) => {
        for (identifier, scope) in $scopes {
            sqlx::query(
                "INSERT INTO client_custom_scopes (client_id, pool_id, identifier, scope_name) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&$row.client_id)
            .bind(&$row.pool_id)
            .bind(identifier)
            .bind(scope)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

/// Inserts the client and the custom scopes it allows, together.
pub async fn insert(
    store: &Store,
    row: &ClientRow,
    scopes: &[(String, String)],
) -> StoreResult<()> {
    in_tx!(store, tx => {
        sqlx::query(
            "INSERT INTO app_clients (client_id, pool_id, name, secret_hash, secret_sealed, config, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&row.client_id)
        .bind(&row.pool_id)
        .bind(&row.name)
        .bind(&row.secret_hash)
        .bind(&row.secret_sealed)
        .bind(&row.config)
        .bind(row.version)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(&mut *tx)
        .await?;
        insert_scopes!(tx, row, scopes);
    });
    Ok(())
}

pub async fn get(store: &Store, pool_id: &str, client_id: &str) -> StoreResult<ClientRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, ClientRow>(
        "SELECT client_id, pool_id, name, secret_hash, secret_sealed, config, version, created_at, updated_at \
         FROM app_clients WHERE pool_id = $1 AND client_id = $2",
    )
    .bind(pool_id)
    .bind(client_id)
    .fetch_one(pool)
    .await?))
}

pub async fn list(store: &Store, pool_id: &str, page: &PageRequest) -> StoreResult<Vec<ClientRow>> {
    let sql = format!(
        "SELECT client_id, pool_id, name, secret_hash, secret_sealed, config, version, created_at, updated_at \
         FROM app_clients WHERE pool_id = $1{} ORDER BY client_id LIMIT $2",
        page.after_sql("client_id", 3)
    );
    fetch_page!(store, ClientRow, sql, page, [pool_id, page.fetch()])
}

/// Writes name and config and replaces the custom scopes, if the row is still at
/// `version`; false when another writer moved it on.
pub async fn update(
    store: &Store,
    row: &ClientRow,
    version: i64,
    scopes: &[(String, String)],
) -> StoreResult<bool> {
    let changed = in_tx!(store, tx => {
        let rows = sqlx::query(
            "UPDATE app_clients SET name = $1, config = $2, version = version + 1, updated_at = $3 \
             WHERE pool_id = $4 AND client_id = $5 AND version = $6",
        )
        .bind(&row.name)
        .bind(&row.config)
        .bind(row.updated_at)
        .bind(&row.pool_id)
        .bind(&row.client_id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if rows == 1 {
            sqlx::query("DELETE FROM client_custom_scopes WHERE client_id = $1")
                .bind(&row.client_id)
                .execute(&mut *tx)
                .await?;
            insert_scopes!(tx, row, scopes);
        }
        rows == 1
    });
    Ok(changed)
}

pub async fn delete(store: &Store, pool_id: &str, client_id: &str) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "DELETE FROM app_clients WHERE pool_id = $1 AND client_id = $2",
        pool_id,
        client_id
    );
    Ok(rows == 1)
}

pub async fn set_secret(
    store: &Store,
    pool_id: &str,
    client_id: &str,
    secret_hash: &str,
    secret_sealed: &str,
    now: i64,
) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "UPDATE app_clients SET secret_hash = $1, secret_sealed = $5, version = version + 1, \
         updated_at = $2 WHERE pool_id = $3 AND client_id = $4 AND secret_hash IS NOT NULL",
        secret_hash,
        now,
        pool_id,
        client_id,
        secret_sealed
    );
    Ok(rows == 1)
}

/// The pool a client belongs to: client ids are unique across pools, and the Cognito API
/// names only the client.
pub async fn pool_of(store: &Store, client_id: &str) -> StoreResult<Option<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, String>(
        "SELECT pool_id FROM app_clients WHERE client_id = $1",
    )
    .bind(client_id)
    .fetch_optional(pool)
    .await?))
}

pub async fn id_by_name(store: &Store, pool_id: &str, name: &str) -> StoreResult<Option<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, String>(
        "SELECT client_id FROM app_clients WHERE pool_id = $1 AND name = $2",
    )
    .bind(pool_id)
    .bind(name)
    .fetch_optional(pool)
    .await?))
}
