//! Every admin route needs `Authorization: Bearer <admin key>`; keys are stored as digests
//! and compared in constant time.

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::middleware::Next;
use actix_web::web::Data;

use crate::admin::error::ApiError;
use crate::context::Context;
use crate::crypto::secret;
use crate::store::admin_keys;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty() && t.len() <= 512)
}

/// Whether the request carries a valid admin key (compared in constant time).
pub async fn is_admin(ctx: &Context, headers: &HeaderMap) -> Result<bool, ApiError> {
    let Some(presented) = bearer(headers) else {
        return Ok(false);
    };
    let digests = admin_keys::digests(&ctx.store)
        .await
        .map_err(|e| ApiError::Core(e.into()))?;
    Ok(secret::matches_any(
        presented,
        digests.iter().map(String::as_str),
    ))
}

async fn check(req: &ServiceRequest) -> Result<(), ApiError> {
    let ctx = req
        .app_data::<Data<Context>>()
        .cloned()
        .ok_or(ApiError::Unauthorized)?;
    if is_admin(&ctx, req.headers()).await? {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

pub async fn require_admin_key(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match check(&req).await {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        // Answered here as a response, so outer middleware sees and counts it.
        Err(err) => Ok(req.into_response(err.error_response())),
    }
}
