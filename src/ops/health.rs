//! `/health/live` and `/health/ready`.

use actix_web::web::Data;
use actix_web::{HttpResponse, get};

use crate::context::Context;

/// 200 while the process runs.
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// 200 only when the database answers; 503 otherwise, so a load balancer stops routing here.
#[get("/health/ready")]
pub async fn ready(ctx: Data<Context>) -> HttpResponse {
    if ctx.store.ping().await {
        HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": ctx.store.engine()}))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"status": "unavailable", "database": ctx.store.engine()}))
    }
}
