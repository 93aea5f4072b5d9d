//! `/admin/v1/iam/groups`: the admin groups and their members.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, post, put};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::error::{ApiResult, ErrorBody};
use crate::admin::iam::users::NewPrincipal;
use crate::admin::wire::Page;
use crate::admin::{ListQuery, body::Body};
use crate::clock::to_datetime;
use crate::iam::Iam;
use crate::iam::manage::principals::{self, PrincipalView};
use crate::store::iam::Kind;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_group)
        .service(list_groups)
        .service(get_group)
        .service(delete_group)
        .service(add_member)
        .service(remove_member);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IamGroup {
    pub name: String,
    pub arn: String,
    pub created_at: DateTime<Utc>,
    pub members: Vec<String>,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<String>,
}

impl From<PrincipalView> for IamGroup {
    fn from(v: PrincipalView) -> Self {
        Self {
            name: v.name,
            arn: v.arn,
            created_at: to_datetime(v.created_at),
            members: v.related,
            attached_policies: v.attached,
            inline_policies: v.inline,
        }
    }
}

#[utoipa::path(
    tag = "iam", operation_id = "createIamGroup", request_body = NewPrincipal,
    responses((status = 201, body = IamGroup), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/iam/groups")]
async fn create_group(iam: Data<Iam>, body: Body<NewPrincipal>) -> ApiResult<HttpResponse> {
    let group = principals::create_principal(&iam, Kind::Group, &body.0.name).await?;
    Ok(HttpResponse::Created().json(IamGroup::from(group)))
}

#[utoipa::path(
    tag = "iam", operation_id = "listIamGroups", params(ListQuery),
    responses((status = 200, body = Page<IamGroup>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/iam/groups")]
async fn list_groups(iam: Data<Iam>, query: Query<ListQuery>) -> ApiResult<Json<Page<IamGroup>>> {
    let page = principals::list_principals(&iam, Kind::Group, query.page()?).await?;
    Ok(Json(page.into()))
}

#[utoipa::path(
    tag = "iam", operation_id = "getIamGroup", params(("name" = String, Path)),
    responses((status = 200, body = IamGroup), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/iam/groups/{name}")]
async fn get_group(iam: Data<Iam>, path: Path<String>) -> ApiResult<Json<IamGroup>> {
    Ok(Json(
        principals::get_principal(&iam, Kind::Group, &path)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "iam", operation_id = "deleteIamGroup", params(("name" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/iam/groups/{name}")]
async fn delete_group(iam: Data<Iam>, path: Path<String>) -> ApiResult<HttpResponse> {
    principals::delete_principal(&iam, Kind::Group, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "iam", operation_id = "addIamGroupMember", params(("name" = String, Path), ("user" = String, Path)),
    responses((status = 204, description = "The user is a member (idempotent)"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[put("/iam/groups/{name}/members/{user}")]
async fn add_member(iam: Data<Iam>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (group, user) = path.into_inner();
    principals::add_member(&iam, &group, &user).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "iam", operation_id = "removeIamGroupMember", params(("name" = String, Path), ("user" = String, Path)),
    responses((status = 204, description = "The user is not a member (idempotent)"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/iam/groups/{name}/members/{user}")]
async fn remove_member(iam: Data<Iam>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (group, user) = path.into_inner();
    principals::remove_member(&iam, &group, &user).await?;
    Ok(HttpResponse::NoContent().finish())
}
