//! The askama page templates and the pool's look.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;

use crate::context::Context;
use crate::pools::Pool;
use crate::pools::pool::cached_pool;

/// What every page shows of the pool.
pub struct Brand {
    pub display_name: String,
    pub logo_url: Option<String>,
    pub branding_css: String,
}

impl Brand {
    pub fn of(pool: &Pool) -> Self {
        Self {
            display_name: pool
                .config
                .branding
                .display_name
                .clone()
                .unwrap_or_else(|| pool.name.clone()),
            logo_url: pool.config.branding.logo_url.clone(),
            branding_css: format!("/{}/branding.css", pool.id),
        }
    }

    /// Used when the pool itself is unknown.
    pub fn plain() -> Self {
        Self {
            display_name: "Cognate".into(),
            logo_url: None,
            branding_css: "/static/cognate.css".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "hosted/login.html")]
pub struct LoginPage<'a> {
    pub brand: Brand,
    pub action: String,
    pub csrf_token: String,
    pub request: &'a str,
    pub username: &'a str,
    pub username_label: &'static str,
    pub error: Option<&'a str>,
    pub forgot_link: String,
    pub signup_link: Option<String>,
    /// The client offers the pool's own sign-in (`COGNITO`).
    pub password_form: bool,
    /// A typed work address can route to one of `providers`.
    pub routes_by_email: bool,
    /// "Continue with …", one per identity provider the client offers.
    pub providers: Vec<String>,
}

#[derive(Template)]
#[template(path = "hosted/new_password.html")]
pub struct NewPasswordPage<'a> {
    pub brand: Brand,
    pub action: String,
    pub csrf_token: String,
    pub request: &'a str,
    pub step: &'a str,
    pub policy: String,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "hosted/logout.html")]
pub struct LogoutPage<'a> {
    pub brand: Brand,
    pub action: String,
    pub csrf_token: String,
    pub fields: Vec<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "hosted/recovery_codes.html")]
pub struct RecoveryCodesPage<'a> {
    pub brand: Brand,
    pub codes: &'a [String],
    pub continue_href: Option<String>,
    pub continue_action: Option<String>,
    pub continue_fields: Vec<(&'a str, String)>,
}

#[derive(Template)]
#[template(path = "hosted/message.html")]
pub struct MessagePage<'a> {
    pub brand: Brand,
    pub heading: &'a str,
    pub message: &'a str,
    pub is_error: bool,
    /// A link to go on with, if any.
    pub link_href: Option<String>,
    pub link_text: &'a str,
}

/// Renders a template, or a plain error if the template itself fails.
pub fn render(template: &impl Template) -> String {
    template.render().unwrap_or_else(|err| {
        tracing::error!(error = %err, "template rendering failed");
        "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_string()
    })
}

pub fn message(status: StatusCode, brand: Brand, heading: &str, text: &str) -> HttpResponse {
    let page = MessagePage {
        brand,
        heading,
        message: text,
        is_error: status.is_client_error() || status.is_server_error(),
        link_href: None,
        link_text: "",
    };
    super::html(status, render(&page))
}

/// `/static/cognate.css`: the hosted pages' stylesheet, compiled into the binary.
#[get("/static/cognate.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("../../static/cognate.css"))
}

/// `/static/form-post.js`: submits the form post response page (a file, so the page's CSP
/// allows no inline script).
#[get("/static/form-post.js")]
pub async fn form_post_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(include_str!("../../static/form-post.js"))
}

/// `{issuer}/branding.css`: the pool's colour as a stylesheet, so pages need no inline style.
#[get("/{pool_id}/branding.css")]
pub async fn branding_css(ctx: web::Data<Context>, path: web::Path<String>) -> HttpResponse {
    let color = match cached_pool(&ctx, &path).await {
        Ok(pool) => pool.config.branding.primary_color.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let body = if color.is_empty() {
        String::new()
    } else {
        // Validated as #rrggbb when the pool was saved.
        format!(":root {{ --primary: {color}; }}\n")
    };
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=300"))
        .body(body)
}

pub struct ExtraField {
    pub name: String,
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "hosted/signup.html")]
pub struct SignUpPage<'a> {
    pub brand: Brand,
    pub action: String,
    pub csrf_token: String,
    pub request: &'a str,
    pub ask_username: bool,
    pub username: &'a str,
    pub email: &'a str,
    pub policy: String,
    pub extra_fields: Vec<ExtraField>,
    pub login_link: String,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "hosted/confirm.html")]
pub struct ConfirmPage<'a> {
    pub brand: Brand,
    pub action: String,
    pub resend_action: String,
    pub csrf_token: String,
    pub request: &'a str,
    pub username_label: &'static str,
    pub username: &'a str,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "hosted/forgot.html")]
pub struct ForgotPage<'a> {
    pub brand: Brand,
    pub action: String,
    pub csrf_token: String,
    pub request: &'a str,
    pub username_label: &'static str,
    pub login_link: String,
}

#[derive(Template)]
#[template(path = "hosted/reset.html")]
pub struct ResetPage<'a> {
    pub brand: Brand,
    pub action: String,
    pub csrf_token: String,
    pub request: &'a str,
    pub username_label: &'static str,
    pub username: &'a str,
    pub policy: String,
    pub login_link: String,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}
