//! Each pool's signing keys: the active one signs, retired ones stay published until every
//! token they signed has expired. Parsed keys are cached in memory; the active key id is
//! re-read now and then, so a rotation made by another process is picked up. The ring also
//! holds the master key that seals them, and seals other secrets at rest with it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::cache::{Caches, Kept};
use crate::clock::Millis;
use crate::crypto::jwt::{self, Algorithm, Jwk, JwtError, SigningKey, VerifyingKey};
use crate::crypto::random;
use crate::crypto::sealed::{MasterKey, SealError};
use crate::store::signing_keys::{self as store, KeyRow};
use crate::store::{Store, StoreError};

use crate::domain::ACTIVE_KEY_CACHE_MS as ACTIVE_CACHE_MS;
use crate::domain::PUBLISH_AFTER_RETIREMENT_MS;

/// Why a key could not be made, read or used; every case is the service's fault, not the
/// caller's.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Jwt(#[from] JwtError),
    #[error("{0}")]
    Unreadable(String),
}

/// Public keys as `verifying_key` keeps them, by `"<pool id>/<kid>"`, with when they stop
/// being published.
struct VerifyingKeys;

impl Kept for VerifyingKeys {
    type Key = String;
    type Value = (Arc<VerifyingKey>, Option<Millis>);
}

pub struct KeyRing {
    master: MasterKey,
    parsed: RwLock<HashMap<String, Arc<SigningKey>>>,
    active: RwLock<HashMap<String, (String, Millis)>>,
}

impl KeyRing {
    pub fn new(master: MasterKey) -> Self {
        Self {
            master,
            parsed: RwLock::new(HashMap::new()),
            active: RwLock::new(HashMap::new()),
        }
    }

    /// A new key of `alg` for `pool_id`, sealed for storage. Generated on the blocking pool
    /// (an RSA key takes about 0.1 s).
    pub async fn generate(
        &self,
        pool_id: &str,
        alg: Algorithm,
        now: Millis,
        active: bool,
    ) -> Result<KeyRow, KeyError> {
        let der = tokio::task::spawn_blocking(move || jwt::generate_pkcs8(alg))
            .await
            .map_err(|e| KeyError::Unreadable(e.to_string()))??;
        let kid = random::token(16);
        let key = SigningKey::from_pkcs8(&kid, alg, &der)?;
        let jwk = key.jwk();
        Ok(KeyRow {
            private_key: self.master.seal(&der, &kid)?,
            public_n: String::new(),
            public_e: String::new(),
            alg: alg.as_str().to_string(),
            public_jwk: Some(
                serde_json::to_string(&jwk).map_err(|e| KeyError::Unreadable(e.to_string()))?,
            ),
            kid,
            pool_id: pool_id.to_string(),
            active,
            created_at: now,
            retired_at: None,
            publish_until: None,
        })
    }

    fn parse(&self, row: &KeyRow) -> Result<Arc<SigningKey>, KeyError> {
        if let Some(key) = self
            .parsed
            .read()
            .ok()
            .and_then(|m| m.get(&row.kid).cloned())
        {
            return Ok(key);
        }
        let alg = Algorithm::parse(&row.alg).ok_or_else(|| {
            KeyError::Unreadable(format!("key {} has no known algorithm", row.kid))
        })?;
        let der = self.master.open(&row.private_key, &row.kid)?;
        let key = Arc::new(SigningKey::from_pkcs8(&row.kid, alg, &der)?);
        if let Ok(mut map) = self.parsed.write() {
            map.insert(row.kid.clone(), key.clone());
        }
        Ok(key)
    }

