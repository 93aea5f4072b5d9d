//! The round trip to a provider (OpenID Connect Core §3.1, code flow): the request Cognate
//! sends there, with PKCE (S256), `state` and `nonce`, pending for 10 minutes and bound to the
//! browser and to the application's authorization request; and the return, where the code
//! is exchanged and the ID token verified completely (signature against the provider's keys,
//! `iss`, `aud`, `exp`, `nonce`, `at_hash`) before anything about the person is believed.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, HttpRequest, HttpResponse, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::{random, secret};
use crate::error::{Error, Result};
use crate::federation::discovery::{self, Metadata};
use crate::federation::http;
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

/// The signatures an upstream ID token may carry: asymmetric ones only (an HMAC keyed with
/// the client secret would let anyone holding that secret mint identities), never `none`.
const ALGORITHMS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Why a return from a provider signed nobody in.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// The provider could not be reached, timed out, or failed.
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    /// Its answer failed a check; nothing in it is believed.
    #[error("the identity provider's answer was refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Core(#[from] Error),
}

/// A provider ready for a round trip.
pub struct Provider {
    pub row: ProviderRow,
    pub metadata: Metadata,
    secret: String,
}

impl Provider {
    pub fn end_session_endpoint(&self) -> Option<&url::Url> {
        self.metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()
            .map(|u| u.url())
    }
}

/// The pool's provider `name`, if it exists.
pub async fn load(ctx: &Context, pool_id: &str, name: &str) -> Result<Option<Provider>> {
    let row = match providers::get(&ctx.store, pool_id, name).await {
        Ok(row) => row,
        Err(StoreError::NotFound) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let metadata =
        discovery::load(&row).map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    let secret = client_secret(ctx, &row)?;
    Ok(Some(Provider {
        row,
        metadata,
        secret,
    }))
}

/// `{issuer}/oauth2/idpresponse`, Cognito's path, registered at the provider.
pub fn callback_url(ctx: &Context, pool_id: &str) -> String {
    format!("{}/oauth2/idpresponse", ctx.issuer(pool_id))
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn client(ctx: &Context, provider: &Provider, pool_id: &str) -> Result<Client> {
    let redirect = RedirectUrl::new(callback_url(ctx, pool_id))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    // client_secret_post only where the provider offers nothing else.
    let basic = provider
        .metadata
        .token_endpoint_auth_methods_supported()
        .is_none_or(|methods| {
            methods.iter().any(|m| m.as_ref() == "client_secret_basic")
                || !methods.iter().any(|m| m.as_ref() == "client_secret_post")
        });
    Ok(CoreClient::from_provider_metadata(
        provider.metadata.clone(),
        ClientId::new(provider.row.client_id.clone()),
        Some(ClientSecret::new(provider.secret.clone())),
    )
    .set_redirect_uri(redirect)
    .set_auth_type(if basic {
        AuthType::BasicAuth
    } else {
        AuthType::RequestBody
    }))
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

/// Starts a sign-in at `provider` for the pending authorization request `auth_request` of
/// `browser`: the URL to send the browser to.
/// What the application asked of the sign-in, passed on to the provider.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked<'a> {
    pub login_hint: Option<&'a str>,
    /// `max_age` (seconds): the provider's `auth_time` must be this recent.
    pub max_age: Option<i64>,
    /// `prompt=login`: the provider must ask the person again.
    pub fresh: bool,
}

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
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = client(ctx, provider, &pool.id)?;
    let (state_for_url, nonce_for_url) = (state.clone(), nonce.clone());
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state_for_url),
            move || Nonce::new(nonce_for_url),
        )
        .set_pkce_challenge(challenge);
    for scope in provider
        .row
        .authorize_scopes
        .split(' ')
        .filter(|s| *s != "openid")
    {
        request = request.add_scope(Scope::new(scope.to_string()));
    }
    if let Some(hint) = asked.login_hint {
        request = request.add_extra_param("login_hint", hint.to_string());
    }
    if let Some(max_age) = asked.max_age {
        request = request.add_extra_param("max_age", max_age.to_string());
    }
    if asked.fresh {
        request = request.add_prompt(openidconnect::core::CoreAuthPrompt::Login);
    }
    let (url, _, _) = request.url();
    let pending = Pending {
        nonce,
        verifier: verifier.secret().clone(),
    };
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

