//! From a provider's claims to a pool user: the subject that names the identity, and the
//! attributes the provider's `attribute_mapping` says to take, each checked by the pool's
//! rules (a value the pool would refuse from an admin is not taken from a provider either).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::accounts::attributes::{self, Attributes};
use crate::domain::{IDENTITIES, UPSTREAM_AMR};
use crate::pools::PoolConfig;

/// OpenID Connect Core §2: `sub` is at most 255 ASCII characters.
pub const SUBJECT_MAX: usize = 255;

/// What a provider says about the person who signed in.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The claim `username` maps to (`sub` by default).
    pub subject: String,
    /// The mapped attributes the pool accepts.
    pub attributes: Attributes,
    /// The address the provider vouches for (`email` with `email_verified: true`).
    pub verified_email: Option<String>,
    /// The provider's RFC 8176 methods, each marked as the provider's
    /// (`UPSTREAM_AMR`), space-separated; empty when it sent none.
    pub amr: String,
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true)))
        || matches!(value, Some(Value::String(s)) if s == "true")
}

/// Maps `claims` by `mapping`; `Err` names what made the identity unusable.
pub fn map(
    pool: &PoolConfig,
    mapping: &BTreeMap<String, String>,
    claims: &Map<String, Value>,
) -> Result<Upstream, String> {
    let subject_claim = mapping.get("username").map_or("sub", String::as_str);
    let subject = claims
        .get(subject_claim)
        .and_then(as_text)
        .ok_or_else(|| format!("the provider sent no `{subject_claim}` claim"))?;
    if subject.is_empty()
        || subject.len() > SUBJECT_MAX
        || !subject.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(format!(
            "the provider's `{subject_claim}` is not 1-255 visible ASCII characters"
        ));
    }
    let mut attrs = Attributes::new();
    for (attribute, claim) in mapping {
        if attribute == "username" {
            continue;
        }
        let Some(value) = claims.get(claim) else {
            continue;
        };
        match attributes::from_claim(pool, attribute, value) {
            Some(v) => {
                attrs.insert(attribute.clone(), v);
            }
            None => tracing::warn!(attribute = %attribute, claim = %claim,
                "a provider's claim does not fit the pool's attribute; left out"),
        }
    }
    let verified_email = claims
        .get("email")
        .and_then(Value::as_str)
        .filter(|_| is_true(claims.get("email_verified")))
        .map(str::to_string);
    let amr = match claims.get("amr") {
        Some(Value::Array(methods)) => methods
            .iter()
            .filter_map(Value::as_str)
            .filter(|m| {
                !m.is_empty() && m.len() <= 32 && m.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .take(8)
            // Marked as the provider's word: an upstream `otp` never proves this pool's
            // authenticator app (`accounts::factors::step_up`), nor its `mfa` this pool's MFA.
            .map(|m| format!("{UPSTREAM_AMR}{m}"))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    Ok(Upstream {
        subject,
        attributes: attrs,
        verified_email,
        amr,
    })
}

/// One entry of the `identities` attribute (Cognito's shape: every value a string).
pub fn identity(provider: &str, issuer: &str, subject: &str, primary: bool, at: i64) -> Value {
    serde_json::json!({
        "userId": subject,
        "providerName": provider,
        "providerType": "OIDC",
        "issuer": issuer,
        "primary": if primary { "true" } else { "false" },
        "dateCreated": at.to_string(),
    })
}

/// `attrs` with `identities` (a JSON array kept as a string) changed by `change`.
pub fn with_identities(attrs: &Attributes, change: impl FnOnce(&mut Vec<Value>)) -> Attributes {
    let mut list: Vec<Value> = attrs
        .get(IDENTITIES)
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    change(&mut list);
    let mut out = attrs.clone();
    if list.is_empty() {
        out.remove(IDENTITIES);
    } else {
        out.insert(
            IDENTITIES.into(),
            Value::String(Value::Array(list).to_string()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pool() -> PoolConfig {
        serde_json::from_value(json!({
            "username_attributes": [], "case_sensitive_usernames": false,
            "auto_verified_attributes": [], "password_policy": {"minimum_length": 8,
            "require_uppercase": false, "require_lowercase": false, "require_numbers": false,
            "require_symbols": false, "temporary_password_validity_days": 7},
            "schema": [{"name": "dept", "type": "string", "mutable": true, "required": false}],
            "mfa_configuration": "OFF", "email": {}, "deletion_protection": false
        }))
        .unwrap()
    }

    #[test]
    fn maps_claims_the_pool_accepts_and_reads_the_subject() {
        let mapping: BTreeMap<String, String> = [
            ("username", "sub"),
            ("email", "email"),
            ("email_verified", "email_verified"),
            ("name", "name"),
            ("custom:dept", "department"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let claims = json!({"sub": "u-1", "email": "a@example.com", "email_verified": true,
            "name": "A\nB", "department": "R&D", "amr": ["pwd", "mfa", "<script>"]});
        let up = map(&pool(), &mapping, claims.as_object().unwrap()).unwrap();
        assert_eq!(up.subject, "u-1");
        assert_eq!(up.attributes["email"], "a@example.com");
        assert_eq!(up.attributes["email_verified"], true);
        assert_eq!(up.attributes["custom:dept"], "R&D");
        // A two-line name is refused by the pool's rules, so it is left out.
        assert!(!up.attributes.contains_key("name"));
        assert_eq!(up.verified_email.as_deref(), Some("a@example.com"));
        assert_eq!(up.amr, "idp:pwd idp:mfa");
    }

    #[test]
    fn an_unverified_or_missing_subject_is_not_vouched_for() {
        let mapping = BTreeMap::new();
        let claims = json!({"sub": "u-1", "email": "a@example.com", "email_verified": "false"});
        let up = map(&pool(), &mapping, claims.as_object().unwrap()).unwrap();
        assert_eq!(up.verified_email, None);
        assert!(map(&pool(), &mapping, json!({}).as_object().unwrap()).is_err());
        let long = json!({"sub": "x".repeat(256)});
        assert!(map(&pool(), &mapping, long.as_object().unwrap()).is_err());
    }

    #[test]
    fn identities_are_kept_as_a_string_and_carried_as_an_array() {
        let attrs = with_identities(&Attributes::new(), |l| {
            l.push(identity("Corp", "https://idp", "u-1", true, 5))
        });
        let text = serde_json::to_string(&attrs).unwrap();
        let claim = crate::tokens::claims::identities_claim(&text).unwrap();
        assert_eq!(claim[0]["providerName"], "Corp");
        assert_eq!(claim[0]["primary"], "true");
        assert_eq!(claim[0]["dateCreated"], "5");
    }
}
