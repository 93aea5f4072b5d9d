//! The Cognito API's admin operations are signed with SigV4 and authorised by the IAM
//! layer (`iam::gate`), as in AWS: the action `cognito-idp:<Operation>` on the pool's ARN,
//! recorded in the audit trail like every admin request.

use actix_web::HttpResponse;
use actix_web::web::Data;
use serde_json::Value;

use crate::cognito::protocol::{Exception, Kind};
use crate::cognito::{Call, admin, protocol};
use crate::iam::Iam;
use crate::iam::arn::pool_arn;
use crate::iam::authenticate::request::Presented;
use crate::iam::authorize::request_context;
use crate::iam::gate::{self, Stop};
use crate::ops::client_address::forwarded_https;
use crate::proxies::TrustedProxies;
use crate::store::audit;

/// The ARN an operation acts on: its pool's, or `*` for the operations on no one pool.
fn resource(call: &Call<'_>, operation: &str) -> Result<String, Exception> {
    if matches!(operation, "CreateUserPool" | "ListUserPools") {
        return Ok("*".into());
    }
    let body: Value = serde_json::from_slice(call.body)
        .map_err(|_| Exception::new(Kind::Serialization, "The request body is not JSON."))?;
    match body.get("UserPoolId") {
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 55 => {
            Ok(pool_arn(&call.ctx.region, &call.ctx.account_id, id))
        }
        Some(Value::String(_)) => Err(Exception::invalid("UserPoolId is not a valid pool id.")),
        Some(_) => Err(Exception::new(
            Kind::Serialization,
            "UserPoolId must be a string.",
        )),
        None => Err(Exception::invalid(
            "1 validation error detected: Value null at 'userPoolId' failed to satisfy \
             constraint: Member must not be null",
        )),
    }
}

fn stopped(stop: Stop) -> Exception {
    match stop {
        Stop::Unauthenticated { .. } => Exception::new(
            Kind::UnrecognizedClient,
            "The security token included in the request is invalid.",
        ),
        Stop::Replayed { .. } => Exception::new(
            Kind::UnrecognizedClient,
            "This signed request was already used; sign the request again.",
        ),
        Stop::Denied(message) => Exception::new(Kind::AccessDenied, message),
        Stop::Failed(e) => e.into(),
    }
}

/// Authenticates, authorises, runs and records one admin operation.
pub async fn run(call: &Call<'_>, operation: &str) -> HttpResponse {
    let ctx = call.ctx;
    let req = call.req;
    let Some(iam) = req.app_data::<Data<Iam>>() else {
        return Exception::new(Kind::InternalError, "the IAM directory is not configured")
            .render(call.request_id);
    };
    let now = ctx.now();
    let headers = crate::ops::headers::pairs(req.headers());
    let body_sha256 = gate::body_sha256(call.body);
    let presented = Presented {
        method: req.method().as_str(),
        path: req.path(),
        query: req.query_string(),
        headers: &headers,
        body_sha256: &body_sha256,
        body_empty: call.body.is_empty(),
        changes_state: crate::iam::replay::operation_changes_state(operation),
        must_sign: &["x-amz-target"],
    };
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(256)
                .collect()
        });
    let action = format!("cognito-idp:{operation}");
    let mut event = gate::new_event(
        now,
        call.request_id.to_string(),
        &action,
        call.address,
        user_agent,
    );
    let refuse = |event, err: Exception| async move {
        let response = err.render(call.request_id);
        let _ = gate::finish(ctx, event, false, response.status().as_u16()).await;
        response
    };
    let caller =
        match gate::authenticate_caller(iam, &presented, call.address, now, &mut event).await {
            Ok(caller) => caller,
            Err(
                stop @ (Stop::Unauthenticated { record: false } | Stop::Replayed { record: false }),
            ) => {
                return stopped(stop).render(call.request_id);
            }
            Err(stop) => return refuse(event, stopped(stop)).await,
        };
    let resource = match resource(call, operation) {
        Ok(resource) => resource,
        Err(e) => return refuse(event, e).await,
    };
    let secure = forwarded_https(
        req.peer_addr(),
        req.app_data::<Data<TrustedProxies>>().map(|d| d.get_ref()),
        req.headers(),
    );
    let conditions = request_context(&caller, &ctx.account_id, now, call.address, secure);
    if let Err(stop) = gate::authorize(
        iam,
        &caller,
        &action,
        &resource,
        &conditions,
        call.address,
        &mut event,
    )
    .await
    {
        return refuse(event, stopped(stop)).await;
    }
    let (answer, event, committed) =
        audit::carried_by(event, admin::dispatch(call, operation)).await;
    let response = match answer {
        Ok(value) => protocol::render(&value, call.request_id),
        Err(e) => e.render(call.request_id),
    };
    if let Err(e) = gate::finish(ctx, event, committed, response.status().as_u16()).await
        && !committed
    {
        return Exception::from(e).render(call.request_id);
    }
    response
}