/// Calls through the provider client with the bounds of `federation::http`.
async fn call(
    caller: &http::Caller,
    request: HttpRequest,
) -> std::result::Result<HttpResponse, CallError> {
    let (parts, body) = request.into_parts();
    let url = url::Url::parse(&parts.uri.to_string()).map_err(|e| CallError(e.to_string()))?;
    let builder = match parts.method {
        openidconnect::http::Method::GET => caller.get(&url),
        _ => caller.post(&url),
    }
    .headers(parts.headers)
    .body(body);
    let answer = caller.send(builder).await.map_err(CallError)?;
    let mut response = HttpResponse::new(answer.body);
    *response.status_mut() = openidconnect::http::StatusCode::from_u16(answer.status)
        .map_err(|e| CallError(e.to_string()))?;
    *response.headers_mut() = answer.headers;
    Ok(response)
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CallError(String);

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
    let client = client(ctx, provider, &pool.id)?;
    let exchange = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| FederationError::Refused(e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier));
    let issuer = url::Url::parse(&provider.row.issuer)
        .map_err(|e| FederationError::Refused(e.to_string()))?;
    let caller = http::Caller::for_issuer(&issuer, ctx.federation_allow_private_networks)
        .map_err(FederationError::Unreachable)?;
    let tokens = exchange
        .request_async(&|request| call(&caller, request))
        .await
        .map_err(|err| match err {
            RequestTokenError::ServerResponse(e) => {
                FederationError::Refused(format!("its token endpoint said {}", e.error()))
            }
            RequestTokenError::Request(e) => FederationError::Unreachable(e.to_string()),
            RequestTokenError::Parse(..) | RequestTokenError::Other(_) => {
                FederationError::Unreachable("its token endpoint did not answer with tokens".into())
            }
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| FederationError::Refused("the token answer holds no ID token".into()))?;
    let nonce = Nonce::new(pending.nonce);
    let mut metadata = provider.metadata.clone();
    if let Err(err) = verify(
        &provider.row,
        &metadata,
        id_token,
        &nonce,
        tokens.access_token(),
    ) {
        // A key the stored set lacks: the provider may have rotated; look once more.
        let rotated = matches!(
            err,
            ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey
            )
        );
        if !rotated {
            return Err(FederationError::Refused(err.to_string()));
        }
        metadata = discovery::refetch_keys(
            &ctx.store,
            &provider.row,
            ctx.now(),
            ctx.federation_allow_private_networks,
        )
        .await
        .map_err(FederationError::Unreachable)?;
        verify(
            &provider.row,
            &metadata,
            id_token,
            &nonce,
            tokens.access_token(),
        )
        .map_err(|e| FederationError::Refused(e.to_string()))?;
    }
    let raw = id_token.to_string();
    let mut claims = payload(&raw)
        .ok_or_else(|| FederationError::Refused("the ID token's claims are unreadable".into()))?;
    let auth_time = check_times(&claims, &provider.row.client_id, ctx.now(), max_age)
        .map_err(FederationError::Refused)?;
    if let Some(endpoint) = metadata.userinfo_endpoint() {
        let info = userinfo(
            &caller,
            endpoint.url(),
            &issuer,
            &provider.row.attributes_request_method,
            tokens.access_token(),
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
        id_token: raw,
        auth_time,
    })
}

/// Clock skew allowed between Cognate and a provider.
const SKEW_SECS: i64 = 300;

