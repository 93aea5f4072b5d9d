//! Tokens signed by others: compact JWS (RFC 7515) from an outside OpenID Connect provider,
//! verified with aws-lc-rs against the keys it publishes (JWK, RFC 7517; algorithms of RFC
//! 7518 and RFC 8037). Asymmetric signatures only: RS256/384/512, PS256/384/512, ES256,
//! ES384 and EdDSA (Ed25519). `none` and HMAC are no algorithms here: an HMAC keyed with the
//! client secret would let anyone holding that secret mint identities.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
    /// and SHA-512 for Ed25519.
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
    fn fits(&self, alg: Alg) -> bool {
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
    fn public_key(&self, alg: Alg) -> Option<PublicKey> {
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

enum PublicKey {
    Rsa(
        &'static signature::RsaParameters,
        RsaPublicKeyComponents<Vec<u8>>,
    ),
    Other(UnparsedPublicKey<Vec<u8>>),
}

impl PublicKey {
    fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
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

/// Verifies `token` against the key of `keys` it names (or the one key that fits, when it
/// names none) and returns its claims. The header's algorithm must be one of `Alg` and fit
/// the key's type, curve and `alg`; the token's `kid` is never trusted beyond choosing.
pub fn verify(token: &str, keys: &JwkSet) -> Result<Verified, JwsError> {
    if token.len() > MAX_TOKEN {
        return Err(JwsError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
    use serde_json::json;

    /// Signs like a provider would: a private key and the JWK it publishes.
    enum Signer {
        Rsa(RsaKeyPair),
        Ec(EcdsaKeyPair),
        Ed(Ed25519KeyPair),
    }

    fn rsa() -> &'static RsaKeyPair {
        static KEY: std::sync::OnceLock<RsaKeyPair> = std::sync::OnceLock::new();
        KEY.get_or_init(|| RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap())
    }

    fn signer(alg: Alg) -> Signer {
        let rng = SystemRandom::new();
        match alg {
            Alg::Es256 | Alg::Es384 => {
                let params = if alg == Alg::Es256 {
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let der = EcdsaKeyPair::generate_pkcs8(params, &rng).unwrap();
                Signer::Ec(EcdsaKeyPair::from_pkcs8(params, der.as_ref()).unwrap())
            }
            Alg::EdDsa => {
                let der = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
                Signer::Ed(Ed25519KeyPair::from_pkcs8(der.as_ref()).unwrap())
            }
            _ => {
                let der =
                    aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(rsa())
                        .unwrap();
                Signer::Rsa(RsaKeyPair::from_pkcs8(der.as_ref()).unwrap())
            }
        }
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    impl Signer {
        fn jwk(&self, kid: &str, alg: Option<Alg>) -> PublicJwk {
            let mut jwk = PublicJwk {
                kty: String::new(),
                kid: Some(kid.into()),
                use_: Some("sig".into()),
                alg: alg.map(|a| a.as_str().into()),
                crv: None,
                n: None,
                e: None,
                x: None,
                y: None,
            };
            match self {
                Signer::Rsa(pair) => {
                    let public: RsaPublicKeyComponents<Vec<u8>> = pair.public_key().into();
                    jwk.kty = "RSA".into();
                    jwk.n = Some(b64(&public.n));
                    jwk.e = Some(b64(&public.e));
                }
                Signer::Ec(pair) => {
                    let point = pair.public_key().as_ref();
                    let size = (point.len() - 1) / 2;
                    jwk.kty = "EC".into();
                    jwk.crv = Some(if size == 32 { "P-256" } else { "P-384" }.into());
                    jwk.x = Some(b64(&point[1..1 + size]));
                    jwk.y = Some(b64(&point[1 + size..]));
                }
                Signer::Ed(pair) => {
                    jwk.kty = "OKP".into();
                    jwk.crv = Some("Ed25519".into());
                    jwk.x = Some(b64(pair.public_key().as_ref()));
                }
            }
            jwk
        }

        fn sign(&self, alg: Alg, header: Value, claims: Value) -> String {
            let mut token = format!(
                "{}.{}",
                b64(header.to_string().as_bytes()),
                b64(claims.to_string().as_bytes())
            );
            let rng = SystemRandom::new();
            let sig = match self {
                Signer::Rsa(pair) => {
                    let padding: &'static dyn signature::RsaEncoding = match alg {
                        Alg::Rs256 => &signature::RSA_PKCS1_SHA256,
                        Alg::Rs384 => &signature::RSA_PKCS1_SHA384,
                        Alg::Rs512 => &signature::RSA_PKCS1_SHA512,
                        Alg::Ps256 => &signature::RSA_PSS_SHA256,
                        Alg::Ps384 => &signature::RSA_PSS_SHA384,
                        _ => &signature::RSA_PSS_SHA512,
                    };
                    let mut sig = vec![0; pair.public_modulus_len()];
                    pair.sign(padding, &rng, token.as_bytes(), &mut sig)
                        .unwrap();
                    sig
                }
                Signer::Ec(pair) => pair.sign(&rng, token.as_bytes()).unwrap().as_ref().to_vec(),
                Signer::Ed(pair) => pair.sign(token.as_bytes()).as_ref().to_vec(),
            };
            token.push('.');
            token.push_str(&b64(&sig));
            token
        }
    }

    fn set(keys: Vec<PublicJwk>) -> JwkSet {
        JwkSet { keys }
    }

    #[test]
    fn every_accepted_algorithm_verifies_and_refuses_a_changed_token() {
        for alg in Alg::ALL {
            let signer = signer(alg);
            let keys = set(vec![signer.jwk("k1", Some(alg))]);
            let header = json!({"alg": alg.as_str(), "kid": "k1"});
            let token = signer.sign(alg, header.clone(), json!({"sub": "u"}));
            let verified = verify(&token, &keys).unwrap_or_else(|e| panic!("{alg:?}: {e}"));
            assert_eq!((verified.alg, &verified.claims["sub"]), (alg, &json!("u")));
            // A key that does not name its algorithm verifies too.
            let open = set(vec![signer.jwk("k1", None)]);
            assert!(verify(&token, &open).is_ok(), "{alg:?}");
            // Another payload under the same signature fails.
            let (head, rest) = token.split_once('.').unwrap();
            let sig = rest.split_once('.').unwrap().1;
            let forged = format!("{head}.{}.{sig}", b64(br#"{"sub":"admin"}"#));
            assert_eq!(verify(&forged, &keys).unwrap_err(), JwsError::Signature);
            // The same key round-trips through its stored form.
            let stored: JwkSet =
                serde_json::from_str(&serde_json::to_string(&keys).unwrap()).unwrap();
            assert_eq!(stored, keys);
        }
    }

    #[test]
    fn none_hmac_and_unknown_algorithms_are_refused_before_any_key() {
        let signer = signer(Alg::Rs256);
        let keys = set(vec![signer.jwk("k1", None)]);
        for bad in ["none", "HS256", "HS512", "rs256", "ES512", "RSA-OAEP"] {
            let token = format!(
                "{}.{}.",
                b64(format!(r#"{{"alg":"{bad}","kid":"k1"}}"#).as_bytes()),
                b64(br#"{"sub":"u"}"#)
            );
            assert_eq!(
                verify(&token, &keys).unwrap_err(),
                JwsError::Algorithm(bad.into())
            );
        }
        assert_eq!(verify("a.b", &keys).unwrap_err(), JwsError::Malformed);
        let crit = signer.sign(
            Alg::Rs256,
            json!({"alg": "RS256", "kid": "k1", "crit": ["exp"], "exp": 1}),
            json!({}),
        );
        assert_eq!(verify(&crit, &keys).unwrap_err(), JwsError::Malformed);
    }

    #[test]
    fn keys_are_chosen_by_kid_type_curve_and_alg() {
        let rs = signer(Alg::Rs256);
        let es = signer(Alg::Es256);
        let es384 = signer(Alg::Es384);
        let claims = json!({"sub": "u"});
        let token = rs.sign(
            Alg::Rs256,
            json!({"alg": "RS256", "kid": "r"}),
            claims.clone(),
        );
        // An unknown kid: the provider may have rotated.
        let other = set(vec![rs.jwk("other", None), es.jwk("r", None)]);
        assert_eq!(verify(&token, &other).unwrap_err(), JwsError::NoMatchingKey);
        // A key bound to another algorithm does not verify this one.
        let bound = set(vec![rs.jwk("r", Some(Alg::Ps256))]);
        assert_eq!(verify(&token, &bound).unwrap_err(), JwsError::NoMatchingKey);
        // An EC token relabelled RS256 finds the RSA key and fails on the signature.
        let ec_token = es.sign(
            Alg::Es256,
            json!({"alg": "ES256", "kid": "r"}),
            claims.clone(),
        );
        let relabelled = format!(
            "{}.{}",
            b64(br#"{"alg":"RS256","kid":"r"}"#),
            ec_token.split_once('.').unwrap().1
        );
        let keys = set(vec![rs.jwk("r", None)]);
        assert_eq!(verify(&relabelled, &keys).unwrap_err(), JwsError::Signature);
        // ES256 never verifies with a P-384 key under the same kid.
        let p384 = set(vec![es384.jwk("r", None)]);
        assert_eq!(
            verify(&ec_token, &p384).unwrap_err(),
            JwsError::NoMatchingKey
        );
        // Without a kid: the one fitting key, and never a choice among several.
        let bare = rs.sign(Alg::Rs256, json!({"alg": "RS256"}), claims);
        assert!(verify(&bare, &set(vec![rs.jwk("a", None), es.jwk("b", None)])).is_ok());
        assert_eq!(
            verify(&bare, &set(vec![rs.jwk("a", None), rs.jwk("b", None)])).unwrap_err(),
            JwsError::AmbiguousKey
        );
    }

    #[test]
    fn a_key_set_keeps_only_the_keys_it_can_verify_with() {
        let rs = signer(Alg::Rs256);
        let ed = signer(Alg::EdDsa);
        let mut enc = rs.jwk("enc", None);
        enc.use_ = Some("enc".into());
        let text = json!({"keys": [
            rs.jwk("r", None), ed.jwk("d", Some(Alg::EdDsa)), enc,
            {"kty": "oct", "k": "c2VjcmV0", "kid": "h"},
            {"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA", "kid": "p521"},
            {"kty": "RSA", "kid": "broken"},
            "not a key"
        ]});
        let keys: JwkSet = serde_json::from_value(text).unwrap();
        let kids: Vec<_> = keys
            .keys
            .iter()
            .map(|k| k.kid.as_deref().unwrap())
            .collect();
        assert_eq!(kids, ["r", "d"]);
        assert!(serde_json::from_str::<JwkSet>(r#"{"nokeys": []}"#).is_err());
    }

    #[test]
    fn at_hash_follows_the_algorithm() {
        // OIDC Core's example (RS256: the left half of SHA-256).
        assert_eq!(
            half_hash(Alg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(half_hash(Alg::Es384, "x").len(), 32);
        assert_eq!(half_hash(Alg::Ps512, "x").len(), 43);
        assert_eq!(half_hash(Alg::EdDsa, "x"), half_hash(Alg::Rs512, "x"));
    }
}
