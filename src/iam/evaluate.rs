//! IAM's evaluation logic, as AWS documents it for one account: an explicit `Deny` in any
//! applicable policy wins; otherwise an `Allow` is needed in the identity policies and, for
//! a role session with a session policy, in that policy too; otherwise the request is
//! implicitly denied.

use crate::iam::condition::Context;
use crate::iam::policy::{Effect, Policy};

/// A policy as it applies to a principal, with the name a decision reports.
#[derive(Debug, Clone, Copy)]
pub struct Applied<'a> {
    pub name: &'a str,
    pub policy: &'a Policy,
}

/// What is asked: `action` on `resource`, with the request's context keys.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a Context,
}

/// The statement that decided: its policy and `Sid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deciding {
    pub policy: String,
    pub sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed(Deciding),
    ExplicitlyDenied(Deciding),
    ImplicitlyDenied,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed(_))
    }
}

/// The first statement of `effect` in `policies` that applies to `request`.
fn first(policies: &[Applied<'_>], effect: Effect, request: &Request<'_>) -> Option<Deciding> {
    policies.iter().find_map(|applied| {
        applied
            .policy
            .statements
            .iter()
            .find(|s| {
                s.effect == effect
                    && s.covers(request.action, request.resource)
                    && s.conditions.iter().all(|c| c.holds(request.context))
            })
            .map(|s| Deciding {
                policy: applied.name.to_string(),
                sid: s.sid.clone(),
            })
    })
}

/// Decides `request` for a principal with `identity` policies and, for a role session
/// that was given one, a `session` policy.
pub fn evaluate(
    identity: &[Applied<'_>],
    session: Option<&[Applied<'_>]>,
    request: &Request<'_>,
) -> Decision {
    let all_denies = first(identity, Effect::Deny, request)
        .or_else(|| session.and_then(|s| first(s, Effect::Deny, request)));
    if let Some(deny) = all_denies {
        return Decision::ExplicitlyDenied(deny);
    }
    let Some(allow) = first(identity, Effect::Allow, request) else {
        return Decision::ImplicitlyDenied;
    };
    match session {
        Some(session) if first(session, Effect::Allow, request).is_none() => {
            Decision::ImplicitlyDenied
        }
        _ => Decision::Allowed(allow),
    }
}

#[cfg(test)]
mod tests;
