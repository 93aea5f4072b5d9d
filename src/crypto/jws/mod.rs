//! Tokens signed by others: compact JWS (RFC 7515) from an outside OpenID Connect provider,
//! verified with aws-lc-rs against the keys it publishes (JWK, RFC 7517; algorithms of RFC
//! 7518 and RFC 8037). Asymmetric signatures only: RS256/384/512, PS256/384/512, ES256,
//! ES384 and EdDSA (Ed25519). `none` and HMAC are no algorithms here: an HMAC keyed with the
//! client secret would let anyone holding that secret mint identities.
//!
//! `keys` holds the algorithms and the published keys; this file checks a token with them.

mod keys;
#[cfg(test)]
mod tests;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

pub use keys::{Alg, JwkSet, PublicJwk, half_hash};

/// Longer tokens are nobody's (a provider's ID token is a few KB).
const MAX_TOKEN: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm `{0}` is not accepted")]
    Algorithm(String),
    /// No published key fits the token: the provider may have rotated its keys.
    #[error("no published key fits the token")]
    NoMatchingKey,
    /// RFC 7517 §4.5 and OIDC Core §10.1: with several fitting keys the token must say which.
    #[error("several published keys fit the token and it names none")]
    AmbiguousKey,
    #[error("the token's signature does not verify")]
    Signature,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    /// RFC 7515 §4.1.11: extensions the verifier must understand. This one understands none.
    #[serde(default)]
    crit: Option<Value>,
}

/// A token whose signature verified: its algorithm and claims, not yet judged.
#[derive(Debug)]
pub struct Verified {
    pub alg: Alg,
    pub claims: Map<String, Value>,
}

/// A compact JWS's three parts (RFC 7515 §7.1): header, payload and signature.
pub(crate) fn compact_parts(token: &str) -> Option<(&str, &str, &str)> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(sig), None) => Some((header, payload, sig)),
        _ => None,
    }
}

/// Verifies `token` against the key of `keys` it names (or the one key that fits, when it
/// names none) and returns its claims. The header's algorithm must be one of `Alg` and fit
/// the key's type, curve and `alg`; the token's `kid` is never trusted beyond choosing.
pub fn verify(token: &str, keys: &JwkSet) -> Result<Verified, JwsError> {
    if token.len() > MAX_TOKEN {
        return Err(JwsError::Malformed);
    }
    let Some((header, payload, sig)) = compact_parts(token) else {
        return Err(JwsError::Malformed);
    };
    let header: Header = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(JwsError::Malformed)?;
    let alg = Alg::parse(&header.alg).ok_or_else(|| JwsError::Algorithm(header.alg.clone()))?;
    if header.crit.is_some() {
        return Err(JwsError::Malformed);
    }
    let mut fitting = keys.keys.iter().filter(|key| {
        key.fits(alg)
            && header
                .kid
                .as_ref()
                .is_none_or(|kid| key.kid.as_ref() == Some(kid))
    });
    let key = match (fitting.next(), fitting.next()) {
        (None, _) => return Err(JwsError::NoMatchingKey),
        (Some(key), None) => key,
        (Some(_), Some(_)) => return Err(JwsError::AmbiguousKey),
    };
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| JwsError::Malformed)?;
    let signed = &token.as_bytes()[..header_len(token)];
    let public = key.public_key(alg).ok_or(JwsError::NoMatchingKey)?;
    if !public.verify(signed, &sig) {
        return Err(JwsError::Signature);
    }
    let claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(JwsError::Malformed)?;
    Ok(Verified { alg, claims })
}

/// The length of `header.payload`, the signed part.
fn header_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}
