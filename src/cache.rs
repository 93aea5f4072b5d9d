//! Short-lived, in-process copies of what nearly every OAuth and hosted-page request reads
//! but an admin rarely changes: pools, app clients, published keys, and the discovery and
//! JWKS documents.
//!
//! - The core's writes to what is cached (pool update and delete, client update, delete and
//!   secret rotation, resource servers, key rotation) empty every cache once they succeed,
//!   whichever front door called them, so a change is seen in this process at once. A new
//!   pool or client needs nothing: unknown ids are never cached.
//! - Another node's change is seen within [`TTL_MS`]: the same bound a relying party lives
//!   with when it caches JWKS, and what a deleted client or rotated secret may still be
//!   honoured for on the other nodes.
//! - A value read from the store while a write was completing is never kept past that
//!   write: each fill carries the generation it started in, and `clear` moves it on.
//! - Only what exists is cached: an unknown pool or client id always reaches the store,
//!   so the cache cannot be filled with junk. It is emptied when it grows past
//!   [`MAX_ENTRIES`].
//!
//! Expiry uses the context's clock, so tests that move time see entries expire too.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::clock::Millis;

/// How long a cached value is trusted.
pub const TTL_MS: Millis = 5_000;
/// A map past this size is emptied: far more pools and clients than one deployment serves.
const MAX_ENTRIES: usize = 10_000;

/// The generation a fill started in; see the module documentation.
#[derive(Clone, Copy, Debug)]
pub struct Generation(u64);

pub struct Ttl<K, V> {
    entries: RwLock<HashMap<K, (V, Millis)>>,
}

impl<K: Eq + Hash, V: Clone> Default for Ttl<K, V> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Ttl<K, V> {
    /// The value for `key` if it has not expired at `now`.
    pub fn get<Q>(&self, key: &Q, now: Millis) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.read().ok()?;
        let (value, expires_at) = entries.get(key)?;
        (now < *expires_at).then(|| value.clone())
    }

    fn put(&self, key: K, value: V, expires_at: Millis) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (value, expires_at));
        }
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

/// The process's caches; one per context.
#[derive(Default)]
pub struct Caches {
    generation: AtomicU64,
    pub pools: Ttl<String, crate::pools::Pool>,
    /// Keyed by `"<pool id>/<client id>"`.
    pub clients: Ttl<String, crate::pools::clients::OAuthClient>,
    /// Rendered JSON documents, keyed by `"<pool id>/<name>"`.
    pub documents: Ttl<String, actix_web::web::Bytes>,
    /// Public keys by `"<pool id>/<kid>"`, with when they stop being published.
    pub verifying_keys: Ttl<
        String,
        (
            std::sync::Arc<crate::crypto::jwt::VerifyingKey>,
            Option<Millis>,
        ),
    >,
}

impl Caches {
    /// Call before reading what will be cached.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// Keeps `value` until `now + TTL_MS` (or `expires_at`, if sooner), unless a clear came
    /// since `since` was taken.
    pub fn keep<K: Eq + Hash, V: Clone>(
        &self,
        map: &Ttl<K, V>,
        since: Generation,
        key: K,
        value: V,
        now: Millis,
        expires_at: Option<Millis>,
    ) {
        let until = expires_at.map_or(now + TTL_MS, |t| t.min(now + TTL_MS));
        if self.generation.load(Ordering::Acquire) == since.0 {
            map.put(key, value, until);
        }
    }

    /// Forgets everything: after any admin write.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.pools.clear();
        self.clients.clear();
        self.documents.clear();
        self.verifying_keys.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_clears_win_races() {
        let caches = Caches::default();
        let g = caches.generation();
        caches.keep(
            &caches.documents,
            g,
            "p/jwks".into(),
            "a".into(),
            1_000,
            None,
        );
        assert_eq!(
            caches
                .documents
                .get("p/jwks", 1_000 + TTL_MS - 1)
                .as_deref(),
            Some(&b"a"[..])
        );
        assert!(caches.documents.get("p/jwks", 1_000 + TTL_MS).is_none());
        // An explicit expiry sooner than the TTL wins.
        caches.keep(
            &caches.documents,
            g,
            "p/x".into(),
            "b".into(),
            1_000,
            Some(1_500),
        );
        assert!(caches.documents.get("p/x", 1_500).is_none());
        // A value read before a clear is not kept after it.
        let before = caches.generation();
        caches.clear();
        caches.keep(
            &caches.documents,
            before,
            "p/jwks".into(),
            "old".into(),
            1_000,
            None,
        );
        assert!(caches.documents.get("p/jwks", 1_000).is_none());
    }
}
