//! The hardware limits the request scenarios are measured against, with Cognate's own code:
//! RS256 signatures (`crypto::jwt::SigningKey::sign`) and argon2id verifications
//! (`crypto::password::PasswordHasher`, which the server uses) on every core at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cognate::config::PasswordHashParams;
use cognate::crypto::jwt::{Algorithm, SigningKey, generate_pkcs8};
use cognate::crypto::password::PasswordHasher;
use serde_json::json;

use crate::Fail;

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
        let hasher = PasswordHasher::new(PasswordHashParams::OWASP, 1024)
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
