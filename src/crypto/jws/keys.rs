//! What a provider's tokens and keys are made of: the algorithms accepted, each key as
//! published (JWK, RFC 7517) and the key set kept of them, and which key fits which
//! algorithm.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A signature algorithm an outside provider may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    EdDsa,
}

impl Alg {
    pub const ALL: [Alg; 9] = [
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
        Alg::Es256,
        Alg::Es384,
        Alg::EdDsa,
    ];

    /// The JOSE name, exactly as in a header.
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Ps256 => "PS256",
            Alg::Ps384 => "PS384",
            Alg::Ps512 => "PS512",
            Alg::Es256 => "ES256",
            Alg::Es384 => "ES384",
            Alg::EdDsa => "EdDSA",
        }
    }

    /// The exact JOSE name; `none`, `HS256` and `rs256` are not algorithms here.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The hash whose left half is `at_hash` (OIDC Core §3.1.3.6): the signature's hash,
    /// and SHA-512 for Ed25519 (the errata, as the common client libraries compute it).
    fn token_hash(self) -> &'static digest::Algorithm {
        match self {
            Alg::Rs256 | Alg::Ps256 | Alg::Es256 => &digest::SHA256,
            Alg::Rs384 | Alg::Ps384 | Alg::Es384 => &digest::SHA384,
            Alg::Rs512 | Alg::Ps512 | Alg::EdDsa => &digest::SHA512,
        }
    }

    /// The key type and curve a key must have to verify this algorithm.
    fn key_kind(self) -> (&'static str, Option<&'static str>) {
        match self {
            Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => {
                ("RSA", None)
            }
            Alg::Es256 => ("EC", Some("P-256")),
            Alg::Es384 => ("EC", Some("P-384")),
            Alg::EdDsa => ("OKP", Some("Ed25519")),
        }
    }

    fn rsa(self) -> Option<&'static signature::RsaParameters> {
        Some(match self {
            Alg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Alg::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Alg::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Alg::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
            Alg::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
            Alg::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        })
    }
}

/// OIDC `at_hash`: the left half of the algorithm's hash of `value`, base64url.
pub fn half_hash(alg: Alg, value: &str) -> String {
    let digest = digest::digest(alg.token_hash(), value.as_bytes());
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

/// A key a provider publishes. Members beyond these (`x5c`, `key_ops`, ...) are not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

fn decode(member: &Option<String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(member.as_deref()?).ok()
}

impl PublicJwk {
    /// Whether this key may verify a token of `alg`: a signing key (or one that does not
    /// say), of the algorithm's key type and curve, and of that algorithm if it names one.
    pub(super) fn fits(&self, alg: Alg) -> bool {
        let (kty, crv) = alg.key_kind();
        self.use_.as_deref().is_none_or(|u| u == "sig")
            && self.kty == kty
            && (crv.is_none() || self.crv.as_deref() == crv)
            && self.alg.as_deref().is_none_or(|a| a == alg.as_str())
    }

    /// Whether the key's members make a key of some algorithm here.
    fn usable(&self) -> bool {
        Alg::ALL
            .into_iter()
            .any(|alg| self.fits(alg) && self.public_key(alg).is_some())
    }

    /// The key in the form aws-lc-rs verifies with, for a key that `fits` `alg`.
    pub(super) fn public_key(&self, alg: Alg) -> Option<PublicKey> {
        if let Some(params) = alg.rsa() {
            return Some(PublicKey::Rsa(
                params,
                RsaPublicKeyComponents {
                    n: decode(&self.n)?,
                    e: decode(&self.e)?,
                },
            ));
        }
        let (algorithm, bytes): (&'static dyn signature::VerificationAlgorithm, Vec<u8>) = match alg
        {
            Alg::Es256 | Alg::Es384 => {
                let size = if alg == Alg::Es256 { 32 } else { 48 };
                let (x, y) = (decode(&self.x)?, decode(&self.y)?);
                if x.len() != size || y.len() != size {
                    return None;
                }
                // The uncompressed point: 0x04 || x || y.
                let point = [&[0x04][..], &x, &y].concat();
                let algorithm: &'static dyn signature::VerificationAlgorithm = if alg == Alg::Es256
                {
                    &signature::ECDSA_P256_SHA256_FIXED
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED
                };
                (algorithm, point)
            }
            _ => {
                let x = decode(&self.x)?;
                if x.len() != 32 {
                    return None;
                }
                (&signature::ED25519, x)
            }
        };
        Some(PublicKey::Other(UnparsedPublicKey::new(algorithm, bytes)))
    }
}

pub(super) enum PublicKey {
    Rsa(
        &'static signature::RsaParameters,
        RsaPublicKeyComponents<Vec<u8>>,
    ),
    Other(UnparsedPublicKey<Vec<u8>>),
}

impl PublicKey {
    pub(super) fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::Rsa(params, key) => key.verify(params, message, sig).is_ok(),
            PublicKey::Other(key) => key.verify(message, sig).is_ok(),
        }
    }
}

/// A provider's key set as kept: only the keys Cognate can verify with (a set may also hold
/// encryption keys, or kinds this module does not know; those are dropped, not an error).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JwkSet {
    pub keys: Vec<PublicJwk>,
}

impl<'de> Deserialize<'de> for JwkSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            keys: Vec<Value>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Self {
            keys: raw
                .keys
                .into_iter()
                .filter_map(|key| serde_json::from_value::<PublicJwk>(key).ok())
                .filter(PublicJwk::usable)
                .collect(),
        })
    }
}
