//! `/forgot-password` and `/reset-password`: a code by email, then a new password.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::factors::codes::CodeCheck;
use crate::accounts::verification::reset::{forgot_password, reset_password};
use crate::context::Context;
use crate::error::Error;
use crate::hosted::forms::{
    internal, load_pool, policy_text, posted_form, request_in_query, username_label,
};
use crate::hosted::pages::{Brand, ForgotPage, ResetPage, message, render};
use crate::hosted::see_other;
use crate::hosted::signup::shared::{DEAD_CODE, WRONG_CODE, link, page_query, pending, with_csrf};
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;
use crate::tokens::authorize::with_query;

#[get("/{pool_id}/forgot-password")]
pub async fn forgot_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let request = pending(&req, &ctx, &pool, request_in_query(&req).as_deref())
        .await
        .map(|p| p.id)
        .unwrap_or_default();
    with_csrf(&req, &ctx, |token| {
        render(&ForgotPage {
            brand: Brand::of(&pool),
            action: format!("/{}/forgot-password", pool.id),
            csrf_token: token,
            request: &request,
            username_label: username_label(&pool),
            login_link: link(&pool, "login", &request),
        })
    })
}

#[post("/{pool_id}/forgot-password")]
pub async fn forgot_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    address: ClientAddress,
    body: Bytes,
) -> HttpResponse {
    let (pool, params) = match posted_form(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let request = pending(&req, &ctx, &pool, params.get("request"))
        .await
        .map(|p| p.id)
        .unwrap_or_default();
    let username = params
        .get("username")
        .unwrap_or_default()
        .trim()
        .to_string();
    if let Err(err) = forgot_password(&ctx, &pool, &username, address.0).await {
        return internal(err);
    }
    // The same answer whether or not the account exists.
    see_other(&with_query(
        &link(&pool, "reset-password", &request),
        &[("username", &username), ("sent", "1")],
    ))
}

const RESET_SENT: &str = "If an account exists for this name, we sent a code to its email address.";

fn reset_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    request: &str,
    username: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    with_csrf(req, ctx, |token| {
        render(&ResetPage {
            brand: Brand::of(pool),
            action: format!("/{}/reset-password", pool.id),
            csrf_token: token,
            request,
            username_label: username_label(pool),
            username,
            policy: policy_text(pool),
            login_link: link(pool, "login", request),
            notice,
            error,
        })
    })
}

#[get("/{pool_id}/reset-password")]
pub async fn reset_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let q = page_query(&req, &ctx, &pool).await;
    let notice = q.sent.then_some(RESET_SENT);
    reset_page(&req, &ctx, &pool, &q.request, &q.username, notice, None)
}

#[post("/{pool_id}/reset-password")]
pub async fn reset_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    address: ClientAddress,
    body: Bytes,
) -> HttpResponse {
    let (pool, params) = match posted_form(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let pending = pending(&req, &ctx, &pool, params.get("request")).await;
    let request = pending.as_ref().map(|p| p.id.clone()).unwrap_or_default();
    let username = params
        .get("username")
        .unwrap_or_default()
        .trim()
        .to_string();
    let outcome = reset_password(
        &ctx,
        &pool,
        &username,
        params.get("code").unwrap_or_default(),
        params.get("new_password").unwrap_or_default(),
        params.get("confirm_password").unwrap_or_default(),
        address.0,
    )
    .await;
    let retry = |error: &str| reset_page(&req, &ctx, &pool, &request, &username, None, Some(error));
    match outcome {
        Ok(CodeCheck::Accepted) => match pending {
            Some(p) => see_other(&link(&pool, "login", &p.id)),
            None => message(
                StatusCode::OK,
                Brand::of(&pool),
                "Password changed",
                "Your password has been reset, and you were signed out everywhere. Sign in with the new password.",
            ),
        },
        Ok(CodeCheck::TooManyTries) => retry(DEAD_CODE),
        Ok(CodeCheck::Rejected) => retry(WRONG_CODE),
        Err(Error::Validation { field, message } | Error::Password { field, message }) => {
            let text = if field == "confirm_password" {
                "The two passwords do not match.".to_string()
            } else {
                format!("The new password {message}.")
            };
            retry(&text)
        }
        Err(err) => internal(err),
    }
}
