//! User attributes: the OIDC standard claims and the pool's `custom:` attributes, checked
//! against the pool's schema and stored as one JSON object.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::pools::PoolConfig;
use crate::pools::client_config::STANDARD_ATTRIBUTES;
use crate::pools::text;

pub type Attributes = Map<String, Value>;

const BOOLEAN_STANDARD: &[&str] = &["email_verified", "phone_number_verified"];
const MAX_VALUE_CHARS: usize = 2048;
/// Checked here and written into the OpenAPI document from here.
pub const MAX_ATTRIBUTES: usize = 100;

/// Whether a write may set this attribute: never `sub` or `updated_at`, which Cognate keeps.
fn is_writable_standard(name: &str) -> bool {
    STANDARD_ATTRIBUTES.contains(&name) && name != "updated_at"
}

fn is_phone_number(value: &str) -> bool {
    value.len() >= 5
        && value.len() <= 16
        && value.starts_with('+')
        && value[1..].bytes().all(|b| b.is_ascii_digit())
}

fn as_bool(field: &str, value: &Value) -> Result<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        _ => Err(Error::validation(field, "must be true or false")),
    }
}

/// Checks one attribute against the schema and returns the value as stored.
fn normalise(pool: &PoolConfig, name: &str, value: &Value) -> Result<Value> {
    let field = format!("attributes.{}", name.chars().take(64).collect::<String>());
    if let Some(custom) = name.strip_prefix("custom:") {
        let Some(def) = pool.custom_attribute(custom) else {
            return Err(Error::validation(field, "is not an attribute of this pool"));
        };
        return match def.kind.as_str() {
            "boolean" => as_bool(&field, value).map(Value::Bool),
            "number" => match value {
                Value::Number(n) => Ok(Value::Number(n.clone())),
                Value::String(s) => s
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| Error::validation(&field, "must be a number")),
                _ => Err(Error::validation(&field, "must be a number")),
            },
            _ => {
                let Value::String(s) = value else {
                    return Err(Error::validation(field, "must be a string"));
                };
                let min = def.min_length.unwrap_or(0) as usize;
                let max = def.max_length.unwrap_or(MAX_VALUE_CHARS as u32) as usize;
                let len = s.chars().count();
                if len < min || len > max {
                    return Err(Error::validation(
                        field,
                        format!("must be {min}-{max} characters"),
                    ));
                }
                text::free_text(&field, s, max)?;
                Ok(value.clone())
            }
        };
    }
    if !is_writable_standard(name) {
        return Err(Error::validation(field, "is not a known attribute"));
    }
    if BOOLEAN_STANDARD.contains(&name) {
        return as_bool(&field, value).map(Value::Bool);
    }
    let Value::String(s) = value else {
        return Err(Error::validation(field, "must be a string"));
    };
    match name {
        "email" if !text::is_email(s) => {
            Err(Error::validation(field, "must be a valid email address"))
        }
        "phone_number" if !is_phone_number(s) => Err(Error::validation(
            field,
            "must be in E.164 form, such as +14325551212",
        )),
        _ => {
            if s.is_empty() {
                return Err(Error::validation(field, "must not be empty"));
            }
            text::free_text(&field, s, MAX_VALUE_CHARS)?;
            if s.contains(['\r', '\n']) {
                return Err(Error::validation(field, "must be a single line"));
            }
            Ok(value.clone())
        }
    }
}

/// Attributes for a new user: each checked, and every required custom attribute present.
pub fn for_new_user(pool: &PoolConfig, given: &Attributes) -> Result<Attributes> {
    if given.len() > MAX_ATTRIBUTES {
        return Err(Error::validation(
            "attributes",
            format!("at most {MAX_ATTRIBUTES} attributes"),
        ));
    }
    let mut out = Attributes::new();
    for (name, value) in given {
        out.insert(name.clone(), normalise(pool, name, value)?);
    }
    for def in pool.schema.iter().filter(|d| d.required) {
        let key = format!("custom:{}", def.name);
        if !out.contains_key(&key) {
            return Err(Error::validation(
                format!("attributes.{key}"),
                "is required by this pool",
            ));
        }
    }
    Ok(out)
}

/// Applies a change to existing attributes: `null` removes an attribute; immutable custom
/// attributes and required ones cannot be changed or removed.
pub fn apply_change(
    pool: &PoolConfig,
    current: &Attributes,
    change: &Attributes,
) -> Result<Attributes> {
    if change.len() > MAX_ATTRIBUTES {
        return Err(Error::validation(
            "attributes",
            format!("at most {MAX_ATTRIBUTES} attributes"),
        ));
    }
    let mut out = current.clone();
    for (name, value) in change {
        let field = format!("attributes.{}", name.chars().take(64).collect::<String>());
        if let Some(def) = name
            .strip_prefix("custom:")
            .and_then(|n| pool.custom_attribute(n))
            && !def.mutable
        {
            return Err(Error::validation(field, "is immutable"));
        }
        if value.is_null() {
            if name
                .strip_prefix("custom:")
                .and_then(|n| pool.custom_attribute(n))
                .is_some_and(|d| d.required)
            {
                return Err(Error::validation(
                    field,
                    "is required and cannot be removed",
                ));
            }
            if !(name.starts_with("custom:") || is_writable_standard(name)) {
                return Err(Error::validation(field, "is not a known attribute"));
            }
            out.remove(name);
        } else {
            out.insert(name.clone(), normalise(pool, name, value)?);
        }
    }
    if pool.email_is_username() && !out.get("email").is_some_and(Value::is_string) {
        return Err(Error::validation(
            "attributes.email",
            "is the username in this pool and cannot be removed",
        ));
    }
    Ok(out)
}

/// Whether `name` is an attribute a provider's claim may be mapped to: a writable standard
/// one or a custom attribute of the pool.
pub fn is_mappable(pool: &PoolConfig, name: &str) -> bool {
    match name.strip_prefix("custom:") {
        Some(custom) => pool.custom_attribute(custom).is_some(),
        None => is_writable_standard(name),
    }
}

/// A provider's claim as the value of attribute `name`, if the pool's rules take it:
/// numbers and booleans are read as their text for string attributes.
pub fn from_claim(pool: &PoolConfig, name: &str, claim: &Value) -> Option<Value> {
    let text;
    let value = match claim {
        Value::Number(n) if !is_numeric(pool, name) => {
            text = Value::String(n.to_string());
            &text
        }
        Value::Bool(b) if !is_boolean(pool, name) => {
            text = Value::String(b.to_string());
            &text
        }
        other => other,
    };
    normalise(pool, name, value).ok()
}

fn is_numeric(pool: &PoolConfig, name: &str) -> bool {
    name.strip_prefix("custom:")
        .and_then(|n| pool.custom_attribute(n))
        .is_some_and(|d| d.kind == "number")
}

fn is_boolean(pool: &PoolConfig, name: &str) -> bool {
    BOOLEAN_STANDARD.contains(&name)
        || name
            .strip_prefix("custom:")
            .and_then(|n| pool.custom_attribute(n))
            .is_some_and(|d| d.kind == "boolean")
}

/// The value of a string attribute, for the filterable columns.
pub fn string(attrs: &Attributes, name: &str) -> Option<String> {
    attrs.get(name).and_then(Value::as_str).map(str::to_string)
}
