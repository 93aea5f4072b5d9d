//! `/admin/v1/pools/{pool_id}/identity-providers` and a user's `linked-identities`.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, patch, post};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::error::{ApiResult, ErrorBody};
use crate::admin::wire::Page;
use crate::admin::wire::identity_providers::{
    IdentityProvider, IdentityProviderUpdate, LinkedIdentity, NewIdentityProvider,
};
use crate::admin::{ListQuery, body::Body};
use crate::context::Context;
use crate::federation::{links, providers};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(link)
        .service(unlink);
}

#[utoipa::path(
    tag = "identity providers",
    operation_id = "createIdentityProvider",
    params(("pool_id" = String, Path)),
    request_body = NewIdentityProvider,
    responses(
        (status = 201, description = "The provider, as discovered; the client secret is never shown", body = IdentityProvider),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Name or identifier taken, or the pool has 50 providers", body = ErrorBody),
        (status = 422, description = "Invalid settings, or discovery of the issuer failed (the reason is in the message)", body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/identity-providers")]
async fn create(
    ctx: Data<Context>,
    path: Path<String>,
    body: Body<NewIdentityProvider>,
) -> ApiResult<HttpResponse> {
    let created = providers::create_provider(&ctx, &path, body.0.into()).await?;
    Ok(HttpResponse::Created().json(IdentityProvider::from(created)))
}

#[utoipa::path(
    tag = "identity providers",
    operation_id = "listIdentityProviders",
    params(("pool_id" = String, Path), ListQuery),
    responses((status = 200, body = Page<IdentityProvider>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/identity-providers")]
async fn list(
    ctx: Data<Context>,
    path: Path<String>,
    query: Query<ListQuery>,
) -> ApiResult<Json<Page<IdentityProvider>>> {
    Ok(Json(
        providers::list_providers(&ctx, &path, query.page()?)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "identity providers",
    operation_id = "getIdentityProvider",
    params(("pool_id" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = IdentityProvider), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/identity-providers/{name}")]
async fn get_one(
    ctx: Data<Context>,
    path: Path<(String, String)>,
) -> ApiResult<Json<IdentityProvider>> {
    let (pool_id, name) = path.into_inner();
    Ok(Json(
        providers::get_provider(&ctx, &pool_id, &name).await?.into(),
    ))
}

#[utoipa::path(
    tag = "identity providers",
    operation_id = "updateIdentityProvider",
    params(("pool_id" = String, Path), ("name" = String, Path)),
    request_body = IdentityProviderUpdate,
    responses(
        (status = 200, body = IdentityProvider), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "An identifier is taken, or the issuer would change under linked identities", body = ErrorBody),
        (status = 422, description = "Invalid settings, or discovery failed", body = ErrorBody),
    )
)]
#[patch("/pools/{pool_id}/identity-providers/{name}")]
async fn update(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    body: Body<IdentityProviderUpdate>,
) -> ApiResult<Json<IdentityProvider>> {
    let (pool_id, name) = path.into_inner();
    Ok(Json(
        providers::update_provider(&ctx, &pool_id, &name, body.0.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "identity providers",
    operation_id = "deleteIdentityProvider",
    params(("pool_id" = String, Path), ("name" = String, Path)),
    responses((status = 204, description = "Deleted; its links are cut, its users stay"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/pools/{pool_id}/identity-providers/{name}")]
async fn remove(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (pool_id, name) = path.into_inner();
    providers::delete_provider(&ctx, &pool_id, &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "identity providers",
    operation_id = "linkIdentity",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    request_body = LinkedIdentity,
    responses(
        (status = 204, description = "The identity now signs in as this user"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The identity already signs in as a user, or the user has 5 links", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/users/{username}/linked-identities")]
async fn link(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    body: Body<LinkedIdentity>,
) -> ApiResult<HttpResponse> {
    let (pool_id, username) = path.into_inner();
    links::link(&ctx, &pool_id, &username, body.0.into()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "identity providers",
    operation_id = "unlinkIdentity",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    request_body = LinkedIdentity,
    responses(
        (status = 204, description = "Unlinked; the identity's next sign-in makes a federated user"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[delete("/pools/{pool_id}/users/{username}/linked-identities")]
async fn unlink(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    body: Body<LinkedIdentity>,
) -> ApiResult<HttpResponse> {
    let (pool_id, username) = path.into_inner();
    links::unlink(&ctx, &pool_id, &username, body.0.into()).await?;
    Ok(HttpResponse::NoContent().finish())
}
