//! The sweep, every minute: expired sign-in requests, codes and sessions, idle throttle
//! counters, used request signatures and audit events past retention are deleted.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::store::Store;

/// Deletes expired sign-in requests, codes, sessions, idle throttle counters and used
/// request signatures every minute: unauthenticated requests create some of them, so they
/// must not pile up.
pub(super) fn spawn_sweeper(
    store: Store,
    clock: Arc<dyn Clock>,
    audit_retention_days: u32,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            let now = clock.now_millis();
            let swept = match crate::store::sweep::sweep_expired(&store, now).await {
                // Every counter's window is an hour at most.
                Ok(n) => crate::store::throttle::sweep(&store, now - 2 * 3_600_000)
                    .await
                    .map(|m| n + m),
                Err(err) => Err(err),
            };
            let swept = match swept {
                Ok(n) => crate::store::iam::sweep_sessions(&store, now)
                    .await
                    .map(|m| n + m),
                Err(err) => Err(err),
            };
            let swept = match swept {
                Ok(n) => crate::iam::replay::sweep(&store, now).await.map(|m| n + m),
                Err(err) => Err(err),
            };
            let retention = i64::from(audit_retention_days) * 86_400_000;
            match crate::store::audit::sweep(&store, now - retention).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "audit events past retention removed"),
                Err(err) => tracing::warn!(error = %err, "sweeping audit events failed"),
            }
            match swept {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "expired sign-in state removed"),
                Err(err) => tracing::warn!(error = %err, "sweeping expired rows failed"),
            }
        }
    })
}
