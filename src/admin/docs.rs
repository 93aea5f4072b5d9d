//! `/admin/docs`: the Swagger UI viewer of the admin API's OpenAPI document, with headers
//! that keep it from being framed, sniffed or leaking its URL.

use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::SwaggerUi;

/// The viewer's scripts, styles and fonts are files it serves itself, with no inline
/// script or `<style>`; its stylesheet draws icons from `data:` images, and "Try it out"
/// calls this origin's API.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The viewer at `/admin/docs/`, reading the document at `openapi_path`.
pub fn viewer(openapi_path: &'static str) -> impl actix_web::dev::HttpServiceFactory {
    web::scope("/admin/docs")
        .wrap(
            DefaultHeaders::new()
                .add(("content-security-policy", CONTENT_SECURITY_POLICY))
                .add(("x-frame-options", "DENY"))
                .add(("x-content-type-options", "nosniff"))
                .add(("referrer-policy", "no-referrer")),
        )
        .route(
            "",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header(("location", "/admin/docs/"))
                    .finish()
            }),
        )
        .service(SwaggerUi::new("/{_:.*}").config(utoipa_swagger_ui::Config::new([openapi_path])))
}
