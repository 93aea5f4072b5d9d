//! The steps every IAM-authorised front door takes, in order: authenticate the signed
//! request, decide the action on the resource, and record the request in the audit trail
//! exactly once, allowed or not. The admin REST gate and the Cognito API both use them.

use std::net::IpAddr;

use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::random;
use crate::error::Error;
use crate::iam::Iam;
use crate::iam::authenticate::authenticate;
use crate::iam::authenticate::caller::{AuthError, Caller};
use crate::iam::authenticate::request::Presented;
use crate::iam::authorize::decide;
use crate::iam::condition::Context as Conditions;
use crate::iam::evaluate::Decision;
use crate::store::audit::EventRow;

/// Why a request goes no further.
#[derive(Debug)]
pub enum Stop {
    /// No valid credentials. `record` is false once the caller's address passed its cap of
    /// recorded refusals (the answer is the same; the trail is not flooded).
    Unauthenticated {
        record: bool,
    },
    /// A copy of a signed request that changed state (`iam::replay`); `record` as above.
    Replayed {
        record: bool,
    },
    /// Authenticated, but not allowed: AWS's message, naming the action and resource.
    Denied(String),
    Failed(Error),
}

/// Text for the audit trail: control characters (a `%00` in a path) become U+FFFD, so
/// every engine stores the row and no log line can be split.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Hex SHA-256 of a request body, which every signature covers.
pub fn body_sha256(body: &[u8]) -> String {
    crate::crypto::secret::sha256(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh audit event for a request, before anything about it is known.
pub fn new_event(
    now: Millis,
    request_id: String,
    action: &str,
    source: Option<IpAddr>,
    user_agent: Option<String>,
) -> EventRow {
    EventRow {
        id: format!("{now:013}-{}", random::lower_alphanumeric(12)),
        at: now,
        request_id,
        principal_arn: None,
        access_key_id: None,
        action: printable(action),
        resource: "*".into(),
        decision: "unauthenticated".into(),
        deciding_policy: None,
        deciding_sid: None,
        source_address: source.map(|ip| ip.to_string()),
        user_agent,
        status: None,
    }
}

/// Step one: who is calling. The event learns the principal.
pub async fn authenticate_caller(
    iam: &Iam,
    presented: &Presented<'_>,
    source: Option<IpAddr>,
    now: Millis,
    event: &mut EventRow,
) -> Result<Caller, Stop> {
    let ctx = &iam.ctx;
    match authenticate(&iam.directory, &ctx.store, &ctx.region, presented, now).await {
        Ok(caller) => {
            event.principal_arn = Some(caller.arn(&ctx.account_id));
            event.access_key_id = caller.access_key_id().map(str::to_string);
            event.decision = "none".into();
            Ok(caller)
        }
        Err(AuthError::Refused(_)) => Err(Stop::Unauthenticated {
            record: iam.directory.record_refusal(source, now),
        }),
        Err(AuthError::Replayed(caller)) => {
            event.principal_arn = Some(caller.arn(&ctx.account_id));
            event.access_key_id = caller.access_key_id().map(str::to_string);
            event.decision = "replayed".into();
            Err(Stop::Replayed {
                record: iam.directory.record_refusal(source, now),
            })
        }
        Err(AuthError::Store(e)) => Err(Stop::Failed(e.into())),
    }
}

fn decision_name(decision: &Decision) -> &'static str {
    match decision {
        Decision::Allowed(_) => "allowed",
        Decision::ExplicitlyDenied(_) => "explicitly_denied",
        Decision::ImplicitlyDenied => "implicitly_denied",
    }
}

/// Step two: may the caller perform `action` on `resource`. The event learns the decision
/// and the deciding policy; an allowed user key is marked used.
pub async fn authorize(
    iam: &Iam,
    caller: &Caller,
    action: &str,
    resource: &str,
    conditions: &Conditions,
    source: Option<IpAddr>,
    event: &mut EventRow,
) -> Result<(), Stop> {
    let ctx = &iam.ctx;
    let now = ctx.now();
    event.resource = printable(resource);
    let snapshot = iam
        .directory
        .snapshot(&ctx.store, now)
        .await
        .map_err(|e| Stop::Failed(e.into()))?;
    let decision = decide(&snapshot, caller, action, resource, conditions);
    drop(snapshot);
    event.decision = decision_name(&decision).into();
    match &decision {
        Decision::Allowed(d) | Decision::ExplicitlyDenied(d) => {
            event.deciding_policy = Some(d.policy.clone());
            event.deciding_sid = d.sid.clone();
        }
        Decision::ImplicitlyDenied => {}
    }
    if !decision.is_allowed() {
        let explicit = if matches!(decision, Decision::ExplicitlyDenied(_)) {
            " with an explicit deny"
        } else {
            ""
        };
        return Err(Stop::Denied(format!(
            "{} is not authorized to perform: {action} on resource: {}{explicit}",
            caller.arn(&ctx.account_id),
            event.resource
        )));
    }
    if let Caller::User { access_key_id, .. } = caller {
        let address = source.map(|ip| ip.to_string());
        iam.directory
            .note_use(&ctx.store, access_key_id, now, address.as_deref())
            .await;
    }
    Ok(())
}

/// Writes the audit line operators ship; the root key's use is a warning.
pub fn log_event(event: &EventRow) {
    let root = event
        .principal_arn
        .as_deref()
        .is_some_and(|a| a.ends_with(":root"));
    macro_rules! line {
        ($level:expr) => {
            tracing::event!(
                target: "audit",
                $level,
                event_id = %event.id,
                request_id = %event.request_id,
                principal = event.principal_arn.as_deref().unwrap_or("-"),
                access_key_id = event.access_key_id.as_deref().unwrap_or("-"),
                action = %event.action,
                resource = %event.resource,
                decision = %event.decision,
                deciding_policy = event.deciding_policy.as_deref().unwrap_or("-"),
                deciding_sid = event.deciding_sid.as_deref().unwrap_or("-"),
                source = event.source_address.as_deref().unwrap_or("-"),
                status = event.status.unwrap_or(0),
                "admin request"
            )
        };
    }
    if root {
        line!(tracing::Level::WARN);
    } else {
        line!(tracing::Level::INFO);
    }
}

/// Step three: the request's answer is known. A request whose writes committed carries its
/// row already (`store::audit::carried_by`), which only needs the status; any other is
/// written now. Logged either way.
pub async fn finish(
    ctx: &Context,
    mut event: EventRow,
    committed: bool,
    status: u16,
) -> Result<(), Error> {
    event.status = Some(i64::from(status));
    log_event(&event);
    let recorded = if committed {
        crate::store::audit::set_status(&ctx.store, &event.id, i64::from(status)).await
    } else {
        ctx.audit.write(event.clone()).await
    };
    recorded.map_err(|e| {
        tracing::error!(error = %e, event_id = %event.id, "writing an audit event failed");
        Error::from(e)
    })
}
