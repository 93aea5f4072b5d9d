//! The JOSE vocabulary both halves share: the three algorithms, a public key in its JWK
//! form (RFC 7517), and what can go wrong.

use aws_lc_rs::signature;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::crypto::jws::{self, Alg};

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

    /// The same algorithm among all the JOSE ones, whose name and hashes it has.
    fn jose(self) -> Alg {
        match self {
            Algorithm::Rs256 => Alg::Rs256,
            Algorithm::Es256 => Alg::Es256,
            Algorithm::EdDsa => Alg::EdDsa,
        }
    }

    /// The JOSE name (RFC 7518, RFC 8037), exactly as it appears in a header.
    pub fn as_str(self) -> &'static str {
        self.jose().as_str()
    }

    /// Parses the exact JOSE name; `rs256`, `none` and the rest are not algorithms here.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub(super) fn verification(self) -> &'static dyn signature::VerificationAlgorithm {
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
    jws::half_hash(alg.jose(), value)
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

    pub(super) fn ec_p256(kid: &str, x: &[u8], y: &[u8]) -> Self {
        Self {
            crv: Some("P-256".into()),
            x: Some(URL_SAFE_NO_PAD.encode(x)),
            y: Some(URL_SAFE_NO_PAD.encode(y)),
            ..Self::new("EC", kid, Algorithm::Es256)
        }
    }

    pub(super) fn ed25519(kid: &str, x: &[u8]) -> Self {
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
