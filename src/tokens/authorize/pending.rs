//! A checked request kept server-side while the user signs in, bound to the browser that
//! started it, and the authorization code it turns into (or a code straight from a live
//! session).

use subtle::ConstantTimeEq;

use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::{random, secret};
use crate::store::StoreError;
use crate::store::oauth::{self as store, AuthRequestRow, CodeRow, SessionRow};
use crate::tokens::authorize::checks::{AuthorizeError, ResponseMode, ValidRequest};

pub const PENDING_LIFETIME_MS: Millis = 15 * 60 * 1000;
pub const CODE_LIFETIME_MS: Millis = 5 * 60 * 1000;

/// Live pending requests one client address may hold: each is a stored row, and starting
/// one needs no account.
pub const MAX_PENDING_PER_ADDRESS: i64 = 100;

/// Keeps the request server-side while the user signs in, bound to the browser (`browser`,
/// the digest of its CSRF cookie) that started it; returns its reference. A client address
/// with `MAX_PENDING_PER_ADDRESS` live requests is told to come back later.
pub async fn save_pending(
    ctx: &Context,
    req: &ValidRequest,
    browser: &str,
    address: Option<std::net::IpAddr>,
) -> Result<String, AuthorizeError> {
    let id = random::token(24);
    let now = ctx.now();
    let saved = store::insert_auth_request(
        &ctx.store,
        &AuthRequestRow {
            id: id.clone(),
            pool_id: req.client.pool_id.clone(),
            client_id: req.client.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scopes.join(" "),
            state: req.state.clone(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            max_age: req.max_age,
            login_hint: req.login_hint.clone(),
            pending_user_id: None,
            pending_browser: Some(browser.to_string()),
            created_at: now,
            expires_at: now + PENDING_LIFETIME_MS,
            consumed_at: None,
            client_address: address.map(|a| a.to_string()),
            response_mode: Some(req.response_mode.as_str().to_string()),
            identity_provider: None,
            upstream_id_token: None,
        },
        MAX_PENDING_PER_ADDRESS,
    )
    .await?;
    if !saved {
        return Err(AuthorizeError::Redirect {
            redirect_uri: req.redirect_uri.clone(),
            error: "temporarily_unavailable",
            description: "too many sign-ins are in progress from this address; try again later"
                .into(),
            state: req.state.clone(),
            response_mode: req.response_mode,
        });
    }
    Ok(id)
}

/// A pending request that is still usable, by the browser that started it (`browser`, the
/// digest of its CSRF cookie): a reference copied to another browser is worth nothing.
pub async fn pending(
    ctx: &Context,
    pool_id: &str,
    id: &str,
    browser: Option<&str>,
) -> Result<Option<AuthRequestRow>, StoreError> {
    // References are `random::token(24)`: 32 base64url characters. Anything else cannot
    // exist and never reaches the database.
    if id.len() != 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let Some(browser) = browser else {
        return Ok(None);
    };
    match store::live_auth_request(&ctx.store, pool_id, id, ctx.now()).await {
        Ok(row)
            if row
                .pending_browser
                .as_deref()
                .is_some_and(|b| bool::from(b.as_bytes().ct_eq(browser.as_bytes()))) =>
        {
            Ok(Some(row))
        }
        Ok(_) => Ok(None),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Where the browser goes with the code, and how.
pub struct CodeRedirect {
    pub redirect_uri: String,
    pub code: String,
    pub state: Option<String>,
    pub response_mode: ResponseMode,
}

fn new_code(
    ctx: &Context,
    pool_id: &str,
    client_id: &str,
    user_id: &str,
    redirect_uri: &str,
    scope: &str,
) -> (String, CodeRow) {
    let code = random::token(32);
    let now = ctx.now();
    let row = CodeRow {
        code_hash: secret::digest(&code),
        pool_id: pool_id.to_string(),
        client_id: client_id.to_string(),
        user_id: user_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scope: scope.to_string(),
        nonce: None,
        code_challenge: None,
        session_hash: None,
        auth_time: now,
        origin_jti: uuid::Uuid::new_v4().to_string(),
        created_at: now,
        expires_at: now + CODE_LIFETIME_MS,
        consumed_at: None,
        amr: None,
    };
    (code, row)
}

/// Turns a pending request into a code for the signed-in user; `None` if the request was
/// used or expired meanwhile.
pub async fn code_for_pending(
    ctx: &Context,
    pending: &AuthRequestRow,
    session: &SessionRow,
) -> Result<Option<CodeRedirect>, StoreError> {
    let (code, mut row) = new_code(
        ctx,
        &pending.pool_id,
        &pending.client_id,
        &session.user_id,
        &pending.redirect_uri,
        &pending.scope,
    );
    row.nonce = pending.nonce.clone();
    row.code_challenge = pending.code_challenge.clone();
    row.session_hash = Some(session.token_hash.clone());
    row.auth_time = session.auth_time;
    row.amr = session.amr.clone();
    if !store::issue_code(&ctx.store, &pending.id, &row, session).await? {
        return Ok(None);
    }
    Ok(Some(CodeRedirect {
        redirect_uri: pending.redirect_uri.clone(),
        code,
        state: pending.state.clone(),
        response_mode: pending
            .response_mode
            .as_deref()
            .and_then(ResponseMode::parse)
            .unwrap_or_default(),
    }))
}

/// A code straight from a live session (single sign-on, no form).
pub async fn code_for_session(
    ctx: &Context,
    req: &ValidRequest,
    user_id: &str,
    session_hash: &str,
    auth_time: Millis,
    amr: &str,
) -> Result<CodeRedirect, StoreError> {
    let (code, mut row) = new_code(
        ctx,
        &req.client.pool_id,
        &req.client.client_id,
        user_id,
        &req.redirect_uri,
        &req.scopes.join(" "),
    );
    row.nonce = req.nonce.clone();
    row.code_challenge = req.code_challenge.clone();
    row.session_hash = Some(session_hash.to_string());
    row.auth_time = auth_time;
    row.amr = Some(amr.to_string());
    store::insert_code(&ctx.store, &row).await?;
    Ok(CodeRedirect {
        redirect_uri: req.redirect_uri.clone(),
        code,
        state: req.state.clone(),
        response_mode: req.response_mode,
    })
}
