//! The background checkpoint of SQLite's write-ahead log, off the write path.

use crate::store::{CHECKPOINT_EVERY, Store};

/// Checkpoints SQLite's write-ahead log every `CHECKPOINT_EVERY`, off the write path (see
/// `Store::checkpoint`). Nothing to do on PostgreSQL: the task ends at once.
pub fn spawn_checkpointer(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if !matches!(store, Store::Sqlite(_)) {
            return;
        }
        let mut every = tokio::time::interval(CHECKPOINT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            every.tick().await;
            match store.checkpoint().await {
                Ok(_) => failing = false,
                // Said once per run of failures; the commit's own checkpoint is the backstop.
                Err(err) if !failing => {
                    failing = true;
                    tracing::warn!(error = %err, "checkpointing the SQLite log failed");
                }
                Err(_) => {}
            }
        }
    })
}
