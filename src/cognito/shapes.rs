//! Cognito's shapes for what the core returns: `AttributeType` lists, `UserType`,
//! `CodeDeliveryDetailsType`, dates as epoch seconds.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::attributes::Attributes;
use crate::accounts::factors::codes::CodeCheck;
use crate::accounts::users::shapes::User;
use crate::cognito::protocol::{Exception, Kind};

/// `AttributeType`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeType {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// The answer to a verification code: `{}`, or why it was refused.
pub fn code_answer(check: CodeCheck) -> Result<Value, Exception> {
    match check {
        CodeCheck::Accepted => Ok(json!({})),
        CodeCheck::Rejected => Err(Exception::new(
            Kind::CodeMismatch,
            "Invalid verification code provided, please try again.",
        )),
        CodeCheck::TooManyTries => Err(Exception::too_many_tries()),
    }
}

/// The attributes Cognito sends as strings but Cognate keeps as booleans.
const BOOLEANS: &[&str] = &["email_verified", "phone_number_verified"];

/// Cognito's attribute list as Cognate's attributes. `sub` is not the caller's to set.
pub fn attributes_from(list: &[AttributeType]) -> Result<Attributes, Exception> {
    let mut out = Attributes::new();
    for attribute in list {
        if attribute.name == "sub" {
            return Err(Exception::invalid(
                "Cannot modify the non-mutable attribute sub.",
            ));
        }
        let value = attribute.value.clone().unwrap_or_default();
        let value = if BOOLEANS.contains(&attribute.name.as_str()) {
            match value.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    return Err(Exception::invalid(format!(
                        "{} must be \"true\" or \"false\".",
                        attribute.name
                    )));
                }
            }
        } else {
            Value::String(value)
        };
        out.insert(attribute.name.clone(), value);
    }
    Ok(out)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Cognate's attributes as Cognito's list, `sub` first; `only` keeps the named ones.
pub fn attributes_to(sub: &str, attrs: &Attributes, only: Option<&[String]>) -> Vec<Value> {
    let wanted = |name: &str| only.is_none_or(|list| list.iter().any(|n| n == name));
    let mut out = Vec::new();
    if wanted("sub") {
        out.push(json!({"Name": "sub", "Value": sub}));
    }
    for (name, value) in attrs {
        if wanted(name) {
            out.push(json!({"Name": name, "Value": text(value)}));
        }
    }
    out
}

pub fn epoch(at: chrono::DateTime<chrono::Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

/// `UserType`, as `ListUsers` and `AdminCreateUser` answer it.
pub fn user_type(user: &User, only: Option<&[String]>) -> Value {
    json!({
        "Username": user.username,
        "Attributes": attributes_to(&user.sub, &user.attributes, only),
        "UserCreateDate": epoch(user.created_at),
        "UserLastModifiedDate": epoch(user.updated_at),
        "Enabled": user.enabled,
        "UserStatus": user.status,
    })
}

/// An address as Cognito shows where a code went: `a***@e***`.
pub fn masked(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    format!("{}***@{}***", first(local), first(domain))
}

/// Where a code for the typed name `typed` went, masked, as an unauthenticated answer
/// shows it. In a pool whose username is the email, the typed address itself: the same for
/// accounts and strangers. Otherwise the account's address (`email`), or for a name
/// without one a stand-in keyed on the name's login key, stable however it is spelled.
pub fn destination_shown(
    ctx: &crate::context::Context,
    pool: &crate::pools::Pool,
    typed: &str,
    email: Option<&str>,
) -> String {
    if pool.config.email_is_username() {
        return masked(&typed.trim().to_lowercase());
    }
    match email {
        Some(email) => masked(email),
        None => {
            let key = crate::accounts::users::lookup::login_key(pool, typed);
            let digest = ctx.code_digest(&pool.id, "decoy-destination", &key, "");
            let letter = |i: usize| char::from(b'a' + digest.as_bytes()[i] % 26);
            masked(&format!("{}@{}", letter(0), letter(1)))
        }
    }
}

/// `CodeDeliveryDetailsType` for a code sent by email.
pub fn delivery(email: &str) -> Value {
    json!({
        "Destination": masked(email),
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_as_cognito_does() {
        assert_eq!(masked("alice@example.com"), "a***@e***");
        assert_eq!(masked("x"), "x***@***");
    }

    #[test]
    fn booleans_come_as_strings() {
        let list = vec![AttributeType {
            name: "email_verified".into(),
            value: Some("true".into()),
        }];
        assert_eq!(
            attributes_from(&list).unwrap()["email_verified"],
            Value::Bool(true)
        );
        let bad = vec![AttributeType {
            name: "email_verified".into(),
            value: Some("yes".into()),
        }];
        assert!(attributes_from(&bad).is_err());
    }
}
