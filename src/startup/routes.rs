//! Every door's routes, mounted in the order they are tried: each pattern with a path
//! parameter is matched by a regular expression, so the busiest endpoints come first.

use actix_web::web::{self, Data};
use actix_web::{HttpResponse, middleware::from_fn};

use crate::demo::Demo;
use crate::ops::{health, metrics};

/// Where the admin API's OpenAPI document is served, and its viewer reads it.
const OPENAPI_PATH: &str = "/admin/v1/openapi.json";

/// Mounts every route; the demo's when it is on. `openapi` is the admin API's document,
/// rendered once and shared by the workers.
pub fn mount(cfg: &mut web::ServiceConfig, demo: Option<&Data<Demo>>, openapi: &web::Bytes) {
    let demo_routes = |cfg: &mut web::ServiceConfig| {
        if let Some(demo) = demo {
            cfg.app_data(demo.clone())
                .service(crate::demo::start)
                .service(crate::demo::demo_callback);
        }
    };
    cfg.service(crate::oauth::token::token)
        .service(crate::oauth::userinfo::userinfo_get)
        .service(crate::oauth::discovery::jwks)
        .service(crate::oauth::discovery::openid_configuration)
        .service(crate::hosted::authorize::authorize_get)
        .service(crate::oauth::userinfo::userinfo_post)
        .service(crate::hosted::authorize::authorize_post)
        .service(crate::hosted::logout::logout)
        .service(crate::hosted::logout::logout_post)
        .service(crate::oauth::token::revoke)
        .service(health::live)
        .service(health::ready)
        .service(
            web::resource("/metrics")
                .wrap(from_fn(crate::admin::auth::require_credentials))
                .route(web::get().to(metrics::metrics)),
        )
        .configure(demo_routes)
        .service(crate::admin::docs::viewer(OPENAPI_PATH))
        .route(
            OPENAPI_PATH,
            web::get().to({
                let openapi = openapi.clone();
                move || {
                    let body = openapi.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type(actix_web::http::header::ContentType::json())
                            .body(body)
                    }
                }
            }),
        )
        .service(crate::admin::scope())
        .route("/", web::post().to(crate::cognito::endpoint))
        .service(crate::hosted::pages::stylesheet)
        .service(crate::hosted::pages::form_post_script)
        .service(crate::hosted::pages::branding_css)
        .service(crate::hosted::signin::login_form)
        .service(crate::hosted::signin::login_submit)
        .service(crate::hosted::federation::idp_response)
        .service(crate::hosted::federation::idp_response_post)
        .service(crate::hosted::federation::idp_logout)
        .service(crate::hosted::signin::new_password_form)
        .service(crate::hosted::signin::new_password_submit)
        .service(crate::hosted::mfa::mfa_form)
        .service(crate::hosted::mfa::mfa_submit)
        .service(crate::hosted::mfa::setup_form)
        .service(crate::hosted::mfa::setup_submit)
        .service(crate::hosted::account::account_form)
        .service(crate::hosted::account::verify_form)
        .service(crate::hosted::account::verify_submit)
        .service(crate::hosted::account::totp_form)
        .service(crate::hosted::account::totp_begin)
        .service(crate::hosted::account::totp_confirm)
        .service(crate::hosted::account::totp_remove)
        .service(crate::hosted::account::email_submit)
        .service(crate::hosted::account::preferred_submit)
        .service(crate::hosted::account::recovery_codes_submit)
        .service(crate::hosted::account::password_submit)
        .service(crate::hosted::signup::signup_form)
        .service(crate::hosted::signup::signup_submit)
        .service(crate::hosted::signup::confirm_form)
        .service(crate::hosted::signup::confirm_submit)
        .service(crate::hosted::signup::resend_code)
        .service(crate::hosted::signup::forgot_form)
        .service(crate::hosted::signup::forgot_submit)
        .service(crate::hosted::signup::reset_form)
        .service(crate::hosted::signup::reset_submit)
        .default_service(web::to(|| async {
            HttpResponse::NotFound().json(serde_json::json!({
                "error": {"code": "not_found", "message": "no such route"}
            }))
        }));
}
