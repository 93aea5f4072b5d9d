//! The browser's door under each issuer: the hosted pages (`/login`, `/new-password`, ...)
//! and `/oauth2/authorize` and `/logout`, which render pages and set cookies. Server-rendered
//! askama forms that work without JavaScript, each with a CSRF token, sent with strict headers.

pub mod account;
pub mod authorize;
pub mod browser;
pub mod cookies;
pub mod csrf;
pub mod federation;
pub mod forms;
pub mod logout;
pub mod mfa;
pub mod pages;
pub mod read;
pub mod signin;
pub mod signup;
pub mod steps;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};

/// Headers every hosted page and redirect carries: no script at all, no framing, no referrer
/// (URLs hold one-time references), and no caching of pages with tokens. There is no
/// `form-action`: Chrome and Safari apply it to the redirect after the sign-in post, which
/// would stop the code on its way to the application.
pub fn secure(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder
        .insert_header((
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self' https: http://localhost:* data:; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("cache-control", "no-store"))
        .insert_header(("pragma", "no-cache"));
    builder
}

pub fn html(status: StatusCode, body: String) -> HttpResponse {
    secure(HttpResponse::build(status))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A `303 See Other` to `location`, with the page headers.
pub fn see_other(location: &str) -> HttpResponse {
    secure(HttpResponse::SeeOther())
        .insert_header(("location", location))
        .finish()
}
