//! Rows of `identity_providers` and `identity_provider_identifiers`.

use sqlx::AssertSqlSafe;

use super::{Store, StoreError, StoreResult, execute_in_tx, in_tx, on_pool};
use crate::store::paging::{PageRequest, fetch_page};
use crate::store::pools::pool_limit_reached;

#[derive(Clone, sqlx::FromRow)]
pub struct ProviderRow {
    pub pool_id: String,
    pub name: String,
    pub provider_type: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: String,
    pub authorize_scopes: String,
    pub attributes_request_method: String,
    /// JSON object: pool attribute → provider claim.
    pub attribute_mapping: String,
    pub sign_out_upstream: bool,
    /// The discovery document and key set last fetched (JSON).
    pub metadata: String,
    pub jwks: String,
    pub metadata_refresh_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

crate::redact::debug_fields!(ProviderRow {
    pool_id,
    name,
    issuer
});

/// (provider name, identifier), in the provider's order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentifierRow {
    pub provider_name: String,
    pub identifier: String,
}

pub enum Outcome {
    Done,
    LimitReached,
    /// The issuer would change under identities linked to the old one.
    Linked(i64),
}

const COLUMNS: &str = "pool_id, name, provider_type, issuer, client_id, client_secret_sealed, \
     authorize_scopes, attributes_request_method, attribute_mapping, sign_out_upstream, metadata, \
     jwks, metadata_refresh_at, created_at, updated_at";

/// Binds the provider's settings, `issuer` to `metadata_refresh_at` in `COLUMNS` order, as
/// both the insert and the update write them.
macro_rules! bind_settings {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.issuer)
            .bind(&$row.client_id)
            .bind(&$row.client_secret_sealed)
            .bind(&$row.authorize_scopes)
            .bind(&$row.attributes_request_method)
            .bind(&$row.attribute_mapping)
            .bind($row.sign_out_upstream)
            .bind(&$row.metadata)
            .bind(&$row.jwks)
            .bind($row.metadata_refresh_at)
    };
}

/// Inserts the provider's identifiers in order, inside the transaction `$tx`.
macro_rules! insert_identifiers {
    ($tx:ident, $row:expr, $identifiers:expr) => {
        for (position, identifier) in $identifiers.iter().enumerate() {
            sqlx::query(
                "INSERT INTO identity_provider_identifiers \
                 (pool_id, identifier, provider_name, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(&$row.pool_id)
            .bind(identifier)
            .bind(&$row.name)
            .bind(position as i64)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

/// Creates the provider with its identifiers unless the pool already has `max` of them. An
/// identifier another provider of the pool has is a conflict.
pub async fn create(
    store: &Store,
    row: &ProviderRow,
    identifiers: &[String],
    max: i64,
) -> StoreResult<Outcome> {
    in_tx!(store, tx => {
        let count_sql = "SELECT COUNT(*) FROM identity_providers WHERE pool_id = $1";
        if pool_limit_reached!(tx, &row.pool_id, count_sql, max) {
            return Ok(Outcome::LimitReached);
        }
        let insert = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO identity_providers ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )))
        .bind(&row.pool_id)
        .bind(&row.name)
        .bind(&row.provider_type);
        bind_settings!(insert, row)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(&mut *tx)
            .await?;
        insert_identifiers!(tx, row, identifiers);
    });
    Ok(Outcome::Done)
}

pub async fn get(store: &Store, pool_id: &str, name: &str) -> StoreResult<ProviderRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, ProviderRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM identity_providers WHERE pool_id = $1 AND name = $2"
    )))
    .bind(pool_id)
    .bind(name)
    .fetch_one(pool)
    .await?))
}

/// The identifiers of the pool's providers (all of them, or those of `name`), in order.
pub async fn identifiers(
    store: &Store,
    pool_id: &str,
    name: Option<&str>,
) -> StoreResult<Vec<IdentifierRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, IdentifierRow>(
        "SELECT provider_name, identifier FROM identity_provider_identifiers \
         WHERE pool_id = $1 AND ($2 IS NULL OR provider_name = $2) ORDER BY provider_name, position",
    )
    .bind(pool_id)
    .bind(name)
    .fetch_all(pool)
    .await?))
}

