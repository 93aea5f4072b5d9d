//! `/admin/v1/pools`.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, patch, post};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::error::{ApiResult, ErrorBody};
use crate::admin::wire::Page;
use crate::admin::wire::pools::RotatedKeys;
use crate::admin::wire::pools::{NewPool, Pool, PoolPatch};
use crate::admin::{ListQuery, body::Body};
use crate::context::Context;
use crate::pools::keys::rotate_pool_key;
use crate::pools::pool;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(rotate_keys);
}

#[utoipa::path(
    tag = "pools",
    operation_id = "rotatePoolKeys",
    params(("pool_id" = String, Path)),
    responses(
        (status = 200, description = "New tokens are signed with the new key; the old one stays in the JWKS until its tokens expire", body = RotatedKeys),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/keys/rotate")]
async fn rotate_keys(ctx: Data<Context>, path: Path<String>) -> ApiResult<Json<RotatedKeys>> {
    Ok(Json(rotate_pool_key(&ctx, &path).await?.into()))
}

#[utoipa::path(
    tag = "pools",
    operation_id = "createPool",
    request_body = NewPool,
    responses(
        (status = 201, description = "The new pool", body = Pool),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, description = "A pool with this name exists", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/pools")]
async fn create(ctx: Data<Context>, body: Body<NewPool>) -> ApiResult<HttpResponse> {
    let pool = pool::create_pool(&ctx, body.0.into()).await?;
    Ok(HttpResponse::Created().json(Pool::from(pool)))
}

#[utoipa::path(
    tag = "pools",
    operation_id = "listPools",
    params(ListQuery),
    responses((status = 200, body = Page<Pool>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[get("/pools")]
async fn list(ctx: Data<Context>, query: Query<ListQuery>) -> ApiResult<Json<Page<Pool>>> {
    Ok(Json(pool::list_pools(&ctx, query.page()?).await?.into()))
}

#[utoipa::path(
    tag = "pools",
    operation_id = "getPool",
    params(("pool_id" = String, Path, description = "Pool id, `<region>_<9 alphanumerics>`")),
    responses((status = 200, body = Pool), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}")]
async fn get_one(ctx: Data<Context>, path: Path<String>) -> ApiResult<Json<Pool>> {
    Ok(Json(pool::get_pool(&ctx, &path).await?.into()))
}

#[utoipa::path(
    tag = "pools",
    operation_id = "updatePool",
    params(("pool_id" = String, Path)),
    request_body = PoolPatch,
    responses(
        (status = 200, body = Pool), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
#[patch("/pools/{pool_id}")]
async fn update(
    ctx: Data<Context>,
    path: Path<String>,
    body: Body<PoolPatch>,
) -> ApiResult<Json<Pool>> {
    Ok(Json(
        pool::update_pool(&ctx, &path, body.0.into()).await?.into(),
    ))
}

#[utoipa::path(
    tag = "pools",
    operation_id = "deletePool",
    params(("pool_id" = String, Path)),
    responses(
        (status = 204, description = "Deleted with everything in it"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "deletion_protection is on", body = ErrorBody),
    )
)]
#[delete("/pools/{pool_id}")]
async fn remove(ctx: Data<Context>, path: Path<String>) -> ApiResult<HttpResponse> {
    pool::delete_pool(&ctx, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
