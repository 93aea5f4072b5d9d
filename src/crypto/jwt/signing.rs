//! Private keys, parsed once and kept in memory, and the tokens they sign.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::crypto::jwt::jose::{Algorithm, Jwk, JwtError};

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

crate::redact::debug_fields!(SigningKey { kid, alg });

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
