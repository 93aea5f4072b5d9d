//! `/confirm` and `/resend-code`: the code that confirms a sign-up, which signs the person
//! in when they came from an application.

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::factors::codes::{CodeCheck, Resend};
use crate::accounts::signin::machine::{Origin, Outcome};
use crate::accounts::signin::second_factor;
use crate::accounts::users::lookup::RESET_REQUIRED;
use crate::accounts::verification::confirm::{confirm_sign_up, resend_sign_up_code};
use crate::context::Context;
use crate::hosted::browser::{continue_sign_in, flow_start};
use crate::hosted::csrf;
use crate::hosted::forms::{form_page, internal, username_label};
use crate::hosted::html;
use crate::hosted::pages::{Brand, ConfirmPage, MessagePage, message, render};
use crate::hosted::read::Hosted;
use crate::hosted::signup::shared::{
    DEAD_CODE, Filled, Note, PageQuery, SelfServicePost, WRONG_CODE, link,
};
use crate::ops::client_address::ClientAddress;

fn confirm_page(req: &HttpRequest, ctx: &Context, filled: &Filled, note: Note<'_>) -> HttpResponse {
    let pool = &filled.pool;
    form_page(req, ctx, |token| ConfirmPage {
        brand: Brand::of(pool),
        action: format!("/{}/confirm", pool.id),
        resend_action: format!("/{}/resend-code", pool.id),
        csrf_token: token,
        request: &filled.request,
        username_label: username_label(pool),
        username: &filled.username,
        notice: note.notice(),
        error: note.error(),
    })
}

const CODE_SENT: &str = "We sent a verification code to your email address. Enter it below.";

#[get("/{pool_id}/confirm")]
pub async fn confirm_form(
    req: HttpRequest,
    ctx: Data<Context>,
    q: Hosted<PageQuery>,
) -> HttpResponse {
    confirm_page(&req, &ctx, &q.filled, q.note(CODE_SENT))
}

#[post("/{pool_id}/confirm")]
pub async fn confirm_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    address: ClientAddress,
    post: Hosted<SelfServicePost>,
) -> HttpResponse {
    let (pool, request) = (&post.filled.pool, &post.filled.request);
    let code = post.params.get("code").unwrap_or_default();
    let browser = csrf::browser_id(&req, &ctx);
    match confirm_sign_up(
        &ctx,
        pool,
        &post.filled.username,
        code,
        address.0,
        browser.as_deref(),
    )
    .await
    {
        Ok((CodeCheck::Accepted, Some(user))) if user.status == RESET_REQUIRED => {
            // The address is this person's; the password may be someone else's.
            html(
                StatusCode::OK,
                render(&MessagePage {
                    brand: Brand::of(pool),
                    heading: "Address confirmed",
                    message: "Your email address is confirmed. Someone else also signed up with this name, so choose a new password before you sign in.",
                    is_error: false,
                    link_href: Some(link(pool, "forgot-password", request)),
                    link_text: "Choose a new password",
                }),
            )
        }
        Ok((CodeCheck::Accepted, Some(user))) => match &post.pending {
            // As Cognito does: confirming signs the person in and returns to the app, through
            // whatever second factor the pool asks for.
            Some(pending) => {
                let browser = browser.clone().unwrap_or_default();
                let start = flow_start(pool, pending, &browser, Origin::default());
                match second_factor::after_first_factor(&ctx, &start, user, "pwd", ctx.now(), false)
                    .await
                {
                    Ok(Outcome::Step(step)) => {
                        continue_sign_in(&req, &ctx, pool, pending, step).await
                    }
                    Ok(Outcome::Refused(_)) => message(
                        StatusCode::OK,
                        Brand::of(pool),
                        "Account confirmed",
                        "Your account is confirmed, but it cannot sign in yet. Contact your administrator.",
                    ),
                    Err(err) => internal(err),
                }
            }
            None => message(
                StatusCode::OK,
                Brand::of(pool),
                "Account confirmed",
                "Your account is confirmed. You can now sign in from the application.",
            ),
        },
        Ok((CodeCheck::TooManyTries, _)) => {
            confirm_page(&req, &ctx, &post.filled, Note::Failed(DEAD_CODE))
        }
        Ok(_) => confirm_page(&req, &ctx, &post.filled, Note::Failed(WRONG_CODE)),
        Err(err) => internal(err),
    }
}

#[post("/{pool_id}/resend-code")]
pub async fn resend_code(
    req: HttpRequest,
    ctx: Data<Context>,
    address: ClientAddress,
    post: Hosted<SelfServicePost>,
) -> HttpResponse {
    let filled = &post.filled;
    // Sent, throttled, unknown or already confirmed: the page reads the same, so it tells
    // nobody which accounts are waiting for confirmation.
    match resend_sign_up_code(&ctx, &filled.pool, &filled.username, address.0).await {
        Ok(Resend::Sent | Resend::TooSoon) => confirm_page(
            &req,
            &ctx,
            filled,
            Note::Sent(
                "If this account is waiting for confirmation, a new code is on its way (at most one a minute and 5 an hour). Earlier codes no longer work.",
            ),
        ),
        Err(err) => internal(err),
    }
}
