//! The admin front door's gate: every request is authenticated (`iam::authenticate`),
//! matched to its route's IAM action and resource (`iam::actions`), decided
//! (`iam::authorize`), and recorded in the audit trail exactly once, allowed or not.
//!
//! A path that matches no route as sent is answered here and never reaches a handler, so
//! no spelling of a path can reach a route without that route's check.

use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpMessage, ResponseError};
use futures_util::StreamExt;

use crate::admin::error::ApiError;
use crate::context::Context;
use crate::crypto::{random, secret};
use crate::iam::actions::{self, Route, Target, iam_arn, pool_arn};
use crate::iam::authenticate::{AuthError, Caller, Presented, authenticate};
use crate::iam::authorize::{decide, request_context};
use crate::iam::condition::Context as Conditions;
use crate::iam::evaluate::Decision;
use crate::ops::client_address::TrustedProxies;
use crate::ops::observe::RequestId;
use crate::store::audit::{self, EventRow};

/// `/metrics`: not under `/admin/v1`, but gated the same way.
pub const METRICS: Route = Route {
    method: "GET",
    pattern: "/metrics",
    action: "cognate:GetMetrics",
    target: Target::Any,
};

/// What a handler may need to know about who is calling: put in the request's extensions.
#[derive(Clone)]
pub struct Authorised {
    pub caller: Caller,
    pub conditions: std::sync::Arc<Conditions>,
}

/// The request's route under `/admin/v1` (or `/metrics`) and its placeholders' values.
fn route_of(method: &str, path: &str) -> Option<(&'static Route, Vec<(&'static str, String)>)> {
    if path == METRICS.pattern {
        return method
            .eq_ignore_ascii_case("GET")
            .then(|| (&METRICS, Vec::new()));
    }
    actions::match_route(method, path.strip_prefix("/admin/v1")?)
}

/// A path with an empty or dot segment, as sent or once decoded (`.%2e`): no route has
/// one, and canonical forms of it differ.
fn has_odd_segments(path: &str) -> bool {
    path.split('/').skip(1).any(|s| {
        let decoded = percent_encoding::percent_decode_str(s).decode_utf8_lossy();
        s.is_empty() || decoded == "." || decoded == ".."
    })
}

/// `aws:SecureTransport`: the listener speaks plain HTTP, so a request came over TLS only
/// if a trusted proxy in front of it says so.
fn secure_transport(req: &ServiceRequest) -> bool {
    let trusted = match (req.peer_addr(), req.app_data::<Data<TrustedProxies>>()) {
        (Some(peer), Some(proxies)) => proxies.contains(peer.ip()),
        _ => false,
    };
    if !trusted {
        return false;
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    header("x-forwarded-proto").is_some_and(|p| p.trim() == "https")
        || header("forwarded").is_some_and(|f| f.contains("proto=https"))
}

/// `iam:PolicyARN` for the routes that attach and detach a policy, as in AWS: a policy
/// may then allow attaching only some policies.
fn policy_arn(ctx: &Context, route: &Route, values: &[(&'static str, String)]) -> Option<String> {
    if !route.pattern.ends_with("/attached-policies/{policy}") {
        return None;
    }
    let name = values
        .iter()
        .find(|(n, _)| *n == "policy")
        .map(|(_, v)| v.as_str())?;
    Some(
        if crate::iam::managed::MANAGED.iter().any(|(m, _)| *m == name) {
            format!("arn:aws:iam::aws:policy/{name}")
        } else {
            iam_arn(&ctx.account_id, crate::iam::actions::Kind::Policy, name)
        },
    )
}

/// Text for the audit trail: control characters (a `%00` in a path) become U+FFFD, so
/// every engine stores the row and no log line can be split.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// The resource a route acts on, from its path or its body.
fn resource_of(
    ctx: &Context,
    route: &Route,
    values: &[(&'static str, String)],
    body: &[u8],
) -> Result<String, ApiError> {
    let value = |name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let from_body = |field: &str| -> Result<String, ApiError> {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get(field).and_then(|f| f.as_str()).map(str::to_string))
            .ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "the body must be a JSON object with a string `{field}`"
                ))
            })
    };
    let resource = match route.target {
        Target::Any => "*".to_string(),
        Target::Pool => pool_arn(&ctx.region, &ctx.account_id, value("pool_id")),
        Target::Path(kind, name) => iam_arn(&ctx.account_id, kind, value(name)),
        Target::Body(kind, field) => iam_arn(&ctx.account_id, kind, &from_body(field)?),
        Target::BodyArn(field) => from_body(field)?,
    };
    Ok(printable(&resource))
}

fn client_ip(req: &ServiceRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    Some(match req.app_data::<Data<TrustedProxies>>() {
        Some(trusted) => trusted.client(peer, req.headers()),
        None => peer,
    })
}

fn decision_name(decision: &Decision) -> &'static str {
    match decision {
        Decision::Allowed(_) => "allowed",
        Decision::ExplicitlyDenied(_) => "explicitly_denied",
        Decision::ImplicitlyDenied => "implicitly_denied",
    }
}

