//! `SELECT_CHALLENGE`: the choice of how to sign in, offered before any factor. It grants
//! nothing, so it is kept in no table: its session is the client and the name, sealed with
//! an expiry, and answering it stands for a new sign-in by the same client for the same
//! name (a session carried to another client or name, or kept past its lifetime, fails).

use serde::Deserialize;

use crate::accounts::signin::steps::STEP_LIFETIME_MS;
use crate::context::Context;
use crate::crypto::sealed::SealError;

const CONTEXT: &str = "cognito-select-challenge";

#[derive(Deserialize)]
struct Choice {
    client: String,
    username: String,
    expires: i64,
}

/// The session for a choice offered to `client_id` for `username`.
pub fn offer(ctx: &Context, client_id: &str, username: &str) -> Result<String, SealError> {
    let choice = serde_json::json!({
        "client": client_id,
        "username": username,
        "expires": ctx.now() + STEP_LIFETIME_MS,
    });
    ctx.keys.seal(choice.to_string().as_bytes(), CONTEXT)
}

/// True when `session` is a choice this pool's key sealed for this client and name, and it
/// has not expired.
pub fn is_open(ctx: &Context, session: &str, client_id: &str, username: &str) -> bool {
    ctx.keys
        .open(session, CONTEXT)
        .ok()
        .and_then(|plain| serde_json::from_slice::<Choice>(&plain).ok())
        .is_some_and(|c| c.client == client_id && c.username == username && c.expires > ctx.now())
}
