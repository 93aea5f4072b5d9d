//! `/admin/v1/pools/{pool_id}/clients`.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, patch, post};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::error::{ApiResult, ErrorBody};
use crate::admin::wire::Page;
use crate::admin::wire::clients::{AppClient, ClientInput};
use crate::admin::{ListQuery, body::Body};
use crate::context::Context;
use crate::pools::clients;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(rotate_secret);
}

#[utoipa::path(
    tag = "clients",
    operation_id = "createClient",
    params(("pool_id" = String, Path)),
    request_body = ClientInput,
    responses(
        (status = 201, description = "The new client; `client_secret` appears only here", body = AppClient),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/clients")]
async fn create(
    ctx: Data<Context>,
    path: Path<String>,
    body: Body<ClientInput>,
) -> ApiResult<HttpResponse> {
    let client = clients::create_client(&ctx, &path, body.0.into()).await?;
    Ok(HttpResponse::Created().json(AppClient::from(client)))
}

#[utoipa::path(
    tag = "clients",
    operation_id = "listClients",
    params(("pool_id" = String, Path), ListQuery),
    responses((status = 200, body = Page<AppClient>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/clients")]
async fn list(
    ctx: Data<Context>,
    path: Path<String>,
    query: Query<ListQuery>,
) -> ApiResult<Json<Page<AppClient>>> {
    Ok(Json(
        clients::list_clients(&ctx, &path, query.page()?)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "clients",
    operation_id = "getClient",
    params(("pool_id" = String, Path), ("client_id" = String, Path)),
    responses((status = 200, body = AppClient), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/clients/{client_id}")]
async fn get_one(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<Json<AppClient>> {
    let (pool_id, client_id) = path.into_inner();
    Ok(Json(
        clients::get_client(&ctx, &pool_id, &client_id)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "clients",
    operation_id = "updateClient",
    params(("pool_id" = String, Path), ("client_id" = String, Path)),
    request_body = ClientInput,
    responses(
        (status = 200, body = AppClient), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
#[patch("/pools/{pool_id}/clients/{client_id}")]
async fn update(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    body: Body<ClientInput>,
) -> ApiResult<Json<AppClient>> {
    let (pool_id, client_id) = path.into_inner();
    Ok(Json(
        clients::update_client(&ctx, &pool_id, &client_id, body.0.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "clients",
    operation_id = "deleteClient",
    params(("pool_id" = String, Path), ("client_id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/pools/{pool_id}/clients/{client_id}")]
async fn remove(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (pool_id, client_id) = path.into_inner();
    clients::delete_client(&ctx, &pool_id, &client_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "clients",
    operation_id = "rotateClientSecret",
    params(("pool_id" = String, Path), ("client_id" = String, Path)),
    responses(
        (status = 200, description = "The client with its new `client_secret`, shown once", body = AppClient),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "A public client has no secret", body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/clients/{client_id}/secret")]
async fn rotate_secret(
    ctx: Data<Context>,
    path: Path<(String, String)>,
) -> ApiResult<Json<AppClient>> {
    let (pool_id, client_id) = path.into_inner();
    Ok(Json(
        clients::rotate_secret(&ctx, &pool_id, &client_id)
            .await?
            .into(),
    ))
}
