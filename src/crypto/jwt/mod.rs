//! Compact JWTs signed with aws-lc-rs (constant-time, with the AVX-512 RSA code paths that
//! make it as fast as OpenSSL), and their verification. Three algorithms: RS256 (RSA-2048,
//! Cognito's and the default), ES256 (P-256) and EdDSA (Ed25519). A token verifies only
//! against a published key whose algorithm is the one its header names: `alg: none`,
//! HMAC-with-the-public-key and cross-algorithm confusions fail before any signature check.
//!
//! `jose` holds what both halves share (the algorithms, a public key as a JWK, the errors);
//! `signing` the private keys; `verify` the published keys and the check of a token.

mod jose;
mod signing;
mod verify;

pub use jose::{Algorithm, Jwk, JwtError, half_hash};
pub use signing::{SigningKey, generate_pkcs8};
pub use verify::{VerifyingKey, key_id, verify};

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
