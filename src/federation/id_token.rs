//! An upstream ID token judged completely (OpenID Connect Core §3.1.3.7) before anything in
//! it is believed: the signature against the provider's published keys (`crypto::jws`, on
//! aws-lc-rs), then `iss`, `aud`, `exp`, `iat`, `nonce`, `at_hash`, `azp` and, when asked,
//! `auth_time` within `max_age`.

use serde_json::{Map, Value};

use crate::clock::Millis;
use crate::crypto::jws::{self, JwkSet, JwsError};

/// Clock skew allowed between Cognate and a provider for `iat` and `auth_time`.
const SKEW_SECS: i64 = 300;

/// What the token must match: what Cognate asked for and who it is.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub access_token: &'a str,
    pub now: Millis,
    /// `max_age` (seconds), when the application asked for one.
    pub max_age: Option<i64>,
}

/// Why a token is not believed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// No published key fits: the provider may have rotated (fetch its keys once more).
    #[error("no published key fits the ID token")]
    UnknownKey,
    #[error("{0}")]
    Refused(String),
}

/// A believed token: its claims and when the person signed in at the provider (its
/// `auth_time`, or now).
#[derive(Debug)]
pub struct Believed {
    pub claims: Map<String, Value>,
    pub auth_time: Millis,
}

fn refused(why: impl Into<String>) -> Rejection {
    Rejection::Refused(why.into())
}

/// Verifies `token` against `keys` and the expectations.
pub fn verify(token: &str, keys: &JwkSet, expected: &Expected<'_>) -> Result<Believed, Rejection> {
    let verified = jws::verify(token, keys).map_err(|err| match err {
        JwsError::NoMatchingKey => Rejection::UnknownKey,
        other => refused(format!("ID token: {other}")),
    })?;
    let claims = verified.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(refused("the ID token names another issuer"));
    }
    check_audience(&claims, expected.client_id)?;
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(refused("the ID token has no subject"));
    }
    let now_secs = expected.now / 1000;
    let Some(exp) = claims.get("exp").and_then(Value::as_i64) else {
        return Err(refused("the ID token has no expiry"));
    };
    if now_secs >= exp {
        return Err(refused("the ID token has expired"));
    }
    if claims.get("iat").and_then(Value::as_i64).is_none() {
        return Err(refused("the ID token has no issue time"));
    }
    // OpenID Connect Core §3.1.3.7 step 11: the nonce sent, exactly.
    if claims.get("nonce").and_then(Value::as_str) != Some(expected.nonce) {
        return Err(refused("the ID token's nonce is not the one sent"));
    }
    // §3.2.2.9 / §3.1.3.8: when present, `at_hash` binds the access token to this token.
    if let Some(at_hash) = claims.get("at_hash")
        && at_hash.as_str() != Some(&jws::half_hash(verified.alg, expected.access_token))
    {
        return Err(refused("at_hash does not match the access token"));
    }
    let auth_time = check_times(&claims, expected.client_id, expected.now, expected.max_age)
        .map_err(refused)?;
    Ok(Believed { claims, auth_time })
}

/// §3.1.3.7 step 3: `aud` lists this client and no one else Cognate does not trust (it
/// trusts no other audience).
fn check_audience(claims: &Map<String, Value>, client_id: &str) -> Result<(), Rejection> {
    let ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => {
            !auds.is_empty() && auds.iter().all(|a| a.as_str() == Some(client_id))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(refused("the ID token is for another audience"))
    }
}

