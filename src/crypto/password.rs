//! argon2id password hashing on a fixed set of hashing threads, one per core. Each thread
//! keeps its argon2 memory (`memory_kib`, 19 MiB at the OWASP parameters) between hashes and
//! gives it back after a minute without work. Allocating that memory for every hash cost a
//! memset of 19 MiB each time, and the allocator kept a copy per thread it ever ran on: under
//! load the process grew past 1 GB. Concurrency is bounded by the thread count, so a burst of
//! sign-ins queues instead of exhausting RAM.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
use tokio::sync::{Semaphore, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing pool closed")]
    Closed,
    /// More hashes are waiting than the configured depth: answer "busy" at once rather than
    /// queue without end (each waiting request holds a connection, and every later sign-in
    /// would wait behind them).
    #[error("too many password hashes are waiting; try again shortly")]
    Busy,
}

/// argon2id cost parameters. Production keeps the OWASP defaults or stronger; the test
/// suite lowers them through configuration so it stays fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl PasswordHashParams {
    /// OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1.
    pub const OWASP: Self = Self {
        memory_kib: 19456,
        iterations: 2,
        parallelism: 1,
    };

    pub fn weaker_than_owasp(&self) -> bool {
        self.memory_kib < Self::OWASP.memory_kib || self.iterations < Self::OWASP.iterations
    }
}

/// A hashing thread's argon2 memory is returned after this long without work.
const IDLE_RELEASE: Duration = Duration::from_secs(60);

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// What a hashing thread calls after letting its memory go: the process's allocator trim,
/// given by whoever builds the first hasher (crypto knows no allocator). The threads are
/// the process's, so the first one given is the one they call.
static RELEASE_MEMORY: OnceLock<fn()> = OnceLock::new();

/// The process's hashing threads: hashing capacity belongs to the machine, not to one
/// context, so every `PasswordHasher` (tests build many) shares them.
struct Workers {
    jobs: flume::Sender<Job>,
    /// One permit per thread: at most that many jobs wait in the queue.
    permits: Semaphore,
}

fn workers() -> &'static Workers {
    static WORKERS: OnceLock<Workers> = OnceLock::new();
    WORKERS.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (jobs, queue) = flume::unbounded::<Job>();
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&queue));
            if let Err(err) = spawned {
                tracing::error!(error = %err, "could not start a password hashing thread");
            }
        }
        Workers {
            jobs,
            permits: Semaphore::new(threads),
        }
    })
}

fn work(queue: &flume::Receiver<Job>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        match queue.recv_timeout(IDLE_RELEASE) {
            Ok(job) => job(&mut memory),
            Err(flume::RecvTimeoutError::Timeout) => {
                if !memory.is_empty() {
                    memory = Vec::new();
                    if let Some(release) = RELEASE_MEMORY.get() {
                        release();
                    }
                }
            }
            Err(flume::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Runs `f` on a hashing thread with that thread's argon2 memory.
async fn on_worker<T: Send + 'static>(
    f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> Result<T, HashError> {
    let workers = workers();
    let _permit = workers
        .permits
        .acquire()
        .await
        .map_err(|_| HashError::Closed)?;
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::new(move |memory| {
        let _ = tx.send(f(memory));
    });
    workers.jobs.send(job).map_err(|_| HashError::Closed)?;
    rx.await.map_err(|_| HashError::Closed)
}

/// `memory` grown to `params`' block count, as a slice of exactly that many blocks.
fn blocks<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    let count = params.block_count();
    if memory.len() < count {
        memory.resize(count, Block::default());
    }
    &mut memory[..count]
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// Hashes of this hasher waiting or running, and how many may.
    outstanding: Arc<std::sync::atomic::AtomicUsize>,
    max_outstanding: usize,
    /// A hash of a random password, verified against when a user does not exist so that the
    /// answer takes as long as for a real user.
    dummy_hash: Arc<String>,
}

impl PasswordHasher {
    /// `queue_depth` hashes may wait for a thread beyond those the threads are working on;
    /// `release_memory` gives freed memory back to the system when a thread goes idle.
    pub fn new(
        params: PasswordHashParams,
        queue_depth: usize,
        release_memory: fn(),
    ) -> Result<Self, HashError> {
        let _ = RELEASE_MEMORY.set(release_memory);
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| HashError::Hash(e.to_string()))?;
        let mut memory = Vec::new();
        let dummy = hash_with(&params, &crate::crypto::random::token(16), &mut memory)?;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            params,
            outstanding: Default::default(),
            max_outstanding: queue_depth + threads,
            dummy_hash: Arc::new(dummy),
        })
    }

    /// Runs `f` on a hashing thread unless too many hashes are outstanding already.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        use std::sync::atomic::Ordering;
        struct Slot<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Slot<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        if self.outstanding.fetch_add(1, Ordering::AcqRel) >= self.max_outstanding {
            self.outstanding.fetch_sub(1, Ordering::AcqRel);
            return Err(HashError::Busy);
        }
        let _slot = Slot(&self.outstanding);
        on_worker(f).await
    }

    /// A new PHC string (`$argon2id$v=19$m=...`) for `password`, with a random salt.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.run(move |memory| hash_with(&params, &password, memory))
            .await?
    }

    /// True when `password` matches the PHC string `hash`. A malformed stored hash counts
    /// as a mismatch, never as a panic.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, HashError> {
        let password = password.to_owned();
        let hash = hash.to_owned();
        self.run(move |memory| verify_with(&password, &hash, memory))
            .await
    }

    /// Spends the time of one verification and always answers false.
    pub async fn verify_dummy(&self, password: &str) -> Result<bool, HashError> {
        let dummy = self.dummy_hash.clone();
        self.verify(password, &dummy).await.map(|_| false)
    }
}

