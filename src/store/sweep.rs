//! The sweep: expired single-use rows of every table, deleted now and then, never on a
//! request path.

use super::{Store, StoreResult, on_pool};

/// Deletes expired single-use rows; run now and then, never on a request path.
pub async fn sweep_expired(store: &Store, now: i64) -> StoreResult<u64> {
    let mut total = 0;
    for sql in [
        // Used requests go at once; their codes are elsewhere.
        "DELETE FROM auth_requests WHERE expires_at < $1 OR consumed_at IS NOT NULL",
        // Kept a day past expiry, so a late replay is still recognised and revokes.
        "DELETE FROM authorization_codes WHERE expires_at < $1 - 86400000",
        "DELETE FROM sessions WHERE expires_at < $1",
        "DELETE FROM verification_codes WHERE expires_at < $1 - 86400000",
        "DELETE FROM refused_sign_ups WHERE expires_at < $1",
        "DELETE FROM federation_states WHERE expires_at < $1 OR consumed_at IS NOT NULL",
        // Sign-ups nobody confirmed within a week (their codes died after a day): anyone can
        // make them, so they must not pile up. The person can simply sign up again.
        "DELETE FROM users WHERE status = 'UNCONFIRMED' AND created_at < $1 - 604800000",
        // Delivered or abandoned mail (bodies already blanked) is kept a week for the record.
        "DELETE FROM outbox WHERE status <> 'queued' AND created_at < $1 - 604800000",
    ] {
        total += on_pool!(store, pool => sqlx::query(sql).bind(now).execute(pool).await?.rows_affected());
    }
    Ok(total)
}
