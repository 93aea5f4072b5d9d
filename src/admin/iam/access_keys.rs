//! `/admin/v1/iam/users/{name}/access-keys`: an admin user's access keys, each secret shown
//! once, in the answer that creates it.

use actix_web::web::{Bytes, Data, Json, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::body::Body;
use crate::admin::error::{ApiError, ApiResult, ErrorBody};
use crate::clock::to_datetime;
use crate::iam::Iam;
use crate::iam::manage::access_keys::{self, KeyView};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_key)
        .service(list_keys)
        .service(update_key)
        .service(delete_key);
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
