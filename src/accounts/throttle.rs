//! Failed sign-ins are throttled per typed username and per client address, with a lockout
//! that doubles with each further failure. Counting the typed name, not the account, means
//! unknown names lock exactly like known ones, so the lockout reveals nothing.

use std::net::IpAddr;

use crate::clock::Millis;
use crate::context::Context;
use crate::error::Result;
use crate::store::throttle as store;

/// Failures of one username before it locks.
pub const USER_THRESHOLD: i64 = 5;
/// Failures from one address (any username) before it locks: high enough for a shared
/// office address, low enough to stop a password spray.
pub const ADDRESS_THRESHOLD: i64 = 100;
const FIRST_LOCK_MS: Millis = 30_000;
const MAX_LOCK_MS: Millis = 15 * 60_000;
/// Failures older than this are forgotten.
const WINDOW_MS: Millis = 15 * 60_000;

fn subjects(username_key: &str, address: Option<IpAddr>) -> Vec<(String, i64)> {
    let mut out = vec![(format!("user:{username_key}"), USER_THRESHOLD)];
    if let Some(ip) = address {
        out.push((format!("ip:{ip}"), ADDRESS_THRESHOLD));
    }
    out
}

fn lock_length(failures: i64, threshold: i64) -> Millis {
    let doublings = (failures - threshold).clamp(0, 16) as u32;
    FIRST_LOCK_MS
        .saturating_mul(1 << doublings)
        .min(MAX_LOCK_MS)
}

/// True while the username or the address is locked.
pub async fn is_locked(
    ctx: &Context,
    pool_id: &str,
    username_key: &str,
    address: Option<IpAddr>,
) -> Result<bool> {
    Ok(standing(ctx, pool_id, username_key, address).await?.locked)
}

/// Where a username and an address stand, read in one query before a sign-in.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    /// The username or the address is locked.
    pub locked: bool,
    /// The username has failures on record, for a success to clear.
    pub user_failures: bool,
}

pub async fn standing(
    ctx: &Context,
    pool_id: &str,
    username_key: &str,
    address: Option<IpAddr>,
) -> Result<Standing> {
    let now = ctx.now();
    let subjects = subjects(username_key, address);
    let user = &subjects[0].0;
    let second = subjects.get(1).map_or(user, |(s, _)| s);
    let rows = store::rows(&ctx.store, pool_id, user, second).await?;
    Ok(Standing {
        locked: rows.iter().any(|(_, until)| until.is_some_and(|t| t > now)),
        user_failures: rows.iter().any(|(subject, _)| subject == user),
    })
}

pub async fn record_failure(
    ctx: &Context,
    pool_id: &str,
    username_key: &str,
    address: Option<IpAddr>,
) -> Result<()> {
    let now = ctx.now();
    for (subject, threshold) in subjects(username_key, address) {
        let failures =
            store::record_failure(&ctx.store, pool_id, &subject, now, now - WINDOW_MS).await?;
        if failures >= threshold {
            store::lock(
                &ctx.store,
                pool_id,
                &subject,
                now + lock_length(failures, threshold),
            )
            .await?;
            tracing::warn!(
                pool_id,
                kind = subject.split(':').next().unwrap_or(""),
                failures,
                "sign-in locked after repeated failures"
            );
        }
    }
    Ok(())
}

/// A successful sign-in forgets the username's failures (not the address's).
pub async fn record_success(ctx: &Context, pool_id: &str, username_key: &str) -> Result<()> {
    Ok(store::clear(&ctx.store, pool_id, &format!("user:{username_key}")).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_doubles_up_to_fifteen_minutes() {
        assert_eq!(lock_length(5, 5), 30_000);
        assert_eq!(lock_length(6, 5), 60_000);
        assert_eq!(lock_length(30, 5), MAX_LOCK_MS);
    }
}
