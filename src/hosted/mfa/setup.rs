//! `{issuer}/mfa/setup`: the step that sets up a second factor, an authenticator app (its
//! QR code) or codes by email.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use crate::accounts::signin::machine::{AuthStep, Origin, Outcome, Refused};
use crate::accounts::signin::mfa_setup::{self, SetupAnswer};
use crate::accounts::signin::view;
use crate::accounts::types::MfaFactor;
use crate::context::Context;
use crate::hosted::browser::{continue_sign_in, flow_start};
use crate::hosted::csrf;
use crate::hosted::forms::{
    expired, internal, load_pending, load_pool, posted_form, request_in_query, step_in_query,
};
use crate::hosted::html;
use crate::hosted::pages::{Brand, render};
use crate::pools::Pool;

#[derive(Template)]
#[template(path = "hosted/mfa_setup.html")]
struct SetupPage<'a> {
    brand: Brand,
    action: String,
    csrf_token: &'a str,
    request: &'a str,
    step: &'a str,
    secret: Option<String>,
    uri: String,
    qr_svg: String,
    email: bool,
    error: Option<&'a str>,
}

/// The QR code of `uri`, as inline SVG.
pub(crate) fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(192, 192)
                .build();
            // The XML declaration belongs to a file, not to an element inside HTML.
            match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => String::new(),
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, "the key URI does not fit in a QR code");
            String::new()
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn setup_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    request: &str,
    step: &str,
    setup: Option<(String, String)>,
    factors: &[MfaFactor],
    error: Option<&str>,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let totp = factors.contains(&MfaFactor::SoftwareToken);
    let (secret, uri) = match setup.filter(|_| totp) {
        Some((secret, uri)) => (Some(secret), uri),
        None => (None, String::new()),
    };
    let page = SetupPage {
        brand: Brand::of(pool),
        action: format!("/{}/mfa/setup", pool.id),
        csrf_token: &token,
        request,
        step,
        qr_svg: if secret.is_some() {
            qr_svg(&uri)
        } else {
            String::new()
        },
        secret,
        uri,
        email: factors.contains(&MfaFactor::Email),
        error,
    };
    let mut response = html(StatusCode::OK, render(&page));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

#[get("/{pool_id}/mfa/setup")]
pub async fn setup_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let pending = match load_pending(&req, &ctx, &pool, request_in_query(&req).as_deref()).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let (Some(browser), Some(step)) = (csrf::browser_id(&req, &ctx), step_in_query(&req)) else {
        return expired(&pool);
    };
    let start = flow_start(&pool, &pending, &browser, Origin::default());
    match view::step(&ctx, &start, &step).await {
        Ok(Some(view)) if view.step == "MFA_SETUP" => setup_page(
            &req,
            &ctx,
            &pool,
            &pending.id,
            &step,
            view.setup,
            &view.factors,
            None,
        ),
        Ok(_) => expired(&pool),
        Err(err) => internal(err),
    }
}

#[post("/{pool_id}/mfa/setup")]
pub async fn setup_submit(
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
    let start = flow_start(&pool, &pending, &browser, Origin::default());
    let answer = match params.get("factor") {
        Some(name) if name == MfaFactor::Email.as_str() => SetupAnswer::Email,
        _ => SetupAnswer::Totp(params.get("code").unwrap_or_default()),
    };
    match mfa_setup::answer(&ctx, &start, step, answer).await {
        Ok(Outcome::Step(next)) => continue_sign_in(&req, &ctx, &pool, &pending, next).await,
        Ok(Outcome::Refused(Refused::WrongCode { retry, .. })) => match *retry {
            AuthStep::MfaSetupRequired { token, factors } => {
                let setup = match view::step(&ctx, &start, &token).await {
                    Ok(Some(view)) => view.setup,
                    Ok(None) => return expired(&pool),
                    Err(err) => return internal(err),
                };
                setup_page(
                    &req,
                    &ctx,
                    &pool,
                    &pending.id,
                    &token,
                    setup,
                    &factors,
                    Some(
                        "That code is not valid. Check the time on your device, and enter the code the app shows now.",
                    ),
                )
            }
            other => continue_sign_in(&req, &ctx, &pool, &pending, other).await,
        },
        Ok(Outcome::Refused(_)) => expired(&pool),
        Err(err) => internal(err),
    }
}
