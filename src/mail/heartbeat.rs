//! Each outbox worker's name and heartbeat. A live worker says so every 10 s; one unheard
//! for 30 s counts as dead and the mail it claimed is taken over, so mail held by a killed
//! process waits half a minute instead of its two-minute lease.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::MissedTickBehavior;

use crate::clock::{Clock, Millis};
use crate::crypto::random;
use crate::store::{Store, StoreResult, mail_workers};

/// How often a live worker records that it is alive.
pub const BEAT_EVERY_MS: Millis = 10_000;
/// A worker unheard for longer than this counts as dead: its claims lapse.
pub const SILENT_AFTER_MS: Millis = 30_000;
/// A worker unheard for longer than this stops sending under its name, and takes a new one
/// at its next beat. It is shorter than `SILENT_AFTER_MS` by a margin for clock skew
/// between hosts, so a worker never revives a name that another process may already have
/// counted dead, and never sends a mail that process has taken over.
pub const KEEP_NAME_MS: Millis = 20_000;
const _: () = assert!(BEAT_EVERY_MS < KEEP_NAME_MS && KEEP_NAME_MS < SILENT_AFTER_MS);
/// Rows of workers silent this long are deleted; every lease they held has run out by then.
const FORGET_AFTER_MS: Millis = 3_600_000;
/// How soon a beat that is due gets written. The injected clock decides when one is due,
/// so a test that moves its clock sees the beat follow at once.
const TICK: Duration = Duration::from_millis(250);
/// How soon a failed beat is tried again.
const RETRY_MS: Millis = 1_000;

/// This process's worker name, and when the database last recorded a beat under it.
pub struct Instance {
    state: Mutex<Name>,
}

struct Name {
    id: Arc<str>,
    heard_at: Option<Millis>,
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

impl Instance {
    pub fn new() -> Self {
        Self {
            state: Mutex::new(Name {
                id: new_name(),
                heard_at: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Name> {
        // The state is two plain fields, valid whatever panicked while holding it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn name(&self) -> Arc<str> {
        self.state().id.clone()
    }

    /// The name to claim and send under at `now`; none while this worker has not been
    /// heard from recently enough.
    pub fn live_name(&self, now: Millis) -> Option<Arc<str>> {
        let state = self.state();
        let heard_at = state.heard_at?;
        (now - heard_at <= KEEP_NAME_MS).then(|| state.id.clone())
    }

    /// The name to beat under at `now`, and the old one when it had to be replaced.
    fn name_for_beat(&self, now: Millis) -> (Arc<str>, Option<Arc<str>>) {
        let mut state = self.state();
        match state.heard_at {
            Some(heard_at) if now - heard_at > KEEP_NAME_MS => {
                let old = std::mem::replace(&mut state.id, new_name());
                state.heard_at = None;
                (state.id.clone(), Some(old))
            }
            _ => (state.id.clone(), None),
        }
    }

    fn heard(&self, id: &Arc<str>, now: Millis) {
        let mut state = self.state();
        if Arc::ptr_eq(&state.id, id) {
            state.heard_at = Some(now);
        }
    }
}

fn new_name() -> Arc<str> {
    format!("w-{}", random::token(9)).into()
}

/// Writes one beat at `now` and forgets workers long silent.
async fn beat(store: &Store, instance: &Instance, now: Millis) -> StoreResult<()> {
    let (name, replaced) = instance.name_for_beat(now);
    if let Some(old) = replaced {
        tracing::warn!(
            old_worker = %old,
            worker = %name,
            "the mail worker went unheard too long: its claims are left to lapse, and it carries on under a new name"
        );
    }
    mail_workers::beat(store, &name, now, now - FORGET_AFTER_MS).await?;
    instance.heard(&name, now);
    Ok(())
}

/// Beats until aborted: every `BEAT_EVERY_MS` by the clock, and a second after a failure.
pub fn spawn(
    store: Store,
    clock: Arc<dyn Clock>,
    instance: Arc<Instance>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut next: Option<Millis> = None;
        loop {
            ticker.tick().await;
            let now = clock.now_millis();
            // A clock set back by more than a beat must not keep the worker silent until it
            // catches up.
            if let Some(at) = next
                && now < at
                && at - now <= BEAT_EVERY_MS
            {
                continue;
            }
            next = Some(match beat(&store, &instance, now).await {
                Ok(()) => now + BEAT_EVERY_MS,
                Err(err) => {
                    tracing::warn!(worker = %instance.name(), error = %err, "cannot record the mail worker's heartbeat");
                    now + RETRY_MS
                }
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_sends_only_while_recently_heard() {
        let instance = Instance::new();
        assert_eq!(instance.live_name(0), None, "not before its first beat");
        let (name, replaced) = instance.name_for_beat(0);
        assert!(replaced.is_none());
        instance.heard(&name, 0);
        assert_eq!(instance.live_name(KEEP_NAME_MS), Some(name.clone()));
        assert_eq!(instance.live_name(KEEP_NAME_MS + 1), None);
    }

    #[test]
    fn a_worker_unheard_too_long_takes_a_new_name() {
        let instance = Instance::new();
        let (first, _) = instance.name_for_beat(0);
        instance.heard(&first, 0);
        let (same, replaced) = instance.name_for_beat(KEEP_NAME_MS);
        assert!(Arc::ptr_eq(&same, &first) && replaced.is_none());
        instance.heard(&same, KEEP_NAME_MS);
        let later = 2 * KEEP_NAME_MS + 1;
        let (renamed, replaced) = instance.name_for_beat(later);
        assert_ne!(renamed, first);
        assert_eq!(replaced, Some(first.clone()));
        // A beat recorded for the old name does not make the old name live again.
        instance.heard(&first, later);
        assert_eq!(instance.live_name(later), None);
        instance.heard(&renamed, later);
        assert_eq!(instance.live_name(later), Some(renamed));
    }
}
