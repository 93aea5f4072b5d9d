//! Attempts in flight in this process, per counter: how many, and whether one of them runs
//! without a reservation. `accounts::factors::throttle` keys it by scope and counter; the map
//! itself knows nothing of throttles, so the context can hold it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct InFlight<K>(Mutex<HashMap<K, Entry>>);

impl<K> Default for InFlight<K> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

#[derive(Default)]
struct Entry {
    count: u32,
    unreserved: bool,
}

impl<K: Eq + Hash + Clone> InFlight<K> {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry>> {
        // The map holds counts only; a panic elsewhere while it was locked leaves nothing
        // inconsistent that matters.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Joins the attempts on `key`; true if this one may go without a reservation (nothing
    /// else in flight), which the others then count as one hit.
    pub fn enter(&self, key: &K) -> bool {
        let mut map = self.map();
        let entry = map.entry(key.clone()).or_default();
        entry.count += 1;
        let alone = entry.count == 1;
        if alone {
            entry.unreserved = true;
        }
        alone
    }

    /// The attempt that went without a reservation takes one after all.
    pub fn reserve_instead(&self, key: &K) {
        if let Some(entry) = self.map().get_mut(key) {
            entry.unreserved = false;
        }
    }

    /// One hit for another attempt in flight without a reservation, else none.
    pub fn unreserved_others(&self, key: &K) -> i64 {
        self.map().get(key).map_or(0, |e| i64::from(e.unreserved))
    }

    /// The attempt is over; `was_unreserved` if it went without a reservation.
    pub fn leave(&self, key: &K, was_unreserved: bool) {
        let mut map = self.map();
        if let Some(entry) = map.get_mut(key) {
            entry.count = entry.count.saturating_sub(1);
            if was_unreserved {
                entry.unreserved = false;
            }
            if entry.count == 0 {
                map.remove(key);
            }
        }
    }
}
