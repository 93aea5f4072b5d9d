//! Compact RS256 JWTs signed with ring (constant-time, and as fast as OpenSSL), and their
//! verification. Only RS256 with a known `kid` is accepted: `alg: none` and HMAC-with-the-
//! public-key confusions fail before any signature check.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, RsaPublicKeyComponents};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("malformed token")]
    Malformed,
    #[error("unsupported algorithm")]
    Algorithm,
    #[error("unknown key")]
    UnknownKey,
    #[error("bad signature")]
    Signature,
    #[error("cannot sign: {0}")]
    Sign(String),
    #[error("invalid private key: {0}")]
    Key(String),
}

/// A public key as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
    pub n: String,
    pub e: String,
}

impl Jwk {
    pub fn rsa(kid: &str, n: &[u8], e: &[u8]) -> Self {
        Self {
            kty: "RSA".into(),
            kid: kid.into(),
            use_: "sig".into(),
            alg: "RS256".into(),
            n: URL_SAFE_NO_PAD.encode(n),
            e: URL_SAFE_NO_PAD.encode(e),
        }
    }

    fn components(&self) -> Result<RsaPublicKeyComponents<Vec<u8>>, JwtError> {
        Ok(RsaPublicKeyComponents {
            n: URL_SAFE_NO_PAD
                .decode(&self.n)
                .map_err(|_| JwtError::UnknownKey)?,
            e: URL_SAFE_NO_PAD
                .decode(&self.e)
                .map_err(|_| JwtError::UnknownKey)?,
        })
    }
}

/// A parsed private key, kept in memory: parsing PKCS#8 per request would cost more than
/// signing.
pub struct SigningKey {
    pub kid: String,
    pair: RsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn from_pkcs8(kid: &str, der: &[u8]) -> Result<Self, JwtError> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| JwtError::Key(e.to_string()))?;
        Ok(Self {
            kid: kid.to_string(),
            pair,
            rng: SystemRandom::new(),
        })
    }

    pub fn jwk(&self) -> Jwk {
        let public: RsaPublicKeyComponents<Vec<u8>> = self.pair.public().into();
        Jwk::rsa(&self.kid, &public.n, &public.e)
    }

    /// Signs `claims` as a compact JWS with `{"alg":"RS256","kid":...,"typ":"JWT"}`.
    pub fn sign(&self, claims: &Value) -> Result<String, JwtError> {
        let header = serde_json::json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"});
        let mut token = String::with_capacity(1024);
        token.push_str(&URL_SAFE_NO_PAD.encode(header.to_string()));
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut sig,
            )
            .map_err(|e| JwtError::Sign(e.to_string()))?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(sig));
        Ok(token)
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// The `kid` a token names, read before its key is looked up. Fails for anything but RS256.
pub fn key_id(token: &str) -> Result<String, JwtError> {
    if token.len() > 16 * 1024 {
        return Err(JwtError::Malformed);
    }
    let header = token.split('.').next().ok_or(JwtError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| JwtError::Malformed)?;
    let header: Header = serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)?;
    if header.alg != "RS256" {
        return Err(JwtError::Algorithm);
    }
    header.kid.ok_or(JwtError::UnknownKey)
}

/// Verifies an RS256 token against `key` and returns its claims. Expiry and audience are
/// the caller's rules.
pub fn verify(token: &str, key: &Jwk) -> Result<Value, JwtError> {
    let kid = key_id(token)?;
    if kid != key.kid {
        return Err(JwtError::UnknownKey);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| JwtError::Malformed)?;
    let signed_len = header.len() + 1 + payload.len();
    key.components()?
        .verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            &token.as_bytes()[..signed_len],
            &sig,
        )
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

/// A fresh RSA-2048 key as PKCS#8 DER. Slow (about 0.1 s): run it off the request threads.
pub fn generate_rsa_pkcs8() -> Result<Vec<u8>, JwtError> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
        .map_err(|e| JwtError::Key(e.to_string()))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| JwtError::Key(e.to_string()))?;
    Ok(der.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_refuse_confusions() {
        let der = generate_rsa_pkcs8().unwrap();
        let key = SigningKey::from_pkcs8("k1", &der).unwrap();
        let token = key.sign(&serde_json::json!({"sub": "u"})).unwrap();
        let jwk = key.jwk();
        assert_eq!(verify(&token, &jwk).unwrap()["sub"], "u");
        // A changed payload fails.
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin"}"#);
        parts[1] = &forged;
        assert!(matches!(
            verify(&parts.join("."), &jwk),
            Err(JwtError::Signature)
        ));
        // alg none and HS256 are refused before any key is used.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"u"}"#)
        );
        assert!(matches!(verify(&none, &jwk), Err(JwtError::Algorithm)));
        let hs = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"u"}"#)
        );
        assert!(matches!(verify(&hs, &jwk), Err(JwtError::Algorithm)));
        assert!(verify("a.b", &jwk).is_err());
    }
}
