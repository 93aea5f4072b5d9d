//! The authorization endpoint's rules (RFC 6749 §4.1, OIDC Core §3.1.2), one named check
//! each, in the order that decides whether an error may be redirected: first the client and
//! its redirect URI (never redirect when either is wrong), then everything else.

use std::collections::HashMap;

use subtle::ConstantTimeEq;

use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::{random, secret};
use crate::pools::clients::{OAuthClient, find_oauth_client};
use crate::store::StoreError;
use crate::store::oauth::{self as store, AuthRequestRow, CodeRow, SessionRow};
use crate::tokens::OAuthError;
use crate::tokens::grants::parse_scopes;

pub const PENDING_LIFETIME_MS: Millis = 15 * 60 * 1000;
pub const CODE_LIFETIME_MS: Millis = 5 * 60 * 1000;
const MAX_PARAM_LEN: usize = 2048;
/// `state` and `nonce` are echoed and stored: enough for any real client, small enough that
/// unauthenticated requests cannot fill the disk.
pub const MAX_STATE_LEN: usize = 1024;
pub const MAX_LOGIN_HINT_LEN: usize = 256;
/// Live pending requests one client address may hold: each is a stored row, and starting
/// one needs no account.
pub const MAX_PENDING_PER_ADDRESS: i64 = 100;

/// How the answer goes back to the client (OAuth 2.0 Multiple Response Types §2.1, and
/// Form Post Response Mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseMode {
    #[default]
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub const ALL: [&'static str; 3] = ["query", "fragment", "form_post"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "query" => Some(Self::Query),
            "fragment" => Some(Self::Fragment),
            "form_post" => Some(Self::FormPost),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Fragment => "fragment",
            Self::FormPost => "form_post",
        }
    }
}

/// Why an authorization request fails, and whether the client may be told by redirect.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Unknown client or unregistered redirect URI: shown on a page, never redirected.
    Fatal(String),
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
        response_mode: ResponseMode,
    },
    Internal(String),
}

impl From<OAuthError> for AuthorizeError {
    fn from(err: OAuthError) -> Self {
        AuthorizeError::Internal(err.to_string())
    }
}

impl From<crate::error::Error> for AuthorizeError {
    fn from(err: crate::error::Error) -> Self {
        AuthorizeError::Internal(err.to_string())
    }
}

impl From<StoreError> for AuthorizeError {
    fn from(err: StoreError) -> Self {
        AuthorizeError::Internal(err.to_string())
    }
}

pub use crate::domain::Prompt;

/// An authorization request that passed every check.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub client: OAuthClient,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub response_mode: ResponseMode,
}

