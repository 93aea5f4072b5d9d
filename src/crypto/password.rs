//! argon2id password hashing on the blocking thread pool, with bounded concurrency: each
//! hash holds `memory_kib` of memory, so an unbounded burst of sign-ins could exhaust RAM.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::config::PasswordHashParams;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("password hashing pool closed")]
    Closed,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when a user does not exist so that the
    /// answer takes as long as for a real user.
    dummy_hash: Arc<String>,
}

impl PasswordHasher {
    pub fn new(params: PasswordHashParams) -> Result<Self, HashError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| HashError::Hash(e.to_string()))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let dummy = hash_blocking(&params, &crate::crypto::random::token(16))?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: Arc::new(dummy),
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Closed)?;
        let params = self.params.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&params, &password)).await?
    }

    /// True when `password` matches the PHC string `hash`. A malformed stored hash counts
    /// as a mismatch, never as a panic.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Closed)?;
        let password = password.to_owned();
        let hash = hash.to_owned();
        Ok(tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await?)
    }

    /// Spends the time of one verification and always answers false.
    pub async fn verify_dummy(&self, password: &str) -> Result<bool, HashError> {
        let dummy = self.dummy_hash.clone();
        self.verify(password, &dummy).await.map(|_| false)
    }
}

fn hash_blocking(params: &Params, password: &str) -> Result<String, HashError> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let hasher = PasswordHasher::new(PasswordHashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        let hash = hasher.hash("Correct-horse-1").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(hasher.verify("Correct-horse-1", &hash).await.unwrap());
        assert!(!hasher.verify("correct-horse-1", &hash).await.unwrap());
        assert!(!hasher.verify("x", "not a hash").await.unwrap());
        assert!(!hasher.verify_dummy("x").await.unwrap());
    }

    #[test]
    fn production_default_is_owasp() {
        let hash = hash_blocking(
            &Params::new(
                PasswordHashParams::OWASP.memory_kib,
                PasswordHashParams::OWASP.iterations,
                1,
                None,
            )
            .unwrap(),
            "pw",
        )
        .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }
}
