//! The principals, their keys and their policies, held in memory so that authorising a
//! request reads no table.
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

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::cache::TTL_MS;
use crate::clock::Millis;
use crate::crypto::sealed::MasterKey;
use crate::iam::arn::iam_arn;
use crate::iam::managed;
use crate::iam::policy::{MANAGED_MAX, Policy, ROLE_INLINE_MAX, TrustPolicy};
use crate::store::iam::Kind;
use crate::store::{Store, StoreResult, iam as store};

/// A key's use is written at most this often per process: a busy key costs no write per
/// request, and `last_used_at` stays within a minute of the truth.
const TOUCH_EVERY_MS: Millis = 60_000;

pub struct AccessKey {
    pub id: String,
    pub user: String,
    pub secret: String,
    pub active: bool,
    pub expires_at: Option<Millis>,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A user, group or role: its policies and, for users and groups, its memberships.
#[derive(Debug, Default)]
pub struct Entity {
    pub created_at: Millis,
    /// Attached policy names (built-in or customer-managed).
    pub attached: Vec<String>,
    /// Inline policies: name, document as stored, and the parsed form.
    pub inline: Vec<(String, String, Option<Arc<Policy>>)>,
    /// A user's groups, or a group's members.
    pub related: Vec<String>,
}

#[derive(Debug)]
pub struct Role {
    pub entity: Entity,
    pub trust_text: String,
    pub trust: Option<TrustPolicy>,
    pub max_session_duration: i64,
}

#[derive(Debug)]
pub struct StoredPolicy {
    pub managed: bool,
    pub description: Option<String>,
    pub text: String,
    pub policy: Option<Arc<Policy>>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug)]
pub struct Root {
    pub digest: String,
    pub disabled: bool,
}

/// Everything as of one read.
#[derive(Debug, Default)]
pub struct Snapshot {
    loaded_at: Millis,
    generation: u64,
    pub root: Option<Root>,
    pub keys: HashMap<String, AccessKey>,
    pub users: BTreeMap<String, Entity>,
    pub groups: BTreeMap<String, Entity>,
    pub roles: BTreeMap<String, Role>,
    pub policies: BTreeMap<String, StoredPolicy>,
    /// Each user's and role's identity policies in evaluation order, worked out once per
    /// snapshot rather than per request.
    user_applied: HashMap<String, Vec<Named>>,
    role_applied: HashMap<String, Vec<Named>>,
}

/// A role session, as `sts assume-role` made it.
pub struct Session {
    pub access_key_id: String,
    pub role: String,
    pub session_name: String,
    pub caller_arn: String,
    pub secret: String,
    pub token_hash: String,
    pub policy: Option<Policy>,
    pub issued_at: Millis,
    pub expires_at: Millis,
}

/// A session (or its absence) and until when that answer is kept.
type CachedSession = (Option<Arc<Session>>, Millis);

pub struct Directory {
    pub account: String,
    master: MasterKey,
    token_key: aws_lc_rs::hmac::Key,
    current: RwLock<Option<Arc<Snapshot>>>,
    generation: AtomicU64,
    reloading: tokio::sync::Mutex<()>,
    /// Sessions by key id, and ids found to be no live session (so a stream of made-up
    /// `ASIA…` ids costs one read each per TTL, not one per request).
    sessions: RwLock<HashMap<String, CachedSession>>,
    touched: Mutex<HashMap<String, Millis>>,
    refusals: Mutex<HashMap<std::net::IpAddr, (Millis, u32)>>,
}

/// Refused (unauthenticated) requests recorded per client address and minute; past it the
/// address's refusals are counted in one log line instead of a row each, so a flood of
/// bad credentials cannot turn into a flood of writes.
pub const REFUSALS_RECORDED_PER_MINUTE: u32 = 60;