fn hash_with(
    params: &Params,
    password: &str,
    memory: &mut Vec<Block>,
) -> Result<String, HashError> {
    let failed = |e: &dyn std::fmt::Display| HashError::Hash(e.to_string());
    let mut salt = [0u8; 16];
    crate::crypto::random::fill(&mut salt);
    let mut out = [0u8; 32];
    let params = Params::new(
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        Some(out.len()),
    )
    .map_err(|e| failed(&e))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            blocks(memory, &params),
        )
        .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| failed(&e))?),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

fn verify_with(password: &str, hash: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(phc) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm.as_str()) else {
        return false;
    };
    let version = match phc.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&phc) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
        password.as_bytes(),
        salt.as_ref(),
        &mut out,
        blocks(memory, &params),
    );
    computed.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let hasher = PasswordHasher::new(
            PasswordHashParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            64,
            || {},
        )
        .unwrap();
        let hash = hasher.hash("Correct-horse-1").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(hasher.verify("Correct-horse-1", &hash).await.unwrap());
        assert!(!hasher.verify("correct-horse-1", &hash).await.unwrap());
        assert!(!hasher.verify("x", "not a hash").await.unwrap());
        assert!(!hasher.verify_dummy("x").await.unwrap());
    }

    #[tokio::test]
    async fn hashes_interoperate_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = PasswordHasher::new(
            PasswordHashParams {
                memory_kib: 256,
                iterations: 2,
                parallelism: 1,
            },
            64,
            || {},
        )
        .unwrap();
        // Hashes stored before this module kept its own memory still verify...
        let theirs = Argon2::default()
            .hash_password(b"Correct-horse-1")
            .unwrap()
            .to_string();
        assert!(hasher.verify("Correct-horse-1", &theirs).await.unwrap());
        assert!(!hasher.verify("Correct-horse-2", &theirs).await.unwrap());
        // ... and ours verify with the crate's own verifier.
        let ours = hasher.hash("Correct-horse-1").await.unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"Correct-horse-1", ours.as_str())
                .is_ok()
        );
        // Different memory sizes share one thread's buffer.
        let big = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw")
        .unwrap()
        .to_string();
        assert!(hasher.verify("pw", &big).await.unwrap());
        assert!(hasher.verify("Correct-horse-1", &ours).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_answers_busy_at_once() {
        let hasher = PasswordHasher::new(
            PasswordHashParams {
                memory_kib: 8 * 1024,
                iterations: 3,
                parallelism: 1,
            },
            2,
            || {},
        )
        .unwrap();
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let jobs: Vec<_> = (0..threads + 12)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.hash("Correct-horse-1").await })
            })
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for job in jobs {
            match job.await.unwrap() {
                Ok(_) => done += 1,
                Err(HashError::Busy) => busy += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(busy >= 10, "busy {busy}, done {done}");
        assert!(done >= 2, "busy {busy}, done {done}");
        // Once the queue drains, hashing works again.
        assert!(hasher.hash("Correct-horse-1").await.is_ok());
    }

    #[test]
    fn production_default_is_owasp() {
        let hash = hash_with(
            &Params::new(
                PasswordHashParams::OWASP.memory_kib,
                PasswordHashParams::OWASP.iterations,
                1,
                None,
            )
            .unwrap(),
            "pw",
            &mut Vec::new(),
        )
        .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }
}
