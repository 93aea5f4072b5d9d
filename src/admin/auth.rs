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
use crate::iam::Iam;
use crate::iam::actions;
use crate::iam::actions::route::{Route, Target};
use crate::iam::arn::{iam_arn, pool_arn};
use crate::iam::authenticate::caller::Caller;
use crate::iam::authenticate::request::Presented;
use crate::iam::authorize::request_context;
use crate::iam::condition::Context as Conditions;
use crate::iam::gate::{self, Stop};
use crate::ops::observe::RequestId;
use crate::proxies::TrustedProxies;
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

/// `aws:SecureTransport` (see `ops::client_address::forwarded_https`).
fn secure_transport(req: &ServiceRequest) -> bool {
    crate::ops::client_address::forwarded_https(
        req.peer_addr(),
        req.app_data::<Data<TrustedProxies>>().map(|d| d.get_ref()),
        req.headers(),
    )
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
            iam_arn(&ctx.account_id, crate::store::iam::Kind::Policy, name)
        },
    )
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
    Ok(gate::printable(&resource))
}

fn client_ip(req: &ServiceRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    Some(match req.app_data::<Data<TrustedProxies>>() {
        Some(trusted) => trusted.client(peer, req.headers()),
        None => peer,
    })
}

/// Records a request that reached no handler (refused, or no route) and answers it.
async fn refuse(
    ctx: &Context,
    req: ServiceRequest,
    event: EventRow,
    err: ApiError,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = err.error_response();
    if let Err(e) = gate::finish(ctx, event, false, response.status().as_u16()).await {
        return Ok(req.into_response(ApiError::Core(e).error_response()));
    }
    Ok(req.into_response(response))
}

/// Answers a request the gate stopped.
async fn stopped(
    ctx: &Context,
    req: ServiceRequest,
    event: EventRow,
    stop: Stop,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let err = match stop {
        Stop::Unauthenticated { record: false } => {
            return Ok(req.into_response(ApiError::Unauthorized.error_response()));
        }
        Stop::Unauthenticated { record: true } => ApiError::Unauthorized,
        Stop::Replayed { record: false } => {
            return Ok(req.into_response(ApiError::Replayed.error_response()));
        }
        Stop::Replayed { record: true } => ApiError::Replayed,
        Stop::Denied(message) => ApiError::Core(crate::error::Error::Forbidden(message)),
        Stop::Failed(e) => ApiError::Core(e),
    };
    refuse(ctx, req, event, err).await
}

pub async fn require_credentials(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (Some(ctx), Some(iam)) = (
        req.app_data::<Data<Context>>().cloned(),
        req.app_data::<Data<Iam>>().cloned(),
    ) else {
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
                if body.len() > crate::admin::body::MAX_BODY_BYTES {
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
    let action = matched.as_ref().map_or("unknown", |(r, _)| r.action);
    let mut event = gate::new_event(now, request_id, action, source, user_agent);

    let headers = crate::ops::headers::pairs(req.headers());
    let body_sha256 = gate::body_sha256(&body);
    let presented = Presented {
        method: &method,
        path: &path,
        query: req.query_string(),
        headers: &headers,
        body_sha256: &body_sha256,
        body_empty: body.is_empty(),
        changes_state: crate::iam::replay::method_changes_state(&method),
        must_sign: &[],
    };
    if too_large {
        let err = ApiError::PayloadTooLarge(crate::admin::body::MAX_BODY_BYTES);
        return refuse(&ctx, req, event, err).await;
    }
    let caller = match gate::authenticate_caller(&iam, &presented, source, now, &mut event).await {
        Ok(caller) => caller,
        Err(stop) => return stopped(&ctx, req, event, stop).await,
    };

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
    let secure = secure_transport(&req);
    let mut conditions = request_context(&caller, &ctx.account_id, now, source, secure);
    if let Some(arn) = policy_arn(&ctx, route, &values) {
        conditions = conditions.with("iam:PolicyARN", gate::printable(&arn));
    }
    if let Err(stop) = gate::authorize(
        &iam,
        &caller,
        route.action,
        &resource,
        &conditions,
        source,
        &mut event,
    )
    .await
    {
        return stopped(&ctx, req, event, stop).await;
    }
    req.extensions_mut().insert(Authorised {
        caller,
        conditions: std::sync::Arc::new(conditions),
    });
    let (result, event, committed) = audit::carried_by(event, next.call(req)).await;
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
    if let Err(e) = gate::finish(&ctx, event, committed, status).await {
        // What the request did is committed with its event; only the answer's status is
        // missing, or (for a request that changed nothing) the whole row. Say so.
        if !committed && let Ok(response) = response {
            let (req, _) = response.into_parts();
            return Ok(ServiceResponse::new(
                req,
                ApiError::Core(e).error_response(),
            ));
        }
    }
    response
}
