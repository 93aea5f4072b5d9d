//! Signing out at the provider too (RP-Initiated Logout 1.0): when the session came from a
//! provider that advertises `end_session_endpoint` and the pool's provider says
//! `sign_out_upstream`, the browser goes there with the provider's ID token as the hint,
//! and comes back to `{issuer}/oauth2/idplogout`, which continues to where the application
//! asked to go. That target was checked before the session ended and travels sealed in a
//! state bound to the browser.

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::crypto::random;
use crate::error::Result;
use crate::federation::flow::{self, SIGN_OUT};
use crate::tokens::authorize::with_query;

/// `{issuer}/oauth2/idplogout`, registered at the provider as a post-logout redirect URI.
pub fn return_url(ctx: &Context, pool_id: &str) -> String {
    format!("{}/oauth2/idplogout", ctx.issuer(pool_id))
}

#[derive(Serialize, Deserialize)]
struct Target {
    target: Option<String>,
}

/// Where the browser goes to sign out at the provider, if it should: the session's
/// provider, its sealed ID token, and the application's target afterwards (`None` for the
/// signed-out page).
pub async fn upstream(
    ctx: &Context,
    pool_id: &str,
    session_hash: &str,
    provider: &str,
    sealed_token: Option<&str>,
    browser: &str,
    target: Option<&str>,
) -> Result<Option<String>> {
    let Some(provider) = flow::load(ctx, pool_id, provider).await? else {
        return Ok(None);
    };
    let Some(endpoint) = provider.end_session_endpoint().cloned() else {
        return Ok(None);
    };
    if !provider.row.sign_out_upstream {
        return Ok(None);
    }
    let hint =
        sealed_token.and_then(|t| crate::tokens::upstream::open_id_token(ctx, session_hash, t));
    let state = random::token(32);
    let payload = Target {
        target: target.map(str::to_string),
    };
    flow::save_state(
        ctx,
        &state,
        pool_id,
        &provider.row.name,
        SIGN_OUT,
        browser,
        None,
        &payload,
    )
    .await?;
    let back = return_url(ctx, pool_id);
    let mut params = vec![
        ("client_id", provider.row.client_id.as_str()),
        ("post_logout_redirect_uri", back.as_str()),
        ("state", state.as_str()),
    ];
    if let Some(hint) = &hint {
        params.push(("id_token_hint", hint));
    }
    Ok(Some(with_query(endpoint.as_str(), &params)))
}

/// The application's target saved for the sign-out `state` of this browser, once.
/// `Ok(None)` for the signed-out page (no target, or an unknown state).
pub async fn returned(
    ctx: &Context,
    pool_id: &str,
    state: &str,
    browser: &str,
) -> Result<Option<String>> {
    let Some(row) = flow::take_state(ctx, pool_id, SIGN_OUT, state, browser).await? else {
        return Ok(None);
    };
    Ok(flow::open_state::<Target>(ctx, &row).and_then(|t| t.target))
}
