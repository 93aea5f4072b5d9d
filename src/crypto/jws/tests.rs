//! Tokens signed as providers sign them, with every accepted algorithm, against key sets
//! as providers publish them.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents,
};
use serde_json::json;

use super::*;

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
            let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(rsa())
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
        let stored: JwkSet = serde_json::from_str(&serde_json::to_string(&keys).unwrap()).unwrap();
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
