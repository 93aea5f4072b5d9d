//! `{issuer}/account`: the self-service page of a signed-in user (the SSO session cookie),
//! its step-up (`/account/verify`) and its changes. Each handler parses, calls
//! `accounts::account` and renders; every form carries a CSRF token, and every change
//! answers with a redirect back to the page (or the recovery codes, shown once).

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use crate::accounts::account::page::{self, Account, Change, Proof, Refused};
use crate::accounts::account::{password, settings};
use crate::accounts::signin::machine::Origin;
use crate::accounts::types::MfaFactor;
use crate::context::Context;
use crate::error::Error;
use crate::hosted::cookies::{SESSION_COOKIE, device_cookie_name, session_cookie};
use crate::hosted::csrf;
use crate::hosted::forms::{internal, load_pool, policy_text, posted_form};
use crate::hosted::mfa::qr_svg;
use crate::hosted::pages::{Brand, RecoveryCodesPage, message, render};
use crate::hosted::{html, see_other};
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;
use crate::tokens::authorize::Params;

#[derive(Template)]
#[template(path = "hosted/account.html")]
struct AccountPage<'a> {
    brand: Brand,
    base: String,
    csrf_token: &'a str,
    name: &'a str,
    notice: Option<&'static str>,
    error: Option<&'a str>,
    stepped_up_minutes: Option<i64>,
    mfa_enabled: bool,
    mfa_required: bool,
    totp: bool,
    totp_offered: bool,
    email: bool,
    email_offered: bool,
    preferred: &'static str,
    recovery_codes_left: i64,
    policy: String,
}

#[derive(Template)]
#[template(path = "hosted/account_verify.html")]
struct VerifyPage<'a> {
    brand: Brand,
    action: String,
    back: String,
    csrf_token: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    /// The password alone may step this session up.
    password: bool,
    totp: bool,
    email: bool,
    email_sent: bool,
}

#[derive(Template)]
#[template(path = "hosted/account_totp.html")]
struct TotpPage<'a> {
    brand: Brand,
    action: String,
    back: String,
    csrf_token: &'a str,
    secret: &'a str,
    uri: &'a str,
    qr_svg: String,
    replacing: bool,
    error: Option<&'a str>,
}

fn base(pool: &Pool) -> String {
    format!("/{}/account", pool.id)
}

/// What `?done=` on the page says: a fixed set, nothing from the request is echoed.
fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "verified" => "Thanks. You can change your settings for the next 5 minutes.",
        "totp_removed" => "The authenticator app was removed.",
        "email_on" => "Codes by email are on.",
        "email_off" => "Codes by email are off.",
        "preferred" => "Your choice was saved.",
        "password" => "Your password was changed, and you were signed out everywhere else.",
        _ => return None,
    })
}

fn refused_text(refused: Refused) -> &'static str {
    match refused {
        Refused::StepUpRequired => "Confirm it is you first.",
        Refused::Invalid => "That is not right. Check it and try again.",
        Refused::Throttled => "Too many failed attempts. Wait a few minutes and try again.",
        Refused::SetupExpired => {
            "That set-up has expired or was finished already. Start it again from your account."
        }
        Refused::NotOffered => "That is not available for your account.",
        Refused::NotSetUp => "That is not set up for your account.",
        Refused::FactorRequired => {
            "Confirm it is you with your authenticator app or a code by email: this sign-in \
             did not use them, so the password alone is not enough."
        }
        Refused::AppRequired => {
            "Confirm it is you with your authenticator app: it guards this account, so changing \
             how you sign in needs its code."
        }
        Refused::LastFactor => {
            "This service requires a second step at sign-in: set up another one before you remove this one."
        }
    }
}

fn with_cookie(
    mut response: HttpResponse,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> HttpResponse {
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

fn not_signed_in(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::UNAUTHORIZED,
        Brand::of(pool),
        "You are not signed in",
        "Sign in to an application that uses this account, then open this page again.",
    )
}

/// The signed-in account of this browser, or the page that says there is none.
async fn signed_in(req: &HttpRequest, ctx: &Context, pool: &Pool) -> Result<Account, HttpResponse> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Err(not_signed_in(pool));
    };
    match page::open(ctx, pool, cookie.value()).await {
        Ok(Some(account)) => Ok(account),
        Ok(None) => Err(not_signed_in(pool)),
        Err(err) => Err(internal(err)),
    }
}

fn account_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    notice: Option<&'static str>,
    error: Option<&str>,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let now = ctx.now();
    let options = page::options(pool, account);
    let page = AccountPage {
        brand: Brand::of(pool),
        base: base(pool),
        csrf_token: &token,
        name: &account.name,
        notice,
        error,
        stepped_up_minutes: account
            .stepped_up_until(now)
            .map(|until| ((until - now) as f64 / 60_000.0).ceil() as i64),
        mfa_enabled: options.enabled,
        mfa_required: options.required,
        totp: account.factors.totp,
        totp_offered: options.settable.contains(&MfaFactor::SoftwareToken),
        email: account.factors.email,
        email_offered: options.settable.contains(&MfaFactor::Email),
        preferred: account.factors.preferred.map_or("", MfaFactor::as_str),
        recovery_codes_left: account.factors.recovery_codes_left,
        policy: policy_text(pool),
    };
    with_cookie(html(StatusCode::OK, render(&page)), cookie)
}

