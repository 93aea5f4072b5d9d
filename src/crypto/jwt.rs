//! Compact JWTs signed with aws-lc-rs (constant-time, with the AVX-512 RSA code paths that
//! make it as fast as OpenSSL), and their verification. Three algorithms: RS256 (RSA-2048,
//! Cognito's and the default), ES256 (P-256) and EdDSA (Ed25519). A token verifies only
//! against a published key whose algorithm is the one its header names: `alg: none`,
//! HMAC-with-the-public-key and cross-algorithm confusions fail before any signature check.

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair,
    RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

/// A pool's token signing algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// RSA-2048 with PKCS#1 v1.5 and SHA-256: what Cognito signs with.
    #[default]
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [Algorithm::Rs256, Algorithm::Es256, Algorithm::EdDsa];

    /// The JOSE name (RFC 7518, RFC 8037), exactly as it appears in a header.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
            Algorithm::EdDsa => "EdDSA",
        }
    }

    /// Parses the exact JOSE name; `rs256`, `none` and the rest are not algorithms here.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The hash whose left half is `at_hash` (OIDC Core §3.1.3.6 and its errata: SHA-512
    /// for Ed25519, as the common client libraries compute it).
    fn token_hash(self) -> &'static digest::Algorithm {
        match self {
            Algorithm::Rs256 | Algorithm::Es256 => &digest::SHA256,
            Algorithm::EdDsa => &digest::SHA512,
        }
    }

    fn verification(self) -> &'static dyn signature::VerificationAlgorithm {
        match self {
            Algorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::EdDsa => &signature::ED25519,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// OIDC `at_hash` (or `c_hash`): the left half of the algorithm's hash of `value`,
/// base64url.
pub fn half_hash(alg: Algorithm, value: &str) -> String {
    let digest = digest::digest(alg.token_hash(), value.as_bytes());
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

/// A public key as published in the JWKS (RFC 7517): `n`/`e` for RSA, `crv`/`x`/`y` for EC,
/// `crv`/`x` for OKP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub crv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub y: Option<String>,
}

impl Jwk {
    fn new(kty: &str, kid: &str, alg: Algorithm) -> Self {
        Self {
            kty: kty.into(),
            kid: kid.into(),
            use_: "sig".into(),
            alg: alg.as_str().into(),
            crv: None,
            n: None,
            e: None,
            x: None,
            y: None,
        }
    }

    pub fn rsa(kid: &str, n: &[u8], e: &[u8]) -> Self {
        Self {
            n: Some(URL_SAFE_NO_PAD.encode(n)),
            e: Some(URL_SAFE_NO_PAD.encode(e)),
            ..Self::new("RSA", kid, Algorithm::Rs256)
        }
    }

    fn ec_p256(kid: &str, x: &[u8], y: &[u8]) -> Self {
        Self {
            crv: Some("P-256".into()),
            x: Some(URL_SAFE_NO_PAD.encode(x)),
            y: Some(URL_SAFE_NO_PAD.encode(y)),
            ..Self::new("EC", kid, Algorithm::Es256)
        }
    }

    fn ed25519(kid: &str, x: &[u8]) -> Self {
        Self {
            crv: Some("Ed25519".into()),
            x: Some(URL_SAFE_NO_PAD.encode(x)),
            ..Self::new("OKP", kid, Algorithm::EdDsa)
        }
    }

    pub fn algorithm(&self) -> Option<Algorithm> {
        Algorithm::parse(&self.alg)
    }
}

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

enum Private {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A parsed private key, kept in memory: parsing PKCS#8 per request would cost more than
/// signing.
pub struct SigningKey {
    pub kid: String,
    alg: Algorithm,
    key: Private,
    /// The encoded header, the same for every token this key signs.
    header: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn from_pkcs8(kid: &str, alg: Algorithm, der: &[u8]) -> Result<Self, JwtError> {
        let rejected = |e: aws_lc_rs::error::KeyRejected| JwtError::Key(e.to_string());
        let key = match alg {
            Algorithm::Rs256 => Private::Rsa(RsaKeyPair::from_pkcs8(der).map_err(rejected)?),
            Algorithm::Es256 => Private::Ec(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(rejected)?,
            ),
            Algorithm::EdDsa => Private::Ed(Ed25519KeyPair::from_pkcs8(der).map_err(rejected)?),
        };
        let header = serde_json::json!({"alg": alg.as_str(), "kid": kid, "typ": "JWT"});
        Ok(Self {
            kid: kid.to_string(),
            alg,
            key,
            header: URL_SAFE_NO_PAD.encode(header.to_string()),
            rng: SystemRandom::new(),
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    pub fn jwk(&self) -> Jwk {
        match &self.key {
            Private::Rsa(pair) => {
                let public: RsaPublicKeyComponents<Vec<u8>> = pair.public_key().into();
                Jwk::rsa(&self.kid, &public.n, &public.e)
            }
            Private::Ec(pair) => {
                // The uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                Jwk::ec_p256(&self.kid, &point[1..33], &point[33..65])
            }
            Private::Ed(pair) => Jwk::ed25519(&self.kid, pair.public_key().as_ref()),
        }
    }

    /// Signs `claims` as a compact JWS with `{"alg":...,"kid":...,"typ":"JWT"}`.
    pub fn sign(&self, claims: &Value) -> Result<String, JwtError> {
        let failed = |e: aws_lc_rs::error::Unspecified| JwtError::Sign(e.to_string());
        let mut token = String::with_capacity(1024);
        token.push_str(&self.header);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let sig = match &self.key {
            Private::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    token.as_bytes(),
                    &mut sig,
                )
                .map_err(failed)?;
                sig
            }
            Private::Ec(pair) => pair
                .sign(&self.rng, token.as_bytes())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Private::Ed(pair) => pair.sign(token.as_bytes()).as_ref().to_vec(),
        };
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(sig));
        Ok(token)
    }
}

/// A fresh private key of `alg` as PKCS#8 DER. RSA takes about 0.1 s: run it off the
/// request threads.
pub fn generate_pkcs8(alg: Algorithm) -> Result<Vec<u8>, JwtError> {
    use aws_lc_rs::encoding::AsDer;
    let failed = |e: aws_lc_rs::error::Unspecified| JwtError::Key(e.to_string());
    Ok(match alg {
        Algorithm::Rs256 => RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .and_then(|k| k.as_der())
            .map_err(failed)?
            .as_ref()
            .to_vec(),
        Algorithm::Es256 => EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &SystemRandom::new(),
        )
        .map_err(failed)?
        .as_ref()
        .to_vec(),
        Algorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(failed)?
            .as_ref()
            .to_vec(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(alg: Algorithm, kid: &str) -> SigningKey {
        SigningKey::from_pkcs8(kid, alg, &generate_pkcs8(alg).unwrap()).unwrap()
    }

    #[test]
    fn each_algorithm_signs_and_verifies_and_refuses_forgeries() {
        for alg in Algorithm::ALL {
            let key = key(alg, "k1");
            let token = key.sign(&serde_json::json!({"sub": "u"})).unwrap();
            let public = VerifyingKey::from_jwk(key.jwk()).unwrap();
            assert_eq!(verify(&token, &public).unwrap()["sub"], "u", "{alg}");
            // A changed payload fails.
            let mut parts: Vec<&str> = token.split('.').collect();
            let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin"}"#);
            parts[1] = &forged;
            assert!(matches!(
                verify(&parts.join("."), &public),
                Err(JwtError::Signature)
            ));
            // alg none and HS256 are refused before any key is used.
            for bad in ["none", "HS256", "rs256", "ES384"] {
                let token = format!(
                    "{}.{}.c2ln",
                    URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{bad}","kid":"k1"}}"#)),
                    URL_SAFE_NO_PAD.encode(r#"{"sub":"u"}"#)
                );
                assert!(matches!(verify(&token, &public), Err(JwtError::Algorithm)));
            }
            assert!(verify("a.b", &public).is_err());
        }
    }

    #[test]
    fn a_token_of_one_algorithm_never_verifies_with_a_key_of_another() {
        let rsa = key(Algorithm::Rs256, "same");
        let ec = key(Algorithm::Es256, "same");
        let ed = key(Algorithm::EdDsa, "same");
        let claims = serde_json::json!({"sub": "u"});
        for (signer, verifier) in [
            (&rsa, &ec),
            (&ec, &rsa),
            (&ed, &ec),
            (&ec, &ed),
            (&rsa, &ed),
        ] {
            let token = signer.sign(&claims).unwrap();
            let public = VerifyingKey::from_jwk(verifier.jwk()).unwrap();
            assert!(verify(&token, &public).is_err());
        }
        // A header relabelled to the key's algorithm fails on the signature.
        let token = ec.sign(&claims).unwrap();
        let relabelled = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"same","typ":"JWT"}"#),
            token.split_once('.').unwrap().1
        );
        let public = VerifyingKey::from_jwk(rsa.jwk()).unwrap();
        assert!(matches!(
            verify(&relabelled, &public),
            Err(JwtError::Signature)
        ));
    }

    #[test]
    fn jwks_entries_carry_their_members() {
        let ec = key(Algorithm::Es256, "e").jwk();
        assert_eq!((ec.kty.as_str(), ec.crv.as_deref()), ("EC", Some("P-256")));
        assert!(ec.x.is_some() && ec.y.is_some() && ec.n.is_none());
        let ed = key(Algorithm::EdDsa, "d").jwk();
        assert_eq!(
            (ed.kty.as_str(), ed.crv.as_deref()),
            ("OKP", Some("Ed25519"))
        );
        assert!(ed.x.is_some() && ed.y.is_none());
        let rsa = key(Algorithm::Rs256, "r").jwk();
        assert_eq!(serde_json::to_value(&rsa).unwrap()["e"], "AQAB");
        assert!(rsa.crv.is_none());
    }

    #[test]
    fn at_hash_follows_the_algorithm() {
        // OIDC Core's example: SHA-256 left half.
        assert_eq!(
            half_hash(
                Algorithm::Rs256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(half_hash(Algorithm::EdDsa, "x").len(), 43);
        assert_eq!(Algorithm::parse("EdDSA"), Some(Algorithm::EdDsa));
        assert_eq!(Algorithm::parse("eddsa"), None);
    }
}
