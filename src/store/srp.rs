//! Rows of `srp_verifiers`: each user's SRP salt and verifier, bound to a password hash.

use super::{Store, StoreResult, in_tx, on_pool};

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
    in_tx!(store, tx => {
        sqlx::query(
            "INSERT INTO srp_verifiers (user_id, pool_id, password_digest, salt, verifier, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (user_id) DO UPDATE SET password_digest = excluded.password_digest, \
             salt = excluded.salt, verifier = excluded.verifier, created_at = excluded.created_at",
        )
        .bind(&row.user_id)
        .bind(&row.pool_id)
        .bind(&row.password_digest)
        .bind(&row.salt)
        .bind(&row.verifier)
        .bind(row.created_at)
        .execute(&mut *tx)
        .await?;
    });
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
