//! The limits the request scenarios are measured against, on every core at once. Signing:
//! the machine's (`openssl speed`, see `openssl.rs`) and Cognate's signer
//! (`crypto::jwt::SigningKey::sign`) for each algorithm a pool can choose; the scenarios use
//! the machine's, or Cognate's signer when openssl gave no figure. Hashing: argon2id
//! verifications through `crypto::password::PasswordHasher`, which the server uses.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cognate::crypto::jwt::{Algorithm, SigningKey, generate_pkcs8};
use cognate::crypto::password::{PasswordHashParams, PasswordHasher};
use serde::Serialize;
use serde_json::json;

use crate::{Fail, openssl};

#[derive(Debug, Serialize)]
pub struct Limits {
    pub cores: usize,
    /// `openssl version`, when there is an openssl to measure the machine's limits with.
    pub openssl_version: Option<String>,
    /// One per algorithm, in `Algorithm::ALL`'s order.
    pub signing: Vec<SigningLimit>,
    pub argon2_hashes_per_s: f64,
    pub argon2_parameters: String,
}

#[derive(Debug, Serialize)]
pub struct SigningLimit {
    /// The JOSE name: `RS256`, `ES256` or `EdDSA`.
    pub algorithm: &'static str,
    /// What `openssl speed` calls the primitive: `rsa2048`, `ecdsap256`, `ed25519`.
    pub openssl_speed: &'static str,
    /// The machine's: the sign/s of `openssl speed -multi <cores> <openssl_speed>`.
    pub machine_signatures_per_s: Option<f64>,
    /// Why there is no machine figure; the scenarios then use Cognate's signer.
    pub machine_missing: Option<String>,
    /// Cognate's signer on all cores.
    pub cognate_signatures_per_s: f64,
}

/// Where the limit a scenario is measured against comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `openssl speed`.
    Machine,
    /// Cognate's own signer or hasher.
    Cognate,
}

/// The work a scenario's requests are bound by.
#[derive(Debug, Clone, Copy)]
pub enum Bound {
    Signing(Algorithm),
    Hashing,
}

/// The limit a scenario is measured against.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// `RS256`, `ES256`, `EdDSA` or `argon2`.
    pub name: &'static str,
    /// Signatures or hashes per second.
    pub per_s: f64,
    pub source: Source,
}

impl Limits {
    /// The limit `bound` is measured against: for signing, the machine's, or Cognate's signer
    /// when openssl gave no figure.
    pub fn of(&self, bound: Bound) -> Limit {
        match bound {
            Bound::Hashing => Limit {
                name: "argon2",
                per_s: self.argon2_hashes_per_s,
                source: Source::Cognate,
            },
            Bound::Signing(alg) => {
                let limit = self.signing(alg);
                Limit {
                    name: limit.algorithm,
                    per_s: limit
                        .machine_signatures_per_s
                        .unwrap_or(limit.cognate_signatures_per_s),
                    source: if limit.machine_signatures_per_s.is_some() {
                        Source::Machine
                    } else {
                        Source::Cognate
                    },
                }
            }
        }
    }

    fn signing(&self, alg: Algorithm) -> &SigningLimit {
        self.signing
            .iter()
            .find(|l| l.algorithm == alg.as_str())
            .expect("every algorithm is measured")
    }
}

