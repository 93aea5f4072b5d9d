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
//! Each area declares what it keeps as a [`Kept`] type beside the values it caches; the
//! registry here holds one map per kind and knows none of them.
//!
//! Expiry uses the context's clock, so tests that move time see entries expire too.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::clock::Millis;

/// How long a cached value is trusted.
pub const TTL_MS: Millis = 5_000;
/// A map past this size is emptied: far more pools and clients than one deployment serves.
const MAX_ENTRIES: usize = 10_000;

/// What an area keeps: a marker type naming the key and the value. The area that owns the
/// values declares it (`pools::Pools`, `keyring::VerifyingKeys`, ...), so this file
/// names no area's types.
pub trait Kept: 'static {
    type Key: Eq + Hash + Send + Sync + 'static;
    type Value: Clone + Send + Sync + 'static;
}

/// The generation a fill started in; see the module documentation.
#[derive(Clone, Copy, Debug)]
pub struct Generation(u64);

struct Ttl<K, V> {
    entries: RwLock<HashMap<K, (V, Millis)>>,
}

impl<K: Eq + Hash, V: Clone> Ttl<K, V> {
    fn new() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }

    fn get<Q>(&self, key: &Q, now: Millis) -> Option<V>
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
}

/// One area's map, as the registry holds it: something to clear and to look into.
trait Slot: Send + Sync {
    fn clear(&self);
    fn as_any(&self) -> &dyn Any;
}

impl<K, V> Slot for Ttl<K, V>
where
    K: Eq + Hash + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The process's caches, one map per [`Kept`] type; one per context.
#[derive(Default)]
pub struct Caches {
    generation: AtomicU64,
    maps: RwLock<HashMap<TypeId, Box<dyn Slot>>>,
}

impl Caches {
    /// `f` on the map of `T`, if it has been made.
    fn with<T: Kept, R>(&self, f: impl FnOnce(&Ttl<T::Key, T::Value>) -> R) -> Option<R> {
        let maps = self.maps.read().ok()?;
        let map = maps.get(&TypeId::of::<T>())?.as_any().downcast_ref()?;
        Some(f(map))
    }

    /// The value of `T` for `key` if it has not expired at `now`.
    pub fn get<T: Kept, Q>(&self, key: &Q, now: Millis) -> Option<T::Value>
    where
        T::Key: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.with::<T, _>(|map| map.get(key, now)).flatten()
    }

    /// Call before reading what will be cached.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// Keeps `value` until `now + TTL_MS` (or `expires_at`, if sooner), unless a clear came
    /// since `since` was taken.
    pub fn keep<T: Kept>(
        &self,
        since: Generation,
        key: T::Key,
        value: T::Value,
        now: Millis,
        expires_at: Option<Millis>,
    ) {
        let until = expires_at.map_or(now + TTL_MS, |t| t.min(now + TTL_MS));
        if self.generation.load(Ordering::Acquire) != since.0 {
            return;
        }
        let mut pair = Some((key, value));
        self.with::<T, _>(|map| {
            if let Some((key, value)) = pair.take() {
                map.put(key, value, until);
            }
        });
        let Some((key, value)) = pair else { return };
        // The first value of its kind: make the map.
        if let Ok(mut maps) = self.maps.write() {
            let slot = maps
                .entry(TypeId::of::<T>())
                .or_insert_with(|| Box::new(Ttl::<T::Key, T::Value>::new()));
            if let Some(map) = slot.as_any().downcast_ref::<Ttl<T::Key, T::Value>>() {
                map.put(key, value, until);
            }
        }
    }

    /// Forgets everything: after any admin write.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(maps) = self.maps.read() {
            for map in maps.values() {
                map.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Documents;
    impl Kept for Documents {
        type Key = String;
        type Value = &'static str;
    }

    #[test]
    fn entries_expire_and_clears_win_races() {
        let caches = Caches::default();
        let g = caches.generation();
        caches.keep::<Documents>(g, "p/jwks".into(), "a", 1_000, None);
        assert_eq!(
            caches.get::<Documents, _>("p/jwks", 1_000 + TTL_MS - 1),
            Some("a")
        );
        assert!(
            caches
                .get::<Documents, _>("p/jwks", 1_000 + TTL_MS)
                .is_none()
        );
        // An explicit expiry sooner than the TTL wins.
        caches.keep::<Documents>(g, "p/x".into(), "b", 1_000, Some(1_500));
        assert!(caches.get::<Documents, _>("p/x", 1_500).is_none());
        // A value read before a clear is not kept after it.
        let before = caches.generation();
        caches.clear();
        caches.keep::<Documents>(before, "p/jwks".into(), "old", 1_000, None);
        assert!(caches.get::<Documents, _>("p/jwks", 1_000).is_none());
    }
}