fn verify_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    email_sent: bool,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let options = page::options(pool, account);
    let allowed = pool.config.allowed_factors();
    let page = VerifyPage {
        brand: Brand::of(pool),
        action: format!("{}/verify", base(pool)),
        back: base(pool),
        csrf_token: &token,
        notice,
        error,
        password: account.password_suffices(pool),
        totp: options.enabled
            && account.factors.totp
            && allowed.contains(&MfaFactor::SoftwareToken),
        email: options.enabled && account.factors.email && allowed.contains(&MfaFactor::Email),
        email_sent,
    };
    with_cookie(html(StatusCode::OK, render(&page)), cookie)
}

fn totp_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    setup: &settings::Setup,
    error: Option<&str>,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let page = TotpPage {
        brand: Brand::of(pool),
        action: format!("{}/totp/confirm", base(pool)),
        back: base(pool),
        csrf_token: &token,
        secret: &setup.secret,
        uri: &setup.uri,
        qr_svg: qr_svg(&setup.uri),
        replacing: account.factors.totp,
        error,
    };
    with_cookie(html(StatusCode::OK, render(&page)), cookie)
}

fn codes_page(pool: &Pool, codes: &[String]) -> HttpResponse {
    html(
        StatusCode::OK,
        render(&RecoveryCodesPage {
            brand: Brand::of(pool),
            codes,
            continue_href: Some(base(pool)),
            continue_action: None,
            continue_fields: Vec::new(),
        }),
    )
}

fn back_to_page(pool: &Pool, done: &str) -> HttpResponse {
    see_other(&format!("{}?done={done}", base(pool)))
}

fn to_verify(pool: &Pool) -> HttpResponse {
    see_other(&format!("{}/verify", base(pool)))
}

/// The answer to a change: on to `done`, to the step-up, or the page with why not.
fn answer<T>(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    result: crate::error::Result<Change<T>>,
    done: impl FnOnce(T) -> HttpResponse,
) -> HttpResponse {
    match result {
        Ok(Ok(value)) => done(value),
        Ok(Err(Refused::StepUpRequired)) => to_verify(pool),
        Ok(Err(refused)) => {
            account_page(req, ctx, pool, account, None, Some(refused_text(refused)))
        }
        Err(err) => internal(err),
    }
}

/// The start of every account form post: the pool, the form (CSRF checked) and the account.
async fn posted(
    req: &HttpRequest,
    ctx: &Context,
    pool_id: &str,
    body: &Bytes,
) -> Result<(Pool, Params, Account), HttpResponse> {
    let (pool, params) = posted_form(req, ctx, pool_id, body).await?;
    let account = signed_in(req, ctx, &pool).await?;
    Ok((pool, params, account))
}

fn origin<'a>(address: &ClientAddress, device: Option<&'a str>) -> Origin<'a> {
    Origin {
        address: address.0,
        device,
    }
}

#[get("/{pool_id}/account")]
pub async fn account_form(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let account = match signed_in(&req, &ctx, &pool).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let notice = Params::parse(req.query_string().as_bytes())
        .ok()
        .and_then(|p| p.get("done").and_then(done_text));
    account_page(&req, &ctx, &pool, &account, notice, None)
}

#[get("/{pool_id}/account/verify")]
pub async fn verify_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    match signed_in(&req, &ctx, &pool).await {
        Ok(account) => verify_page(&req, &ctx, &pool, &account, false, None, None),
        Err(page) => page,
    }
}

#[post("/{pool_id}/account/verify")]
pub async fn verify_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    address: ClientAddress,
    body: Bytes,
) -> HttpResponse {
    let (pool, params, account) = match posted(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let factor = params.get("factor").and_then(MfaFactor::parse);
    if factor == Some(MfaFactor::Email) && params.get("send").is_some() {
        return match page::send_step_up_code(&ctx, &pool, &account).await {
            Ok(true) => verify_page(
                &req,
                &ctx,
                &pool,
                &account,
                true,
                Some("We emailed you a code. It is valid for 5 minutes."),
                None,
            ),
            Ok(false) => verify_page(
                &req,
                &ctx,
                &pool,
                &account,
                true,
                None,
                Some("No code could be sent now. Try again later, or use your password."),
            ),
            Err(err) => internal(err),
        };
    }
    let proof = match (factor, params.get("code"), params.get("password")) {
        (Some(factor), Some(code), _) => Proof::Code(factor, code),
        (None, _, Some(password)) => Proof::Password(password),
        _ => Proof::Password(""),
    };
    let device = req.cookie(&device_cookie_name(&ctx, &pool.id));
    let origin = origin(&address, device.as_ref().map(|c| c.value()));
    match page::step_up(&ctx, &pool, &account, proof, &origin).await {
        Ok(Ok(())) => back_to_page(&pool, "verified"),
        Ok(Err(Refused::StepUpRequired)) => not_signed_in(&pool),
        Ok(Err(refused)) => verify_page(
            &req,
            &ctx,
            &pool,
            &account,
            factor == Some(MfaFactor::Email),
            None,
            Some(refused_text(refused)),
        ),
        Err(err) => internal(err),
    }
}

#[get("/{pool_id}/account/totp")]
pub async fn totp_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let account = match signed_in(&req, &ctx, &pool).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    match settings::pending_totp(&ctx, &pool, &account) {
        Ok(Some(setup)) => totp_page(&req, &ctx, &pool, &account, &setup, None),
        Ok(None) => see_other(&base(&pool)),
        Err(err) => internal(err),
    }
}

