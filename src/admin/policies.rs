//! `/admin/v1/iam/policies`, and the attached and inline policies of users, groups and
//! roles.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, delete, get, post, put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::error::{ApiError, ApiResult, ErrorBody};
use crate::admin::wire::Page;
use crate::admin::{ListQuery, body::Body};
use crate::clock::to_datetime;
use crate::iam::Iam;
use crate::iam::manage::attachments;
use crate::iam::manage::policies::{self, PolicyView};
use crate::store::iam::Kind;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_policies)
        .service(create_policy)
        .service(get_policy)
        .service(update_policy)
        .service(delete_policy);
    users::routes(cfg);
    groups::routes(cfg);
    roles::routes(cfg);
}

/// A stored document as JSON (it was JSON when it was stored).
pub fn document_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

/// A policy document given as a JSON object, or as a string holding one (as AWS takes it).
pub fn document_text(field: &str, value: serde_json::Value) -> ApiResult<String> {
    match value {
        serde_json::Value::Object(_) => Ok(value.to_string()),
        serde_json::Value::String(text) => Ok(text),
        _ => Err(ApiError::InvalidRequest(format!(
            "{field} must be a policy document (a JSON object, or a string holding one)"
        ))),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IamPolicy {
    pub name: String,
    pub arn: String,
    /// `managed` (built in, read-only) or `customer`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: Option<String>,
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// Users, groups and roles it is attached to.
    pub attachment_count: usize,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PolicyView> for IamPolicy {
    fn from(v: PolicyView) -> Self {
        Self {
            name: v.name,
            arn: v.arn,
            kind: if v.managed { "managed" } else { "customer" },
            description: v.description,
            document: document_value(&v.document),
            attachment_count: v.attachments,
            created_at: to_datetime(v.created_at),
            updated_at: to_datetime(v.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicyBody {
    /// IAM's policy grammar; an object, or a string holding one. At most 6,144
    /// characters without whitespace.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocumentBody {
    /// IAM's policy grammar; an object, or a string holding one.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InlinePolicy {
    pub name: String,
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

#[utoipa::path(
    tag = "iam", operation_id = "listIamPolicies", params(ListQuery),
    responses((status = 200, body = Page<IamPolicy>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/iam/policies")]
async fn list_policies(
    iam: Data<Iam>,
    query: Query<ListQuery>,
) -> ApiResult<Json<Page<IamPolicy>>> {
    Ok(Json(
        policies::list_policies(&iam, query.page()?).await?.into(),
    ))
}

#[utoipa::path(
    tag = "iam", operation_id = "createIamPolicy", params(("name" = String, Path)), request_body = NewPolicyBody,
    responses((status = 201, body = IamPolicy), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "The document is malformed: the error names the statement and field"))
)]
#[post("/iam/policies/{name}")]
async fn create_policy(
    iam: Data<Iam>,
    path: Path<String>,
    body: Body<NewPolicyBody>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let document = document_text("document", body.document)?;
    let policy = policies::create_policy(&iam, &path, &document, body.description).await?;
    Ok(HttpResponse::Created().json(IamPolicy::from(policy)))
}

#[utoipa::path(
    tag = "iam", operation_id = "getIamPolicy", params(("name" = String, Path)),
    responses((status = 200, body = IamPolicy), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/iam/policies/{name}")]
async fn get_policy(iam: Data<Iam>, path: Path<String>) -> ApiResult<Json<IamPolicy>> {
    Ok(Json(policies::get_policy(&iam, &path).await?.into()))
}

#[utoipa::path(
    tag = "iam", operation_id = "updateIamPolicy", params(("name" = String, Path)), request_body = PolicyDocumentBody,
    responses((status = 200, body = IamPolicy), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "A built-in policy"), (status = 422, body = ErrorBody))
)]
#[put("/iam/policies/{name}")]
async fn update_policy(
    iam: Data<Iam>,
    path: Path<String>,
    body: Body<PolicyDocumentBody>,
) -> ApiResult<Json<IamPolicy>> {
    let document = document_text("document", body.0.document)?;
    Ok(Json(
        policies::update_policy(&iam, &path, &document)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "iam", operation_id = "deleteIamPolicy", params(("name" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "Built in, or still attached"))
)]
#[delete("/iam/policies/{name}")]
async fn delete_policy(iam: Data<Iam>, path: Path<String>) -> ApiResult<HttpResponse> {
    policies::delete_policy(&iam, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The attached and inline policy routes of one kind of principal.
macro_rules! principal_policies {
    ($module:ident, $kind:expr, $attached:tt, $inline:tt,
     $attach:tt, $detach:tt, $put:tt, $get:tt, $delete:tt) => {
        mod $module {
            use super::*;

            pub fn routes(cfg: &mut ServiceConfig) {
                cfg.service(attach)
                    .service(detach)
                    .service(put_inline)
                    .service(get_inline)
                    .service(delete_inline);
            }

            #[utoipa::path(
                tag = "iam", operation_id = $attach, params(("name" = String, Path), ("policy" = String, Path)),
                responses((status = 204, description = "Attached (idempotent)"), (status = 401, body = ErrorBody),
                          (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
            )]
            #[put($attached)]
            async fn attach(iam: Data<Iam>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
                let (name, policy) = path.into_inner();
                attachments::attach(&iam, $kind, &name, &policy).await?;
                Ok(HttpResponse::NoContent().finish())
            }

            #[utoipa::path(
                tag = "iam", operation_id = $detach, params(("name" = String, Path), ("policy" = String, Path)),
                responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
            )]
            #[delete($attached)]
            async fn detach(iam: Data<Iam>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
                let (name, policy) = path.into_inner();
                attachments::detach(&iam, $kind, &name, &policy).await?;
                Ok(HttpResponse::NoContent().finish())
            }

            #[utoipa::path(
                tag = "iam", operation_id = $put, params(("name" = String, Path), ("policy" = String, Path)),
                request_body = PolicyDocumentBody,
                responses((status = 204, description = "Created or replaced"), (status = 400, body = ErrorBody),
                          (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
                          (status = 422, body = ErrorBody))
            )]
            #[put($inline)]
            async fn put_inline(
                iam: Data<Iam>,
                path: Path<(String, String)>,
                body: Body<PolicyDocumentBody>,
            ) -> ApiResult<HttpResponse> {
                let (name, policy) = path.into_inner();
                let document = document_text("document", body.0.document)?;
                attachments::put_inline(&iam, $kind, &name, &policy, &document).await?;
                Ok(HttpResponse::NoContent().finish())
            }

            #[utoipa::path(
                tag = "iam", operation_id = $get, params(("name" = String, Path), ("policy" = String, Path)),
                responses((status = 200, body = InlinePolicy), (status = 401, body = ErrorBody),
                          (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
            )]
            #[get($inline)]
            async fn get_inline(iam: Data<Iam>, path: Path<(String, String)>) -> ApiResult<Json<InlinePolicy>> {
                let (name, policy) = path.into_inner();
                let text = attachments::get_inline(&iam, $kind, &name, &policy).await?;
                Ok(Json(InlinePolicy {
                    name: policy,
                    document: document_value(&text),
                }))
            }

            #[utoipa::path(
                tag = "iam", operation_id = $delete, params(("name" = String, Path), ("policy" = String, Path)),
                responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
            )]
            #[delete($inline)]
            async fn delete_inline(iam: Data<Iam>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
                let (name, policy) = path.into_inner();
                attachments::delete_inline(&iam, $kind, &name, &policy).await?;
                Ok(HttpResponse::NoContent().finish())
            }
        }
    };
}

principal_policies!(
    users,
    Kind::User,
    "/iam/users/{name}/attached-policies/{policy}",
    "/iam/users/{name}/inline-policies/{policy}",
    "attachUserPolicy",
    "detachUserPolicy",
    "putUserPolicy",
    "getUserPolicy",
    "deleteUserPolicy"
);
principal_policies!(
    groups,
    Kind::Group,
    "/iam/groups/{name}/attached-policies/{policy}",
    "/iam/groups/{name}/inline-policies/{policy}",
    "attachGroupPolicy",
    "detachGroupPolicy",
    "putGroupPolicy",
    "getGroupPolicy",
    "deleteGroupPolicy"
);
principal_policies!(
    roles,
    Kind::Role,
    "/iam/roles/{name}/attached-policies/{policy}",
    "/iam/roles/{name}/inline-policies/{policy}",
    "attachRolePolicy",
    "detachRolePolicy",
    "putRolePolicy",
    "getRolePolicy",
    "deleteRolePolicy"
);
