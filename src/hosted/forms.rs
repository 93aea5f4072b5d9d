//! What every hosted form shares: the pool, the pending request this browser started, the
//! posted form with its CSRF check, the references in the query, and the pages for errors
//! no form can fix.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::context::Context;
use crate::crypto::password::HashError;
use crate::error::Error;
use crate::hosted::csrf;
use crate::hosted::html;
use crate::hosted::pages::{Brand, message, render};
use crate::hosted::read::{Read, Reading};
use crate::pools::Pool;
use crate::pools::pool::cached_pool;
use crate::store::StoreError;
use crate::store::oauth::AuthRequestRow;
use crate::tokens::authorize::{self, Params};

const EXPIRED_REQUEST: &str = "This sign-in page has expired or was already used. Go back to the application and sign in again.";

pub(crate) async fn load_pool(ctx: &Context, pool_id: &str) -> Result<Pool, HttpResponse> {
    match cached_pool(ctx, pool_id).await {
        Ok(pool) => Ok(pool),
        Err(Error::NotFound(_)) => Err(message(
            StatusCode::NOT_FOUND,
            Brand::plain(),
            "Not found",
            "There is no user pool at this address.",
        )),
        Err(err) => Err(internal(err)),
    }
}

/// The pool the path names; the not-found page when there is none.
pub(crate) async fn path_pool(req: &HttpRequest, ctx: &Context) -> Reading<Pool> {
    load_pool(ctx, req.match_info().query("pool_id")).await
}

/// The page for a core error no form can fix: busy (503), too many requests (429), or a
/// failure (500, logged with the request id).
pub(crate) fn internal(err: Error) -> HttpResponse {
    let (status, heading, text) = match &err {
        Error::Hash(HashError::Busy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Busy",
            "The service is busy right now. Please try again in a moment.",
        ),
        Error::TooManyRequests => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            "Too many requests came from your network. Please wait a while and try again.",
        ),
        // The same change raced another (a double click, an admin at the same moment) more
        // often than it retries: nothing was written.
        Error::Store(StoreError::Contention) => (
            StatusCode::CONFLICT,
            "Changed meanwhile",
            "Something else changed your account at the same moment, so nothing was saved. \
             Please go back and try again.",
        ),
        _ => {
            tracing::error!(error = %err, "hosted page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again in a moment.",
            )
        }
    };
    let mut page = message(status, Brand::plain(), heading, text);
    if status != StatusCode::INTERNAL_SERVER_ERROR {
        page.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static(
                if status == StatusCode::TOO_MANY_REQUESTS {
                    "60"
                } else {
                    "1"
                },
            ),
        );
    }
    page
}

/// The pending request `id`, if it is live and this browser started it.
pub(crate) async fn load_pending(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    id: Option<&str>,
) -> Result<AuthRequestRow, HttpResponse> {
    let browser = csrf::browser_id(req, ctx);
    match authorize::pending(ctx, &pool.id, id.unwrap_or_default(), browser.as_deref()).await {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(message(
            StatusCode::BAD_REQUEST,
            Brand::of(pool),
            "Sign-in expired",
            EXPIRED_REQUEST,
        )),
        Err(err) => Err(internal(err.into())),
    }
}

pub(crate) fn username_label(pool: &Pool) -> &'static str {
    if pool.config.email_is_username() {
        "Email"
    } else {
        "Username"
    }
}

pub(crate) fn policy_text(pool: &Pool) -> String {
    let p = &pool.config.password_policy;
    let mut parts = vec![format!("At least {} characters", p.minimum_length)];
    if p.require_uppercase {
        parts.push("an uppercase letter".into());
    }
    if p.require_lowercase {
        parts.push("a lowercase letter".into());
    }
    if p.require_numbers {
        parts.push("a number".into());
    }
    if p.require_symbols {
        parts.push("a symbol".into());
    }
    format!("{}.", parts.join(", "))
}

/// A new password's confirmation that is not the same.
pub(crate) const PASSWORDS_DIFFER: &str = "The two passwords do not match.";

/// Why a new password was refused, for its form: the confirmation differs (`mismatch`),
/// or the rule of the pool's policy it breaks.
pub(crate) fn new_password_refused(field: &str, message: &str, mismatch: &str) -> String {
    if field == "confirm_password" {
        mismatch.to_string()
    } else {
        format!("The new password {message}.")
    }
}

pub(crate) fn csrf_failure(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::FORBIDDEN,
        Brand::of(pool),
        "Please try again",
        "This form could not be verified (it may be stale, or cookies are blocked). Go back, reload the page and try again.",
    )
}

pub(crate) fn form(body: &Bytes, pool: &Pool) -> Result<Params, HttpResponse> {
    Params::parse(body).map_err(|why| {
        message(
            StatusCode::BAD_REQUEST,
            Brand::of(pool),
            "Bad request",
            &why,
        )
    })
}

/// A hosted form post, read: the pool in the path and the parsed form, whose CSRF token
/// matches the browser's cookie. A post that fails any of these is answered with its page.
pub(crate) struct PostedForm {
    pub(crate) pool: Pool,
    pub(crate) params: Params,
}

impl Read for PostedForm {
    type Before = Bytes;

    async fn read(req: &HttpRequest, ctx: &Context, body: Bytes) -> Reading<Self> {
        let pool = path_pool(req, ctx).await?;
        let params = form(&body, &pool)?;
        if !csrf::verify(req, ctx, params.get("csrf_token")) {
            return Err(csrf_failure(&pool));
        }
        Ok(PostedForm { pool, params })
    }
}

/// A page with a form: rendered with this browser's CSRF token, and setting the cookie the
/// token signs if the browser had none yet.
pub(crate) fn form_page<T: Template>(
    req: &HttpRequest,
    ctx: &Context,
    page: impl FnOnce(String) -> T,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let mut response = html(StatusCode::OK, render(&page(token)));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

pub(crate) fn expired(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::BAD_REQUEST,
        Brand::of(pool),
        "Sign-in expired",
        EXPIRED_REQUEST,
    )
}

/// The `request` reference in the query string, if given once.
pub(crate) fn request_in_query(req: &HttpRequest) -> Option<String> {
    Params::parse(req.query_string().as_bytes())
        .ok()
        .and_then(|p| p.get("request").map(str::to_string))
}

/// The `step` reference in the query string, if given once.
pub(crate) fn step_in_query(req: &HttpRequest) -> Option<String> {
    Params::parse(req.query_string().as_bytes())
        .ok()
        .and_then(|p| p.get("step").map(str::to_string))
}
