//! Role sessions, as `sts assume-role` made them: created often and never changed, so each
//! is read on first use and kept for the cache's TTL, never past its expiry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::cache::TTL_MS;
use crate::clock::Millis;
use crate::crypto::sealed::MasterKey;
use crate::iam::directory::secrets::open_secret;
use crate::iam::policy::{Policy, ROLE_INLINE_MAX};
use crate::store::{Store, StoreResult, iam as store};

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

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A session (or its absence) and until when that answer is kept.
type CachedSession = (Option<Arc<Session>>, Millis);

/// Sessions by key id, and ids found to be no live session (so a stream of made-up
/// `ASIA…` ids costs one read each per TTL, not one per request).
#[derive(Default)]
pub(super) struct Sessions {
    kept: RwLock<HashMap<String, CachedSession>>,
}

impl Sessions {
    /// Forgets every kept answer: an IAM change here may have ended sessions.
    pub(super) fn clear(&self) {
        if let Ok(mut kept) = self.kept.write() {
            kept.clear();
        }
    }

    /// A live role session, from the cache or the store. `generation` counts the
    /// directory's changes: an answer read across a change is not kept.
    pub(super) async fn get(
        &self,
        store: &Store,
        master: &MasterKey,
        generation: &AtomicU64,
        id: &str,
        now: Millis,
    ) -> StoreResult<Option<Arc<Session>>> {
        if let Ok(kept) = self.kept.read()
            && let Some((session, until)) = kept.get(id)
            && now < *until
        {
            return Ok(session.clone().filter(|s| now < s.expires_at));
        }
        let since = generation.load(Ordering::Acquire);
        let Some(row) = store::live_session(store, id, now).await? else {
            self.keep(generation, since, id, None, now);
            return Ok(None);
        };
        let Some(secret) = open_secret(master, &row.secret_sealed, &row.access_key_id) else {
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
        self.keep(generation, since, id, Some(session.clone()), now);
        Ok(Some(session))
    }

    fn keep(
        &self,
        generation: &AtomicU64,
        since: u64,
        id: &str,
        session: Option<Arc<Session>>,
        now: Millis,
    ) {
        if let Ok(mut kept) = self.kept.write()
            && generation.load(Ordering::Acquire) == since
        {
            if kept.len() >= 10_000 {
                kept.clear();
            }
            kept.insert(id.to_string(), (session, now + TTL_MS));
        }
    }
}
