//! Rows of `sign_in_failures`.

use super::{Store, StoreResult, on_pool};

/// The rows of up to two subjects, in one query: `(subject, locked_until)`.
pub async fn rows(
    store: &Store,
    pool_id: &str,
    first: &str,
    second: &str,
) -> StoreResult<Vec<(String, Option<i64>)>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, (String, Option<i64>)>(
        "SELECT subject, locked_until FROM sign_in_failures \
         WHERE pool_id = $1 AND subject IN ($2, $3)",
    )
    .bind(pool_id)
    .bind(first)
    .bind(second)
    .fetch_all(pool)
    .await?))
}

/// Counts one more failure in one statement; a count older than `stale_before` starts
/// again at one. Returns the new count.
pub async fn record_failure(
    store: &Store,
    pool_id: &str,
    subject: &str,
    now: i64,
    stale_before: i64,
) -> StoreResult<i64> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, i64>(
        "INSERT INTO sign_in_failures (pool_id, subject, failures, locked_until, updated_at) \
         VALUES ($1, $2, 1, NULL, $3) \
         ON CONFLICT (pool_id, subject) DO UPDATE SET \
           failures = CASE WHEN sign_in_failures.updated_at < $4 THEN 1 ELSE sign_in_failures.failures + 1 END, \
           updated_at = $3 \
         RETURNING failures",
    )
    .bind(pool_id)
    .bind(subject)
    .bind(now)
    .bind(stale_before)
    .fetch_one(pool)
    .await?))
}

pub async fn lock(store: &Store, pool_id: &str, subject: &str, until: i64) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query("UPDATE sign_in_failures SET locked_until = $1 WHERE pool_id = $2 AND subject = $3")
            .bind(until)
            .bind(pool_id)
            .bind(subject)
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn clear(store: &Store, pool_id: &str, subject: &str) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query("DELETE FROM sign_in_failures WHERE pool_id = $1 AND subject = $2")
            .bind(pool_id)
            .bind(subject)
            .execute(pool)
            .await?;
    });
    Ok(())
}
