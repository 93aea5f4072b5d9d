//! Sends an authorization answer (a code, or an error) back to the client's redirect URI in
//! the response mode it asked for: in the query (RFC 6749 §4.1.2), in the fragment (OAuth
//! 2.0 Multiple Response Types §2.1) or as an auto-submitting form (OAuth 2.0 Form Post
//! Response Mode), which also works without JavaScript.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::hosted::pages::render;
use crate::tokens::authorize::{ResponseMode, with_query};

#[derive(Template)]
#[template(path = "hosted/form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    fields: &'a [(&'a str, &'a str)],
}

/// The redirect (or form page) carrying `params` to `redirect_uri`. `status` is the
/// redirect's status (302 from authorize, 303 after a form post).
pub fn to_client(
    redirect_uri: &str,
    mode: ResponseMode,
    params: &[(&str, &str)],
    status: StatusCode,
) -> HttpResponse {
    match mode {
        ResponseMode::Query => crate::hosted::secure(HttpResponse::build(status))
            .insert_header(("location", with_query(redirect_uri, params)))
            .finish(),
        ResponseMode::Fragment => {
            // Registered redirect URIs carry no fragment; the answer is the whole of it.
            let fragment = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            crate::hosted::secure(HttpResponse::build(status))
                .insert_header(("location", format!("{redirect_uri}#{fragment}")))
                .finish()
        }
        ResponseMode::FormPost => {
            let body = render(&FormPostPage {
                action: redirect_uri,
                fields: params,
            });
            let mut csp = String::from(
                "default-src 'none'; script-src 'self'; style-src 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
            );
            // The form may go to the client's origin only.
            if let Ok(url) = url::Url::parse(redirect_uri)
                && matches!(url.scheme(), "http" | "https")
            {
                csp.push_str("; form-action ");
                csp.push_str(&url.origin().ascii_serialization());
            }
            crate::hosted::secure(HttpResponse::Ok())
                .insert_header(("content-security-policy", csp))
                .content_type("text/html; charset=utf-8")
                .body(body)
        }
    }
}
