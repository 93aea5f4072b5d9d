//! `{issuer}/mfa`: the step that asks for a code of a second factor the user has, with a
//! way to switch factors or to use a recovery code.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use crate::accounts::signin::machine::{AuthStep, Origin, Outcome, Refused};
use crate::accounts::signin::mfa::{self, MfaAnswer};
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
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;

/// The `factor` value that asks for the recovery-code form.
const RECOVERY_CODE: &str = "RECOVERY_CODE";

#[derive(Template)]
#[template(path = "hosted/mfa.html")]
struct MfaPage<'a> {
    brand: Brand,
    action: String,
    csrf_token: &'a str,
    request: &'a str,
    step: &'a str,
    prompt: &'static str,
    code_label: &'static str,
    recovery_mode: bool,
    switches: Vec<(&'static str, &'static str)>,
    error: Option<&'a str>,
}

struct MfaView<'a> {
    request: &'a str,
    step: &'a str,
    current: MfaFactor,
    factors: &'a [MfaFactor],
    recovery: bool,
    recovery_mode: bool,
}

fn mfa_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    view: MfaView<'_>,
    error: Option<&str>,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let (prompt, code_label) = match (view.recovery_mode, view.current) {
        (true, _) => (
            "Enter one of the recovery codes you saved when you set up your authenticator app. Each works once.",
            "Recovery code",
        ),
        (false, MfaFactor::SoftwareToken) => (
            "Enter the 6-digit code from your authenticator app.",
            "Code",
        ),
        (false, MfaFactor::Email) => (
            "We sent a 6-digit code to your email address. It is valid for 5 minutes.",
            "Code",
        ),
    };
    let mut switches = Vec::new();
    for factor in view.factors {
        if *factor != view.current || view.recovery_mode {
            switches.push(match factor {
                MfaFactor::Email => (MfaFactor::Email.as_str(), "Email me a code instead"),
                MfaFactor::SoftwareToken => (
                    MfaFactor::SoftwareToken.as_str(),
                    "Use my authenticator app instead",
                ),
            });
        }
    }
    if view.recovery && !view.recovery_mode {
        switches.push((RECOVERY_CODE, "Use a recovery code"));
    }
    let page = MfaPage {
        brand: Brand::of(pool),
        action: format!("/{}/mfa", pool.id),
        csrf_token: &token,
        request: view.request,
        step: view.step,
        prompt,
        code_label,
        recovery_mode: view.recovery_mode,
        switches,
        error,
    };
    let mut response = html(StatusCode::OK, render(&page));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

#[get("/{pool_id}/mfa")]
pub async fn mfa_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
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
        Ok(Some(view)) => match view.current {
            Some(current) => mfa_page(
                &req,
                &ctx,
                &pool,
                MfaView {
                    request: &pending.id,
                    step: &step,
                    current,
                    factors: &view.factors,
                    recovery: view.recovery,
                    recovery_mode: false,
                },
                None,
            ),
            None => expired(&pool),
        },
        Ok(None) => expired(&pool),
        Err(err) => internal(err),
    }
}

#[post("/{pool_id}/mfa")]
pub async fn mfa_submit(
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
    let browser = csrf::browser_id(&req, &ctx).unwrap_or_default();
    let step = params.get("step").unwrap_or_default();
    let start = flow_start(&pool, &pending, &browser, Origin::default());
    let code = params.get("code");
    let factor = params.get("factor");
    let answer = match (factor, code) {
        // "Use a recovery code": the same step, in its recovery form.
        (Some(RECOVERY_CODE), None) => {
            return match view::step(&ctx, &start, step).await {
                Ok(Some(view)) if view.recovery => match view.current {
                    Some(current) => mfa_page(
                        &req,
                        &ctx,
                        &pool,
                        MfaView {
                            request: &pending.id,
                            step,
                            current,
                            factors: &view.factors,
                            recovery: true,
                            recovery_mode: true,
                        },
                        None,
                    ),
                    None => expired(&pool),
                },
                Ok(_) => expired(&pool),
                Err(err) => internal(err),
            };
        }
        (Some(RECOVERY_CODE), Some(code)) => MfaAnswer::Recovery(code),
        (Some(name), None) => match MfaFactor::parse(name) {
            Some(factor) => MfaAnswer::Switch(factor),
            None => return expired(&pool),
        },
        (_, Some(code)) => MfaAnswer::Code(code),
        (None, None) => MfaAnswer::Code(""),
    };
    let recovery_mode = matches!(answer, MfaAnswer::Recovery(_));
    match mfa::answer(&ctx, &start, step, answer, address.0).await {
        Ok(Outcome::Step(next)) => continue_sign_in(&req, &ctx, &pool, &pending, next).await,
        Ok(Outcome::Refused(Refused::WrongCode {
            retry,
            dead,
            locked,
        })) => match *retry {
            AuthStep::MfaRequired {
                token,
                current,
                factors,
                recovery,
            } => {
                let text = if locked {
                    "Too many wrong codes. Wait a few minutes and try again."
                } else if dead {
                    "That code no longer works. Email yourself a new one."
                } else if recovery_mode {
                    "That recovery code is not valid, or was used already."
                } else {
                    "That code is not valid. Check it and try again."
                };
                mfa_page(
                    &req,
                    &ctx,
                    &pool,
                    MfaView {
                        request: &pending.id,
                        step: &token,
                        current,
                        factors: &factors,
                        recovery,
                        recovery_mode: recovery_mode && recovery,
                    },
                    Some(text),
                )
            }
            other => continue_sign_in(&req, &ctx, &pool, &pending, other).await,
        },
        Ok(Outcome::Refused(_)) => expired(&pool),
        Err(err) => internal(err),
    }
}
