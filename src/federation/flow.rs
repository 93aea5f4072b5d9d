//! The round trip to a provider (OpenID Connect Core §3.1, code flow): the request Cognate
//! sends there, with PKCE (S256), `state` and `nonce`, pending for 10 minutes and bound to the
//! browser and to the application's authorization request; and the return, where the code
//! is exchanged (by hand: RFC 6749 §4.1.3 with RFC 7636's verifier) and the ID token verified
//! completely (`federation::id_token`) before anything about the person is believed.

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::jws::JwkSet;
use crate::crypto::{random, secret};
use crate::error::{Error, Result};
use crate::federation::discovery::{self, Metadata};
use crate::federation::endpoints;
use crate::federation::error::FederationError;
use crate::federation::http;
use crate::federation::id_token::{self, Expected, Rejection};
use crate::federation::mapping::{self, Upstream};
use crate::federation::providers::{client_secret, mapping_of};
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::federation::{self as store, StateRow};
use crate::store::identity_providers::{self as providers, ProviderRow};

pub const STATE_LIFETIME_MS: Millis = 10 * 60_000;
pub const SIGN_IN: &str = "sign_in";
pub const SIGN_OUT: &str = "sign_out";
/// Codes and states longer than this are nobody's.
pub const MAX_CODE_LEN: usize = 4096;
pub const MAX_STATE_LEN: usize = 128;
/// Live round trips one authorization request may have at providers at once: a few
/// "Continue with" clicks, not a table filled by a script.
const MAX_LIVE_STATES: i64 = 5;

/// A provider ready for a round trip.
pub struct Provider {
    pub row: ProviderRow,
    pub metadata: Metadata,
    keys: JwkSet,
    secret: String,
}

impl Provider {
    pub fn end_session_endpoint(&self) -> Option<&url::Url> {
        self.metadata.end_session_endpoint.as_ref()
    }
}

/// The pool's provider `name`, if it exists.
pub async fn load(ctx: &Context, pool_id: &str, name: &str) -> Result<Option<Provider>> {
    let row = match providers::get(&ctx.store, pool_id, name).await {
        Ok(row) => row,
        Err(StoreError::NotFound) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let (metadata, keys) =
        discovery::load(&row).map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    let secret = client_secret(ctx, &row)?;
    Ok(Some(Provider {
        row,
        metadata,
        keys,
        secret,
    }))
}

/// `{issuer}/oauth2/idpresponse`, Cognito's path, registered at the provider.
pub fn callback_url(ctx: &Context, pool_id: &str) -> String {
    format!("{}/oauth2/idpresponse", ctx.issuer(pool_id))
}

/// RFC 7636 §4.2: the S256 challenge of `verifier`.
fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// What the state row keeps sealed for the return.
#[derive(Serialize, Deserialize)]
struct Pending {
    nonce: String,
    verifier: String,
}

/// What a state's sealed payload is bound to: its purpose and its own digest.
fn state_context(purpose: &str, hash: &str) -> String {
    format!("federation-{purpose}:{hash}")
}

/// Stores the state `state` (the value sent to the provider; only its digest is kept) with
/// `payload` sealed, for this browser, for `STATE_LIFETIME_MS`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn save_state(
    ctx: &Context,
    state: &str,
    pool_id: &str,
    provider: &str,
    purpose: &str,
    browser: &str,
    auth_request: Option<&str>,
    payload: &impl Serialize,
) -> Result<()> {
    let hash = secret::digest(state);
    let sealed = ctx
        .keys
        .seal(
            serde_json::to_string(payload)
                .map_err(StoreError::from)?
                .as_bytes(),
            &state_context(purpose, &hash),
        )
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    let now = ctx.now();
    let written = store::insert_state(
        &ctx.store,
        &StateRow {
            state_hash: hash,
            pool_id: pool_id.to_string(),
            provider_name: provider.to_string(),
            purpose: purpose.to_string(),
            browser: browser.to_string(),
            auth_request_id: auth_request.map(str::to_string),
            sealed,
            created_at: now,
            expires_at: now + STATE_LIFETIME_MS,
        },
        MAX_LIVE_STATES,
    )
    .await?;
    if !written {
        return Err(Error::TooManyRequests);
    }
    Ok(())
}

/// The sealed payload of a taken state.
pub(crate) fn open_state<T: serde::de::DeserializeOwned>(
    ctx: &Context,
    row: &StateRow,
) -> Option<T> {
    ctx.keys
        .open(&row.sealed, &state_context(&row.purpose, &row.state_hash))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

/// What the application asked of the sign-in, passed on to the provider.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked<'a> {
    pub login_hint: Option<&'a str>,
    /// `max_age` (seconds): the provider's `auth_time` must be this recent.
    pub max_age: Option<i64>,
    /// `prompt=login`: the provider must ask the person again.
    pub fresh: bool,
}

