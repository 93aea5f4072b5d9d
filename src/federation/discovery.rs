//! A provider's metadata (OpenID Connect Discovery 1.0) and signing keys: fetched when the
//! provider is saved, kept with it, and refreshed in the background as its cache headers
//! say, at least hourly so a rotated key is picked up within the hour.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::clock::{Clock, Millis};
use crate::crypto::jws::JwkSet;
use crate::federation::http::{Caller, check_endpoint, check_url, max_age};
use crate::store::Store;
use crate::store::identity_providers::{self as store, ProviderRow};

/// What Cognate reads of a provider's metadata (OpenID Connect Discovery 1.0 §3, with
/// RP-Initiated Logout's `end_session_endpoint`); other members are not kept.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<Url>,
    pub jwks_uri: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<Url>,
    pub response_types_supported: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

const MIN_REFRESH_MS: Millis = 60_000;
const MAX_REFRESH_MS: Millis = 3_600_000;
/// A failed refresh keeps what was fetched before and is tried again this much later.
const RETRY_MS: Millis = 5 * 60_000;

/// What discovery found: the metadata and key set as stored, and when to look again.
pub struct Discovered {
    pub metadata: String,
    pub jwks: String,
    pub refresh_in: Millis,
}

fn refresh_in(ages: &[Option<u64>]) -> Millis {
    ages.iter()
        .flatten()
        .map(|s| (*s as Millis).saturating_mul(1000))
        .min()
        .unwrap_or(MAX_REFRESH_MS)
        .clamp(MIN_REFRESH_MS, MAX_REFRESH_MS)
}

async fn get_json(
    url: &Url,
    issuer: &Url,
    allow_private: bool,
    what: &str,
) -> Result<(Vec<u8>, Option<u64>), String> {
    check_endpoint(url, issuer)
        .map_err(|why| format!("the {what} address `{url}` is refused: {why}"))?;
    let caller = Caller::for_issuer(issuer, allow_private)?;
    let answer = caller
        .send(
            caller
                .get(url)
                .header(reqwest::header::ACCEPT, "application/json"),
        )
        .await
        .map_err(|why| format!("fetching the {what} at {url} failed: {why}"))?;
    if answer.status != 200 {
        return Err(format!(
            "the {what} at {url} answered HTTP {}",
            answer.status
        ));
    }
    Ok((answer.body, max_age(&answer.headers)))
}

/// Fetches and checks the metadata of `issuer` and its key set. `allow_private`:
/// `COGNATE_FEDERATION_ALLOW_PRIVATE_NETWORKS`.
pub async fn discover(issuer: &str, allow_private: bool) -> Result<Discovered, String> {
    let base = Url::parse(issuer).map_err(|e| format!("the issuer is not a URL: {e}"))?;
    check_url(&base).map_err(|why| format!("the issuer is refused: {why}"))?;
    if base.query().is_some() {
        return Err("the issuer must not have a query".into());
    }
    let doc_url = Url::parse(&format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    ))
    .map_err(|e| format!("the discovery address is not a URL: {e}"))?;
    let (body, doc_age) = get_json(&doc_url, &base, allow_private, "discovery document").await?;
    let metadata: Metadata = serde_json::from_slice(&body)
        .map_err(|e| format!("the discovery document is not OpenID provider metadata: {e}"))?;
    // OpenID Connect Discovery §4.3: the document must name exactly the issuer asked for.
    if metadata.issuer != issuer {
        return Err(format!(
            "the discovery document names the issuer `{}`, not `{issuer}`",
            metadata.issuer
        ));
    }
    check_endpoints(&metadata, &base)?;
    let jwks_url = metadata.jwks_uri.clone();
    let (keys, keys_age) = get_json(&jwks_url, &base, allow_private, "key set").await?;
    let jwks = parse_jwks(&keys)?;
    Ok(Discovered {
        metadata: serde_json::to_string(&metadata).map_err(|e| e.to_string())?,
        jwks: serde_json::to_string(&jwks).map_err(|e| e.to_string())?,
        refresh_in: refresh_in(&[doc_age, keys_age]),
    })
}

fn parse_jwks(body: &[u8]) -> Result<JwkSet, String> {
    let jwks: JwkSet =
        serde_json::from_slice(body).map_err(|e| format!("the key set is not a JWK set: {e}"))?;
    if jwks.keys.is_empty() {
        return Err("the key set holds no key Cognate can use".into());
    }
    Ok(jwks)
}

fn check_endpoints(metadata: &Metadata, issuer: &Url) -> Result<(), String> {
    let token = metadata
        .token_endpoint
        .as_ref()
        .ok_or("the discovery document has no token_endpoint")?;
    let named = [
        (
            "authorization_endpoint",
            Some(&metadata.authorization_endpoint),
        ),
        ("token_endpoint", Some(token)),
        ("jwks_uri", Some(&metadata.jwks_uri)),
        ("userinfo_endpoint", metadata.userinfo_endpoint.as_ref()),
        (
            "end_session_endpoint",
            metadata.end_session_endpoint.as_ref(),
        ),
    ];
    for (name, url) in named {
        let Some(url) = url else { continue };
        check_endpoint(url, issuer)
            .map_err(|why| format!("its {name} `{url}` is refused: {why}"))?;
    }
    if !metadata
        .response_types_supported
        .iter()
        .any(|t| t.split(' ').eq(["code"]))
    {
        return Err("the provider does not offer the authorization code flow".into());
    }
    Ok(())
}