#[post("/{pool_id}/account/totp")]
pub async fn totp_begin(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let (pool, _, account) = match posted(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let result = settings::begin_totp(&ctx, &pool, &account).await;
    answer(&req, &ctx, &pool, &account, result, |setup| {
        totp_page(&req, &ctx, &pool, &account, &setup, None)
    })
}

#[post("/{pool_id}/account/totp/confirm")]
pub async fn totp_confirm(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let (pool, params, account) = match posted(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let code = params.get("code").unwrap_or_default();
    match settings::confirm_totp(&ctx, &pool, &account, code).await {
        Ok(Err(Refused::Invalid)) => match settings::pending_totp(&ctx, &pool, &account) {
            Ok(Some(setup)) => totp_page(
                &req,
                &ctx,
                &pool,
                &account,
                &setup,
                Some(
                    "That code is not valid. Check the time on your device, and enter the code the app shows now.",
                ),
            ),
            Ok(None) => account_page(
                &req,
                &ctx,
                &pool,
                &account,
                None,
                Some(refused_text(Refused::SetupExpired)),
            ),
            Err(err) => internal(err),
        },
        result => answer(&req, &ctx, &pool, &account, result, |codes| {
            codes_page(&pool, &codes)
        }),
    }
}

#[post("/{pool_id}/account/totp/remove")]
pub async fn totp_remove(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let (pool, _, account) = match posted(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let result = settings::remove_totp(&ctx, &pool, &account).await;
    answer(&req, &ctx, &pool, &account, result, |()| {
        back_to_page(&pool, "totp_removed")
    })
}

#[post("/{pool_id}/account/email")]
pub async fn email_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let (pool, params, account) = match posted(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let enabled = match params.get("enabled") {
        Some("true") => true,
        Some("false") => false,
        _ => {
            return account_page(&req, &ctx, &pool, &account, None, Some("Choose on or off."));
        }
    };
    let result = settings::set_email(&ctx, &pool, &account, enabled).await;
    answer(&req, &ctx, &pool, &account, result, |()| {
        back_to_page(&pool, if enabled { "email_on" } else { "email_off" })
    })
}

#[post("/{pool_id}/account/preferred")]
pub async fn preferred_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let (pool, params, account) = match posted(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let Some(factor) = params.get("preferred").and_then(MfaFactor::parse) else {
        return account_page(
            &req,
            &ctx,
            &pool,
            &account,
            None,
            Some("Choose one of your factors."),
        );
    };
    let result = settings::set_preferred(&ctx, &pool, &account, factor).await;
    answer(&req, &ctx, &pool, &account, result, |()| {
        back_to_page(&pool, "preferred")
    })
}

#[post("/{pool_id}/account/recovery-codes")]
pub async fn recovery_codes_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    body: Bytes,
) -> HttpResponse {
    let (pool, _, account) = match posted(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let result = settings::regenerate_recovery_codes(&ctx, &pool, &account).await;
    answer(&req, &ctx, &pool, &account, result, |codes| {
        codes_page(&pool, &codes)
    })
}

#[post("/{pool_id}/account/password")]
pub async fn password_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    address: ClientAddress,
    body: Bytes,
) -> HttpResponse {
    let (pool, params, account) = match posted(&req, &ctx, &path, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let current = params.get("current_password").unwrap_or_default();
    let new = params.get("new_password").unwrap_or_default();
    let confirm = params.get("confirm_password").unwrap_or_default();
    let device = req.cookie(&device_cookie_name(&ctx, &pool.id));
    let origin = origin(&address, device.as_ref().map(|c| c.value()));
    match password::change_password(&ctx, &pool, &account, current, new, confirm, &origin).await {
        Ok(Ok(token)) => {
            let mut response = back_to_page(&pool, "password");
            let _ = response.add_cookie(&session_cookie(&ctx, &pool.id, &token));
            response
        }
        Ok(Err(Refused::Invalid)) => account_page(
            &req,
            &ctx,
            &pool,
            &account,
            None,
            Some("The current password is not right."),
        ),
        Ok(Err(refused)) => account_page(
            &req,
            &ctx,
            &pool,
            &account,
            None,
            Some(refused_text(refused)),
        ),
        Err(Error::Validation { field, message }) => {
            let text = if field == "confirm_password" {
                "The two new passwords do not match.".to_string()
            } else {
                format!("The new password {message}.")
            };
            account_page(&req, &ctx, &pool, &account, None, Some(&text))
        }
        Err(err) => internal(err),
    }
}