/// Query or form parameters with each name at most once (RFC 6749 §3.1).
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes; repeated names and non-UTF-8 values
    /// are errors, not guesses.
    pub fn parse(raw: &[u8]) -> Result<Self, String> {
        let mut map = HashMap::new();
        for pair in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let decode = |bytes: &[u8]| -> Result<String, String> {
                let plus: Vec<u8> = bytes
                    .iter()
                    .map(|b| if *b == b'+' { b' ' } else { *b })
                    .collect();
                let decoded: Vec<u8> = percent_encoding::percent_decode(&plus).collect();
                String::from_utf8(decoded).map_err(|_| "a parameter is not valid UTF-8".to_string())
            };
            let key = decode(k)?;
            let value = decode(v)?;
            if map.insert(key.clone(), value).is_some() {
                return Err(format!(
                    "the parameter `{}` is repeated",
                    key.chars().take(64).collect::<String>()
                ));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

fn redirect_error(
    req: &Params,
    redirect_uri: &str,
    error: &'static str,
    description: &str,
) -> AuthorizeError {
    AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_string(),
        error,
        description: description.to_string(),
        // An unusable state is not echoed (it failed `check_lengths`).
        state: req
            .get("state")
            .filter(|s| s.len() <= MAX_STATE_LEN && !s.chars().any(char::is_control))
            .map(str::to_string),
        // An unknown mode answers in the default one.
        response_mode: req
            .get("response_mode")
            .and_then(ResponseMode::parse)
            .unwrap_or_default(),
    }
}

/// Check 1: the client exists and the redirect URI is exactly one of its callback URLs.
async fn check_client_and_redirect(
    ctx: &Context,
    pool_id: &str,
    req: &Params,
) -> Result<(OAuthClient, String), AuthorizeError> {
    let client_id = req
        .get("client_id")
        .ok_or_else(|| AuthorizeError::Fatal("client_id is missing".into()))?;
    let client = find_oauth_client(ctx, pool_id, client_id)
        .await?
        .ok_or_else(|| AuthorizeError::Fatal("unknown client_id".into()))?;
    let redirect_uri = match req.get("redirect_uri") {
        Some(uri) if client.config.callback_urls.iter().any(|c| c == uri) => uri.to_string(),
        Some(_) => {
            return Err(AuthorizeError::Fatal(
                "redirect_uri is not registered for this client".into(),
            ));
        }
        None => client
            .config
            .default_redirect_uri
            .clone()
            .ok_or_else(|| AuthorizeError::Fatal("redirect_uri is missing".into()))?,
    };
    Ok((client, redirect_uri))
}

fn check_response_type(req: &Params, redirect: &str) -> Result<(), AuthorizeError> {
    match req.get("response_type") {
        Some("code") => Ok(()),
        None => Err(redirect_error(
            req,
            redirect,
            "invalid_request",
            "response_type is missing",
        )),
        Some(_) => Err(redirect_error(
            req,
            redirect,
            "unsupported_response_type",
            "only response_type=code is supported",
        )),
    }
}

fn check_lengths(req: &Params, redirect: &str) -> Result<(), AuthorizeError> {
    for (name, max) in [
        ("state", MAX_STATE_LEN),
        ("nonce", MAX_STATE_LEN),
        ("login_hint", MAX_LOGIN_HINT_LEN),
        ("scope", MAX_PARAM_LEN),
        ("code_challenge", MAX_PARAM_LEN),
        ("prompt", MAX_PARAM_LEN),
        ("max_age", MAX_PARAM_LEN),
        ("response_mode", MAX_PARAM_LEN),
    ] {
        if req
            .get(name)
            .is_some_and(|v| v.len() > max || v.chars().any(|c| c.is_control()))
        {
            return Err(redirect_error(
                req,
                redirect,
                "invalid_request",
                &format!("{name} is too long (at most {max} bytes) or malformed"),
            ));
        }
    }
    Ok(())
}

/// OIDC Core §6: request objects are not supported, and discovery says so.
fn check_request_objects(req: &Params, redirect: &str) -> Result<(), AuthorizeError> {
    if req.get("request").is_some() {
        return Err(redirect_error(
            req,
            redirect,
            "request_not_supported",
            "request objects (the request parameter) are not supported",
        ));
    }
    if req.get("request_uri").is_some() {
        return Err(redirect_error(
            req,
            redirect,
            "request_uri_not_supported",
            "the request_uri parameter is not supported",
        ));
    }
    Ok(())
}

fn check_response_mode(req: &Params, redirect: &str) -> Result<ResponseMode, AuthorizeError> {
    match req.get("response_mode") {
        None => Ok(ResponseMode::Query),
        Some(mode) => ResponseMode::parse(mode).ok_or_else(|| {
            redirect_error(
                req,
                redirect,
                "invalid_request",
                "response_mode must be query, fragment or form_post",
            )
        }),
    }
}

fn check_scopes(
    req: &Params,
    client: &OAuthClient,
    redirect: &str,
) -> Result<Vec<String>, AuthorizeError> {
    let scopes = match req.get("scope") {
        None => client.config.allowed_oauth_scopes.clone(),
        Some(scope) => parse_scopes(scope)
            .map_err(|_| redirect_error(req, redirect, "invalid_scope", "malformed scope"))?,
    };
    if let Some(bad) = scopes.iter().find(|s| !client.allows_scope(s)) {
        let bad: String = bad.chars().take(100).collect();
        return Err(redirect_error(
            req,
            redirect,
            "invalid_scope",
            &format!("scope `{bad}` is not allowed for this client"),
        ));
    }
    if scopes.is_empty() {
        return Err(redirect_error(
            req,
            redirect,
            "invalid_scope",
            "no scope requested or allowed",
        ));
    }
    Ok(scopes)
}

/// PKCE: S256 only; required for clients without a secret.
fn check_pkce(
    req: &Params,
    client: &OAuthClient,
    redirect: &str,
) -> Result<Option<String>, AuthorizeError> {
    let challenge = req.get("code_challenge");
    match req.get("code_challenge_method") {
        None | Some("S256") => {}
        Some(_) => {
            return Err(redirect_error(
                req,
                redirect,
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
    }
    match challenge {
        None if !client.is_confidential() => Err(redirect_error(
            req,
            redirect,
            "invalid_request",
            "code_challenge (PKCE, S256) is required for this client",
        )),
        None => Ok(None),
        Some(c)
            if c.len() == 43
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            if req.get("code_challenge_method").is_none() {
                // Without a method the challenge would mean `plain`, which is refused.
                return Err(redirect_error(
                    req,
                    redirect,
                    "invalid_request",
                    "code_challenge_method must be S256",
                ));
            }
            Ok(Some(c.to_string()))
        }
        Some(_) => Err(redirect_error(
            req,
            redirect,
            "invalid_request",
            "code_challenge must be a base64url SHA-256",
        )),
    }
}

fn check_prompt(req: &Params, redirect: &str) -> Result<(Prompt, Option<i64>), AuthorizeError> {
    let mut prompt = Prompt::Default;
    if let Some(value) = req.get("prompt") {
        let values: Vec<&str> = value.split(' ').filter(|v| !v.is_empty()).collect();
        if values.contains(&"none") && values.len() > 1 {
            return Err(redirect_error(
                req,
                redirect,
                "invalid_request",
                "prompt=none cannot be combined",
            ));
        }
        if values.contains(&"none") {
            prompt = Prompt::None;
        } else if values.contains(&"login") {
            prompt = Prompt::Login;
        }
    }
    let max_age = match req.get("max_age") {
        None => None,
        Some(v) => Some(
            v.parse::<i64>()
                .ok()
                .filter(|n| (0..=i64::from(u32::MAX)).contains(n))
                .ok_or_else(|| {
                    redirect_error(
                        req,
                        redirect,
                        "invalid_request",
                        "max_age must be a number of seconds",
                    )
                })?,
        ),
    };
    Ok((prompt, max_age))
}

/// Runs every check in order.
pub async fn validate(
    ctx: &Context,
    pool_id: &str,
    req: &Params,
) -> Result<ValidRequest, AuthorizeError> {
    let (client, redirect_uri) = check_client_and_redirect(ctx, pool_id, req).await?;
    let response_mode = check_response_mode(req, &redirect_uri)?;
    check_lengths(req, &redirect_uri)?;
    check_request_objects(req, &redirect_uri)?;
    check_response_type(req, &redirect_uri)?;
    if !client.allows_flow("code") {
        return Err(redirect_error(
            req,
            &redirect_uri,
            "unauthorized_client",
            "this client may not use the code flow",
        ));
    }
    let scopes = check_scopes(req, &client, &redirect_uri)?;
    let code_challenge = check_pkce(req, &client, &redirect_uri)?;
    let (prompt, max_age) = check_prompt(req, &redirect_uri)?;
    Ok(ValidRequest {
        client,
        redirect_uri,
        scopes,
        state: req.get("state").map(str::to_string),
        nonce: req.get("nonce").map(str::to_string),
        code_challenge,
        prompt,
        max_age,
        login_hint: req.get("login_hint").map(str::to_string),
        response_mode,
    })
}

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

/// `uri` with `params` added to its query, keeping any query it already has.
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
        sep = '&';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_refuse_repeats_and_bad_utf8() {
        let p = Params::parse(b"a=1&b=x+y%21").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("x y!"));
        assert!(Params::parse(b"a=1&a=2").is_err());
        assert!(Params::parse(b"a=%FF%FE").is_err());
    }

    #[test]
    fn query_is_appended() {
        assert_eq!(
            with_query("https://a/cb", &[("code", "x y")]),
            "https://a/cb?code=x+y"
        );
        assert_eq!(
            with_query("https://a/cb?k=1", &[("code", "c")]),
            "https://a/cb?k=1&code=c"
        );
    }
}
