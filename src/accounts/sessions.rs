//! Hosted sign-in sessions: a random token in an `HttpOnly` cookie, its digest in the
//! database, so a session can be ended server-side and survives no global sign-out.

use crate::accounts::types::may_hold_tokens;
use crate::accounts::users::lookup::find_by_sub;
use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::{random, secret};
use crate::error::Result;
use crate::store::StoreError;
use crate::store::oauth::{self as store, SessionRow};
use crate::store::users::UserRow;

pub const SESSION_LIFETIME_MS: Millis = 3_600_000;

pub struct Session {
    /// Digest of the cookie value; authorization codes record which session made them.
    pub token_hash: String,
    pub auth_time: Millis,
    pub user: UserRow,
    /// The methods that signed it in (RFC 8176), space-separated; `pwd` for sessions from
    /// before they were recorded.
    pub amr: String,
    /// The identity provider that signed it in, for a federated sign-in: the pool's second
    /// factor is that provider's business, and signing out may continue there.
    pub identity_provider: Option<String>,
    /// The provider's ID token, sealed (see `federation::logout`).
    pub upstream_id_token: Option<String>,
}

/// A new session token (the cookie value) and its digest (what the store keeps). Minting
/// comes first so a code can name its session before the session is recorded.
pub fn mint() -> (String, String) {
    let token = random::token(32);
    let hash = secret::digest(&token);
    (token, hash)
}

/// The row of a new session whose token digest is `hash`; it is stored with the code the
/// sign-in issues (`tokens::authorize::code_for_pending`), in one transaction.
pub fn new_row(
    ctx: &Context,
    pool_id: &str,
    user_id: &str,
    hash: &str,
    auth_time: Millis,
    amr: &str,
) -> SessionRow {
    let now = ctx.now();
    SessionRow {
        token_hash: hash.to_string(),
        pool_id: pool_id.to_string(),
        user_id: user_id.to_string(),
        auth_time,
        created_at: now,
        expires_at: now + SESSION_LIFETIME_MS,
        revoked_at: None,
        amr: Some(amr.to_string()),
        identity_provider: None,
        upstream_id_token: None,
    }
}

/// The live session behind a cookie value, if its user may still be signed in.
pub async fn current(ctx: &Context, pool_id: &str, token: &str) -> Result<Option<Session>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let hash = secret::digest(token);
    let row = match store::live_session(&ctx.store, pool_id, &hash, ctx.now()).await {
        Ok(row) => row,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(user) = find_by_sub(ctx, pool_id, &row.user_id).await? else {
        return Ok(None);
    };
    if !may_hold_tokens(&user, row.created_at) {
        return Ok(None);
    }
    Ok(Some(Session {
        token_hash: hash,
        auth_time: row.auth_time,
        user,
        amr: row.amr.unwrap_or_else(|| "pwd".to_string()),
        identity_provider: row.identity_provider,
        upstream_id_token: row.upstream_id_token,
    }))
}

pub async fn end(ctx: &Context, token: &str) -> Result<()> {
    if token.is_empty() || token.len() > 128 {
        return Ok(());
    }
    Ok(store::revoke_session(&ctx.store, &secret::digest(token), ctx.now()).await?)
}
