//! The `Condition` element: IAM's operators over the request's context keys. Within one
//! condition a single context value matches if it matches any of the listed values;
//! several keys, and several operators, must all hold (AWS's documented AND/OR rule). Keys
//! are matched without regard to case, as AWS matches them: `aws:CurrentTime`,
//! `aws:EpochTime`, `aws:SourceIp`, `aws:username`, `aws:PrincipalArn`,
//! `aws:SecureTransport` and `aws:TokenIssueTime` are the ones a request will carry.

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use ipnet::IpNet;

use crate::iam::pattern;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringLike,
    StringNotLike,
    DateLessThan,
    DateGreaterThan,
    NumericLessThan,
    NumericGreaterThan,
    Bool,
    IpAddress,
    NotIpAddress,
}

impl Operator {
    /// The operator and whether it is the `…IfExists` form.
    pub fn parse(name: &str) -> Option<(Self, bool)> {
        let (base, if_exists) = match name.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (name, false),
        };
        let op = match base {
            "StringEquals" => Operator::StringEquals,
            "StringNotEquals" => Operator::StringNotEquals,
            "StringLike" => Operator::StringLike,
            "StringNotLike" => Operator::StringNotLike,
            "DateLessThan" => Operator::DateLessThan,
            "DateGreaterThan" => Operator::DateGreaterThan,
            "NumericLessThan" => Operator::NumericLessThan,
            "NumericGreaterThan" => Operator::NumericGreaterThan,
            "Bool" => Operator::Bool,
            "IpAddress" => Operator::IpAddress,
            "NotIpAddress" => Operator::NotIpAddress,
            _ => return None,
        };
        Some((op, if_exists))
    }

    /// Negated operators hold when the key is absent (AWS: "the condition is true").
    fn negated(self) -> bool {
        matches!(
            self,
            Operator::StringNotEquals | Operator::StringNotLike | Operator::NotIpAddress
        )
    }

    /// Whether `value` can be a value of this operator (checked when the policy is saved).
    pub fn accepts(self, value: &str) -> bool {
        match self {
            Operator::DateLessThan | Operator::DateGreaterThan => instant(value).is_some(),
            Operator::NumericLessThan | Operator::NumericGreaterThan => {
                value.parse::<f64>().is_ok_and(f64::is_finite)
            }
            Operator::Bool => {
                value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")
            }
            Operator::IpAddress | Operator::NotIpAddress => network(value).is_some(),
            _ => true,
        }
    }
}

/// One test: `operator` on `key`, against any of `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    pub if_exists: bool,
    pub key: String,
    pub values: Vec<String>,
}

/// What the request says about itself: condition key → its values.
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    /// `key` has `value` (keys are matched without regard to case).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.values
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.into());
        self
    }

    fn get(&self, key: &str) -> Option<&[String]> {
        self.values
            .get(&key.to_ascii_lowercase())
            .map(Vec::as_slice)
            .filter(|v| !v.is_empty())
    }
}

impl Condition {
    pub fn holds(&self, context: &Context) -> bool {
        let Some(present) = context.get(&self.key) else {
            return self.if_exists || self.operator.negated();
        };
        present.iter().all(|value| self.value_holds(value))
    }

    fn value_holds(&self, value: &str) -> bool {
        let any = |test: &dyn Fn(&str) -> bool| self.values.iter().any(|v| test(v));
        match self.operator {
            Operator::StringEquals => any(&|v| v == value),
            Operator::StringNotEquals => !any(&|v| v == value),
            Operator::StringLike => any(&|v| pattern::matches(v, value, false)),
            Operator::StringNotLike => !any(&|v| pattern::matches(v, value, false)),
            Operator::DateLessThan => compare(value, self, instant, |a, b| a < b),
            Operator::DateGreaterThan => compare(value, self, instant, |a, b| a > b),
            Operator::NumericLessThan => compare(value, self, number, |a, b| a < b),
            Operator::NumericGreaterThan => compare(value, self, number, |a, b| a > b),
            Operator::Bool => any(&|v| v.eq_ignore_ascii_case(value)),
            Operator::IpAddress => in_any(value, &self.values),
            Operator::NotIpAddress => {
                // A source that is no address at all is in no network.
                !in_any(value, &self.values)
            }
        }
    }
}

fn compare<T: Copy>(
    value: &str,
    condition: &Condition,
    parse: fn(&str) -> Option<T>,
    test: fn(T, T) -> bool,
) -> bool {
    let Some(actual) = parse(value) else {
        return false;
    };
    condition
        .values
        .iter()
        .filter_map(|v| parse(v))
        .any(|limit| test(actual, limit))
}

fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// An ISO 8601 date-time (or a date), or seconds since the epoch, as AWS accepts both.
fn instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    text.parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
}

fn network(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

fn in_any(value: &str, networks: &[String]) -> bool {
    let Ok(address) = value.parse::<IpAddr>() else {
        return false;
    };
    networks
        .iter()
        .filter_map(|n| network(n))
        .any(|n| n.contains(&address))
}