    /// The key new tokens of this pool are signed with. A pool that predates keys gets one.
    pub async fn signing_key(
        &self,
        store: &Store,
        pool_id: &str,
        now: Millis,
    ) -> Result<Arc<SigningKey>, KeyError> {
        let cached = self
            .active
            .read()
            .ok()
            .and_then(|m| m.get(pool_id).cloned())
            .filter(|(_, at)| now - at < ACTIVE_CACHE_MS && *at <= now);
        if let Some((kid, _)) = cached
            && let Some(key) = self.parsed.read().ok().and_then(|m| m.get(&kid).cloned())
        {
            return Ok(key);
        }
        let row = match store::active(store, pool_id).await {
            Ok(row) => row,
            // Only pools from before keys existed have none; they were all RS256.
            Err(StoreError::NotFound) => {
                let row = self.generate(pool_id, Algorithm::Rs256, now, true).await?;
                match store::insert(store, &row).await {
                    Ok(()) => row,
                    // Another request made one first: use that.
                    Err(StoreError::Conflict(_)) => store::active(store, pool_id).await?,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        let key = self.parse(&row)?;
        if let Ok(mut map) = self.active.write() {
            map.insert(pool_id.to_string(), (row.kid.clone(), now));
        }
        Ok(key)
    }

    /// Checks that the stored keys open with this master key (a wrong key is a start-up error).
    pub async fn check_master_key(&self, store: &Store) -> Result<(), KeyError> {
        let any = store::any(store).await?;
        if let Some(row) = any {
            self.master.open(&row.private_key, &row.kid)?;
        }
        Ok(())
    }

    /// The JWKS of a pool: the active key and the retired keys still published.
    pub async fn published(
        &self,
        store: &Store,
        pool_id: &str,
        now: Millis,
    ) -> Result<Vec<Jwk>, KeyError> {
        Ok(self.published_until(store, pool_id, now).await?.0)
    }

    /// The JWKS of a pool, and when it next changes by itself (a retired key's publication
    /// ends).
    pub async fn published_until(
        &self,
        store: &Store,
        pool_id: &str,
        now: Millis,
    ) -> Result<(Vec<Jwk>, Option<Millis>), KeyError> {
        let rows = store::published(store, pool_id, now).await?;
        let until = rows.iter().filter_map(|r| r.publish_until).min();
        Ok((rows.iter().map(jwk_of).collect::<Result<_, _>>()?, until))
    }

    /// The public key `kid` of this pool, if it is still published. Found keys are cached
    /// (see `cache`); unknown ids always ask the store.
    pub async fn verifying_key(
        &self,
        store: &Store,
        caches: &Caches,
        pool_id: &str,
        kid: &str,
        now: Millis,
    ) -> Result<Option<Arc<VerifyingKey>>, KeyError> {
        if kid.len() > 64 || kid.chars().any(|c| !c.is_ascii_graphic()) {
            return Ok(None);
        }
        let key = format!("{pool_id}/{kid}");
        let usable = |until: Option<Millis>| until.is_none_or(|t| t > now);
        if let Some((jwk, until)) = caches.get::<VerifyingKeys, _>(&key, now) {
            return Ok(usable(until).then_some(jwk));
        }
        let since = caches.generation();
        match store::get(store, pool_id, kid).await {
            Ok(row) if row.active || row.publish_until.is_some_and(|t| t > now) => {
                // Parsed once and kept: verification then costs no key set-up.
                let jwk = Arc::new(VerifyingKey::from_jwk(jwk_of(&row)?)?);
                // An active key may be retired by a rotation elsewhere; it stays published
                // for a day after, so the TTL is the only bound needed.
                let until = if row.active { None } else { row.publish_until };
                caches.keep::<VerifyingKeys>(since, key, (jwk.clone(), until), now, until);
                Ok(Some(jwk))
            }
            Ok(_) | Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes a new active key of `alg`; the old one is published until its tokens have
    /// expired.
    pub async fn rotate(
        &self,
        store: &Store,
        pool_id: &str,
        alg: Algorithm,
        now: Millis,
    ) -> Result<Jwk, KeyError> {
        let row = self.generate(pool_id, alg, now, true).await?;
        // Two rotations at once: the one-active-key index refuses the second insert; once
        // the first has committed, the retry retires its key in turn.
        let mut attempt = 0;
        loop {
            match store::rotate(store, &row, now, now + PUBLISH_AFTER_RETIREMENT_MS).await {
                Err(StoreError::Conflict(_)) if attempt < 3 => attempt += 1,
                other => break other?,
            }
        }
        self.forget_active(pool_id);
        jwk_of(&row)
    }

    /// Seals a secret under the master key (AES-256-GCM), bound to `context`.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, SealError> {
        self.master.seal(plaintext, context)
    }

    /// Opens what `seal` sealed with the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SealError> {
        self.master.open(sealed, context)
    }

    /// Forgets which key signs for `pool_id`, after a rotation made here.
    pub fn forget_active(&self, pool_id: &str) {
        if let Ok(mut map) = self.active.write() {
            map.remove(pool_id);
        }
    }
}

/// The published form of a stored key: its JWK, or for RSA keys from before algorithms were
/// a choice, the JWK of its modulus and exponent.
fn jwk_of(row: &KeyRow) -> Result<Jwk, KeyError> {
    let unreadable = || KeyError::Unreadable(format!("the public key {} is unreadable", row.kid));
    match &row.public_jwk {
        Some(json) => serde_json::from_str(json).map_err(|_| unreadable()),
        None => {
            let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| unreadable());
            Ok(Jwk::rsa(
                &row.kid,
                &decode(&row.public_n)?,
                &decode(&row.public_e)?,
            ))
        }
    }
}
