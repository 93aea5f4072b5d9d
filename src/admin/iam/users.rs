//! `/admin/v1/iam/users`: the admin users, and the body that creates a user or a group.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::error::{ApiResult, ErrorBody};
use crate::admin::wire::Page;
use crate::admin::{ListQuery, body::Body};
use crate::clock::to_datetime;
use crate::iam::Iam;
use crate::iam::manage::principals::{self, PrincipalView};
use crate::store::iam::Kind;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(delete_user);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrincipal {
    /// 1-64 characters (groups: 128) of `A-Za-z0-9+=,.@_-`; unique without regard to case.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IamUser {
    pub name: String,
    pub arn: String,
    pub created_at: DateTime<Utc>,
    pub groups: Vec<String>,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<String>,
}

impl From<PrincipalView> for IamUser {
    fn from(v: PrincipalView) -> Self {
        Self {
            name: v.name,
            arn: v.arn,
            created_at: to_datetime(v.created_at),
            groups: v.related,
            attached_policies: v.attached,
            inline_policies: v.inline,
        }
    }
}

#[utoipa::path(
    tag = "iam", operation_id = "createIamUser", request_body = NewPrincipal,
    responses((status = 201, body = IamUser), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/iam/users")]
async fn create_user(iam: Data<Iam>, body: Body<NewPrincipal>) -> ApiResult<HttpResponse> {
    let user = principals::create_principal(&iam, Kind::User, &body.0.name).await?;
    Ok(HttpResponse::Created().json(IamUser::from(user)))
}

#[utoipa::path(
    tag = "iam", operation_id = "listIamUsers", params(ListQuery),
    responses((status = 200, body = Page<IamUser>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/iam/users")]
async fn list_users(iam: Data<Iam>, query: Query<ListQuery>) -> ApiResult<Json<Page<IamUser>>> {
    let page = principals::list_principals(&iam, Kind::User, query.page()?).await?;
    Ok(Json(page.into()))
}

#[utoipa::path(
    tag = "iam", operation_id = "getIamUser", params(("name" = String, Path)),
    responses((status = 200, body = IamUser), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/iam/users/{name}")]
async fn get_user(iam: Data<Iam>, path: Path<String>) -> ApiResult<Json<IamUser>> {
    Ok(Json(
        principals::get_principal(&iam, Kind::User, &path)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "iam", operation_id = "deleteIamUser", params(("name" = String, Path)),
    responses((status = 204, description = "Deleted, with its access keys, memberships and policies"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/iam/users/{name}")]
async fn delete_user(iam: Data<Iam>, path: Path<String>) -> ApiResult<HttpResponse> {
    principals::delete_principal(&iam, Kind::User, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