/// Writes the audit line operators ship; the root key's use is a warning.
fn log_event(event: &EventRow) {
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

/// Records a request that reached no handler (refused, or no route) and answers it.
async fn refuse(
    ctx: &Context,
    req: ServiceRequest,
    mut event: EventRow,
    err: ApiError,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = err.error_response();
    event.status = Some(i64::from(response.status().as_u16()));
    log_event(&event);
    if let Err(e) = ctx.audit.write(event).await {
        tracing::error!(error = %e, "writing an audit event failed");
        return Ok(req.into_response(ApiError::Core(e.into()).error_response()));
    }
    Ok(req.into_response(response))
}

pub async fn require_credentials(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(ctx) = req.app_data::<Data<Context>>().cloned() else {
        return Ok(req.into_response(ApiError::Unauthorized.error_response()));
    };
    let now = ctx.now();
    // The body is in memory already (`read_body_in_time`); it is hashed for the signature
    // and handed on unchanged.
    let mut payload = req.take_payload();
    let mut body = actix_web::web::BytesMut::new();
    let mut too_large = false;
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) => {
                body.extend_from_slice(&chunk);
                if body.len() > crate::admin::MAX_BODY_BYTES {
                    too_large = true;
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let body: Bytes = body.freeze();
    req.set_payload(actix_web::dev::Payload::from(body.clone()));

    let method = req.method().as_str().to_string();
    let path = req.path().to_string();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let source = client_ip(&req);
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(256)
                .collect()
        });
    let matched = route_of(&method, &path);
    let mut event = EventRow {
        id: format!("{now:013}-{}", random::lower_alphanumeric(12)),
        at: now,
        request_id,
        principal_arn: None,
        access_key_id: None,
        action: matched
            .as_ref()
            .map_or("unknown", |(r, _)| r.action)
            .to_string(),
        resource: "*".into(),
        decision: "unauthenticated".into(),
        deciding_policy: None,
        deciding_sid: None,
        source_address: source.map(|ip| ip.to_string()),
        user_agent,
        status: None,
    };

    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body_sha256 = hex(&secret::sha256(&body));
    let presented = Presented {
        method: &method,
        path: &path,
        query: req.query_string(),
        headers: &headers,
        body_sha256: &body_sha256,
        body_empty: body.is_empty(),
    };
    if too_large {
        let err = ApiError::PayloadTooLarge(crate::admin::MAX_BODY_BYTES);
        return refuse(&ctx, req, event, err).await;
    }
    let caller = match authenticate(&ctx.iam, &ctx.store, &ctx.region, &presented, now).await {
        Ok(caller) => caller,
        Err(AuthError::Refused(_)) => {
            if !ctx.iam.record_refusal(source, now) {
                return Ok(req.into_response(ApiError::Unauthorized.error_response()));
            }
            return refuse(&ctx, req, event, ApiError::Unauthorized).await;
        }
        Err(AuthError::Store(e)) => {
            return refuse(&ctx, req, event, ApiError::Core(e.into())).await;
        }
    };
    event.principal_arn = Some(caller.arn(&ctx.account_id));
    event.access_key_id = caller.access_key_id().map(str::to_string);
    event.decision = "none".into();

    if has_odd_segments(&path) {
        let err = ApiError::InvalidRequest("the path has an empty or dot segment".into());
        return refuse(&ctx, req, event, err).await;
    }
    let Some((route, values)) = matched else {
        let err = match crate::admin::document::methods_of(&path) {
            Some(allow) => ApiError::MethodNotAllowed(allow),
            None => ApiError::NotFound("no such admin route".into()),
        };
        return refuse(&ctx, req, event, err).await;
    };
    let resource = match resource_of(&ctx, route, &values, &body) {
        Ok(resource) => resource,
        Err(err) => return refuse(&ctx, req, event, err).await,
    };
    event.resource = resource.clone();
    let secure = secure_transport(&req);
    let mut conditions = request_context(&caller, &ctx.account_id, now, source, secure);
    if let Some(arn) = policy_arn(&ctx, route, &values) {
        conditions = conditions.with("iam:PolicyARN", printable(&arn));
    }
    let snapshot = match ctx.iam.snapshot(&ctx.store, now).await {
        Ok(snapshot) => snapshot,
        Err(e) => return refuse(&ctx, req, event, ApiError::Core(e.into())).await,
    };
    let decision = decide(&snapshot, &caller, route.action, &resource, &conditions);
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
        let err = ApiError::Core(crate::error::Error::Forbidden(format!(
            "{} is not authorized to perform: {} on resource: {resource}{explicit}",
            caller.arn(&ctx.account_id),
            route.action
        )));
        return refuse(&ctx, req, event, err).await;
    }
    if let Caller::User { access_key_id, .. } = &caller {
        let address = source.map(|ip| ip.to_string());
        ctx.iam
            .note_use(&ctx.store, access_key_id, now, address.as_deref())
            .await;
    }
    req.extensions_mut().insert(Authorised {
        caller,
        conditions: std::sync::Arc::new(conditions),
    });
    let (result, mut event, committed) = audit::carried_by(event, next.call(req)).await;
    // An error from inside is rendered by actix, but recorded here like any answer.
    let (response, status) = match result {
        Ok(response) => {
            let status = response.status().as_u16();
            (Ok(response.map_into_boxed_body()), status)
        }
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            (Err(err), status)
        }
    };
    let status = i64::from(status);
    event.status = Some(status);
    log_event(&event);
    let recorded = if committed {
        audit::set_status(&ctx.store, &event.id, status).await
    } else {
        ctx.audit.write(event.clone()).await
    };
    if let Err(e) = recorded {
        // What the request did is committed with its event; only the answer's status is
        // missing, or (for a request that changed nothing) the whole row. Say so.
        tracing::error!(error = %e, event_id = %event.id, "writing an audit event failed");
        if !committed && let Ok(response) = response {
            let (req, _) = response.into_parts();
            return Ok(ServiceResponse::new(
                req,
                ApiError::Core(e.into()).error_response(),
            ));
        }
    }
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
