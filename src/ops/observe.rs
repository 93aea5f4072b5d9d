//! Gives every request an id (reusing a sane `x-request-id` from the client), runs it in a
//! log span carrying that id, records it in the metrics, and echoes the id in the response.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use tracing::Instrument;

use crate::ops::metrics::Metrics;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, in its extensions, for what records the request (the audit trail).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A client-supplied id is kept only if it is short and printable, so it cannot inject
/// anything into logs or headers.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    let metrics = req.app_data::<Data<Metrics>>().cloned();
    let span =
        tracing::info_span!("request", request_id = %id, method = %method, path = %req.path());
    req.extensions_mut().insert(RequestId(id.clone()));
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    // Handlers and our own middleware answer errors as responses; an `Err` here comes from
    // actix itself and is rendered by it.
    let mut response = match result {
        Ok(response) => response,
        Err(err) => {
            span.in_scope(|| tracing::warn!(error = %err, "request failed before a response"));
            return Err(err);
        }
    };
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let status = response.status().as_u16();
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            route = %route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
