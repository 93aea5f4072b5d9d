//! IAM's policy simulator: how a user's or role's policies decide given actions on given
//! resources, with the deciding policy and `Sid`, without making the calls.

use crate::error::{Error, Result};
use crate::iam::Iam;
use crate::iam::authorize::ROOT_POLICY;
use crate::iam::condition::Context as Conditions;
use crate::iam::evaluate::{Applied, Decision, Request, evaluate};

pub const MAX_ACTIONS: usize = 100;
pub const MAX_RESOURCES: usize = 100;
pub const MAX_CONTEXT_KEYS: usize = 50;

pub struct Simulation {
    pub principal_arn: String,
    pub actions: Vec<String>,
    /// `["*"]` when none are given.
    pub resources: Vec<String>,
    pub context: Vec<(String, Vec<String>)>,
}

pub struct Outcome {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
}

pub async fn simulate(iam: &Iam, ask: Simulation) -> Result<Vec<Outcome>> {
    let ctx = &iam.ctx;
    if ask.actions.is_empty() || ask.actions.len() > MAX_ACTIONS {
        return Err(Error::validation(
            "actions",
            format!("must name 1-{MAX_ACTIONS} actions"),
        ));
    }
    if ask.resources.len() > MAX_RESOURCES {
        return Err(Error::validation(
            "resources",
            format!("may name at most {MAX_RESOURCES} resources"),
        ));
    }
    if ask.context.len() > MAX_CONTEXT_KEYS {
        return Err(Error::validation(
            "context",
            format!("may hold at most {MAX_CONTEXT_KEYS} keys"),
        ));
    }
    for (field, list) in [("actions", &ask.actions), ("resources", &ask.resources)] {
        if list.iter().any(|v| v.is_empty() || v.len() > 2048) {
            return Err(Error::validation(
                field,
                "entries must be 1-2048 characters",
            ));
        }
    }
    let snapshot = iam.directory.load(&ctx.store, ctx.now()).await?;
    let prefix = format!("arn:aws:iam::{}:", ctx.account_id);
    let rest = ask
        .principal_arn
        .strip_prefix(&prefix)
        .ok_or(Error::NotFound("principal"))?;
    let named = match rest.split_once('/') {
        Some(("user", name)) if snapshot.users.contains_key(name) => snapshot.user_policies(name),
        Some(("role", name)) if snapshot.roles.contains_key(name) => snapshot.role_policies(name),
        _ if rest == "root" => &[],
        _ => return Err(Error::NotFound("principal")),
    };
    let applied: Vec<Applied<'_>> = named
        .iter()
        .map(|(name, policy)| Applied { name, policy })
        .collect();
    let mut conditions = Conditions::new();
    for (key, values) in &ask.context {
        for value in values {
            conditions = conditions.with(key, value.clone());
        }
    }
    let resources = if ask.resources.is_empty() {
        vec!["*".to_string()]
    } else {
        ask.resources.clone()
    };
    let mut out = Vec::new();
    for action in &ask.actions {
        for resource in &resources {
            let decision = if rest == "root" {
                Decision::Allowed(crate::iam::evaluate::Deciding {
                    policy: ROOT_POLICY.into(),
                    sid: None,
                })
            } else {
                evaluate(
                    &applied,
                    None,
                    &Request {
                        action,
                        resource,
                        context: &conditions,
                    },
                )
            };
            out.push(Outcome {
                action: action.clone(),
                resource: resource.clone(),
                decision,
            });
        }
    }
    Ok(out)
}
