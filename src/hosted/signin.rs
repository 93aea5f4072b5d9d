//! `{issuer}/login` and `{issuer}/new-password`: the first pages between an authorization
//! request and the code the application receives. Each handler parses, calls the sign-in
//! machine (`accounts::signin`) and renders.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::signin::machine::{Origin, Outcome, Refused};
use crate::accounts::signin::{new_password, password, view};
use crate::context::Context;
use crate::error::Error;
use crate::hosted::browser::{continue_sign_in, flow_start};
use crate::hosted::cookies::device_cookie_name;
use crate::hosted::csrf;
use crate::hosted::federation::{self, Offer};
use crate::hosted::forms::{
    expired, internal, load_pending, load_pool, policy_text, posted_form, request_in_query,
    step_in_query, username_label,
};
use crate::hosted::pages::{Brand, LoginPage, NewPasswordPage, render};
use crate::hosted::{html, see_other};
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;
use crate::tokens::authorize::with_query;

const INVALID_CREDENTIALS: &str = "Incorrect username or password.";

fn login_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    offer: &Offer,
    request: &str,
    username: &str,
    error: Option<&str>,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let page = LoginPage {
        password_form: offer.cognito,
        routes_by_email: offer.routes_by_email,
        providers: offer.providers.clone(),
        brand: Brand::of(pool),
        action: format!("/{}/login", pool.id),
        csrf_token: &token,
        request,
        username,
        username_label: username_label(pool),
        error,
        forgot_link: with_query(
            &format!("/{}/forgot-password", pool.id),
            &[("request", request)],
        ),
        signup_link: (!pool.config.allow_admin_create_user_only)
            .then(|| with_query(&format!("/{}/signup", pool.id), &[("request", request)])),
    };
    let mut response = html(StatusCode::OK, render(&page));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

fn new_password_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    request: &str,
    step: &str,
    error: Option<&str>,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let page = NewPasswordPage {
        brand: Brand::of(pool),
        action: format!("/{}/new-password", pool.id),
        csrf_token: &token,
        request,
        step,
        policy: policy_text(pool),
        error,
    };
    let mut response = html(StatusCode::OK, render(&page));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

#[get("/{pool_id}/login")]
pub async fn login_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let pending = match load_pending(&req, &ctx, &pool, request_in_query(&req).as_deref()).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let offer = match federation::offer(&ctx, &pool, &pending.client_id).await {
        Ok(offer) => offer,
        Err(err) => return internal(err),
    };
    let hint = pending.login_hint.clone().unwrap_or_default();
    login_page(&req, &ctx, &pool, &offer, &pending.id, &hint, None)
}

#[post("/{pool_id}/login")]
pub async fn login_submit(
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
    let pending = match load_pending(&req, &ctx, &pool, params.get("request")).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    // The CSRF check above guarantees the browser has its id.
    let browser = csrf::browser_id(&req, &ctx).unwrap_or_default();
    let username = params.get("username").unwrap_or_default().trim();
    let password = params.get("password").unwrap_or_default();
    let offer = match federation::offer(&ctx, &pool, &pending.client_id).await {
        Ok(offer) => offer,
        Err(err) => return internal(err),
    };
    let retry = |error: &str| {
        login_page(
            &req,
            &ctx,
            &pool,
            &offer,
            &pending.id,
            username,
            Some(error),
        )
    };
    // "Continue with …", or a work address that routes to a provider.
    let chosen = match params.get("identity_provider") {
        Some(name) if offer.offers(name) => Some((name.to_string(), None)),
        Some(_) => return retry("That sign-in option is not available here."),
        None => match federation::route_email(&ctx, &pool, &offer, username).await {
            Ok(found) => found.map(|name| (name, Some(username))),
            Err(err) => return internal(err),
        },
    };
    if let Some((name, hint)) = chosen {
        let asked = crate::federation::flow::Asked {
            login_hint: hint,
            ..Default::default()
        };
        return federation::send_upstream(
            &ctx,
            &pool,
            &pending,
            &browser,
            &name,
            asked,
            StatusCode::SEE_OTHER,
        )
        .await;
    }
    if !offer.cognito {
        return retry("Choose how to sign in.");
    }
    let device = req.cookie(&device_cookie_name(&ctx, &pool.id));
    let origin = Origin {
        address: address.0,
        device: device.as_ref().map(|c| c.value()),
    };
    let start = flow_start(&pool, &pending, &browser, origin);
    let outcome = match password::sign_in(&ctx, &start, username, password).await {
        Ok(outcome) => outcome,
        Err(err) => return internal(err),
    };
    match outcome {
        Outcome::Step(step) => continue_sign_in(&req, &ctx, &pool, &pending, step).await,
        Outcome::Refused(Refused::TemporaryPasswordExpired) => {
            retry("Your temporary password has expired. Ask your administrator to set a new one.")
        }
        Outcome::Refused(Refused::ResetRequired) => {
            retry("You must reset your password before you can sign in.")
        }
        Outcome::Refused(Refused::NotAllowed | Refused::NoFactorPossible) => {
            retry("This account cannot sign in. Contact your administrator.")
        }
        Outcome::Refused(Refused::Unconfirmed) => see_other(&with_query(
            &format!("/{}/confirm", pool.id),
            &[("request", &pending.id), ("username", username)],
        )),
        Outcome::Refused(Refused::Throttled) => {
            retry("Too many failed sign-in attempts. Wait a few minutes and try again.")
        }
        Outcome::Refused(Refused::Invalid | Refused::Expired | Refused::WrongCode { .. }) => {
            retry(INVALID_CREDENTIALS)
        }
    }
}

#[get("/{pool_id}/new-password")]
pub async fn new_password_form(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    // `load_pending` already holds the request to the browser that started it; the step
    // must be this browser's too.
    let pending = match load_pending(&req, &ctx, &pool, request_in_query(&req).as_deref()).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let (Some(browser), Some(step)) = (csrf::browser_id(&req, &ctx), step_in_query(&req)) else {
        return expired(&pool);
    };
    let start = flow_start(&pool, &pending, &browser, Origin::default());
    match view::step(&ctx, &start, &step).await {
        Ok(Some(view)) if view.step == "NEW_PASSWORD_REQUIRED" => {
            new_password_page(&req, &ctx, &pool, &pending.id, &step, None)
        }
        Ok(_) => expired(&pool),
        Err(err) => internal(err),
    }
}

#[post("/{pool_id}/new-password")]
pub async fn new_password_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let (pool, params) = match posted_form(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let pending = match load_pending(&req, &ctx, &pool, params.get("request")).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let browser = csrf::browser_id(&req, &ctx).unwrap_or_default();
    let step = params.get("step").unwrap_or_default();
    let new = params.get("new_password").unwrap_or_default();
    let confirm = params.get("confirm_password").unwrap_or_default();
    let start = flow_start(&pool, &pending, &browser, Origin::default());
    match new_password::answer(&ctx, &start, step, new, confirm).await {
        Ok(Outcome::Step(next)) => continue_sign_in(&req, &ctx, &pool, &pending, next).await,
        Ok(Outcome::Refused(_)) => expired(&pool),
        Err(Error::Validation { field, message } | Error::Password { field, message }) => {
            let text = if field == "confirm_password" {
                "The two passwords do not match.".to_string()
            } else {
                format!("The new password {message}.")
            };
            new_password_page(&req, &ctx, &pool, &pending.id, step, Some(&text))
        }
        Err(err) => internal(err),
    }
}
