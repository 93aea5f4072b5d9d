//! `USER_SRP_AUTH`'s bookkeeping: each password's SRP verifier, kept beside its hash, made
//! whenever a password is set. The `PASSWORD_VERIFIER` step that uses it is
//! `password_verifier`; the arithmetic is `crypto::srp`.

use crate::context::Context;
use crate::crypto::{secret, srp};
use crate::error::Result;
use crate::store::srp::{self as store, VerifierRow};
use crate::store::users::UserRow;

/// The pool name SRP hashes with: the part of the pool id after `_`, as Amplify takes it.
pub fn pool_name(pool_id: &str) -> &str {
    pool_id.split_once('_').map_or(pool_id, |(_, name)| name)
}

pub(crate) fn password_digest(user: &UserRow) -> Option<String> {
    user.password_hash.as_deref().map(secret::digest)
}

pub(crate) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stores the verifier of `password`, which `user` now has (its `password_hash` is the
/// new one). A failure is logged, not returned: the password is set either way, and the
/// verifier is made again at the next password sign-in.
pub async fn remember(ctx: &Context, user: &UserRow, password: &str) {
    let Some(digest) = password_digest(user) else {
        return;
    };
    let name = pool_name(&user.pool_id).to_string();
    let username = user.id.clone();
    let password = password.to_string();
    let made =
        tokio::task::spawn_blocking(move || srp::make_verifier(&name, &username, &password)).await;
    let Ok(made) = made else {
        tracing::error!("computing an SRP verifier failed");
        return;
    };
    let row = VerifierRow {
        user_id: user.id.clone(),
        pool_id: user.pool_id.clone(),
        password_digest: digest,
        salt: hex(&made.salt),
        verifier: hex(&made.verifier),
        created_at: ctx.now(),
    };
    if let Err(e) = store::put(&ctx.store, &row).await {
        // A user deleted meanwhile fails the foreign key; nothing is lost either way.
        tracing::warn!(error = %e, "storing an SRP verifier failed");
    }
}

/// The user's salt and verifier, if they belong to the password the user has now.
pub(crate) async fn current(ctx: &Context, user: &UserRow) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let Some(digest) = password_digest(user) else {
        return Ok(None);
    };
    let Some(row) = store::get(&ctx.store, &user.id).await? else {
        return Ok(None);
    };
    use subtle::ConstantTimeEq;
    if !bool::from(row.password_digest.as_bytes().ct_eq(digest.as_bytes())) {
        return Ok(None);
    }
    Ok(hex_decode(&row.salt).zip(hex_decode(&row.verifier)))
}

/// After a right password: makes the verifier if the user lacks a current one.
pub async fn ensure(ctx: &Context, user: &UserRow, password: &str) {
    match current(ctx, user).await {
        Ok(Some(_)) => {}
        Ok(None) => remember(ctx, user, password).await,
        Err(e) => tracing::warn!(error = %e, "reading an SRP verifier failed"),
    }
}
