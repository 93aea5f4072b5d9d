//! `/admin/v1/iam/users`, `/groups`, `/roles` and access keys: the admin principals.

use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::error::{ApiError, ApiResult, ErrorBody};
use crate::admin::{ListQuery, body::Body};
use crate::clock::to_datetime;
use crate::iam::Iam;
use crate::iam::manage::access_keys::{self, KeyView};
use crate::iam::manage::principals::{self, NewRole, PrincipalView};
use crate::store::iam::Kind;
use crate::store::paging::Page;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(delete_user)
        .service(create_key)
        .service(list_keys)
        .service(update_key)
        .service(delete_key)
        .service(create_group)
        .service(list_groups)
        .service(get_group)
        .service(delete_group)
        .service(add_member)
        .service(remove_member)
        .service(create_role)
        .service(list_roles)
        .service(get_role)
        .service(delete_role);
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

#[derive(Debug, Serialize, ToSchema)]
pub struct IamGroup {
    pub name: String,
    pub arn: String,
    pub created_at: DateTime<Utc>,
    pub members: Vec<String>,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<String>,
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

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessKey {
    pub access_key_id: String,
    pub user_name: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Recorded at most once a minute per server process.
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_address: Option<String>,
}

impl From<KeyView> for AccessKey {
    fn from(k: KeyView) -> Self {
        Self {
            access_key_id: k.access_key_id,
            user_name: k.user_name,
            status: k.status,
            created_at: to_datetime(k.created_at),
            expires_at: k.expires_at.map(to_datetime),
            last_used_at: k.last_used_at.map(to_datetime),
            last_used_address: k.last_used_address,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewAccessKey {
    #[serde(flatten)]
    pub key: AccessKey,
    /// 40 characters. Shown in this answer only; only a sealed copy is kept.
    pub secret_access_key: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    /// After this instant the key is refused: time-bound access for guests and external
    /// staff.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum KeyStatus {
    Active,
    Inactive,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyStatusBody {
    pub status: KeyStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessKeys {
    pub items: Vec<AccessKey>,
}

/// An optional JSON body: none at all means the defaults.
fn optional_body<T: serde::de::DeserializeOwned + Default>(
    req: &HttpRequest,
    bytes: &Bytes,
) -> ApiResult<T> {
    if bytes.is_empty() {
        return Ok(T::default());
    }
    if !crate::admin::body::is_json(req) {
        return Err(ApiError::InvalidRequest(
            "Content-Type must be application/json".into(),
        ));
    }
    crate::admin::body::parse(bytes).map_err(ApiError::InvalidRequest)
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
    Ok(Json(page.map(IamUser::from)))
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

#[utoipa::path(
    tag = "iam", operation_id = "createAccessKey", params(("name" = String, Path)), request_body = NewKeyBody,
    responses((status = 201, body = NewAccessKey), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "The user already has 2 keys"), (status = 422, body = ErrorBody))
)]
#[post("/iam/users/{name}/access-keys")]
async fn create_key(
    iam: Data<Iam>,
    path: Path<String>,
    req: HttpRequest,
    bytes: Bytes,
) -> ApiResult<HttpResponse> {
    let body: NewKeyBody = optional_body(&req, &bytes)?;
    let created =
        access_keys::create_key(&iam, &path, body.expires_at.map(|t| t.timestamp_millis())).await?;
    Ok(HttpResponse::Created().json(NewAccessKey {
        key: created.key.into(),
        secret_access_key: created.secret_access_key,
    }))
}

#[utoipa::path(
    tag = "iam", operation_id = "listAccessKeys", params(("name" = String, Path)),
    responses((status = 200, body = AccessKeys), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/iam/users/{name}/access-keys")]
async fn list_keys(iam: Data<Iam>, path: Path<String>) -> ApiResult<Json<AccessKeys>> {
    let keys = access_keys::list_keys(&iam, &path).await?;
    Ok(Json(AccessKeys {
        items: keys.into_iter().map(AccessKey::from).collect(),
    }))
}

#[utoipa::path(
    tag = "iam", operation_id = "updateAccessKey",
    params(("name" = String, Path), ("access_key_id" = String, Path)), request_body = KeyStatusBody,
    responses((status = 200, body = AccessKey), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[patch("/iam/users/{name}/access-keys/{access_key_id}")]
async fn update_key(
    iam: Data<Iam>,
    path: Path<(String, String)>,
    body: Body<KeyStatusBody>,
) -> ApiResult<Json<AccessKey>> {
    let (user, id) = path.into_inner();
    let active = matches!(body.0.status, KeyStatus::Active);
    Ok(Json(
        access_keys::set_key_status(&iam, &user, &id, active)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    tag = "iam", operation_id = "deleteAccessKey",
    params(("name" = String, Path), ("access_key_id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/iam/users/{name}/access-keys/{access_key_id}")]
async fn delete_key(iam: Data<Iam>, path: Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (user, id) = path.into_inner();
    access_keys::delete_key(&iam, &user, &id).await?;
    Ok(HttpResponse::NoContent().finish())
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
    Ok(Json(page.map(IamGroup::from)))
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
    Ok(Json(page.map(IamRole::from)))
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