/// Starts a sign-in at `provider` for the pending authorization request `auth_request` of
/// `browser`: the URL to send the browser to.
pub async fn begin(
    ctx: &Context,
    pool: &Pool,
    provider: &Provider,
    auth_request: &str,
    browser: &str,
    asked: Asked<'_>,
) -> Result<String> {
    let state = random::token(32);
    let nonce = random::token(32);
    // RFC 7636 §4.1: 43 characters of base64url, 256 bits.
    let verifier = random::token(32);
    let challenge = pkce_challenge(&verifier);
    let callback = callback_url(ctx, &pool.id);
    // OpenID Connect Core §3.1.2.1; `openid` first, then the provider's other scopes.
    let scope = std::iter::once("openid")
        .chain(
            provider
                .row
                .authorize_scopes
                .split(' ')
                .filter(|s| *s != "openid"),
        )
        .collect::<Vec<_>>()
        .join(" ");
    let mut url = provider.metadata.authorization_endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &provider.row.client_id)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("redirect_uri", &callback)
            .append_pair("scope", &scope)
            .append_pair("nonce", &nonce);
        if let Some(hint) = asked.login_hint {
            query.append_pair("login_hint", hint);
        }
        if let Some(max_age) = asked.max_age {
            query.append_pair("max_age", &max_age.to_string());
        }
        if asked.fresh {
            query.append_pair("prompt", "login");
        }
    }
    let pending = Pending { nonce, verifier };
    save_state(
        ctx,
        &state,
        &pool.id,
        &provider.row.name,
        SIGN_IN,
        browser,
        Some(auth_request),
        &pending,
    )
    .await?;
    Ok(url.to_string())
}

/// Takes the state `state` of `purpose` for this browser, once.
pub async fn take_state(
    ctx: &Context,
    pool_id: &str,
    purpose: &str,
    state: &str,
    browser: &str,
) -> Result<Option<StateRow>> {
    if state.is_empty() || state.len() > MAX_STATE_LEN {
        return Ok(None);
    }
    Ok(store::consume_state(
        &ctx.store,
        &secret::digest(state),
        pool_id,
        purpose,
        browser,
        ctx.now(),
    )
    .await?)
}

/// The provider's verified word about the person, and its ID token (the hint its sign-out
/// endpoint takes).
pub struct Returned {
    pub upstream: Upstream,
    pub id_token: String,
    /// When the person signed in at the provider (its `auth_time`), or now.
    pub auth_time: Millis,
}

/// Exchanges `code` and verifies what comes back, for the state row `state`.
pub async fn finish(
    ctx: &Context,
    pool: &Pool,
    provider: &Provider,
    state: &StateRow,
    code: &str,
    max_age: Option<i64>,
) -> std::result::Result<Returned, FederationError> {
    let pending: Pending = open_state(ctx, state)
        .ok_or_else(|| FederationError::Refused("the pending sign-in is unreadable".into()))?;
    let issuer = url::Url::parse(&provider.row.issuer)
        .map_err(|e| FederationError::Refused(e.to_string()))?;
    let caller = http::Caller::for_issuer(&issuer, ctx.federation_allow_private_networks)
        .map_err(FederationError::Unreachable)?;
    let tokens = endpoints::exchange(
        &caller,
        &provider.metadata,
        &provider.row,
        &provider.secret,
        &callback_url(ctx, &pool.id),
        code,
        &pending.verifier,
    )
    .await?;
    let id_token = tokens
        .id_token
        .as_deref()
        .ok_or_else(|| FederationError::Refused("the token answer holds no ID token".into()))?;
    let expected = Expected {
        issuer: &provider.row.issuer,
        client_id: &provider.row.client_id,
        nonce: &pending.nonce,
        access_token: &tokens.access_token,
        now: ctx.now(),
        max_age,
    };
    let believed = match id_token::verify(id_token, &provider.keys, &expected) {
        Err(Rejection::UnknownKey) => {
            // A key the stored set lacks: the provider may have rotated; look once more.
            let keys = discovery::refetch_keys(
                &ctx.store,
                &provider.row,
                ctx.now(),
                ctx.federation_allow_private_networks,
            )
            .await
            .map_err(FederationError::Unreachable)?;
            id_token::verify(id_token, &keys, &expected)
        }
        other => other,
    }
    .map_err(|err| FederationError::Refused(err.to_string()))?;
    let auth_time = believed.auth_time;
    let mut claims = believed.claims;
    if let Some(endpoint) = &provider.metadata.userinfo_endpoint {
        let info = endpoints::userinfo(
            &caller,
            endpoint,
            &issuer,
            &provider.row.attributes_request_method,
            &tokens.access_token,
        )
        .await?;
        // OpenID Connect Core §5.3.2: userInfo about someone else is not about this person.
        if info.get("sub") != claims.get("sub") {
            return Err(FederationError::Refused(
                "userInfo describes another subject than the ID token".into(),
            ));
        }
        for (name, value) in info {
            // The ID token's signed claims are kept where both speak.
            claims.entry(name).or_insert(value);
        }
    }
    let upstream = mapping::map(&pool.config, &mapping_of(&provider.row), &claims)
        .map_err(FederationError::Refused)?;
    Ok(Returned {
        upstream,
        id_token: id_token.to_string(),
        auth_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc_7636s() {
        // RFC 7636 Appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
