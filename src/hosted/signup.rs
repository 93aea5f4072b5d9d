//! `{issuer}/signup`, `/confirm`, `/resend-code`, `/forgot-password` and `/reset-password`:
//! self-service accounts. Each form carries the CSRF token and, when the person came from
//! an application, the pending authorization request, so confirming signs them in.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use serde_json::Value;

use crate::accounts::attributes::Attributes;
use crate::accounts::factors::codes::{CodeCheck, Resend};
use crate::accounts::signin::machine::{Origin, Outcome};
use crate::accounts::signin::second_factor;
use crate::accounts::users::lookup::RESET_REQUIRED;
use crate::accounts::verification::confirm::{confirm_sign_up, resend_sign_up_code};
use crate::accounts::verification::reset::{forgot_password, reset_password};
use crate::accounts::verification::signup::{self, SignUpForm};
use crate::context::Context;
use crate::error::Error;
use crate::hosted::browser::{continue_sign_in, flow_start};
use crate::hosted::csrf;
use crate::hosted::forms::{
    internal, load_pool, policy_text, posted_form, request_in_query, username_label,
};
use crate::hosted::pages::{
    Brand, ConfirmPage, ExtraField, ForgotPage, MessagePage, ResetPage, SignUpPage, message, render,
};
use crate::hosted::{html, see_other};
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;
use crate::pools::clients::find_oauth_client;
use crate::store::oauth::AuthRequestRow;
use crate::tokens::authorize::{self, Params, with_query};

/// One message for a wrong, expired, replaced or dead code: the fifth wrong try must not
/// tell a stranger that the account exists.
const WRONG_CODE: &str = "The code is incorrect or has expired. After 5 wrong tries a code stops working: send yourself a new one.";
const DEAD_CODE: &str = WRONG_CODE;

/// The pending authorization request, if the person came from an application and it is
/// still live. These pages work without one too. An application that does not offer the
/// pool's own sign-in (`COGNITO`) gets no sign-in from them: its request is left out.
async fn pending(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    id: Option<&str>,
) -> Option<AuthRequestRow> {
    let browser = csrf::browser_id(req, ctx);
    let found =
        match authorize::pending(ctx, &pool.id, id.unwrap_or_default(), browser.as_deref()).await {
            Ok(found) => found?,
            Err(err) => {
                tracing::warn!(error = %err, "pending request lookup failed");
                return None;
            }
        };
    match crate::pools::clients::find_oauth_client(ctx, &pool.id, &found.client_id).await {
        Ok(Some(client)) if client.config.offers_cognito() => Some(found),
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(error = %err, "client lookup failed");
            None
        }
    }
}

/// What the confirm and reset pages read from their query string.
struct PageQuery {
    /// The live pending request, or empty.
    request: String,
    username: String,
    /// Arrived right after a code was (maybe) sent.
    sent: bool,
}

async fn page_query(req: &HttpRequest, ctx: &Context, pool: &Pool) -> PageQuery {
    let query = Params::parse(req.query_string().as_bytes()).ok();
    let get = |name: &str| {
        query
            .as_ref()
            .and_then(|q| q.get(name))
            .unwrap_or_default()
            .to_string()
    };
    PageQuery {
        request: pending(req, ctx, pool, request_in_query(req).as_deref())
            .await
            .map(|p| p.id)
            .unwrap_or_default(),
        username: get("username"),
        sent: get("sent") == "1",
    }
}

/// Whether answers must not reveal which accounts exist: the client's setting (default on).
async fn protect(ctx: &Context, pool: &Pool, pending: Option<&AuthRequestRow>) -> bool {
    match pending {
        Some(p) => match find_oauth_client(ctx, &pool.id, &p.client_id).await {
            Ok(Some(client)) => client.config.prevent_user_existence_errors,
            _ => true,
        },
        None => true,
    }
}

