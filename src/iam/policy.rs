//! A policy document in IAM's JSON grammar, parsed once into types: `Version`
//! `2012-10-17`, `Statement` as an object or an array, each with `Sid`, `Effect`,
//! `Action`/`NotAction`, `Resource`/`NotResource` and `Condition`. What does not fit is
//! refused with the statement's index and the field, never half-read.

use serde_json::{Map, Value};

use crate::iam::condition::{Condition, Operator};
use crate::iam::pattern;

pub const VERSION: &str = "2012-10-17";

/// AWS's sizes, in characters of the document as sent.
pub const MANAGED_MAX: usize = 6_144;
pub const USER_INLINE_MAX: usize = 2_048;
pub const GROUP_INLINE_MAX: usize = 5_120;
pub const ROLE_INLINE_MAX: usize = 10_240;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` (these) or `NotAction` (all but these); the same for resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patterns {
    Only(Vec<String>),
    AllBut(Vec<String>),
}

impl Patterns {
    fn covers(&self, text: &str, ignore_case: bool) -> bool {
        let hit = |list: &[String]| list.iter().any(|p| pattern::matches(p, text, ignore_case));
        match self {
            Patterns::Only(list) => hit(list),
            Patterns::AllBut(list) => !hit(list),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: Patterns,
    pub resources: Patterns,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// Whether this statement speaks of `action` on `resource` (actions ignore case,
    /// resources do not), its conditions aside.
    pub fn covers(&self, action: &str, resource: &str) -> bool {
        self.actions.covers(action, true) && self.resources.covers(resource, false)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

/// Why a document was refused: which statement (from 0), which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{field}: {message}", statement.map(|i| format!("Statement[{i}].")).unwrap_or_default())]
pub struct PolicyError {
    pub statement: Option<usize>,
    pub field: String,
    pub message: String,
}

fn refuse(statement: Option<usize>, field: &str, message: impl Into<String>) -> PolicyError {
    PolicyError {
        statement,
        field: field.to_string(),
        message: message.into(),
    }
}

impl Policy {
    /// Parses a document of at most `max_chars` characters.
    pub fn parse(text: &str, max_chars: usize) -> Result<Policy, PolicyError> {
        let length = text.chars().filter(|c| !c.is_whitespace()).count();
        if length > max_chars {
            return Err(refuse(
                None,
                "document",
                format!("is {length} characters without whitespace; the limit is {max_chars}"),
            ));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| refuse(None, "document", format!("is not JSON: {e}")))?;
        let Value::Object(top) = value else {
            return Err(refuse(None, "document", "must be a JSON object"));
        };
        for key in top.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(refuse(None, key, "is not a policy element"));
            }
        }
        match top.get("Version") {
            Some(Value::String(v)) if v == VERSION => {}
            _ => return Err(refuse(None, "Version", format!("must be \"{VERSION}\""))),
        }
        if top.get("Id").is_some_and(|id| !id.is_string()) {
            return Err(refuse(None, "Id", "must be a string"));
        }
        let statements = match top.get("Statement") {
            Some(Value::Object(one)) => vec![one],
            Some(Value::Array(many)) if !many.is_empty() => many
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    s.as_object()
                        .ok_or_else(|| refuse(Some(i), "Statement", "must be an object"))
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(refuse(
                    None,
                    "Statement",
                    "must be a statement or a non-empty array of them",
                ));
            }
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| statement(i, s, false).map(|(statement, _)| statement))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { statements })
    }
}

/// A role's trust policy: who may assume it. Each statement names principals
/// (`"Principal": {"AWS": [ARNs]}`) instead of resources; actions and conditions read as in
/// any policy.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPolicy {
    pub statements: Vec<(Statement, Vec<String>)>,
}

impl TrustPolicy {
    pub fn parse(text: &str) -> Result<TrustPolicy, PolicyError> {
        // The same envelope as any policy; the statements are read again in trust form.
        let length = text.chars().filter(|c| !c.is_whitespace()).count();
        if length > TRUST_MAX {
            return Err(refuse(
                None,
                "document",
                format!("is {length} characters without whitespace; the limit is {TRUST_MAX}"),
            ));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| refuse(None, "document", format!("is not JSON: {e}")))?;
        let statements: Vec<&Map<String, Value>> = match value.get("Statement") {
            Some(Value::Object(one)) => vec![one],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        };
        let mut envelope = value.clone();
        if let Some(top) = envelope.as_object_mut() {
            // Checked by `Policy::parse` with trust statements set aside.
            top.insert(
                "Statement".into(),
                serde_json::json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
            );
        }
        Policy::parse(&envelope.to_string(), TRUST_MAX)?;
        if value
            .get("Statement")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() != statements.len())
        {
            return Err(refuse(None, "Statement", "must hold objects only"));
        }
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| statement(i, s, true))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustPolicy { statements })
    }
}

/// AWS's limit on a role's trust policy.
pub const TRUST_MAX: usize = 2_048;

fn statement(
    i: usize,
    s: &Map<String, Value>,
    trust: bool,
) -> Result<(Statement, Vec<String>), PolicyError> {
    let at = Some(i);
    for key in s.keys() {
        match key.as_str() {
            "Sid" | "Effect" | "Action" | "NotAction" | "Condition" => {}
            "Resource" | "NotResource" if !trust => {}
            "Principal" if trust => {}
            "Resource" | "NotResource" => {
                return Err(refuse(at, key, "has no place in a trust policy"));
            }
            "Principal" | "NotPrincipal" if !trust => {
                return Err(refuse(
                    at,
                    key,
                    "belongs in a role's trust policy, not here",
                ));
            }
            _ => return Err(refuse(at, key, "is not a statement element")),
        }
    }
    let principals = if trust { principals(i, s)? } else { Vec::new() };
    let sid = match s.get("Sid") {
        None => None,
        Some(Value::String(sid)) if sid.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Some(sid.clone())
        }
        Some(_) => return Err(refuse(at, "Sid", "must be letters and digits")),
    };
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(refuse(at, "Effect", "must be \"Allow\" or \"Deny\"")),
    };
    let actions = either(i, s, "Action", "NotAction", action_shape)?;
    let resources = if trust {
        Patterns::Only(vec!["*".into()])
    } else {
        either(i, s, "Resource", "NotResource", |r| {
            r == "*" || r.starts_with("arn:")
        })?
    };
    let conditions = match s.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(block)) => conditions(i, block)?,
        Some(_) => return Err(refuse(at, "Condition", "must be an object")),
    };
    Ok((
        Statement {
            sid,
            effect,
            actions,
            resources,
            conditions,
        },
        principals,
    ))
}

/// `"Principal": {"AWS": "arn…" | ["arn…", …]}`: IAM users, roles, or the account
/// (`arn:aws:iam::<account>:root`, anyone in it whose own policies allow the call).
fn principals(i: usize, s: &Map<String, Value>) -> Result<Vec<String>, PolicyError> {
    let at = Some(i);
    let Some(Value::Object(principal)) = s.get("Principal") else {
        return Err(refuse(at, "Principal", "must be {\"AWS\": [ARNs]}"));
    };
    if principal.keys().any(|k| k != "AWS") {
        return Err(refuse(at, "Principal", "may only name \"AWS\" principals"));
    }
    let arns: Vec<&Value> = match principal.get("AWS") {
        Some(Value::String(_)) => vec![&principal["AWS"]],
        Some(Value::Array(items)) if !items.is_empty() => items.iter().collect(),
        _ => {
            return Err(refuse(
                at,
                "Principal.AWS",
                "must be an ARN or a non-empty array of ARNs",
            ));
        }
    };
    arns.into_iter()
        .map(|v| match v.as_str() {
            Some(arn) if arn.starts_with("arn:aws:iam::") && !arn.contains(['*', '?']) => {
                Ok(arn.to_string())
            }
            _ => Err(refuse(
                at,
                "Principal.AWS",
                "must hold IAM ARNs (arn:aws:iam::<account>:user/<name>, role/<name> or root)",
            )),
        })
        .collect()
}

/// `*`, or `service:Action` with a lowercase service name; wildcards allowed in both parts.
fn action_shape(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    match action.split_once(':') {
        Some((service, name)) => {
            !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-*?".contains(c))
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "*?".contains(c))
        }
        None => false,
    }
}

fn either(
    i: usize,
    s: &Map<String, Value>,
    only: &str,
    all_but: &str,
    shape: fn(&str) -> bool,
) -> Result<Patterns, PolicyError> {
    let at = Some(i);
    let list = |field: &str, value: &Value| -> Result<Vec<String>, PolicyError> {
        let items: Vec<&Value> = match value {
            Value::String(_) => vec![value],
            Value::Array(items) if !items.is_empty() => items.iter().collect(),
            _ => {
                return Err(refuse(
                    at,
                    field,
                    "must be a string or a non-empty array of strings",
                ));
            }
        };
        items
            .into_iter()
            .map(|v| match v.as_str() {
                Some(text) if shape(text) => Ok(text.to_string()),
                Some(text) => Err(refuse(at, field, format!("`{text}` is not well formed"))),
                None => Err(refuse(at, field, "must hold strings only")),
            })
            .collect()
    };
    match (s.get(only), s.get(all_but)) {
        (Some(v), None) => Ok(Patterns::Only(list(only, v)?)),
        (None, Some(v)) => Ok(Patterns::AllBut(list(all_but, v)?)),
        (Some(_), Some(_)) => Err(refuse(
            at,
            only,
            format!("and {all_but} cannot both be given"),
        )),
        (None, None) => Err(refuse(at, only, format!("or {all_but} is required"))),
    }
}

fn conditions(i: usize, block: &Map<String, Value>) -> Result<Vec<Condition>, PolicyError> {
    let at = Some(i);
    let mut out = Vec::new();
    for (name, tests) in block {
        let field = format!("Condition.{name}");
        let (operator, if_exists) = Operator::parse(name)
            .ok_or_else(|| refuse(at, &field, "is not a supported operator"))?;
        let Value::Object(tests) = tests else {
            return Err(refuse(at, &field, "must map condition keys to values"));
        };
        if tests.is_empty() {
            return Err(refuse(at, &field, "names no condition key"));
        }
        for (key, values) in tests {
            let field = format!("{field}.{key}");
            let values: Vec<&Value> = match values {
                Value::Array(items) if !items.is_empty() => items.iter().collect(),
                Value::Array(_) => return Err(refuse(at, &field, "has no values")),
                other => vec![other],
            };
            let values = values
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    Value::Bool(b) => Ok(b.to_string()),
                    _ => Err(refuse(
                        at,
                        &field,
                        "values must be strings, numbers or booleans",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(bad) = values.iter().find(|v| !operator.accepts(v)) {
                return Err(refuse(
                    at,
                    &field,
                    format!("`{bad}` is not a value {name} can compare"),
                ));
            }
            out.push(Condition {
                operator,
                if_exists,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}
