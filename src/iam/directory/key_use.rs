//! When each access key was last used (`last_used_at`), written at most once a minute per
//! key by this process.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::Millis;
use crate::store::{Store, iam as store};

/// A key's use is written at most this often per process: a busy key costs no write per
/// request, and `last_used_at` stays within a minute of the truth.
const TOUCH_EVERY_MS: Millis = 60_000;

/// When this process last wrote each key's use.
#[derive(Default)]
pub(super) struct KeyUse {
    touched: Mutex<HashMap<String, Millis>>,
}

impl KeyUse {
    /// Records that `key` was used, unless this process did within the last minute.
    pub(super) async fn note(&self, store: &Store, key: &str, now: Millis, address: Option<&str>) {
        let due = match self.touched.lock() {
            Ok(mut touched) => {
                let due = touched
                    .get(key)
                    .is_none_or(|last| now - *last >= TOUCH_EVERY_MS);
                if due {
                    if touched.len() >= 10_000 {
                        touched.clear();
                    }
                    touched.insert(key.to_string(), now);
                }
                due
            }
            Err(_) => false,
        };
        if due && let Err(err) = store::touch_key(store, key, now, address).await {
            tracing::warn!(error = %err, "recording an access key's use failed");
        }
    }
}