fn link(pool: &Pool, page: &str, request: &str) -> String {
    if request.is_empty() {
        format!("/{}/{page}", pool.id)
    } else {
        with_query(&format!("/{}/{page}", pool.id), &[("request", request)])
    }
}

fn with_csrf(
    req: &HttpRequest,
    ctx: &Context,
    render_page: impl FnOnce(&str) -> String,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let mut response = html(StatusCode::OK, render_page(&token));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

fn disabled(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::FORBIDDEN,
        Brand::of(pool),
        "Sign-up is disabled",
        "Accounts in this user pool are created by an administrator. Ask yours for an invitation.",
    )
}

fn extra_fields(pool: &Pool, params: Option<&Params>) -> Vec<ExtraField> {
    pool.config
        .schema
        .iter()
        .filter(|a| a.required)
        .map(|a| {
            let name = format!("custom:{}", a.name);
            ExtraField {
                value: params
                    .and_then(|p| p.get(&name))
                    .unwrap_or_default()
                    .to_string(),
                label: a.name.replace(['_', '-'], " "),
                name,
            }
        })
        .collect()
}

fn signup_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    request: &str,
    params: Option<&Params>,
    error: Option<&str>,
) -> HttpResponse {
    let get = |name: &str| {
        params
            .and_then(|p| p.get(name))
            .unwrap_or_default()
            .to_string()
    };
    let (username, email) = (get("username"), get("email"));
    with_csrf(req, ctx, |token| {
        render(&SignUpPage {
            brand: Brand::of(pool),
            action: format!("/{}/signup", pool.id),
            csrf_token: token,
            request,
            ask_username: !pool.config.email_is_username(),
            username: &username,
            email: &email,
            policy: policy_text(pool),
            extra_fields: extra_fields(pool, params),
            login_link: link(pool, "login", request),
            error,
        })
    })
}

#[get("/{pool_id}/signup")]
pub async fn signup_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    if pool.config.allow_admin_create_user_only {
        return disabled(&pool);
    }
    let request = pending(&req, &ctx, &pool, request_in_query(&req).as_deref())
        .await
        .map(|p| p.id)
        .unwrap_or_default();
    signup_page(&req, &ctx, &pool, &request, None, None)
}

#[post("/{pool_id}/signup")]
pub async fn signup_submit(
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
    if pool.config.allow_admin_create_user_only {
        return disabled(&pool);
    }
    let pending = pending(&req, &ctx, &pool, params.get("request")).await;
    let request = pending.as_ref().map(|p| p.id.clone()).unwrap_or_default();
    let mut attributes = Attributes::new();
    for field in extra_fields(&pool, Some(&params)) {
        if !field.value.is_empty() {
            attributes.insert(field.name, Value::String(field.value));
        }
    }
    let submitted = SignUpForm {
        username: params.get("username").map(str::to_string),
        email: params.get("email").unwrap_or_default().to_string(),
        password: params.get("password").unwrap_or_default().to_string(),
        attributes,
        // The CSRF check passed, so the browser has its id.
        submitted_by: csrf::browser_id(&req, &ctx),
    };
    let protect = protect(&ctx, &pool, pending.as_ref()).await;
    match signup::sign_up(&ctx, &pool, submitted, protect, address.0).await {
        Ok(signed_up) => see_other(&with_query(
            &link(&pool, "confirm", &request),
            &[("username", &signed_up.username), ("sent", "1")],
        )),
        Err(Error::Validation { field, message }) => {
            let text = format!("{}: {message}.", field_label(&field));
            signup_page(&req, &ctx, &pool, &request, Some(&params), Some(&text))
        }
        Err(Error::Conflict(why)) => signup_page(
            &req,
            &ctx,
            &pool,
            &request,
            Some(&params),
            Some(&capitalise(&why)),
        ),
        Err(err) => internal(err),
    }
}

fn field_label(field: &str) -> String {
    let name = field.strip_prefix("attributes.").unwrap_or(field);
    capitalise(&name.replace('_', " "))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

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
        Err(Error::Validation { field, message }) => {
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