/// §3.1.3.7 steps 5, 10 and 13: `azp`, when present, names this client; `iat` is not in the
/// future; and with `max_age` asked, the provider's `auth_time` is recent enough. Returns
/// when the person signed in there (milliseconds), or now when it does not say.
fn check_times(
    claims: &Map<String, Value>,
    client_id: &str,
    now: Millis,
    max_age: Option<i64>,
) -> Result<Millis, String> {
    if let Some(azp) = claims.get("azp")
        && azp.as_str() != Some(client_id)
    {
        return Err("the ID token's azp names another client".into());
    }
    let now_secs = now / 1000;
    if claims
        .get("iat")
        .and_then(Value::as_i64)
        .is_some_and(|iat| iat > now_secs + SKEW_SECS)
    {
        return Err("the ID token was issued in the future".into());
    }
    let auth_time = claims.get("auth_time").and_then(Value::as_i64);
    if let Some(max_age) = max_age {
        let Some(at) = auth_time else {
            return Err("max_age was asked and the ID token has no auth_time".into());
        };
        if now_secs - at > max_age + SKEW_SECS {
            return Err("the provider's sign-in is older than max_age".into());
        }
    }
    Ok(auth_time
        .map(|t| t.saturating_mul(1000))
        .filter(|t| *t <= now)
        .unwrap_or(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn azp_iat_and_max_age_are_checked() {
        let now = 1_000_000_000;
        let ok = claims(json!({"iat": 999_990, "auth_time": 999_900}));
        assert_eq!(check_times(&ok, "c", now, None), Ok(999_900_000));
        assert_eq!(check_times(&ok, "c", now, Some(100)), Ok(999_900_000));
        let stale = claims(json!({"auth_time": 999_000}));
        assert!(check_times(&stale, "c", now, Some(100)).is_err());
        assert!(check_times(&claims(json!({})), "c", now, Some(100)).is_err());
        assert_eq!(check_times(&claims(json!({})), "c", now, None), Ok(now));
        assert!(check_times(&claims(json!({"azp": "other"})), "c", now, None).is_err());
        assert!(check_times(&claims(json!({"azp": "c"})), "c", now, None).is_ok());
        assert!(check_times(&claims(json!({"iat": 1_000_400})), "c", now, None).is_err());
        // A sign-in "in the future" counts as now.
        let ahead = claims(json!({"auth_time": 1_000_100}));
        assert_eq!(check_times(&ahead, "c", now, None), Ok(now));
    }

    /// An ES256 provider: its key set and a token of `claims`.
    struct Provider {
        pair: EcdsaKeyPair,
    }

    impl Provider {
        fn new() -> Self {
            let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
            let der = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).unwrap();
            Self {
                pair: EcdsaKeyPair::from_pkcs8(alg, der.as_ref()).unwrap(),
            }
        }

        fn keys(&self) -> JwkSet {
            let point = self.pair.public_key().as_ref();
            serde_json::from_value(json!({"keys": [{
                "kty": "EC", "crv": "P-256", "kid": "k", "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..]),
            }]}))
            .unwrap()
        }

        fn token(&self, kid: &str, claims: &Value) -> String {
            let head = URL_SAFE_NO_PAD.encode(json!({"alg": "ES256", "kid": kid}).to_string());
            let body = URL_SAFE_NO_PAD.encode(claims.to_string());
            let signed = format!("{head}.{body}");
            let sig = self
                .pair
                .sign(&SystemRandom::new(), signed.as_bytes())
                .unwrap();
            format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
        }
    }

    const NOW: Millis = 1_000_000_000;

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://idp.example",
            client_id: "c",
            nonce: "n",
            access_token: "at",
            now: NOW,
            max_age: None,
        }
    }

    fn honest() -> Value {
        json!({"iss": "https://idp.example", "aud": "c", "sub": "s", "exp": 1_000_600,
               "iat": 999_990, "nonce": "n",
               "at_hash": jws::half_hash(jws::Alg::Es256, "at")})
    }

    #[test]
    fn every_claim_is_checked() {
        let idp = Provider::new();
        let keys = idp.keys();
        let believed = verify(&idp.token("k", &honest()), &keys, &expected()).unwrap();
        assert_eq!(believed.claims["sub"], "s");
        assert_eq!(believed.auth_time, NOW);
        let aud_list = json!({"aud": ["c"]});
        let spoilt: [(Value, &[&str]); 11] = [
            (json!({"iss": "https://other.example"}), &[]),
            (json!({"aud": "other"}), &[]),
            (json!({"aud": ["c", "other"]}), &[]),
            (json!({"aud": []}), &[]),
            (json!({"exp": 999_999}), &[]),
            (json!({}), &["exp"]),
            (json!({}), &["iat"]),
            (json!({}), &["sub"]),
            (json!({"nonce": "other"}), &[]),
            (json!({}), &["nonce"]),
            (
                json!({"at_hash": jws::half_hash(jws::Alg::Es256, "another")}),
                &[],
            ),
        ];
        for (change, without) in spoilt {
            let mut claims = honest();
            for (k, v) in change.as_object().unwrap() {
                claims[k] = v.clone();
            }
            for k in without {
                claims.as_object_mut().unwrap().remove(*k);
            }
            let answer = verify(&idp.token("k", &claims), &keys, &expected());
            assert!(
                matches!(answer, Err(Rejection::Refused(_))),
                "{claims}: {answer:?}"
            );
        }
        let mut claims = honest();
        claims["aud"] = aud_list["aud"].clone();
        claims.as_object_mut().unwrap().remove("at_hash");
        assert!(verify(&idp.token("k", &claims), &keys, &expected()).is_ok());
        // max_age needs a recent auth_time.
        let asked = Expected {
            max_age: Some(60),
            ..expected()
        };
        assert!(verify(&idp.token("k", &honest()), &keys, &asked).is_err());
        claims["auth_time"] = json!(999_950);
        let believed = verify(&idp.token("k", &claims), &keys, &asked).unwrap();
        assert_eq!(believed.auth_time, 999_950_000);
    }

    #[test]
    fn an_unknown_key_asks_for_a_refetch_and_a_wrong_one_is_refused() {
        let idp = Provider::new();
        let token = idp.token("rotated", &honest());
        assert_eq!(
            verify(&token, &idp.keys(), &expected()).unwrap_err(),
            Rejection::UnknownKey
        );
        let impostor = Provider::new();
        let forged = impostor.token("k", &honest());
        assert!(matches!(
            verify(&forged, &idp.keys(), &expected()),
            Err(Rejection::Refused(_))
        ));
    }
}
