//! `/admin/v1/pools/{pool_id}/resource-servers`; the identifier is percent-encoded in paths.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::error::{ApiResult, ErrorBody};
use crate::admin::wire::Page;
use crate::admin::wire::resource_servers::{
    NewResourceServer, ResourceServer, ResourceServerUpdate,
};
use crate::admin::{ListQuery, body::Body};
use crate::context::Context;
use crate::pools::resource_servers as rs;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(replace)
        .service(remove);
}

#[utoipa::path(
    tag = "resource servers",
    operation_id = "createResourceServer",
    params(("pool_id" = String, Path)),
    request_body = NewResourceServer,
    responses(
        (status = 201, body = ResourceServer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Identifier taken, or the pool has 25 resource servers", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/resource-servers")]
async fn create(
    ctx: Data<Context>,
    path: Path<String>,
    body: Body<NewResourceServer>,
) -> ApiResult<HttpResponse> {
    let created = rs::create_resource_server(&ctx, &path, body.0.into()).await?;
    Ok(HttpResponse::Created().json(ResourceServer::from(created)))
}

#[utoipa::path(
    tag = "resource servers",
    operation_id = "listResourceServers",
    params(("pool_id" = String, Path), ListQuery),
    responses((status = 200, body = Page<ResourceServer>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/resource-servers")]
async fn list(
    ctx: Data<Context>,
    path: Path<String>,
    query: Query<ListQuery>,
) -> ApiResult<Json<Page<ResourceServer>>> {
    Ok(Json(
        rs::list_resource_servers(&ctx, &path, query.page()?)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "resource servers",
    operation_id = "getResourceServer",
    params(("pool_id" = String, Path), ("identifier" = String, Path, description = "Percent-encoded identifier")),
    responses((status = 200, body = ResourceServer), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/resource-servers/{identifier}")]
async fn get_one(
    ctx: Data<Context>,
    path: Path<(String, String)>,
) -> ApiResult<Json<ResourceServer>> {
    let (pool_id, identifier) = path.into_inner();
    Ok(Json(
        rs::get_resource_server(&ctx, &pool_id, &identifier)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "resource servers",
    operation_id = "replaceResourceServer",
    params(("pool_id" = String, Path), ("identifier" = String, Path, description = "Percent-encoded identifier")),
    request_body = ResourceServerUpdate,
    responses(
        (status = 200, body = ResourceServer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A removed scope is still allowed by a client", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[put("/pools/{pool_id}/resource-servers/{identifier}")]
async fn replace(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    body: Body<ResourceServerUpdate>,
) -> ApiResult<Json<ResourceServer>> {
    let (pool_id, identifier) = path.into_inner();
    Ok(Json(
        rs::replace_resource_server(&ctx, &pool_id, &identifier, body.0.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "resource servers",
    operation_id = "deleteResourceServer",
    params(("pool_id" = String, Path), ("identifier" = String, Path, description = "Percent-encoded identifier")),
    responses(
        (status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "A client still allows one of its scopes", body = ErrorBody),
    )
)]
#[delete("/pools/{pool_id}/resource-servers/{identifier}")]
async fn remove(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (pool_id, identifier) = path.into_inner();
    rs::delete_resource_server(&ctx, &pool_id, &identifier).await?;
    Ok(HttpResponse::NoContent().finish())
}