/// The sealing context of a secret: a sealed value copied to another key's row opens as
/// nothing.
pub fn seal_context(access_key_id: &str) -> String {
    format!("cognate iam secret v1 {access_key_id}")
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
            sessions: RwLock::new(HashMap::new()),
            touched: Mutex::new(HashMap::new()),
            refusals: Mutex::new(HashMap::new()),
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
        if let Ok(mut sessions) = self.sessions.write() {
            sessions.clear();
        }
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
        let snapshot = Arc::new(self.build(rows, now, generation));
        if let Ok(mut current) = self.current.write() {
            *current = Some(snapshot.clone());
        }
        Ok(snapshot)
    }

    fn build(&self, rows: store::Everything, now: Millis, generation: u64) -> Snapshot {
        let mut snapshot = Snapshot {
            loaded_at: now,
            generation,
            root: rows.root.map(|r| Root {
                digest: r.key_hash,
                disabled: r.disabled_at.is_some(),
            }),
            ..Default::default()
        };
        for row in rows.users {
            snapshot.users.insert(row.name, entity(row.created_at));
        }
        for row in rows.groups {
            snapshot.groups.insert(row.name, entity(row.created_at));
        }
        for row in rows.members {
            if let Some(user) = snapshot.users.get_mut(&row.user_name) {
                user.related.push(row.group_name.clone());
            }
            if let Some(group) = snapshot.groups.get_mut(&row.group_name) {
                group.related.push(row.user_name);
            }
        }
        for row in rows.roles {
            let trust = TrustPolicy::parse(&row.trust_policy)
                .map_err(|e| tracing::warn!(role = %row.name, error = %e, "stored trust policy unreadable; nobody may assume the role"))
                .ok();
            snapshot.roles.insert(
                row.name,
                Role {
                    entity: entity(row.created_at),
                    trust_text: row.trust_policy,
                    trust,
                    max_session_duration: row.max_session_duration,
                },
            );
        }
        for row in rows.policies {
            let (text, policy) = if row.managed {
                match managed::MANAGED.iter().find(|(n, _)| *n == row.name) {
                    Some((_, text)) => {
                        (text.to_string(), managed::managed(&row.name).map(Arc::new))
                    }
                    None => continue,
                }
            } else {
                let text = row.document.unwrap_or_default();
                let policy = readable(&row.name, &text, MANAGED_MAX);
                (text, policy)
            };
            snapshot.policies.insert(
                row.name,
                StoredPolicy {
                    managed: row.managed,
                    description: row.description,
                    text,
                    policy,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                },
            );
        }
        for row in rows.principal_policies {
            let holder = match row.kind.as_str() {
                "user" => snapshot.users.get_mut(&row.principal),
                "group" => snapshot.groups.get_mut(&row.principal),
                "role" => snapshot
                    .roles
                    .get_mut(&row.principal)
                    .map(|r| &mut r.entity),
                _ => None,
            };
            let Some(holder) = holder else { continue };
            match row.document {
                None => holder.attached.push(row.policy_name),
                Some(text) => {
                    // Each kind's own limit was checked on the way in; the largest bounds all.
                    let policy = readable(&row.policy_name, &text, ROLE_INLINE_MAX);
                    holder.inline.push((row.policy_name, text, policy));
                }
            }
        }
        for entity in snapshot
            .users
            .values_mut()
            .chain(snapshot.groups.values_mut())
            .chain(snapshot.roles.values_mut().map(|r| &mut r.entity))
        {
            entity.attached.sort();
            entity.inline.sort_by(|a, b| a.0.cmp(&b.0));
            entity.related.sort();
        }
        snapshot.user_applied = snapshot
            .users
            .keys()
            .map(|name| (name.clone(), snapshot.gather_user(name)))
            .collect();
        snapshot.role_applied = snapshot
            .roles
            .keys()
            .map(|name| (name.clone(), snapshot.gather_role(name)))
            .collect();
        for row in rows.keys {
            let secret = self
                .master
                .open(&row.secret_sealed, &seal_context(&row.id))
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            let Some(secret) = secret else {
                tracing::warn!(access_key_id = %row.id, "an access key's secret does not open; the key is refused");
                continue;
            };
            snapshot.keys.insert(
                row.id.clone(),
                AccessKey {
                    id: row.id,
                    user: row.user_name,
                    secret,
                    active: row.status == "Active",
                    expires_at: row.expires_at,
                },
            );
        }
        snapshot
    }

    /// A live role session, from the cache or the store.
    pub async fn session(
        &self,
        store: &Store,
        id: &str,
        now: Millis,
    ) -> StoreResult<Option<Arc<Session>>> {
        if let Ok(sessions) = self.sessions.read()
            && let Some((session, until)) = sessions.get(id)
            && now < *until
        {
            return Ok(session.clone().filter(|s| now < s.expires_at));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let Some(row) = store::live_session(store, id, now).await? else {
            self.keep_session(id, None, now, generation);
            return Ok(None);
        };
        let secret = self
            .master
            .open(&row.secret_sealed, &seal_context(&row.access_key_id))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some(secret) = secret else {
            return Ok(None);
        };
        // Unreadable means nothing is allowed, never that nothing narrows the session.
        let policy = row.session_policy.as_ref().map(|text| {
            Policy::parse(text, ROLE_INLINE_MAX).unwrap_or(Policy {
                statements: Vec::new(),
            })
        });
        let session = Arc::new(Session {
            access_key_id: row.access_key_id,
            role: row.role_name,
            session_name: row.session_name,
            caller_arn: row.caller_arn,
            secret,
            token_hash: row.token_hash,
            policy,
            issued_at: row.created_at,
            expires_at: row.expires_at,
        });
        self.keep_session(id, Some(session.clone()), now, generation);
        Ok(Some(session))
    }

    fn keep_session(&self, id: &str, session: Option<Arc<Session>>, now: Millis, since: u64) {
        if let Ok(mut sessions) = self.sessions.write()
            && self.generation.load(Ordering::Acquire) == since
        {
            if sessions.len() >= 10_000 {
                sessions.clear();
            }
            sessions.insert(id.to_string(), (session, now + TTL_MS));
        }
    }

    /// Whether a refused request from `address` gets its own audit row (see
    /// [`REFUSALS_RECORDED_PER_MINUTE`]).
    pub fn record_refusal(&self, address: Option<std::net::IpAddr>, now: Millis) -> bool {
        let Some(address) = address.map(crate::ops::client_address::limit_key) else {
            return true;
        };
        let Ok(mut refusals) = self.refusals.lock() else {
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

    /// Records that `key` was used, at most once a minute per key in this process.
    pub async fn note_use(&self, store: &Store, key: &str, now: Millis, address: Option<&str>) {
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

    pub fn arn(&self, kind: Kind, name: &str) -> String {
        iam_arn(&self.account, kind, name)
    }
}

fn entity(created_at: Millis) -> Entity {
    Entity {
        created_at,
        ..Default::default()
    }
}

/// A stored document, parsed; one that no longer parses grants nothing (and says so).
fn readable(name: &str, text: &str, max: usize) -> Option<Arc<Policy>> {
    Policy::parse(text, max)
        .map(Arc::new)
        .map_err(|e| tracing::warn!(policy = %name, error = %e, "stored policy unreadable; it grants nothing"))
        .ok()
}

/// A policy as it applies, with the name a decision reports: an attached policy by its
/// name, an inline one as `<kind>/<principal>/<policy>`.
pub type Named = (String, Arc<Policy>);

impl Snapshot {
    /// The identity policies of an entity: its attached, then its inline policies.
    fn policies_of(&self, kind: &str, name: &str, entity: &Entity, out: &mut Vec<Named>) {
        for attached in &entity.attached {
            if let Some(policy) = self.policies.get(attached).and_then(|p| p.policy.as_ref()) {
                out.push((attached.clone(), policy.clone()));
            }
        }
        for (inline, _, policy) in &entity.inline {
            if let Some(policy) = policy {
                out.push((format!("{kind}/{name}/{inline}"), policy.clone()));
            }
        }
    }

    fn gather_user(&self, user: &str) -> Vec<Named> {
        let mut out = Vec::new();
        if let Some(entity) = self.users.get(user) {
            self.policies_of("user", user, entity, &mut out);
            for group in &entity.related {
                if let Some(g) = self.groups.get(group) {
                    self.policies_of("group", group, g, &mut out);
                }
            }
        }
        out
    }

    fn gather_role(&self, role: &str) -> Vec<Named> {
        let mut out = Vec::new();
        if let Some(r) = self.roles.get(role) {
            self.policies_of("role", role, &r.entity, &mut out);
        }
        out
    }

    /// Every identity policy of a user: its own, then its groups'.
    pub fn user_policies(&self, user: &str) -> &[Named] {
        self.user_applied.get(user).map_or(&[], Vec::as_slice)
    }

    /// A role's identity policies.
    pub fn role_policies(&self, role: &str) -> &[Named] {
        self.role_applied.get(role).map_or(&[], Vec::as_slice)
    }
}
