//! Verification: a published key parsed once, and a token checked against it.

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

use crate::crypto::jws::compact_parts;
use crate::crypto::jwt::jose::{Algorithm, Jwk, JwtError};

/// A published key, parsed once for verification.
pub struct VerifyingKey {
    pub jwk: Jwk,
    alg: Algorithm,
    parsed: ParsedPublicKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.jwk.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    pub fn from_jwk(jwk: Jwk) -> Result<Self, JwtError> {
        let bad = || JwtError::UnknownKey;
        let alg = jwk.algorithm().ok_or_else(bad)?;
        let field = |v: &Option<String>| {
            v.as_deref()
                .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
                .ok_or_else(bad)
        };
        let parsed = match (alg, jwk.kty.as_str(), jwk.crv.as_deref()) {
            (Algorithm::Rs256, "RSA", None) => RsaPublicKeyComponents {
                n: field(&jwk.n)?,
                e: field(&jwk.e)?,
            }
            .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| bad())?,
            (Algorithm::Es256, "EC", Some("P-256")) => {
                let mut point = vec![0x04];
                point.extend(field(&jwk.x)?);
                point.extend(field(&jwk.y)?);
                ParsedPublicKey::new(alg.verification(), point).map_err(|_| bad())?
            }
            (Algorithm::EdDsa, "OKP", Some("Ed25519")) => {
                ParsedPublicKey::new(alg.verification(), field(&jwk.x)?).map_err(|_| bad())?
            }
            _ => return Err(bad()),
        };
        Ok(Self { jwk, alg, parsed })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

fn header_of(token: &str) -> Result<(Algorithm, String), JwtError> {
    if token.len() > 16 * 1024 {
        return Err(JwtError::Malformed);
    }
    let header = token.split('.').next().ok_or(JwtError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| JwtError::Malformed)?;
    let header: Header = serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)?;
    let alg = Algorithm::parse(&header.alg).ok_or(JwtError::Algorithm)?;
    Ok((alg, header.kid.ok_or(JwtError::UnknownKey)?))
}

/// The `kid` a token names, read before its key is looked up. Fails for any algorithm but
/// the three Cognate signs with.
pub fn key_id(token: &str) -> Result<String, JwtError> {
    header_of(token).map(|(_, kid)| kid)
}

/// Verifies a token against `key` and returns its claims. The header's algorithm must be
/// the key's. Expiry and audience are the caller's rules.
pub fn verify(token: &str, key: &VerifyingKey) -> Result<Value, JwtError> {
    let (alg, kid) = header_of(token)?;
    if kid != key.jwk.kid {
        return Err(JwtError::UnknownKey);
    }
    if alg != key.alg {
        return Err(JwtError::Algorithm);
    }
    let Some((header, payload, sig)) = compact_parts(token) else {
        return Err(JwtError::Malformed);
    };
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| JwtError::Malformed)?;
    let signed_len = header.len() + 1 + payload.len();
    key.parsed
        .verify_sig(&token.as_bytes()[..signed_len], &sig)
        .map_err(|_| JwtError::Signature)?;
    let claims = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| JwtError::Malformed)?;
    let claims: Value = serde_json::from_slice(&claims).map_err(|_| JwtError::Malformed)?;
    if !claims.is_object() {
        return Err(JwtError::Malformed);
    }
    Ok(claims)
}
