//! `{issuer}/mfa`: the step that asks for a code of a second factor the user has, with a
//! way to switch factors or to use a recovery code.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use crate::accounts::signin::machine::{AuthStep, Origin, Outcome, Refused};
use crate::accounts::signin::mfa::{self, MfaAnswer};
use crate::accounts::signin::view::StepView;
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::hosted::browser::continue_sign_in;
use crate::hosted::forms::{expired, form_page, internal};
use crate::hosted::pages::Brand;
use crate::hosted::read::Hosted;
use crate::hosted::steps::{SignIn, SignInPost, StepPage};
use crate::ops::client_address::ClientAddress;

/// The `factor` value that asks for the recovery-code form.
const RECOVERY_CODE: &str = "RECOVERY_CODE";

#[derive(Template)]
#[template(path = "hosted/mfa.html")]
struct MfaPage<'a> {
    brand: Brand,
    action: String,
    csrf_token: String,
    request: &'a str,
    step: &'a str,
    prompt: &'static str,
    code_label: &'static str,
    recovery_mode: bool,
    switches: Vec<(&'static str, &'static str)>,
    error: Option<&'a str>,
}

/// What the code page of one step offers.
struct MfaView<'a> {
    step: &'a str,
    current: MfaFactor,
    factors: &'a [MfaFactor],
    recovery: bool,
    /// The form asks for a recovery code instead of the current factor's.
    recovery_mode: bool,
}

fn mfa_page(
    req: &HttpRequest,
    ctx: &Context,
    sign_in: &SignIn,
    view: MfaView<'_>,
    error: Option<&str>,
) -> HttpResponse {
    let pool = &sign_in.pool;
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
    form_page(req, ctx, |token| MfaPage {
        brand: Brand::of(pool),
        action: format!("/{}/mfa", pool.id),
        csrf_token: token,
        request: &sign_in.pending.id,
        step: view.step,
        prompt,
        code_label,
        recovery_mode: view.recovery_mode,
        switches,
        error,
    })
}

/// The code page of a live step as `view` shows it; the expired page for a step that asks
/// for no factor.
fn shown_step(
    req: &HttpRequest,
    ctx: &Context,
    sign_in: &SignIn,
    step: &str,
    view: &StepView,
    recovery_mode: bool,
) -> HttpResponse {
    let Some(current) = view.current else {
        return expired(&sign_in.pool);
    };
    let view = MfaView {
        step,
        current,
        factors: &view.factors,
        recovery: view.recovery,
        recovery_mode,
    };
    mfa_page(req, ctx, sign_in, view, None)
}

#[get("/{pool_id}/mfa")]
pub async fn mfa_form(
    req: HttpRequest,
    ctx: Data<Context>,
    page: Hosted<StepPage>,
) -> HttpResponse {
    match page.view(&ctx).await {
        Ok(view) => shown_step(&req, &ctx, &page.sign_in, &page.step, &view, false),
        Err(instead) => instead,
    }
}

#[post("/{pool_id}/mfa")]
pub async fn mfa_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    address: ClientAddress,
    post: Hosted<SignInPost>,
) -> HttpResponse {
    let sign_in = &post.sign_in;
    let (pool, pending, step) = (&sign_in.pool, &sign_in.pending, post.step());
    let start = sign_in.start(Origin::default());
    let code = post.params.get("code");
    let factor = post.params.get("factor");
    let answer = match (factor, code) {
        // "Use a recovery code": the same step, in its recovery form.
        (Some(RECOVERY_CODE), None) => {
            return match sign_in.view(&ctx, step).await {
                Ok(view) if view.recovery => shown_step(&req, &ctx, sign_in, step, &view, true),
                Ok(_) => expired(pool),
                Err(instead) => instead,
            };
        }
        (Some(RECOVERY_CODE), Some(code)) => MfaAnswer::Recovery(code),
        (Some(name), None) => match MfaFactor::parse(name) {
            Some(factor) => MfaAnswer::Switch(factor),
            None => return expired(pool),
        },
        (_, Some(code)) => MfaAnswer::Code(code),
        (None, None) => MfaAnswer::Code(""),
    };
    let recovery_mode = matches!(answer, MfaAnswer::Recovery(_));
    match mfa::answer(&ctx, &start, step, answer, address.0).await {
        Ok(Outcome::Step(next)) => continue_sign_in(&req, &ctx, pool, pending, next).await,
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
                let view = MfaView {
                    step: &token,
                    current,
                    factors: &factors,
                    recovery,
                    recovery_mode: recovery_mode && recovery,
                };
                mfa_page(&req, &ctx, sign_in, view, Some(text))
            }
            other => continue_sign_in(&req, &ctx, pool, pending, other).await,
        },
        Ok(Outcome::Refused(_)) => expired(pool),
        Err(err) => internal(err),
    }
}
