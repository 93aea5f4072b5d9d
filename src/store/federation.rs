//! Rows of `federation_states` and `linked_identities`, and the writes of a federated
//! sign-in that belong together.

use super::{Store, StoreError, StoreResult, in_tx, on_pool};
use crate::store::groups::GroupRow;
use crate::store::users::{UserRow, insert_user_query, save_user_query};

#[derive(Clone, sqlx::FromRow)]
pub struct StateRow {
    pub state_hash: String,
    pub pool_id: String,
    pub provider_name: String,
    pub purpose: String,
    pub browser: String,
    pub auth_request_id: Option<String>,
    pub sealed: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub pool_id: String,
    pub provider_name: String,
    pub provider_subject: String,
    pub user_id: String,
    pub is_primary: bool,
    pub created_at: i64,
}

/// Stores a state unless its authorization request already has `max_live` live ones (each
/// "Continue with" makes one): false, and nothing written, when it has.
pub async fn insert_state(store: &Store, row: &StateRow, max_live: i64) -> StoreResult<bool> {
    on_pool!(store, pool => {
        let written = sqlx::query(
            "INSERT INTO federation_states (state_hash, pool_id, provider_name, purpose, browser, \
             auth_request_id, sealed, created_at, expires_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 \
             WHERE $6 IS NULL OR (SELECT COUNT(*) FROM federation_states \
               WHERE auth_request_id = $6 AND consumed_at IS NULL AND expires_at > $8) < $10",
        )
        .bind(&row.state_hash)
        .bind(&row.pool_id)
        .bind(&row.provider_name)
        .bind(&row.purpose)
        .bind(&row.browser)
        .bind(&row.auth_request_id)
        .bind(&row.sealed)
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(max_live)
        .execute(pool)
        .await?
        .rows_affected();
        Ok(written == 1)
    })
}

/// Takes the live state of this pool, purpose and browser, once. Another browser's attempt
/// leaves it for its owner.
pub async fn consume_state(
    store: &Store,
    state_hash: &str,
    pool_id: &str,
    purpose: &str,
    browser: &str,
    now: i64,
) -> StoreResult<Option<StateRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, StateRow>(
        "UPDATE federation_states SET consumed_at = $1 \
         WHERE state_hash = $2 AND pool_id = $3 AND purpose = $4 AND browser = $5 \
         AND consumed_at IS NULL AND expires_at > $1 \
         RETURNING state_hash, pool_id, provider_name, purpose, browser, auth_request_id, sealed, \
         created_at, expires_at",
    )
    .bind(now)
    .bind(state_hash)
    .bind(pool_id)
    .bind(purpose)
    .bind(browser)
    .fetch_optional(pool)
    .await?))
}

const LINK_COLUMNS: &str =
    "pool_id, provider_name, provider_subject, user_id, is_primary, created_at";

pub async fn link_of(
    store: &Store,
    pool_id: &str,
    provider: &str,
    subject: &str,
) -> StoreResult<Option<LinkRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, LinkRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {LINK_COLUMNS} FROM linked_identities \
         WHERE pool_id = $1 AND provider_name = $2 AND provider_subject = $3"
    )))
    .bind(pool_id)
    .bind(provider)
    .bind(subject)
    .fetch_optional(pool)
    .await?))
}

pub async fn links_of_user(store: &Store, user_id: &str) -> StoreResult<Vec<LinkRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, LinkRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {LINK_COLUMNS} FROM linked_identities WHERE user_id = $1 \
         ORDER BY is_primary DESC, created_at, provider_name"
    )))
    .bind(user_id)
    .fetch_all(pool)
    .await?))
}

macro_rules! insert_link_query {
    ($link:expr) => {
        sqlx::query(
            "INSERT INTO linked_identities (pool_id, provider_name, provider_subject, user_id, \
             is_primary, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&$link.pool_id)
        .bind(&$link.provider_name)
        .bind(&$link.provider_subject)
        .bind(&$link.user_id)
        .bind($link.is_primary)
        .bind($link.created_at)
    };
}

/// A first sign-in: the user, its identity, and its membership of the provider's group
/// (made if missing), in one transaction. A conflict means another sign-in of the same
/// identity, or a user of that name, came first; nothing is written.
pub async fn create_federated_user(
    store: &Store,
    user: &UserRow,
    link: &LinkRow,
    group: &GroupRow,
) -> StoreResult<()> {
    in_tx!(store, tx => {
        insert_user_query!(user).execute(&mut *tx).await?;
        insert_link_query!(link).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO user_groups (pool_id, name, description, precedence, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (pool_id, name) DO NOTHING",
        )
        .bind(&group.pool_id)
        .bind(&group.name)
        .bind(&group.description)
        .bind(group.precedence)
        .bind(group.created_at)
        .bind(group.updated_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO group_members (pool_id, group_name, user_id, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (pool_id, group_name, user_id) DO NOTHING",
        )
        .bind(&group.pool_id)
        .bind(&group.name)
        .bind(&user.id)
        .bind(user.created_at)
        .execute(&mut *tx)
        .await?;
    });
    Ok(())
}

/// Adds (`add`) or removes a link and saves the user (its `identities` attribute) at
/// `version`, together. False when the user moved on meanwhile; a taken identity is a
/// conflict.
pub async fn change_link(
    store: &Store,
    link: &LinkRow,
    add: bool,
    user: &UserRow,
    version: i64,
) -> StoreResult<bool> {
    in_tx!(store, tx => {
        if add {
            insert_link_query!(link).execute(&mut *tx).await?;
        } else {
            let gone = sqlx::query(
                "DELETE FROM linked_identities WHERE pool_id = $1 AND provider_name = $2 \
                 AND provider_subject = $3 AND user_id = $4 AND is_primary = $5",
            )
            .bind(&link.pool_id)
            .bind(&link.provider_name)
            .bind(&link.provider_subject)
            .bind(&link.user_id)
            .bind(false)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if gone != 1 {
                return Err(StoreError::NotFound);
            }
        }
        if save_user_query!(user, version).execute(&mut *tx).await?.rows_affected() != 1 {
            // Dropping the transaction rolls the link back.
            return Ok(false);
        }
    });
    Ok(true)
}
