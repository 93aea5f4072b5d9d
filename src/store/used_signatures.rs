//! Rows of `used_signatures`: the digests of signed admin requests that changed state, each
//! kept until its signature could no longer verify.

use super::{Store, StoreResult};

/// Notes `digest` as used until `expires_at`. True for its first use; false when it was
/// there already (a replay). One statement, so of two parallel copies exactly one inserts,
/// in one process or many.
pub async fn first_use(store: &Store, digest: &str, expires_at: i64) -> StoreResult<bool> {
    const INSERT: &str = "INSERT INTO used_signatures (digest, expires_at) VALUES ($1, $2) \
         ON CONFLICT (digest) DO NOTHING";
    let inserted = match store {
        Store::Sqlite(sqlite) => {
            let _turn = sqlite.write_turn().await;
            sqlx::query(INSERT)
                .bind(digest)
                .bind(expires_at)
                .execute(&sqlite.pool)
                .await?
                .rows_affected()
        }
        Store::Postgres(pool) => sqlx::query(INSERT)
            .bind(digest)
            .bind(expires_at)
            .execute(pool)
            .await?
            .rows_affected(),
    };
    Ok(inserted == 1)
}

/// Deletes at most `limit` rows that expired before `before`; returns how many went.
pub async fn sweep(store: &Store, before: i64, limit: i64) -> StoreResult<u64> {
    const DELETE: &str = "DELETE FROM used_signatures WHERE digest IN ( \
         SELECT digest FROM used_signatures WHERE expires_at < $1 LIMIT $2)";
    Ok(match store {
        Store::Sqlite(sqlite) => {
            let _turn = sqlite.write_turn().await;
            sqlx::query(DELETE)
                .bind(before)
                .bind(limit)
                .execute(&sqlite.pool)
                .await?
                .rows_affected()
        }
        Store::Postgres(pool) => sqlx::query(DELETE)
            .bind(before)
            .bind(limit)
            .execute(pool)
            .await?
            .rows_affected(),
    })
}
