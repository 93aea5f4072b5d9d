//! Whether a caller may take an action on a resource: the root key may do anything; a user
//! has its own and its groups' policies; a role session has its role's, narrowed by the
//! session policy it was given.

use std::net::IpAddr;

use crate::clock::{Millis, to_datetime};
use crate::iam::authenticate::caller::Caller;
use crate::iam::condition::Context;
use crate::iam::directory::snapshot::{Named, Snapshot};
use crate::iam::evaluate::{Applied, Deciding, Decision, Request, evaluate};

/// The name decisions report for the root key.
pub const ROOT_POLICY: &str = "root";
/// The name decisions report for a role session's own policy.
pub const SESSION_POLICY: &str = "session policy";

/// The condition keys a request brings.
pub fn request_context(
    caller: &Caller,
    account: &str,
    now: Millis,
    source: Option<IpAddr>,
    secure_transport: bool,
) -> Context {
    let mut context = Context::new()
        .with(
            "aws:CurrentTime",
            to_datetime(now).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
        .with("aws:EpochTime", (now / 1000).to_string())
        .with("aws:PrincipalArn", caller.principal_arn(account))
        .with("aws:SecureTransport", secure_transport.to_string());
    if let Some(ip) = source {
        context = context.with("aws:SourceIp", ip.to_string());
    }
    match caller {
        Caller::User { name, .. } => context = context.with("aws:username", name.clone()),
        Caller::Session(session) => {
            context = context.with(
                "aws:TokenIssueTime",
                to_datetime(session.issued_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
        }
        Caller::Root => {}
    }
    context
}

fn applied(named: &[Named]) -> Vec<Applied<'_>> {
    named
        .iter()
        .map(|(name, policy)| Applied { name, policy })
        .collect()
}

/// Decides `action` on `resource` for `caller`.
pub fn decide(
    snapshot: &Snapshot,
    caller: &Caller,
    action: &str,
    resource: &str,
    context: &Context,
) -> Decision {
    let request = Request {
        action,
        resource,
        context,
    };
    match caller {
        Caller::Root => Decision::Allowed(Deciding {
            policy: ROOT_POLICY.into(),
            sid: None,
        }),
        Caller::User { name, .. } => {
            let named = snapshot.user_policies(name);
            evaluate(&applied(named), None, &request)
        }
        Caller::Session(session) => {
            let named = snapshot.role_policies(&session.role);
            let session_policy = session.policy.as_ref().map(|policy| {
                vec![Applied {
                    name: SESSION_POLICY,
                    policy,
                }]
            });
            evaluate(&applied(named), session_policy.as_deref(), &request)
        }
    }
}
