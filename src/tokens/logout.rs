//! RP-Initiated Logout 1.0, beside Cognito's `logout_uri` and `client_id`: which client is
//! asking, where the browser may go afterwards, and whether the request proves it comes
//! from the signed-in user's own application (a valid `id_token_hint` for the same user).
//! Without that proof a session is only ended after the user confirms, so a link on some
//! other site cannot sign anyone out.

use crate::context::Context;
use crate::crypto::jwt;
use crate::pools::oauth_client::find_oauth_client;
use crate::tokens::OAuthError;
use crate::tokens::authorize::{MAX_STATE_LEN, with_query};

/// The parameters of a logout request, as sent.
#[derive(Debug, Default, Clone)]
pub struct LogoutRequest<'a> {
    pub client_id: Option<&'a str>,
    pub id_token_hint: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    /// Cognito's name for the same thing.
    pub logout_uri: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// What a valid logout request leads to.
#[derive(Debug, Clone)]
pub struct LogoutPlan {
    /// Where the browser goes afterwards, `state` included; `None` shows a signed-out page.
    pub target: Option<String>,
    /// The `sub` of a valid `id_token_hint`.
    pub hinted_user: Option<String>,
    /// The client named by `client_id` or by the hint's `aud`.
    pub client_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    /// Shown on a page, never redirected: nothing about the target can be trusted.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Internal(#[from] OAuthError),
    #[error(transparent)]
    Core(#[from] crate::error::Error),
}

/// The `sub` and `aud` of an ID token this pool signed. An expired one still says who it
/// was for (the spec asks providers to accept those as hints).
async fn hint_claims(
    ctx: &Context,
    pool_id: &str,
    token: &str,
) -> Result<(String, String), LogoutError> {
    let bad = || LogoutError::Invalid("id_token_hint is not an ID token of this user pool".into());
    let kid = jwt::key_id(token).map_err(|_| bad())?;
    let key = ctx
        .keys
        .verifying_key(&ctx.store, &ctx.caches, pool_id, &kid, ctx.now())
        .await
        .map_err(OAuthError::from)?
        .ok_or_else(bad)?;
    let claims = jwt::verify(token, &key).map_err(|_| bad())?;
    if claims["iss"].as_str() != Some(ctx.issuer(pool_id).as_str()) || claims["token_use"] != "id" {
        return Err(bad());
    }
    match (claims["sub"].as_str(), claims["aud"].as_str()) {
        (Some(sub), Some(aud)) => Ok((sub.to_string(), aud.to_string())),
        _ => Err(bad()),
    }
}

/// Checks a logout request: the client, the hint, and a redirect target that must be one of
/// the client's registered logout URLs exactly.
pub async fn plan(
    ctx: &Context,
    pool_id: &str,
    req: &LogoutRequest<'_>,
) -> Result<LogoutPlan, LogoutError> {
    let invalid = |why: &str| LogoutError::Invalid(why.to_string());
    let hint = match req.id_token_hint {
        Some(token) => Some(hint_claims(ctx, pool_id, token).await?),
        None => None,
    };
    let client_id = match (req.client_id, hint.as_ref().map(|(_, aud)| aud.as_str())) {
        (Some(named), Some(aud)) if named != aud => {
            return Err(invalid("client_id is not the audience of id_token_hint"));
        }
        (Some(named), _) => Some(named.to_string()),
        (None, aud) => aud.map(str::to_string),
    };
    let uri = match (req.post_logout_redirect_uri, req.logout_uri) {
        (Some(a), Some(b)) if a != b => {
            return Err(invalid(
                "post_logout_redirect_uri and logout_uri name different addresses",
            ));
        }
        (a, b) => a.or(b),
    };
    if req
        .state
        .is_some_and(|s| s.len() > MAX_STATE_LEN || s.chars().any(char::is_control))
    {
        return Err(invalid("state is too long or malformed"));
    }
    let target = match uri {
        None => None,
        Some(uri) => {
            let client_id = client_id
                .as_deref()
                .ok_or_else(|| invalid("a logout redirect needs client_id or id_token_hint"))?;
            let client = find_oauth_client(ctx, pool_id, client_id)
                .await?
                .ok_or_else(|| invalid("unknown client_id"))?;
            if !client.config.logout_urls.iter().any(|u| u == uri) {
                return Err(invalid(
                    "the logout redirect is not a registered logout URL of this client",
                ));
            }
            Some(match req.state {
                Some(state) => with_query(uri, &[("state", state)]),
                None => uri.to_string(),
            })
        }
    };
    Ok(LogoutPlan {
        target,
        hinted_user: hint.map(|(sub, _)| sub),
        client_id,
    })
}
