//! `/admin/v1/pools/{pool_id}/groups` and membership.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, patch, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::accounts::groups;
use crate::admin::error::{ApiResult, ErrorBody};
use crate::admin::wire::Page;
use crate::admin::wire::groups::{Group, GroupPatch, NewGroup};
use crate::admin::wire::users::User;
use crate::admin::{ListQuery, body::Body};
use crate::context::Context;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(add_member)
        .service(remove_member)
        .service(members);
}

#[utoipa::path(
    tag = "groups",
    operation_id = "createGroup",
    params(("pool_id" = String, Path)),
    request_body = NewGroup,
    responses(
        (status = 201, body = Group), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/groups")]
async fn create(
    ctx: Data<Context>,
    path: Path<String>,
    body: Body<NewGroup>,
) -> ApiResult<HttpResponse> {
    let group = groups::create_group(&ctx, &path, body.0.into()).await?;
    Ok(HttpResponse::Created().json(Group::from(group)))
}

#[utoipa::path(
    tag = "groups",
    operation_id = "listGroups",
    params(("pool_id" = String, Path), ListQuery),
    responses((status = 200, body = Page<Group>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/groups")]
async fn list(
    ctx: Data<Context>,
    path: Path<String>,
    query: Query<ListQuery>,
) -> ApiResult<Json<Page<Group>>> {
    Ok(Json(
        groups::list_groups(&ctx, &path, query.page()?)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "groups",
    operation_id = "getGroup",
    params(("pool_id" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = Group), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/groups/{name}")]
async fn get_one(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<Json<Group>> {
    let (pool_id, name) = path.into_inner();
    Ok(Json(groups::get_group(&ctx, &pool_id, &name).await?.into()))
}

#[utoipa::path(
    tag = "groups",
    operation_id = "updateGroup",
    params(("pool_id" = String, Path), ("name" = String, Path)),
    request_body = GroupPatch,
    responses(
        (status = 200, body = Group), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
#[patch("/pools/{pool_id}/groups/{name}")]
async fn update(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    body: Body<GroupPatch>,
) -> ApiResult<Json<Group>> {
    let (pool_id, name) = path.into_inner();
    Ok(Json(
        groups::update_group(&ctx, &pool_id, &name, body.0.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "groups",
    operation_id = "deleteGroup",
    params(("pool_id" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/pools/{pool_id}/groups/{name}")]
async fn remove(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (pool_id, name) = path.into_inner();
    groups::delete_group(&ctx, &pool_id, &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "groups",
    operation_id = "addGroupMember",
    params(("pool_id" = String, Path), ("name" = String, Path), ("username" = String, Path)),
    responses((status = 204, description = "The user is a member (idempotent)"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[put("/pools/{pool_id}/groups/{name}/members/{username}")]
async fn add_member(
    ctx: Data<Context>,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let (pool_id, name, username) = path.into_inner();
    groups::add_member(&ctx, &pool_id, &name, &username).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "groups",
    operation_id = "removeGroupMember",
    params(("pool_id" = String, Path), ("name" = String, Path), ("username" = String, Path)),
    responses((status = 204, description = "The user is not a member (idempotent)"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/pools/{pool_id}/groups/{name}/members/{username}")]
async fn remove_member(
    ctx: Data<Context>,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let (pool_id, name, username) = path.into_inner();
    groups::remove_member(&ctx, &pool_id, &name, &username).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "groups",
    operation_id = "listGroupMembers",
    params(("pool_id" = String, Path), ("name" = String, Path), ListQuery),
    responses((status = 200, body = Page<User>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/groups/{name}/members")]
async fn members(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    query: Query<ListQuery>,
) -> ApiResult<Json<Page<User>>> {
    let (pool_id, name) = path.into_inner();
    Ok(Json(
        groups::list_members(&ctx, &pool_id, &name, query.page()?)
            .await?
            .into(),
    ))
}
