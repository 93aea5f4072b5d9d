//! The admin REST API (`/admin/v1`): thin handlers that parse JSON into core inputs, call one
//! core function each, and render JSON. Authentication and the error shape live here too.

pub mod auth;
pub mod body;
pub mod clients;
pub mod docs;
pub mod document;
pub mod error;
pub mod groups;
pub mod iam;
pub mod identity_providers;
pub mod policies;
pub mod pools;
pub mod resource_servers;
pub mod sts;
pub mod users;
pub mod wire;

use actix_web::HttpResponse;
use actix_web::web::{self, PathConfig, QueryConfig};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::admin::error::ApiError;
use crate::store::paging::PageRequest;

/// `?limit=&next_token=` on every list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// 1-60, default 60.
    pub limit: Option<i64>,
    /// The `next_token` of the previous page.
    pub next_token: Option<String>,
}

impl ListQuery {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::parse(self.limit, self.next_token.as_deref())?)
    }
}

/// The `/admin/v1` scope with every route, extractor limits and the admin-key check.
pub fn scope() -> utoipa_actix_web::scope::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/admin/v1")
        .app_data(QueryConfig::default().error_handler(|err, _| {
            ApiError::InvalidRequest(format!("invalid query: {err}")).into()
        }))
        .app_data(PathConfig::default().error_handler(|err, _| {
            ApiError::InvalidRequest(format!("invalid path: {err}")).into()
        }))
        .configure(pools::routes)
        .configure(clients::routes)
        .configure(resource_servers::routes)
        .configure(users::routes)
        .configure(groups::routes)
        .configure(identity_providers::routes)
        .configure(iam::routes)
        .configure(policies::routes)
        .configure(sts::routes)
        .default_service(web::to(|req: actix_web::HttpRequest| async move {
            Err::<HttpResponse, _>(match document::methods_of(req.path()) {
                Some(allow) => ApiError::MethodNotAllowed(allow),
                None => ApiError::NotFound("no such admin route".into()),
            })
        }))
        .wrap(actix_web::middleware::from_fn(auth::require_credentials))
}
