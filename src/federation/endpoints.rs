//! The calls to a provider's token endpoint (RFC 6749 §4.1.3, the client authenticated as
//! §2.3.1 and the provider's metadata say) and its userInfo endpoint.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::federation::discovery::Metadata;
use crate::federation::error::FederationError;
use crate::federation::http;
use crate::store::identity_providers::ProviderRow;

/// RFC 6749 §2.3.1: HTTP Basic unless the provider offers only `client_secret_post`.
fn uses_basic(metadata: &Metadata) -> bool {
    metadata
        .token_endpoint_auth_methods_supported
        .as_ref()
        .is_none_or(|methods| {
            methods.iter().any(|m| m == "client_secret_basic")
                || !methods.iter().any(|m| m == "client_secret_post")
        })
}

/// The token endpoint's answer (RFC 6749 §5.1); the rest of its members are not read.
#[derive(Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(default)]
    pub id_token: Option<String>,
}

/// RFC 6749 §5.2's error answer.
#[derive(Deserialize)]
struct TokenError {
    error: String,
}

/// RFC 6749 §4.1.3: the code, the callback and the PKCE verifier for tokens, the client
/// authenticated as the provider asks.
pub async fn exchange(
    caller: &http::Caller,
    metadata: &Metadata,
    provider: &ProviderRow,
    secret: &str,
    callback: &str,
    code: &str,
    verifier: &str,
) -> Result<TokenAnswer, FederationError> {
    let endpoint = metadata
        .token_endpoint
        .as_ref()
        .ok_or_else(|| FederationError::Refused("the provider has no token endpoint".into()))?;
    let issuer =
        url::Url::parse(&provider.issuer).map_err(|e| FederationError::Refused(e.to_string()))?;
    http::check_endpoint(endpoint, &issuer).map_err(FederationError::Refused)?;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", callback),
        ("code_verifier", verifier),
    ];
    let mut request = caller
        .post(endpoint)
        .header(reqwest::header::ACCEPT, "application/json");
    if uses_basic(metadata) {
        // §2.3.1: each part form-encoded before it is joined and base64-encoded.
        let encode =
            |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        request = request.basic_auth(encode(&provider.client_id), Some(encode(secret)));
    } else {
        form.push(("client_id", &provider.client_id));
        form.push(("client_secret", secret));
    }
    let body =
        serde_urlencoded::to_string(&form).map_err(|e| FederationError::Refused(e.to_string()))?;
    let answer = caller
        .send(
            request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body),
        )
        .await
        .map_err(|why| FederationError::Unreachable(format!("its token endpoint: {why}")))?;
    if answer.status == 200 {
        return serde_json::from_slice(&answer.body).map_err(|_| {
            FederationError::Unreachable("its token endpoint did not answer with tokens".into())
        });
    }
    match serde_json::from_slice::<TokenError>(&answer.body) {
        Ok(err) if (400..500).contains(&answer.status) => Err(FederationError::Refused(format!(
            "its token endpoint said {}",
            err.error.chars().take(64).collect::<String>()
        ))),
        _ => Err(FederationError::Unreachable(
            "its token endpoint did not answer with tokens".into(),
        )),
    }
}

/// OpenID Connect Core §5.3: the userInfo endpoint, with the access token.
pub async fn userinfo(
    caller: &http::Caller,
    endpoint: &url::Url,
    issuer: &url::Url,
    method: &str,
    token: &str,
) -> Result<Map<String, Value>, FederationError> {
    http::check_endpoint(endpoint, issuer).map_err(FederationError::Refused)?;
    let request = if method == "POST" {
        caller.post(endpoint).body("")
    } else {
        caller.get(endpoint)
    };
    let answer = caller
        .send(
            request
                .bearer_auth(token)
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
