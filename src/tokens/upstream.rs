//! The provider's ID token Cognate keeps for signing out there (RP-Initiated Logout): sealed
//! to the session it signed in, or, while a linked user takes a second-factor step, to the
//! authorization request and that user.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::StoreError;

fn token_context(session_hash: &str) -> String {
    format!("upstream-id-token:{session_hash}")
}

/// The provider's ID token sealed for the session `session_hash`.
pub fn seal_id_token(ctx: &Context, session_hash: &str, id_token: &str) -> Result<String> {
    ctx.keys
        .seal(id_token.as_bytes(), &token_context(session_hash))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
}

fn request_context(auth_request: &str, user_id: &str) -> String {
    format!("upstream-id-token-request:{auth_request}:{user_id}")
}

/// The provider's ID token sealed to the authorization request it answered and to the user
/// it signed in as, while that user takes a second-factor step. Another user finishing the
/// same request (by password, after going back) cannot open it.
pub fn seal_for_request(
    ctx: &Context,
    auth_request: &str,
    user_id: &str,
    id_token: &str,
) -> Result<String> {
    ctx.keys
        .seal(id_token.as_bytes(), &request_context(auth_request, user_id))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
}

/// The ID token `seal_for_request` sealed for this request and user, if it opens.
pub fn open_for_request(
    ctx: &Context,
    auth_request: &str,
    user_id: &str,
    sealed: &str,
) -> Option<String> {
    ctx.keys
        .open(sealed, &request_context(auth_request, user_id))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

/// The ID token `seal_id_token` sealed for the session `session_hash`, if it opens.
pub fn open_id_token(ctx: &Context, session_hash: &str, sealed: &str) -> Option<String> {
    ctx.keys
        .open(sealed, &token_context(session_hash))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}
