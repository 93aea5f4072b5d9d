//! Rows of `mail_workers`: one per outbox worker, with the last time it was heard from.
//! The outbox claim treats a claim as lapsed once its owner's heartbeat is old, so a killed
//! process's mail is taken over without waiting for its leases to run out.

use super::{Store, StoreResult, in_tx};

/// Records that `worker` is alive at `now`, and forgets workers silent since before
/// `forget_before`, in one write.
pub async fn beat(store: &Store, worker: &str, now: i64, forget_before: i64) -> StoreResult<()> {
    in_tx!(store, tx => {
        sqlx::query(
            "INSERT INTO mail_workers (id, started_at, heartbeat_at) VALUES ($1, $2, $2) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        )
        .bind(worker)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM mail_workers WHERE heartbeat_at < $1")
            .bind(forget_before)
            .execute(&mut *tx)
            .await?;
    });
    Ok(())
}