/// The provider an identifier routes to.
pub async fn by_identifier(
    store: &Store,
    pool_id: &str,
    identifier: &str,
) -> StoreResult<Option<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, String>(
        "SELECT provider_name FROM identity_provider_identifiers WHERE pool_id = $1 AND identifier = $2",
    )
    .bind(pool_id)
    .bind(identifier)
    .fetch_optional(pool)
    .await?))
}

/// The names of the pool's providers, in order.
pub async fn names(store: &Store, pool_id: &str) -> StoreResult<Vec<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, String>(
        "SELECT name FROM identity_providers WHERE pool_id = $1 ORDER BY name",
    )
    .bind(pool_id)
    .fetch_all(pool)
    .await?))
}

/// A page of providers (one more than asked, for the next token).
pub async fn list(
    store: &Store,
    pool_id: &str,
    page: &PageRequest,
) -> StoreResult<Vec<ProviderRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM identity_providers WHERE pool_id = $1{} ORDER BY name LIMIT $2",
        page.after_sql("name", 3)
    );
    fetch_page!(store, ProviderRow, sql, page, [pool_id, page.fetch()])
}

/// Writes the provider's settings and (when given) its identifiers. Refused while
/// identities are linked if the issuer changes (they were vouched for by the old one) or
/// `identity_changed` (the claim that names them).
pub async fn update(
    store: &Store,
    row: &ProviderRow,
    identifiers: Option<&[String]>,
    identity_changed: bool,
) -> StoreResult<Outcome> {
    in_tx!(store, tx => {
        let issuer: Option<String> = sqlx::query_scalar(
            "SELECT issuer FROM identity_providers WHERE pool_id = $1 AND name = $2",
        )
        .bind(&row.pool_id)
        .bind(&row.name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(issuer) = issuer else {
            return Err(StoreError::NotFound);
        };
        if issuer != row.issuer || identity_changed {
            let linked: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM linked_identities WHERE pool_id = $1 AND provider_name = $2",
            )
            .bind(&row.pool_id)
            .bind(&row.name)
            .fetch_one(&mut *tx)
            .await?;
            if linked > 0 {
                return Ok(Outcome::Linked(linked));
            }
        }
        let update = sqlx::query(
            "UPDATE identity_providers SET issuer = $1, client_id = $2, client_secret_sealed = $3, \
             authorize_scopes = $4, attributes_request_method = $5, attribute_mapping = $6, \
             sign_out_upstream = $7, metadata = $8, jwks = $9, metadata_refresh_at = $10, updated_at = $11 \
             WHERE pool_id = $12 AND name = $13",
        );
        bind_settings!(update, row)
            .bind(row.updated_at)
            .bind(&row.pool_id)
            .bind(&row.name)
            .execute(&mut *tx)
            .await?;
        if let Some(identifiers) = identifiers {
            sqlx::query("DELETE FROM identity_provider_identifiers WHERE pool_id = $1 AND provider_name = $2")
                .bind(&row.pool_id)
                .bind(&row.name)
                .execute(&mut *tx)
                .await?;
            insert_identifiers!(tx, row, identifiers);
        }
    });
    Ok(Outcome::Done)
}

pub async fn delete(store: &Store, pool_id: &str, name: &str) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "DELETE FROM identity_providers WHERE pool_id = $1 AND name = $2",
        pool_id,
        name
    );
    Ok(rows == 1)
}

/// Providers whose metadata is due for a refresh.
pub async fn due(store: &Store, now: i64, limit: i64) -> StoreResult<Vec<ProviderRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, ProviderRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM identity_providers WHERE metadata_refresh_at <= $1 \
         ORDER BY metadata_refresh_at LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?))
}

/// Stores freshly fetched metadata (or, with `None`, only when to try again), unless the
/// provider's issuer changed since it was read.
pub async fn refreshed(
    store: &Store,
    row: &ProviderRow,
    fetched: Option<(&str, &str)>,
    refresh_at: i64,
) -> StoreResult<()> {
    let (metadata, jwks) = fetched.unzip();
    on_pool!(store, pool => {
        sqlx::query(
            "UPDATE identity_providers SET metadata = COALESCE($1, metadata), \
             jwks = COALESCE($2, jwks), metadata_refresh_at = $3 \
             WHERE pool_id = $4 AND name = $5 AND issuer = $6",
        )
        .bind(metadata)
        .bind(jwks)
        .bind(refresh_at)
        .bind(&row.pool_id)
        .bind(&row.name)
        .bind(&row.issuer)
        .execute(pool)
        .await?;
        Ok(())
    })
}
