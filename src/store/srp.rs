//! Rows of `srp_verifiers`: each user's SRP salt and verifier, bound to a password hash.

use super::{Store, StoreResult, execute_in_tx, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct VerifierRow {
    pub user_id: String,
    pub pool_id: String,
    pub password_digest: String,
    pub salt: String,
    pub verifier: String,
    pub created_at: i64,
}

/// Replaces the user's verifier.
pub async fn put(store: &Store, row: &VerifierRow) -> StoreResult<()> {
    execute_in_tx!(
        store,
        "INSERT INTO srp_verifiers (user_id, pool_id, password_digest, salt, verifier, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (user_id) DO UPDATE SET password_digest = excluded.password_digest, \
             salt = excluded.salt, verifier = excluded.verifier, created_at = excluded.created_at",
        &row.user_id,
        &row.pool_id,
        &row.password_digest,
        &row.salt,
        &row.verifier,
        row.created_at
    );
    Ok(())
}

pub async fn get(store: &Store, user_id: &str) -> StoreResult<Option<VerifierRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, VerifierRow>(
        "SELECT user_id, pool_id, password_digest, salt, verifier, created_at \
         FROM srp_verifiers WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?))
}
