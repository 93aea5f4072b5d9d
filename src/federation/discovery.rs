//! A provider's metadata (OpenID Connect Discovery 1.0) and signing keys: fetched when the
//! provider is saved, kept with it, and refreshed in the background as its cache headers
//! say, at least hourly so a rotated key is picked up within the hour.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalProviderMetadata, EndSessionUrl, ProviderMetadata};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::clock::{Clock, Millis};
use crate::federation::http::{Caller, check_endpoint, check_url, max_age};
use crate::store::Store;
use crate::store::identity_providers::{self as store, ProviderRow};

/// RP-Initiated Logout's addition to the metadata.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct LogoutMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<EndSessionUrl>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

pub type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

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
    if metadata.issuer().as_str() != issuer {
        return Err(format!(
            "the discovery document names the issuer `{}`, not `{issuer}`",
            metadata.issuer().as_str()
        ));
    }
    check_endpoints(&metadata, &base)?;
    let jwks_url = metadata.jwks_uri().url().clone();
    let (keys, keys_age) = get_json(&jwks_url, &base, allow_private, "key set").await?;
    let jwks = parse_jwks(&keys)?;
    Ok(Discovered {
        metadata: serde_json::to_string(&metadata).map_err(|e| e.to_string())?,
        jwks: serde_json::to_string(&jwks).map_err(|e| e.to_string())?,
        refresh_in: refresh_in(&[doc_age, keys_age]),
    })
}

fn parse_jwks(body: &[u8]) -> Result<CoreJsonWebKeySet, String> {
    let jwks: CoreJsonWebKeySet =
        serde_json::from_slice(body).map_err(|e| format!("the key set is not a JWK set: {e}"))?;
    if jwks.keys().is_empty() {
        return Err("the key set holds no key Cognate can use".into());
    }
    Ok(jwks)
}

fn check_endpoints(metadata: &Metadata, issuer: &Url) -> Result<(), String> {
    let token = metadata
        .token_endpoint()
        .ok_or("the discovery document has no token_endpoint")?;
    let mut named = vec![
        (
            "authorization_endpoint",
            metadata.authorization_endpoint().url(),
        ),
        ("token_endpoint", token.url()),
        ("jwks_uri", metadata.jwks_uri().url()),
    ];
    if let Some(userinfo) = metadata.userinfo_endpoint() {
        named.push(("userinfo_endpoint", userinfo.url()));
    }
    if let Some(end) = &metadata.additional_metadata().end_session_endpoint {
        named.push(("end_session_endpoint", end.url()));
    }
    for (name, url) in named {
        check_endpoint(url, issuer)
            .map_err(|why| format!("its {name} `{url}` is refused: {why}"))?;
    }
    if !metadata
        .response_types_supported()
        .iter()
        .any(|t| t.as_ref() == [CoreResponseType::Code])
    {
        return Err("the provider does not offer the authorization code flow".into());
    }
    Ok(())
}

/// The stored metadata with its key set, ready for a client.
pub fn load(row: &ProviderRow) -> Result<Metadata, String> {
    let metadata: Metadata = serde_json::from_str(&row.metadata).map_err(|e| e.to_string())?;
    let jwks: CoreJsonWebKeySet = serde_json::from_str(&row.jwks).map_err(|e| e.to_string())?;
    Ok(metadata.set_jwks(jwks))
}

/// Fetches the key set again now (an ID token named a key the stored set lacks: the
/// provider rotated). Stores it and returns the metadata with it.
pub async fn refetch_keys(
    store_: &Store,
    row: &ProviderRow,
    now: Millis,
    allow_private: bool,
) -> Result<Metadata, String> {
    let metadata = load(row)?;
    let issuer = Url::parse(&row.issuer).map_err(|e| e.to_string())?;
    let (keys, age) =
        get_json(metadata.jwks_uri().url(), &issuer, allow_private, "key set").await?;
    let jwks = parse_jwks(&keys)?;
    let text = serde_json::to_string(&jwks).map_err(|e| e.to_string())?;
    let refresh_at = now + refresh_in(&[age]);
    if let Err(err) = store::refreshed(store_, row, Some((&row.metadata, &text)), refresh_at).await
    {
        tracing::warn!(error = %err, provider = %row.name, "storing a refetched key set failed");
    }
    Ok(metadata.set_jwks(jwks))
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
}
