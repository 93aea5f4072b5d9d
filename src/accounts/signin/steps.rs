//! The steps a sign-in waits in, kept server-side: each under a random token used once
//! (only its digest is stored), bound to whoever reached it, for 3 minutes. Saved, taken
//! once, or looked at without taking.

use crate::accounts::signin::machine::{Binding, Start, Step};
use crate::accounts::users::lookup::find_by_sub;
use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::{random, secret};
use crate::error::Result;
use crate::store::sign_in_steps::{self as store, StepRow};
use crate::store::users::UserRow;

/// Cognito's sign-in session lasts 3 minutes.
pub const STEP_LIFETIME_MS: Millis = 3 * 60_000;

fn mint() -> (String, String) {
    let token = random::token(32);
    let hash = secret::digest(&token);
    (token, hash)
}

/// Only tokens of the shape `mint` makes are looked up.
pub(super) fn token_hash(token: &str) -> Option<String> {
    (token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| secret::digest(token))
}

pub(crate) struct NewStep<'a> {
    pub user: &'a UserRow,
    pub step: Step,
    pub amr: &'a str,
    pub auth_time: Millis,
    pub setup_secret: Option<String>,
    /// A retry keeps the first token's expiry: wrong codes do not buy time.
    pub expires_at: Option<Millis>,
}

/// A retry of the step behind `token`. A browser gets a fresh token with each page; an
/// API client cannot be handed one with an error, so its `Session` stays the same.
pub(crate) fn retry_token<'a>(start: &Start<'_>, token: &'a str) -> Option<&'a str> {
    matches!(start.binding, Binding::Opaque).then_some(token)
}

pub(crate) async fn save_step(
    ctx: &Context,
    start: &Start<'_>,
    new: NewStep<'_>,
) -> Result<String> {
    save_step_as(ctx, start, new, None).await
}

/// `save_step` under a token the caller derived, in place of any step under it.
pub(crate) async fn save_step_replacing(
    ctx: &Context,
    start: &Start<'_>,
    new: NewStep<'_>,
    token: &str,
) -> Result<()> {
    let row = step_row(ctx, start, new, secret::digest(token));
    store::replace(&ctx.store, &row, false).await?;
    Ok(())
}

fn step_row(ctx: &Context, start: &Start<'_>, new: NewStep<'_>, hash: String) -> StepRow {
    let now = ctx.now();
    let (browser, auth_request) = match start.binding {
        Binding::Browser {
            browser,
            auth_request,
        } => (Some(browser.to_string()), Some(auth_request.to_string())),
        Binding::Opaque => (None, None),
    };
    StepRow {
        token_hash: hash,
        pool_id: start.pool.id.clone(),
        client_id: start.client_id.to_string(),
        user_id: new.user.id.clone(),
        step: new.step.as_str().to_string(),
        browser,
        auth_request_id: auth_request,
        amr: new.amr.to_string(),
        auth_time: new.auth_time,
        setup_secret: new.setup_secret,
        created_at: now,
        expires_at: new.expires_at.unwrap_or(now + STEP_LIFETIME_MS),
        consumed_at: None,
    }
}

/// `save_step`, under the spent token `reuse` when given (see `retry_token`).
pub(crate) async fn save_step_as(
    ctx: &Context,
    start: &Start<'_>,
    new: NewStep<'_>,
    reuse: Option<&str>,
) -> Result<String> {
    let (token, hash) = match reuse.and_then(|t| token_hash(t).map(|h| (t.to_string(), h))) {
        Some(pair) => pair,
        None => mint(),
    };
    let reused = reuse.is_some_and(|t| t == token);
    let row = step_row(ctx, start, new, hash);
    if reused {
        store::replace_spent(&ctx.store, &row).await?;
    } else {
        store::insert(&ctx.store, &row).await?;
    }
    Ok(token)
}

/// Takes the step `token` for `binding`, if it is live, of one of `kinds`, and theirs.
pub(crate) async fn take(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
    kinds: &[Step],
) -> Result<Option<(StepRow, UserRow)>> {
    let Some(hash) = token_hash(token) else {
        return Ok(None);
    };
    let belongs = |row: &StepRow| {
        start.binding.matches(row)
            && row.client_id == start.client_id
            && kinds.iter().any(|kind| kind.as_str() == row.step)
    };
    // Checked before the step is spent, so a stranger holding the token cannot spend it.
    match store::live(&ctx.store, &start.pool.id, &hash, ctx.now()).await? {
        Some(row) if belongs(&row) => {}
        _ => return Ok(None),
    }
    let Some(row) = store::consume(&ctx.store, &start.pool.id, &hash, ctx.now()).await? else {
        return Ok(None);
    };
    if !belongs(&row) {
        return Ok(None);
    }
    let Some(user) = find_by_sub(ctx, &start.pool.id, &row.user_id).await? else {
        return Ok(None);
    };
    // Disabled (or signed out everywhere) between two steps: the sign-in is over.
    if !user.enabled || user.signed_out_at.is_some_and(|t| t >= row.created_at) {
        return Ok(None);
    }
    Ok(Some((row, user)))
}

/// The live step behind `token` and its user, if it belongs to `start`, without spending
/// it.
pub async fn live_step(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
) -> Result<Option<(StepRow, UserRow)>> {
    let Some(hash) = token_hash(token) else {
        return Ok(None);
    };
    let Some(row) = store::live(&ctx.store, &start.pool.id, &hash, ctx.now()).await? else {
        return Ok(None);
    };
    if !start.binding.matches(&row) || row.client_id != start.client_id {
        return Ok(None);
    }
    let user = find_by_sub(ctx, &start.pool.id, &row.user_id).await?;
    Ok(user.map(|user| (row, user)))
}

/// The user of a live step that belongs to `start`, without spending it.
pub async fn step_user(ctx: &Context, start: &Start<'_>, token: &str) -> Result<Option<UserRow>> {
    Ok(live_step(ctx, start, token).await?.map(|(_, user)| user))
}

/// The client of a live API step, from its token alone (`AssociateSoftwareToken` names
/// no client).
pub async fn step_client(ctx: &Context, token: &str) -> Result<Option<String>> {
    let Some(hash) = token_hash(token) else {
        return Ok(None);
    };
    Ok(store::live_anywhere(&ctx.store, &hash, ctx.now())
        .await?
        .filter(|row| row.browser.is_none())
        .map(|row| row.client_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_minted_tokens_are_looked_up() {
        let (token, hash) = mint();
        assert_eq!(token_hash(&token), Some(hash));
        for bad in ["", "short", &"x".repeat(44), "abc\0def"] {
            assert_eq!(token_hash(bad), None);
        }
    }
}
