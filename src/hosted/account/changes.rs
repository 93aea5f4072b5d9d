//! The forms that change the account: the authenticator app, codes by email, the preferred
//! factor, recovery codes and the password.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use crate::accounts::account::page::{Account, Refused};
use crate::accounts::account::{password, settings};
use crate::accounts::types::MfaFactor;
use crate::context::Context;
use crate::error::Error;
use crate::hosted::account::page::{
    account_page, answer, back_to_page, base, origin, posted, refused_text, signed_in, with_cookie,
};
use crate::hosted::cookies::{device_cookie_name, session_cookie};
use crate::hosted::csrf;
use crate::hosted::forms::{internal, load_pool};
use crate::hosted::mfa::setup::qr_svg;
use crate::hosted::pages::{Brand, RecoveryCodesPage, render};
use crate::hosted::{html, see_other};
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;

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
