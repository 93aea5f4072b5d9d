//! `/admin/v1/pools/{pool_id}/users` and the user actions.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, patch, post, put};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::accounts::groups;
use crate::accounts::users::{credentials, manage};
use crate::admin::error::{ApiResult, ErrorBody};
use crate::admin::wire::Page;
use crate::admin::wire::groups::Group;
use crate::admin::wire::users::{MfaPreference, NewUser, SetPassword, User, UserPatch};
use crate::admin::{ListQuery, body::Body};
use crate::context::Context;
use crate::store::paging::PageRequest;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(disable)
        .service(enable)
        .service(confirm)
        .service(set_password)
        .service(reset_password)
        .service(sign_out)
        .service(set_mfa)
        .service(remove_totp)
        .service(groups_of_user);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserListQuery {
    /// 1-60, default 60.
    pub limit: Option<i64>,
    pub next_token: Option<String>,
    /// `attr = "value"` or `attr ^= "value"` on username, email, phone_number, name,
    /// given_name, family_name, preferred_username, status or sub.
    pub filter: Option<String>,
}

#[utoipa::path(
    tag = "users",
    operation_id = "createUser",
    params(("pool_id" = String, Path)),
    request_body = NewUser,
    responses(
        (status = 201, description = "The new user; a generated `temporary_password` appears only here", body = User),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/users")]
async fn create(
    ctx: Data<Context>,
    path: Path<String>,
    body: Body<NewUser>,
) -> ApiResult<HttpResponse> {
    let user = manage::create_user(&ctx, &path, body.0.into()).await?;
    Ok(HttpResponse::Created().json(User::from(user)))
}

#[utoipa::path(
    tag = "users",
    operation_id = "listUsers",
    params(("pool_id" = String, Path), UserListQuery),
    responses(
        (status = 200, body = Page<User>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Bad filter, limit or token", body = ErrorBody),
    )
)]
#[get("/pools/{pool_id}/users")]
async fn list(
    ctx: Data<Context>,
    path: Path<String>,
    query: Query<UserListQuery>,
) -> ApiResult<Json<Page<User>>> {
    let page = PageRequest::parse(query.limit, query.next_token.as_deref())?;
    Ok(Json(
        manage::list_users(&ctx, &path, query.filter.as_deref(), page)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "getUser",
    params(("pool_id" = String, Path), ("username" = String, Path, description = "Username, or the email where it is the username")),
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/users/{username}")]
async fn get_one(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        manage::get_user(&ctx, &pool_id, &username).await?.into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "updateUser",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    request_body = UserPatch,
    responses(
        (status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
#[patch("/pools/{pool_id}/users/{username}")]
async fn update(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    body: Body<UserPatch>,
) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        manage::update_user(&ctx, &pool_id, &username, body.0.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "deleteUser",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/pools/{pool_id}/users/{username}")]
async fn remove(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (pool_id, username) = path.into_inner();
    manage::delete_user(&ctx, &pool_id, &username).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "users",
    operation_id = "disableUser",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[post("/pools/{pool_id}/users/{username}/disable")]
async fn disable(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        manage::set_enabled(&ctx, &pool_id, &username, false)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "enableUser",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[post("/pools/{pool_id}/users/{username}/enable")]
async fn enable(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        manage::set_enabled(&ctx, &pool_id, &username, true)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "confirmUser",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    responses(
        (status = 200, body = User), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The user is not UNCONFIRMED", body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/users/{username}/confirm")]
async fn confirm(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        manage::confirm(&ctx, &pool_id, &username).await?.into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "setUserPassword",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    request_body = SetPassword,
    responses(
        (status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "Names the failed password rule", body = ErrorBody),
    )
)]
#[post("/pools/{pool_id}/users/{username}/password")]
async fn set_password(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    body: Body<SetPassword>,
) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        credentials::set_password(&ctx, &pool_id, &username, body.0.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "resetUserPassword",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    responses((status = 200, description = "Status is now RESET_REQUIRED", body = User), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[post("/pools/{pool_id}/users/{username}/reset-password")]
async fn reset_password(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        credentials::require_reset(&ctx, &pool_id, &username)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "signOutUser",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    responses((status = 200, description = "Sign-out recorded", body = User), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[post("/pools/{pool_id}/users/{username}/sign-out")]
async fn sign_out(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        manage::sign_out(&ctx, &pool_id, &username).await?.into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "setUserMfaPreference",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    request_body = MfaPreference,
    responses(
        (status = 200, description = "The user with its second factors", body = User),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
#[put("/pools/{pool_id}/users/{username}/mfa")]
async fn set_mfa(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    body: Body<MfaPreference>,
) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        manage::set_mfa_preference(&ctx, &pool_id, &username, body.0.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "users",
    operation_id = "removeUserTotp",
    params(("pool_id" = String, Path), ("username" = String, Path)),
    responses(
        (status = 200, description = "TOTP and recovery codes removed; the user is signed out everywhere", body = User),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
#[delete("/pools/{pool_id}/users/{username}/mfa/totp")]
async fn remove_totp(ctx: Data<Context>, path: Path<(String, String)>) -> ApiResult<Json<User>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        manage::remove_totp(&ctx, &pool_id, &username).await?.into(),
    ))
}

#[utoipa::path(
    tag = "groups",
    operation_id = "listUserGroups",
    params(("pool_id" = String, Path), ("username" = String, Path), ListQuery),
    responses((status = 200, body = Page<Group>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/pools/{pool_id}/users/{username}/groups")]
async fn groups_of_user(
    ctx: Data<Context>,
    path: Path<(String, String)>,
    query: Query<ListQuery>,
) -> ApiResult<Json<Page<Group>>> {
    let (pool_id, username) = path.into_inner();
    Ok(Json(
        groups::groups_of_user(&ctx, &pool_id, &username, query.page()?)
            .await?
            .into(),
    ))
}
