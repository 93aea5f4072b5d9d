//! `/forgot-password` and `/reset-password`: a code by email, then a new password.

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::factors::codes::CodeCheck;
use crate::accounts::verification::reset::{forgot_password, reset_password};
use crate::context::Context;
use crate::error::Error;
use crate::hosted::forms::{
    PASSWORDS_DIFFER, form_page, internal, new_password_refused, policy_text, username_label,
};
use crate::hosted::pages::{Brand, ForgotPage, ResetPage, message};
use crate::hosted::read::Hosted;
use crate::hosted::see_other;
use crate::hosted::signup::shared::{
    DEAD_CODE, Filled, Note, PageQuery, SelfServicePost, WRONG_CODE, link,
};
use crate::ops::client_address::ClientAddress;
use crate::tokens::authorize::with_query;

#[get("/{pool_id}/forgot-password")]
pub async fn forgot_form(
    req: HttpRequest,
    ctx: Data<Context>,
    q: Hosted<PageQuery>,
) -> HttpResponse {
    let Filled { pool, request, .. } = &q.filled;
    form_page(&req, &ctx, |token| ForgotPage {
        brand: Brand::of(pool),
        action: format!("/{}/forgot-password", pool.id),
        csrf_token: token,
        request,
        username_label: username_label(pool),
        login_link: link(pool, "login", request),
    })
}

#[post("/{pool_id}/forgot-password")]
pub async fn forgot_submit(
    ctx: Data<Context>,
    address: ClientAddress,
    post: Hosted<SelfServicePost>,
) -> HttpResponse {
    let filled = &post.filled;
    if let Err(err) = forgot_password(&ctx, &filled.pool, &filled.username, address.0).await {
        return internal(err);
    }
    // The same answer whether or not the account exists.
    see_other(&with_query(
        &link(&filled.pool, "reset-password", &filled.request),
        &[("username", &filled.username), ("sent", "1")],
    ))
}

const RESET_SENT: &str = "If an account exists for this name, we sent a code to its email address.";

fn reset_page(req: &HttpRequest, ctx: &Context, filled: &Filled, note: Note<'_>) -> HttpResponse {
    let Filled {
        pool,
        request,
        username,
    } = filled;
    form_page(req, ctx, |token| ResetPage {
        brand: Brand::of(pool),
        action: format!("/{}/reset-password", pool.id),
        csrf_token: token,
        request,
        username_label: username_label(pool),
        username,
        policy: policy_text(pool),
        login_link: link(pool, "login", request),
        notice: note.notice(),
        error: note.error(),
    })
}

#[get("/{pool_id}/reset-password")]
pub async fn reset_form(
    req: HttpRequest,
    ctx: Data<Context>,
    q: Hosted<PageQuery>,
) -> HttpResponse {
    reset_page(&req, &ctx, &q.filled, q.note(RESET_SENT))
}

#[post("/{pool_id}/reset-password")]
pub async fn reset_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    address: ClientAddress,
    post: Hosted<SelfServicePost>,
) -> HttpResponse {
    let (filled, params) = (&post.filled, &post.params);
    let pool = &filled.pool;
    let outcome = reset_password(
        &ctx,
        pool,
        &filled.username,
        params.get("code").unwrap_or_default(),
        params.get("new_password").unwrap_or_default(),
        params.get("confirm_password").unwrap_or_default(),
        address.0,
    )
    .await;
    let retry = |error: &str| reset_page(&req, &ctx, filled, Note::Failed(error));
    match outcome {
        Ok(CodeCheck::Accepted) => match &post.pending {
            Some(p) => see_other(&link(pool, "login", &p.id)),
            None => message(
                StatusCode::OK,
                Brand::of(pool),
                "Password changed",
                "Your password has been reset, and you were signed out everywhere. Sign in with the new password.",
            ),
        },
        Ok(CodeCheck::TooManyTries) => retry(DEAD_CODE),
        Ok(CodeCheck::Rejected) => retry(WRONG_CODE),
        Err(Error::Validation { field, message } | Error::Password { field, message }) => {
            let text = new_password_refused(&field, &message, PASSWORDS_DIFFER);
            retry(&text)
        }
        Err(err) => internal(err),
    }
}
