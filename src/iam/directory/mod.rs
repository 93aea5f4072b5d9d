//! The principals, their keys and their policies, held in memory so that authorising a
//! request reads no table: the current `snapshot`, role `sessions`, and their upkeep.
//!
//! - The whole IAM state is small (admins, not end users) and is read as one consistent
//!   snapshot: a change made of several writes is seen whole or not at all.
//! - A change made through this process is seen at once: every IAM write calls
//!   [`Directory::changed`], and the next request reloads.
//! - A change made by another process on the same database, key deactivation and deletion
//!   included, is seen within [`TTL_MS`], as the other caches.
//! - Role sessions are created often and never change: each is read on first use and kept
//!   for the same TTL (never past its expiry); deleting its role ends it everywhere within
//!   the same bound, and at once here.

mod key_use;
mod refusals;
pub mod secrets;
pub mod sessions;
pub mod snapshot;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::cache::TTL_MS;
use crate::clock::Millis;
use crate::crypto::sealed::MasterKey;
use crate::iam::arn::iam_arn;
use crate::iam::directory::key_use::KeyUse;
use crate::iam::directory::refusals::Refusals;
use crate::iam::directory::sessions::{Session, Sessions};
use crate::iam::directory::snapshot::Snapshot;
use crate::store::iam::Kind;
use crate::store::{Store, StoreResult, iam as store};

pub struct Directory {
    pub account: String,
    master: MasterKey,
    token_key: aws_lc_rs::hmac::Key,
    current: RwLock<Option<Arc<Snapshot>>>,
    generation: AtomicU64,
    reloading: tokio::sync::Mutex<()>,
    sessions: Sessions,
    key_use: KeyUse,
    refusals: Refusals,
}

impl Directory {
    pub fn new(account: String, master: MasterKey) -> Self {
        let token_key = master.derive_hmac_key("cognate sts session tokens v1");
        Self {
            account,
            master,
            token_key,
            current: RwLock::new(None),
            generation: AtomicU64::new(0),
            reloading: tokio::sync::Mutex::new(()),
            sessions: Sessions::default(),
            key_use: KeyUse::default(),
            refusals: Refusals::default(),
        }
    }

    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    /// The stored form of a session token: a keyed hash.
    pub fn token_hash(&self, token: &str) -> String {
        let tag = aws_lc_rs::hmac::sign(&self.token_key, token.as_bytes());
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Call after every IAM write: this process's next request reads afresh.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.sessions.clear();
    }

    fn cached(&self, now: Millis) -> Option<Arc<Snapshot>> {
        let current = self.current.read().ok()?;
        let snapshot = current.as_ref()?;
        // A request whose clock reading predates the load (they run concurrently) is
        // served by it too: only age and local changes make a snapshot stale.
        let fresh = now < snapshot.loaded_at + TTL_MS
            && snapshot.generation == self.generation.load(Ordering::Acquire);
        fresh.then(|| snapshot.clone())
    }

    /// The current snapshot, read again when it is older than the TTL or a change was made
    /// here since. One request reloads; the others wait for it.
    pub async fn snapshot(&self, store: &Store, now: Millis) -> StoreResult<Arc<Snapshot>> {
        if let Some(snapshot) = self.cached(now) {
            return Ok(snapshot);
        }
        let _turn = self.reloading.lock().await;
        if let Some(snapshot) = self.cached(now) {
            return Ok(snapshot);
        }
        self.load(store, now).await
    }

    /// A snapshot read now, whatever is cached: what the IAM routes read and answer from.
    pub async fn load(&self, store: &Store, now: Millis) -> StoreResult<Arc<Snapshot>> {
        let generation = self.generation.load(Ordering::Acquire);
        let rows = store::everything(store).await?;
        let snapshot = Arc::new(Snapshot::build(rows, &self.master, now, generation));
        if let Ok(mut current) = self.current.write() {
            *current = Some(snapshot.clone());
        }
        Ok(snapshot)
    }

    /// A live role session, from the cache or the store.
    pub async fn session(
        &self,
        store: &Store,
        id: &str,
        now: Millis,
    ) -> StoreResult<Option<Arc<Session>>> {
        self.sessions
            .get(store, &self.master, &self.generation, id, now)
            .await
    }

    /// Whether a refused request from `address` gets its own audit row: up to
    /// `REFUSALS_RECORDED_PER_MINUTE` per address and minute.
    pub fn record_refusal(&self, address: Option<std::net::IpAddr>, now: Millis) -> bool {
        self.refusals.record(address, now)
    }

    /// Records that `key` was used, at most once a minute per key in this process.
    pub async fn note_use(&self, store: &Store, key: &str, now: Millis, address: Option<&str>) {
        self.key_use.note(store, key, now, address).await;
    }

    pub fn arn(&self, kind: Kind, name: &str) -> String {
        iam_arn(&self.account, kind, name)
    }
}
