//! `/admin/v1/iam/roles`: the roles admins assume through STS, each with the trust policy
//! that says who may.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::error::{ApiResult, ErrorBody};
use crate::admin::policies::{document_text, document_value};
use crate::admin::wire::Page;
use crate::admin::{ListQuery, body::Body};
use crate::clock::to_datetime;
use crate::iam::Iam;
use crate::iam::manage::principals::{self, NewRole, PrincipalView};
use crate::store::iam::Kind;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_role)
        .service(list_roles)
        .service(get_role)
        .service(delete_role);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IamRole {
    pub name: String,
    pub arn: String,
    pub created_at: DateTime<Utc>,
    /// Who may assume the role: `"Principal": {"AWS": [ARNs]}` statements.
    #[schema(value_type = Object)]
    pub trust_policy: serde_json::Value,
    /// Seconds, 900-43,200.
    pub max_session_duration: i64,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<String>,
}

impl From<PrincipalView> for IamRole {
    fn from(v: PrincipalView) -> Self {
        Self {
            name: v.name,
            arn: v.arn,
            created_at: to_datetime(v.created_at),
            trust_policy: document_value(v.trust_policy.as_deref().unwrap_or("{}")),
            max_session_duration: v.max_session_duration.unwrap_or_default(),
            attached_policies: v.attached,
            inline_policies: v.inline,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoleBody {
    /// 1-64 characters of `A-Za-z0-9+=,.@_-`.
    pub name: String,
    /// A trust policy: statements with `"Principal": {"AWS": [ARNs]}` and
    /// `"Action": "sts:AssumeRole"`; an object, or a string holding one.
    #[schema(value_type = Object)]
    pub trust_policy: serde_json::Value,
    /// Seconds, 900-43,200; default 3,600.
    pub max_session_duration: Option<i64>,
}

#[utoipa::path(
    tag = "iam", operation_id = "createIamRole", request_body = NewRoleBody,
    responses((status = 201, body = IamRole), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/iam/roles")]
async fn create_role(iam: Data<Iam>, body: Body<NewRoleBody>) -> ApiResult<HttpResponse> {
    let body = body.0;
    let role = principals::create_role(
        &iam,
        NewRole {
            name: body.name,
            trust_policy: document_text("trust_policy", body.trust_policy)?,
            max_session_duration: body.max_session_duration,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(IamRole::from(role)))
}

#[utoipa::path(
    tag = "iam", operation_id = "listIamRoles", params(ListQuery),
    responses((status = 200, body = Page<IamRole>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/iam/roles")]
async fn list_roles(iam: Data<Iam>, query: Query<ListQuery>) -> ApiResult<Json<Page<IamRole>>> {
    let page = principals::list_principals(&iam, Kind::Role, query.page()?).await?;
    Ok(Json(page.into()))
}

#[utoipa::path(
    tag = "iam", operation_id = "getIamRole", params(("name" = String, Path)),
    responses((status = 200, body = IamRole), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/iam/roles/{name}")]
async fn get_role(iam: Data<Iam>, path: Path<String>) -> ApiResult<Json<IamRole>> {
    Ok(Json(
        principals::get_principal(&iam, Kind::Role, &path)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "iam", operation_id = "deleteIamRole", params(("name" = String, Path)),
    responses((status = 204, description = "Deleted; its sessions end"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/iam/roles/{name}")]
async fn delete_role(iam: Data<Iam>, path: Path<String>) -> ApiResult<HttpResponse> {
    principals::delete_principal(&iam, Kind::Role, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
