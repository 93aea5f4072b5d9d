//! Completing a browser's sign-in, for every way in (the password form, a second factor, an
//! identity provider): the session, the code that names it and the device token are made
//! together, so no door can issue one without the others.

use crate::accounts::factors::devices;
use crate::accounts::sessions::{self, Session};
use crate::accounts::signin::machine::Completed;
use crate::context::Context;
use crate::error::Result;
use crate::pools::oauth_client::OAuthClient;
use crate::store::oauth::AuthRequestRow;
use crate::tokens::authorize::{self, CodeRedirect};

/// A sign-in through an identity provider: its name and its ID token, which the session
/// keeps (sealed) for signing out there.
pub struct Upstream<'a> {
    pub provider: &'a str,
    pub id_token: &'a str,
}

/// What the browser receives: the code for the application, and its new session and device
/// tokens (for their cookies).
pub struct Completion {
    pub code: CodeRedirect,
    pub session_token: String,
    pub device_token: String,
}

/// Whether a live session may complete a request of `client` (single sign-on): only when the
/// client offers the way it signed in (the pool's own sign-in, or that provider), and not
/// when the request names another provider (`identity_provider`).
pub fn session_serves(client: &OAuthClient, named: Option<&str>, session: &Session) -> bool {
    let via = session
        .identity_provider
        .as_deref()
        .unwrap_or(crate::domain::COGNITO);
    client.config.offers(via) && named.is_none_or(|n| n == via)
}

/// The provider's ID token kept with a pending request whose sign-in went on to a second
/// factor (a linked local user), if it still opens for this user.
pub fn upstream_of<'a>(
    ctx: &Context,
    pending: &'a AuthRequestRow,
    user_id: &str,
) -> Option<(&'a str, String)> {
    match (&pending.identity_provider, &pending.upstream_id_token) {
        (Some(provider), Some(sealed)) => {
            crate::tokens::upstream::open_for_request(ctx, &pending.id, user_id, sealed)
                .map(|token| (provider.as_str(), token))
        }
        _ => None,
    }
}

/// Signs the user in on `pending`: a session (with the methods it used, and the provider's
/// ID token when it came from one) and the code naming it, written in one transaction, and
/// a device token. The browser's earlier session (`previous`) ends. `None` when the request
/// was used or expired meanwhile; nothing is then ended.
pub async fn complete(
    ctx: &Context,
    pending: &AuthRequestRow,
    done: &Completed,
    upstream: Option<Upstream<'_>>,
    previous: Option<&str>,
) -> Result<Option<Completion>> {
    let (session_token, hash) = sessions::mint();
    let mut session = sessions::new_row(
        ctx,
        &pending.pool_id,
        &done.user.id,
        &hash,
        done.auth_time,
        &done.amr,
    );
    if let Some(upstream) = upstream {
        session.identity_provider = Some(upstream.provider.to_string());
        session.upstream_id_token = Some(crate::tokens::upstream::seal_id_token(
            ctx,
            &hash,
            upstream.id_token,
        )?);
    }
    let Some(code) = authorize::code_for_pending(ctx, pending, &session).await? else {
        return Ok(None);
    };
    if let Some(previous) = previous
        && let Err(err) = sessions::end(ctx, previous).await
    {
        tracing::warn!(error = %err, "could not end the previous session");
    }
    let device_token = devices::issue(ctx, &pending.pool_id, &done.user.id);
    Ok(Some(Completion {
        code,
        session_token,
        device_token,
    }))
}
