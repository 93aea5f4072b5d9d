//! The authorization endpoint's rules (RFC 6749 §4.1, OIDC Core §3.1.2), one named check
//! each, in the order that decides whether an error may be redirected: first the client and
//! its redirect URI (never redirect when either is wrong), then everything else.

use crate::context::Context;
use crate::domain::Prompt;
use crate::pools::oauth_client::{OAuthClient, find_oauth_client};
use crate::store::StoreError;
use crate::tokens::OAuthError;
use crate::tokens::authorize::params::Params;
use crate::tokens::grants::parse_scopes;

const MAX_PARAM_LEN: usize = 2048;
/// `state` and `nonce` are echoed and stored: enough for any real client, small enough that
/// unauthenticated requests cannot fill the disk.
pub const MAX_STATE_LEN: usize = 1024;
pub const MAX_LOGIN_HINT_LEN: usize = 256;

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
