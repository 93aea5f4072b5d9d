//! `{issuer}/mfa/setup`: the step that sets up a second factor, an authenticator app (its
//! QR code) or codes by email.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use crate::accounts::signin::machine::{AuthStep, Origin, Outcome, Refused};
use crate::accounts::signin::mfa_setup::{self, SetupAnswer};
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::hosted::browser::continue_sign_in;
use crate::hosted::forms::{expired, form_page, internal};
use crate::hosted::pages::Brand;
use crate::hosted::read::Hosted;
use crate::hosted::steps::{SignIn, SignInPost, StepPage};

#[derive(Template)]
#[template(path = "hosted/mfa_setup.html")]
struct SetupPage<'a> {
    brand: Brand,
    action: String,
    csrf_token: String,
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
    sign_in: &SignIn,
    step: &str,
    setup: Option<(String, String)>,
    factors: &[MfaFactor],
    error: Option<&str>,
) -> HttpResponse {
    let totp = factors.contains(&MfaFactor::SoftwareToken);
    let (secret, uri) = match setup.filter(|_| totp) {
        Some((secret, uri)) => (Some(secret), uri),
        None => (None, String::new()),
    };
    let pool = &sign_in.pool;
    form_page(req, ctx, |token| SetupPage {
        brand: Brand::of(pool),
        action: format!("/{}/mfa/setup", pool.id),
        csrf_token: token,
        request: &sign_in.pending.id,
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
    })
}

#[get("/{pool_id}/mfa/setup")]
pub async fn setup_form(
    req: HttpRequest,
    ctx: Data<Context>,
    page: Hosted<StepPage>,
) -> HttpResponse {
    match page.view(&ctx).await {
        Ok(view) if view.step == "MFA_SETUP" => setup_page(
            &req,
            &ctx,
            &page.sign_in,
            &page.step,
            view.setup,
            &view.factors,
            None,
        ),
        Ok(_) => expired(&page.sign_in.pool),
        Err(instead) => instead,
    }
}

#[post("/{pool_id}/mfa/setup")]
pub async fn setup_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    post: Hosted<SignInPost>,
) -> HttpResponse {
    let sign_in = &post.sign_in;
    let (pool, pending) = (&sign_in.pool, &sign_in.pending);
    let start = sign_in.start(Origin::default());
    let answer = match post.params.get("factor") {
        Some(name) if name == MfaFactor::Email.as_str() => SetupAnswer::Email,
        _ => SetupAnswer::Totp(post.params.get("code").unwrap_or_default()),
    };
    match mfa_setup::answer(&ctx, &start, post.step(), answer).await {
        Ok(Outcome::Step(next)) => continue_sign_in(&req, &ctx, pool, pending, next).await,
        Ok(Outcome::Refused(Refused::WrongCode { retry, .. })) => match *retry {
            AuthStep::MfaSetupRequired { token, factors } => {
                let setup = match sign_in.view(&ctx, &token).await {
                    Ok(view) => view.setup,
                    Err(instead) => return instead,
                };
                setup_page(
                    &req,
                    &ctx,
                    sign_in,
                    &token,
                    setup,
                    &factors,
                    Some(
                        "That code is not valid. Check the time on your device, and enter the code the app shows now.",
                    ),
                )
            }
            other => continue_sign_in(&req, &ctx, pool, pending, other).await,
        },
        Ok(Outcome::Refused(_)) => expired(pool),
        Err(err) => internal(err),
    }
}