/// What openidconnect leaves to the caller (OpenID Connect Core §3.1.3.7): `azp`, when
/// present, names this client; `iat` is not in the future; and with `max_age` asked, the
/// provider's `auth_time` is recent enough. Returns when the person signed in there
/// (milliseconds), or now when it does not say.
fn check_times(
    claims: &Map<String, Value>,
    client_id: &str,
    now: Millis,
    max_age: Option<i64>,
) -> std::result::Result<Millis, String> {
    if let Some(azp) = claims.get("azp")
        && azp.as_str() != Some(client_id)
    {
        return Err("the ID token's azp names another client".into());
    }
    let now_secs = now / 1000;
    if claims
        .get("iat")
        .and_then(Value::as_i64)
        .is_some_and(|iat| iat > now_secs + SKEW_SECS)
    {
        return Err("the ID token was issued in the future".into());
    }
    let auth_time = claims.get("auth_time").and_then(Value::as_i64);
    if let Some(max_age) = max_age {
        let Some(at) = auth_time else {
            return Err("max_age was asked and the ID token has no auth_time".into());
        };
        if now_secs - at > max_age + SKEW_SECS {
            return Err("the provider's sign-in is older than max_age".into());
        }
    }
    Ok(auth_time
        .map(|t| t.saturating_mul(1000))
        .filter(|t| *t <= now)
        .unwrap_or(now))
}

fn verify(
    row: &ProviderRow,
    metadata: &Metadata,
    id_token: &CoreIdToken,
    nonce: &Nonce,
    access_token: &AccessToken,
) -> std::result::Result<(), ClaimsVerificationError> {
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new(row.client_id.clone()),
        metadata.issuer().clone(),
        metadata.jwks().clone(),
    )
    .set_allowed_algs(ALGORITHMS);
    let claims = id_token.claims(&verifier, nonce)?;
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token
            .signing_alg()
            .map_err(ClaimsVerificationError::SignatureVerification)?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(ClaimsVerificationError::SignatureVerification)?;
        let actual = AccessTokenHash::from_token(access_token, alg, key)
            .map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        if actual != *expected {
            return Err(ClaimsVerificationError::Other(
                "at_hash does not match the access token".into(),
            ));
        }
    }
    Ok(())
}

/// The claims of a JWT whose signature was already verified.
fn payload(jwt: &str) -> Option<Map<String, Value>> {
    use base64::Engine;
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

async fn userinfo(
    caller: &http::Caller,
    endpoint: &url::Url,
    issuer: &url::Url,
    method: &str,
    token: &AccessToken,
) -> std::result::Result<Map<String, Value>, FederationError> {
    http::check_endpoint(endpoint, issuer).map_err(FederationError::Refused)?;
    let request = if method == "POST" {
        caller.post(endpoint).body("")
    } else {
        caller.get(endpoint)
    };
    let answer = caller
        .send(
            request
                .bearer_auth(token.secret())
                .header(reqwest::header::ACCEPT, "application/json"),
        )
        .await
        .map_err(|why| FederationError::Unreachable(format!("its userInfo endpoint: {why}")))?;
    if answer.status != 200 {
        return Err(FederationError::Unreachable(format!(
            "its userInfo endpoint answered HTTP {}",
            answer.status
        )));
    }
    serde_json::from_slice(&answer.body)
        .map_err(|_| FederationError::Refused("its userInfo answer is not a JSON object".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn azp_iat_and_max_age_are_checked() {
        let now = 1_000_000_000;
        let ok = claims(json!({"iat": 999_990, "auth_time": 999_900}));
        assert_eq!(check_times(&ok, "c", now, None), Ok(999_900_000));
        assert_eq!(check_times(&ok, "c", now, Some(100)), Ok(999_900_000));
        let stale = claims(json!({"auth_time": 999_000}));
        assert!(check_times(&stale, "c", now, Some(100)).is_err());
        assert!(check_times(&claims(json!({})), "c", now, Some(100)).is_err());
        assert_eq!(check_times(&claims(json!({})), "c", now, None), Ok(now));
        assert!(check_times(&claims(json!({"azp": "other"})), "c", now, None).is_err());
        assert!(check_times(&claims(json!({"azp": "c"})), "c", now, None).is_ok());
        assert!(check_times(&claims(json!({"iat": 1_000_400})), "c", now, None).is_err());
        // A sign-in "in the future" counts as now.
        let ahead = claims(json!({"auth_time": 1_000_100}));
        assert_eq!(check_times(&ahead, "c", now, None), Ok(now));
    }
}