/// The stored metadata and key set.
pub fn load(row: &ProviderRow) -> Result<(Metadata, JwkSet), String> {
    let metadata = serde_json::from_str(&row.metadata).map_err(|e| e.to_string())?;
    let jwks = serde_json::from_str(&row.jwks).map_err(|e| e.to_string())?;
    Ok((metadata, jwks))
}

/// Fetches the key set again now (an ID token named a key the stored set lacks: the
/// provider rotated). Stores it and returns it.
pub async fn refetch_keys(
    store_: &Store,
    row: &ProviderRow,
    now: Millis,
    allow_private: bool,
) -> Result<JwkSet, String> {
    let (metadata, _) = load(row)?;
    let issuer = Url::parse(&row.issuer).map_err(|e| e.to_string())?;
    let (keys, age) = get_json(&metadata.jwks_uri, &issuer, allow_private, "key set").await?;
    let jwks = parse_jwks(&keys)?;
    let text = serde_json::to_string(&jwks).map_err(|e| e.to_string())?;
    let refresh_at = now + refresh_in(&[age]);
    if let Err(err) = store::refreshed(store_, row, Some((&row.metadata, &text)), refresh_at).await
    {
        tracing::warn!(error = %err, provider = %row.name, "storing a refetched key set failed");
    }
    Ok(jwks)
}

/// Refreshes every provider whose metadata is due, keeping the old metadata when the
/// provider cannot be reached.
pub async fn refresh_due(store_: &Store, now: Millis, allow_private: bool) -> usize {
    let due = match store::due(store_, now, 50).await {
        Ok(rows) => rows,
        Err(err) => {
            tracing::warn!(error = %err, "listing identity providers to refresh failed");
            return 0;
        }
    };
    let mut refreshed = 0;
    for row in due {
        let outcome = match discover(&row.issuer, allow_private).await {
            Ok(found) => {
                refreshed += 1;
                store::refreshed(
                    store_,
                    &row,
                    Some((&found.metadata, &found.jwks)),
                    now + found.refresh_in,
                )
                .await
            }
            Err(why) => {
                tracing::warn!(provider = %row.name, pool_id = %row.pool_id, reason = %why,
                    "refreshing an identity provider's metadata failed; keeping the last one");
                store::refreshed(store_, &row, None, now + RETRY_MS).await
            }
        };
        if let Err(err) = outcome {
            tracing::warn!(error = %err, "storing an identity provider's metadata failed");
        }
    }
    refreshed
}

/// Runs `refresh_due` every minute.
pub fn spawn_refresher(
    store_: Store,
    clock: Arc<dyn Clock>,
    allow_private: bool,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            refresh_due(&store_, clock.now_millis(), allow_private).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_follows_cache_headers_within_a_minute_and_an_hour() {
        assert_eq!(refresh_in(&[None, None]), MAX_REFRESH_MS);
        assert_eq!(refresh_in(&[Some(600), None]), 600_000);
        assert_eq!(refresh_in(&[Some(600), Some(120)]), 120_000);
        assert_eq!(refresh_in(&[Some(0)]), MIN_REFRESH_MS);
        assert_eq!(refresh_in(&[Some(86_400)]), MAX_REFRESH_MS);
    }

    /// Providers saved before this version hold metadata and keys as openidconnect wrote
    /// them; they read the same now.
    #[test]
    fn rows_written_by_openidconnect_still_load() {
        use openidconnect::core::{CoreJsonWebKeySet, CoreProviderMetadata};
        let document = serde_json::json!({
            "issuer": "https://idp.example/t",
            "authorization_endpoint": "https://idp.example/t/authorize?tenant=1",
            "token_endpoint": "https://idp.example/t/token",
            "userinfo_endpoint": "https://idp.example/t/userinfo",
            "jwks_uri": "https://idp.example/t/jwks",
            "end_session_endpoint": "https://idp.example/t/logout",
            "response_types_supported": ["code", "code id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        });
        let theirs: CoreProviderMetadata = serde_json::from_value(document).unwrap();
        let stored = serde_json::to_string(&theirs).unwrap();
        let ours: Metadata = serde_json::from_str(&stored).unwrap();
        assert_eq!(ours.issuer, "https://idp.example/t");
        assert_eq!(
            ours.authorization_endpoint.as_str(),
            "https://idp.example/t/authorize?tenant=1"
        );
        assert_eq!(ours.response_types_supported, ["code", "code id_token"]);
        assert_eq!(
            ours.token_endpoint_auth_methods_supported.as_deref(),
            Some(&["client_secret_post".to_string()][..])
        );
        let issuer = Url::parse("https://idp.example/t").unwrap();
        assert!(check_endpoints(&ours, &issuer).is_ok());

        let keys = serde_json::json!({"keys": [
            {"kty": "RSA", "use": "sig", "kid": "r", "alg": "RS256", "e": "AQAB",
             "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw"},
        ]});
        let theirs: CoreJsonWebKeySet = serde_json::from_value(keys).unwrap();
        let ours = parse_jwks(serde_json::to_string(&theirs).unwrap().as_bytes()).unwrap();
        assert_eq!(ours.keys.len(), 1);
        assert_eq!(ours.keys[0].kid.as_deref(), Some("r"));
    }
}
