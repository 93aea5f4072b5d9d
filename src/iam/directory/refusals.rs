//! Refused (unauthenticated) admin requests, counted per client address and minute, so a
//! flood of bad credentials cannot turn into a flood of audit rows.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::clock::Millis;

/// Refused requests recorded per client address and minute; past it the address's
/// refusals are counted in one log line instead of a row each.
pub const REFUSALS_RECORDED_PER_MINUTE: u32 = 60;

/// Each address's current minute: when it began, and the refusals in it.
#[derive(Default)]
pub(super) struct Refusals {
    counts: Mutex<HashMap<IpAddr, (Millis, u32)>>,
}

impl Refusals {
    /// Whether a refused request from `address` gets its own audit row.
    pub(super) fn record(&self, address: Option<IpAddr>, now: Millis) -> bool {
        let Some(address) = address.map(crate::ops::client_address::limit_key) else {
            return true;
        };
        let Ok(mut refusals) = self.counts.lock() else {
            return true;
        };
        if refusals.len() >= 10_000 {
            refusals.retain(|_, (start, _)| now - *start < 60_000);
            if refusals.len() >= 10_000 {
                // Addresses beyond counting: start over rather than scan a growing map.
                tracing::warn!(target: "audit", "refused admin requests came from over 10,000 addresses in a minute");
                refusals.clear();
            }
        }
        let entry = refusals.entry(address).or_insert((now, 0));
        // Requests reach this out of order by a few milliseconds: only a minute gone by
        // starts a new window, never an earlier `now`.
        if now - entry.0 >= 60_000 {
            if entry.1 > REFUSALS_RECORDED_PER_MINUTE {
                tracing::warn!(target: "audit", source = %address, refused = entry.1,
                    "refused admin requests from this address in the last minute");
            }
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 == REFUSALS_RECORDED_PER_MINUTE + 1 {
            tracing::warn!(target: "audit", source = %address,
                "more refused admin requests from this address this minute: counted, not recorded one by one");
        }
        entry.1 <= REFUSALS_RECORDED_PER_MINUTE
    }
}
