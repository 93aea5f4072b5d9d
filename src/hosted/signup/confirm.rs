//! `/confirm` and `/resend-code`: the code that confirms a sign-up, which signs the person
//! in when they came from an application.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::factors::codes::{CodeCheck, Resend};
use crate::accounts::signin::machine::{Origin, Outcome};
use crate::accounts::signin::second_factor;
use crate::accounts::users::lookup::RESET_REQUIRED;
use crate::accounts::verification::confirm::{confirm_sign_up, resend_sign_up_code};
use crate::context::Context;
use crate::hosted::browser::{continue_sign_in, flow_start};
use crate::hosted::csrf;
use crate::hosted::forms::{internal, load_pool, posted_form, username_label};
use crate::hosted::html;
use crate::hosted::pages::{Brand, ConfirmPage, MessagePage, message, render};
use crate::hosted::signup::shared::{DEAD_CODE, WRONG_CODE, link, page_query, pending, with_csrf};
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;

fn confirm_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    request: &str,
    username: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    with_csrf(req, ctx, |token| {
        render(&ConfirmPage {
            brand: Brand::of(pool),
            action: format!("/{}/confirm", pool.id),
            resend_action: format!("/{}/resend-code", pool.id),
            csrf_token: token,
            request,
            username_label: username_label(pool),
            username,
            notice,
            error,
        })
    })
}

const CODE_SENT: &str = "We sent a verification code to your email address. Enter it below.";

#[get("/{pool_id}/confirm")]
pub async fn confirm_form(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let q = page_query(&req, &ctx, &pool).await;
    let notice = q.sent.then_some(CODE_SENT);
    confirm_page(&req, &ctx, &pool, &q.request, &q.username, notice, None)
}

#[post("/{pool_id}/confirm")]
pub async fn confirm_submit(
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
    let code = params.get("code").unwrap_or_default();
    let browser = csrf::browser_id(&req, &ctx);
    match confirm_sign_up(&ctx, &pool, &username, code, address.0, browser.as_deref()).await {
        Ok((CodeCheck::Accepted, Some(user))) if user.status == RESET_REQUIRED => {
            // The address is this person's; the password may be someone else's.
            html(
                StatusCode::OK,
                render(&MessagePage {
                    brand: Brand::of(&pool),
                    heading: "Address confirmed",
                    message: "Your email address is confirmed. Someone else also signed up with this name, so choose a new password before you sign in.",
                    is_error: false,
                    link_href: Some(link(&pool, "forgot-password", &request)),
                    link_text: "Choose a new password",
                }),
            )
        }
        Ok((CodeCheck::Accepted, Some(user))) => match &pending {
            // As Cognito does: confirming signs the person in and returns to the app, through
            // whatever second factor the pool asks for.
            Some(pending) => {
                let browser = browser.clone().unwrap_or_default();
                let start = flow_start(&pool, pending, &browser, Origin::default());
                match second_factor::after_first_factor(&ctx, &start, user, "pwd", ctx.now(), false)
                    .await
                {
                    Ok(Outcome::Step(step)) => {
                        continue_sign_in(&req, &ctx, &pool, pending, step).await
                    }
                    Ok(Outcome::Refused(_)) => message(
                        StatusCode::OK,
                        Brand::of(&pool),
                        "Account confirmed",
                        "Your account is confirmed, but it cannot sign in yet. Contact your administrator.",
                    ),
                    Err(err) => internal(err),
                }
            }
            None => message(
                StatusCode::OK,
                Brand::of(&pool),
                "Account confirmed",
                "Your account is confirmed. You can now sign in from the application.",
            ),
        },
        Ok((CodeCheck::TooManyTries, _)) => confirm_page(
            &req,
            &ctx,
            &pool,
            &request,
            &username,
            None,
            Some(DEAD_CODE),
        ),
        Ok(_) => confirm_page(
            &req,
            &ctx,
            &pool,
            &request,
            &username,
            None,
            Some(WRONG_CODE),
        ),
        Err(err) => internal(err),
    }
}

#[post("/{pool_id}/resend-code")]
pub async fn resend_code(
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
    // Sent, throttled, unknown or already confirmed: the page reads the same, so it tells
    // nobody which accounts are waiting for confirmation.
    match resend_sign_up_code(&ctx, &pool, &username, address.0).await {
        Ok(Resend::Sent | Resend::TooSoon) => confirm_page(
            &req,
            &ctx,
            &pool,
            &request,
            &username,
            Some(
                "If this account is waiting for confirmation, a new code is on its way (at most one a minute and 5 an hour). Earlier codes no longer work.",
            ),
            None,
        ),
        Err(err) => internal(err),
    }
}
