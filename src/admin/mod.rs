//! The admin REST API (`/admin/v1`): thin handlers that parse JSON into core inputs, call one
//! core function each, and render JSON. Authentication and the error shape live here too.

pub mod auth;
pub mod body;
pub mod clients;
pub mod docs;
pub mod error;
pub mod groups;
pub mod pools;
pub mod resource_servers;
pub mod users;

use actix_web::HttpResponse;
use actix_web::web::{self, PathConfig, QueryConfig};
use serde::Deserialize;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify};
use utoipa_actix_web::AppExt;

pub use crate::admin::body::Body;
use crate::admin::error::ApiError;
use crate::store::paging::PageRequest;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(ApiError::NotFound("no such admin route".into()))
        }))
        .wrap(actix_web::middleware::from_fn(auth::require_admin_key))
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The admin key (COGNATE_ADMIN_KEY, or <data dir>/admin-key)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of the admin API, collected from the handlers' annotations.
pub fn openapi() -> OpenApi {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .service(scope())
        .split_for_parts();
    api.info.title = "Cognate admin API".into();
    api.info.version = env!("CARGO_PKG_VERSION").into();
    api.info.contact = None;
    api.info.license = Some(utoipa::openapi::License::new("Apache-2.0"));
    api.info.description = Some(
        "Configure user pools, app clients, resource servers, users and groups. Every route needs \
         `Authorization: Bearer <admin key>`. Errors are `{\"error\": {\"code\", \"message\"}}`."
            .into(),
    );
    Security.modify(&mut api);
    api.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
        "admin_key",
        Vec::<String>::new(),
    )]);
    api
}
