//! `{issuer}/login` and `{issuer}/new-password`: the first pages between an authorization
//! request and the code the application receives. Each handler parses, calls the sign-in
//! machine (`accounts::signin`) and renders.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::signin::machine::{Origin, Outcome, Refused};
use crate::accounts::signin::{new_password, password};
use crate::context::Context;
use crate::error::Error;
use crate::hosted::browser::continue_sign_in;
use crate::hosted::cookies::device_cookie_name;
use crate::hosted::federation::{self, Offer};
use crate::hosted::forms::{
    PASSWORDS_DIFFER, expired, form_page, internal, load_pending, load_pool, new_password_refused,
    policy_text, request_in_query, username_label,
};
use crate::hosted::pages::{Brand, LoginPage, NewPasswordPage};
use crate::hosted::read::Hosted;
use crate::hosted::see_other;
use crate::hosted::steps::{SignIn, SignInPost, StepPage};
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
    form_page(req, ctx, |token| LoginPage {
        password_form: offer.cognito,
        routes_by_email: offer.routes_by_email,
        providers: offer.providers.clone(),
        brand: Brand::of(pool),
        action: format!("/{}/login", pool.id),
        csrf_token: token,
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
    })
}

fn new_password_page(
    req: &HttpRequest,
    ctx: &Context,
    sign_in: &SignIn,
    step: &str,
    error: Option<&str>,
) -> HttpResponse {
    let pool = &sign_in.pool;
    form_page(req, ctx, |token| NewPasswordPage {
        brand: Brand::of(pool),
        action: format!("/{}/new-password", pool.id),
        csrf_token: token,
        request: &sign_in.pending.id,
        step,
        policy: policy_text(pool),
        error,
    })
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
    address: ClientAddress,
    post: Hosted<SignInPost>,
) -> HttpResponse {
    let SignInPost { sign_in, params } = post.0;
    let SignIn { pool, pending, .. } = &sign_in;
    let username = params.get("username").unwrap_or_default().trim();
    let password = params.get("password").unwrap_or_default();
    let offer = match federation::offer(&ctx, pool, &pending.client_id).await {
        Ok(offer) => offer,
        Err(err) => return internal(err),
    };
    let retry =
        |error: &str| login_page(&req, &ctx, pool, &offer, &pending.id, username, Some(error));
    // "Continue with …", or a work address that routes to a provider.
    let chosen = match params.get("identity_provider") {
        Some(name) if offer.offers(name) => Some((name.to_string(), None)),
        Some(_) => return retry("That sign-in option is not available here."),
        None => match federation::route_email(&ctx, pool, &offer, username).await {
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
            pool,
            pending,
            &sign_in.browser,
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
    let start = sign_in.start(origin);
    let outcome = match password::sign_in(&ctx, &start, username, password).await {
        Ok(outcome) => outcome,
        Err(err) => return internal(err),
    };
    match outcome {
        Outcome::Step(step) => continue_sign_in(&req, &ctx, pool, pending, step).await,
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
    page: Hosted<StepPage>,
) -> HttpResponse {
    match page.view(&ctx).await {
        Ok(view) if view.step == "NEW_PASSWORD_REQUIRED" => {
            new_password_page(&req, &ctx, &page.sign_in, &page.step, None)
        }
        Ok(_) => expired(&page.sign_in.pool),
        Err(instead) => instead,
    }
}

#[post("/{pool_id}/new-password")]
pub async fn new_password_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    post: Hosted<SignInPost>,
) -> HttpResponse {
    let sign_in = &post.sign_in;
    let (pool, pending, step) = (&sign_in.pool, &sign_in.pending, post.step());
    let new = post.params.get("new_password").unwrap_or_default();
    let confirm = post.params.get("confirm_password").unwrap_or_default();
    let start = sign_in.start(Origin::default());
    match new_password::answer(&ctx, &start, step, new, confirm).await {
        Ok(Outcome::Step(next)) => continue_sign_in(&req, &ctx, pool, pending, next).await,
        Ok(Outcome::Refused(_)) => expired(pool),
        Err(Error::Validation { field, message } | Error::Password { field, message }) => {
            let text = new_password_refused(&field, &message, PASSWORDS_DIFFER);
            new_password_page(&req, &ctx, sign_in, step, Some(&text))
        }
        Err(err) => internal(err),
    }
}