/// The limits as the best of `rounds` measurements: a ceiling, so a noisy neighbour during
/// one round lowers the scenarios' ratios rather than raising them.
pub fn measure(rounds: usize, each: Duration) -> Result<Limits, Fail> {
    eprintln!("measuring the limits ...");
    let cores = cores();
    let openssl_version = openssl::version();
    let mut signing = Vec::new();
    for alg in Algorithm::ALL {
        let mut cognate = 0.0f64;
        let mut machine: Option<f64> = None;
        let mut missing = openssl_version.as_ref().err().cloned();
        for _ in 0..rounds {
            cognate = cognate.max(signatures_per_second(alg, each)?);
            if openssl_version.is_ok() {
                match openssl::signatures_per_second(alg, cores, each) {
                    Ok(rate) => machine = Some(machine.map_or(rate, |best| best.max(rate))),
                    Err(why) => missing = Some(why),
                }
            }
        }
        let limit = SigningLimit {
            algorithm: alg.as_str(),
            openssl_speed: openssl::speed_name(alg),
            machine_signatures_per_s: machine,
            // A round that failed beside one that did not leaves a figure to use.
            machine_missing: if machine.is_some() { None } else { missing },
            cognate_signatures_per_s: cognate,
        };
        eprintln!(
            "  {}: machine {}, Cognate's signer {cognate:.0}/s",
            limit.algorithm,
            match (&limit.machine_signatures_per_s, &limit.machine_missing) {
                (Some(rate), _) => format!("{rate:.0}/s"),
                (None, why) => format!("none ({})", why.as_deref().unwrap_or("?")),
            }
        );
        signing.push(limit);
    }
    let mut argon2 = 0.0f64;
    for _ in 0..rounds {
        argon2 = argon2.max(argon2_per_second(each)?);
    }
    eprintln!("  argon2id {argon2:.1}/s");
    Ok(Limits {
        cores,
        openssl_version: openssl_version.ok(),
        signing,
        argon2_hashes_per_s: argon2,
        argon2_parameters: argon2_parameters(),
    })
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Signatures of `alg` per second on all cores, with Cognate's signer, over an access
/// token's claims.
pub fn signatures_per_second(alg: Algorithm, duration: Duration) -> Result<f64, Fail> {
    let der = generate_pkcs8(alg).map_err(|e| Fail(format!("{alg} key generation: {e}")))?;
    let key = Arc::new(
        SigningKey::from_pkcs8("bench", alg, &der).map_err(|e| Fail(format!("{alg} key: {e}")))?,
    );
    let claims = json!({
        "sub": "2b7bd4f1-0b2e-4c58-9c1e-6c7a7d1c9f10",
        "iss": "http://127.0.0.1:8080/local_benchpool",
        "client_id": "abcdefghijklmnopqrstuvwxyz",
        "token_use": "access",
        "scope": "openid email https://api.bench.example/read",
        "auth_time": 1_790_000_000,
        "exp": 1_790_003_600,
        "iat": 1_790_000_000,
        "jti": "6f0d8c0e-8f5e-4b8e-9d4c-3e1c2a7b9d01",
        "version": 2,
    });
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..cores())
        .map(|_| {
            let (key, claims, stop, count) =
                (key.clone(), claims.clone(), stop.clone(), count.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if key.sign(&claims).is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    Ok(count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// argon2id verifications per second with the server's default (OWASP) parameters, through
/// the server's hasher: its blocking pool and its per-core concurrency bound.
pub fn argon2_per_second(duration: Duration) -> Result<f64, Fail> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .enable_all()
        .build()
        .map_err(|e| Fail(format!("tokio: {e}")))?;
    runtime.block_on(async {
        let hasher = PasswordHasher::new(
            PasswordHashParams::OWASP,
            1024,
            cognate::ops::memory::release_free_memory,
        )
        .map_err(|e| Fail(format!("argon2: {e}")))?;
        let hash = hasher
            .hash("Bench-Password-2026!")
            .await
            .map_err(|e| Fail(format!("argon2: {e}")))?;
        let count = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let deadline = started + duration;
        let tasks: Vec<_> = (0..cores() * 2)
            .map(|_| {
                let (hasher, hash, count) = (hasher.clone(), hash.clone(), count.clone());
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        if let Ok(true) = hasher.verify("Bench-Password-2026!", &hash).await {
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
        Ok(count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
    })
}

/// The parameters the limit was measured with, for the report.
pub fn argon2_parameters() -> String {
    let p = PasswordHashParams::OWASP;
    format!(
        "argon2id m={} KiB, t={}, p={}",
        p.memory_kib, p.iterations, p.parallelism
    )
}
