//! `POST /admin/v1/sts/assume-role`, `POST /admin/v1/iam/simulate` and
//! `GET /admin/v1/audit-events`.

use actix_web::web::{Data, Json, Query, ReqData};
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::auth::Authorised;
use crate::admin::error::{ApiError, ApiResult, ErrorBody};
use crate::admin::policies::document_text;
use crate::admin::wire::Page;
use crate::admin::{ListQuery, body::Body};
use crate::clock::to_datetime;
use crate::context::Context;
use crate::iam::Iam;
use crate::iam::evaluate::Decision;
use crate::iam::simulate::Simulation;
use crate::iam::sts::{self, AssumeRole};
use crate::store::audit::{self as audit_store, EventRow, Filter};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(assume_role)
        .service(simulate_policy)
        .service(audit_events);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssumeRoleBody {
    pub role_name: String,
    /// 2-64 characters of `A-Za-z0-9+=,.@_-`; part of the session's ARN and audit rows.
    pub session_name: String,
    /// 900 up to the role's `max_session_duration` (3,600 at most for a role session
    /// assuming a role); default 3,600 or the role's maximum if lower.
    pub duration_seconds: Option<i64>,
    /// A session policy: the session may do only what both it and the role allow.
    #[schema(value_type = Option<Object>)]
    pub policy: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemporaryCredentials {
    /// `ASIA` and 16 characters.
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Send as `X-Amz-Security-Token` (a header, or a presigned URL's parameter).
    pub session_token: String,
    pub expiration: DateTime<Utc>,
    pub assumed_role_arn: String,
}

#[utoipa::path(
    tag = "iam", operation_id = "assumeRole", request_body = AssumeRoleBody,
    responses((status = 200, body = TemporaryCredentials), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "The caller's policies or the role's trust policy refuse"),
              (status = 422, body = ErrorBody))
)]
#[post("/sts/assume-role")]
async fn assume_role(
    iam: Data<Iam>,
    who: ReqData<Authorised>,
    body: Body<AssumeRoleBody>,
) -> ApiResult<Json<TemporaryCredentials>> {
    let body = body.0;
    let policy = body
        .policy
        .map(|p| document_text("policy", p))
        .transpose()?;
    let credentials = sts::assume_role(
        &iam,
        &who.caller,
        &who.conditions,
        AssumeRole {
            role_name: body.role_name,
            session_name: body.session_name,
            duration_seconds: body.duration_seconds,
            policy,
        },
    )
    .await?;
    Ok(Json(TemporaryCredentials {
        access_key_id: credentials.access_key_id,
        secret_access_key: credentials.secret_access_key,
        session_token: credentials.session_token,
        expiration: to_datetime(credentials.expiration),
        assumed_role_arn: credentials.assumed_role_arn,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateBody {
    /// `arn:aws:iam::<account>:user/<name>` or `…:role/<name>`.
    pub principal_arn: String,
    /// 1-100 actions, such as `cognito-idp:AdminCreateUser`.
    pub actions: Vec<String>,
    /// Up to 100 resource ARNs; `["*"]` when left out.
    pub resources: Option<Vec<String>>,
    /// Condition keys and their values (a string, or an array of strings).
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
}

fn not_a_context_value(key: &str) -> ApiError {
    let key: String = key.chars().take(64).collect();
    ApiError::Core(crate::error::Error::validation(
        format!("context.{key}"),
        "must be a string or an array of strings",
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimulatedDecision {
    pub action: String,
    pub resource: String,
    /// `allowed`, `explicitly_denied` or `implicitly_denied`.
    pub decision: &'static str,
    /// The deciding policy: an attached policy's name, or `<kind>/<principal>/<policy>`
    /// for an inline one. None when implicitly denied.
    pub matched_policy: Option<String>,
    pub matched_sid: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimulationResults {
    pub results: Vec<SimulatedDecision>,
}

#[utoipa::path(
    tag = "iam", operation_id = "simulatePrincipalPolicy", request_body = SimulateBody,
    responses((status = 200, body = SimulationResults), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/iam/simulate")]
async fn simulate_policy(
    iam: Data<Iam>,
    body: Body<SimulateBody>,
) -> ApiResult<Json<SimulationResults>> {
    let body = body.0;
    let mut context = Vec::new();
    for (key, value) in body.context.unwrap_or_default() {
        let values = match value {
            serde_json::Value::String(s) => vec![s],
            serde_json::Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => Ok(s),
                    _ => Err(not_a_context_value(&key)),
                })
                .collect::<ApiResult<_>>()?,
            _ => return Err(not_a_context_value(&key)),
        };
        context.push((key, values));
    }
    let outcomes = crate::iam::simulate::simulate(
        &iam,
        Simulation {
            principal_arn: body.principal_arn,
            actions: body.actions,
            resources: body.resources.unwrap_or_default(),
            context,
        },
    )
    .await?;
    let results = outcomes
        .into_iter()
        .map(|o| {
            let (decision, deciding) = match o.decision {
                Decision::Allowed(d) => ("allowed", Some(d)),
                Decision::ExplicitlyDenied(d) => ("explicitly_denied", Some(d)),
                Decision::ImplicitlyDenied => ("implicitly_denied", None),
            };
            SimulatedDecision {
                action: o.action,
                resource: o.resource,
                decision,
                matched_policy: deciding.as_ref().map(|d| d.policy.clone()),
                matched_sid: deciding.and_then(|d| d.sid),
            }
        })
        .collect();
    Ok(Json(SimulationResults { results }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// A principal ARN, exactly.
    pub principal: Option<String>,
    /// An action, exactly, such as `cognito-idp:AdminCreateUser`.
    pub action: Option<String>,
    /// A resource ARN, exactly.
    pub resource: Option<String>,
    /// RFC 3339; events at or after it.
    pub since: Option<DateTime<Utc>>,
    /// RFC 3339; events before it.
    pub until: Option<DateTime<Utc>>,
    /// 1-60, default 60.
    pub limit: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    pub time: DateTime<Utc>,
    pub request_id: String,
    /// None when the request's credentials were refused.
    pub principal_arn: Option<String>,
    pub access_key_id: Option<String>,
    pub action: String,
    pub resource: String,
    /// `allowed`, `explicitly_denied`, `implicitly_denied`, `unauthenticated`, `replayed`
    /// (a copy of a signed request that changed state), or `none`
    /// (refused before a decision: no such route, a malformed request).
    pub decision: String,
    pub deciding_policy: Option<String>,
    pub deciding_sid: Option<String>,
    pub source_address: Option<String>,
    pub user_agent: Option<String>,
    /// The response's status; None only if the server stopped between committing the
    /// change and answering.
    pub status: Option<i64>,
}

impl From<EventRow> for AuditEvent {
    fn from(e: EventRow) -> Self {
        Self {
            id: e.id,
            time: to_datetime(e.at),
            request_id: e.request_id,
            principal_arn: e.principal_arn,
            access_key_id: e.access_key_id,
            action: e.action,
            resource: e.resource,
            decision: e.decision,
            deciding_policy: e.deciding_policy,
            deciding_sid: e.deciding_sid,
            source_address: e.source_address,
            user_agent: e.user_agent,
            status: e.status,
        }
    }
}

/// A filter value no event can hold (events store printable text of bounded length).
fn matches_nothing(value: &Option<String>) -> bool {
    value
        .as_ref()
        .is_some_and(|v| v.len() > 4096 || v.chars().any(char::is_control))
}

#[utoipa::path(
    tag = "iam", operation_id = "lookupEvents", params(AuditQuery),
    responses((status = 200, body = Page<AuditEvent>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[get("/audit-events")]
async fn audit_events(
    ctx: Data<Context>,
    query: Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    let query = query.into_inner();
    let page = ListQuery {
        limit: query.limit,
        next_token: query.next_token,
    }
    .page()?;
    if [&query.principal, &query.action, &query.resource]
        .into_iter()
        .any(matches_nothing)
    {
        return Ok(Json(
            page.finish(Vec::<EventRow>::new(), |e| e.id.clone()).into(),
        ));
    }
    let filter = Filter {
        principal: query.principal,
        action: query.action,
        resource: query.resource,
        since: query.since.map(|t| t.timestamp_millis()),
        until: query.until.map(|t| t.timestamp_millis()),
    };
    let rows = audit_store::list(&ctx.store, &filter, &page)
        .await
        .map_err(|e| ApiError::Core(e.into()))?;
    Ok(Json(page.finish(rows, |e| e.id.clone()).into()))
}
