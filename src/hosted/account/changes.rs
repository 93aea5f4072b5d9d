//! The forms that change the account: the authenticator app, codes by email, the preferred
//! factor, recovery codes and the password.

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use crate::accounts::account::page::Refused;
use crate::accounts::account::{password, settings};
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::error::Error;
use crate::hosted::account::page::{
    AccountPost, SignedIn, answer, back_to_page, base, origin, refused_page, refused_text,
};
use crate::hosted::cookies::{device_cookie_name, session_cookie};
use crate::hosted::forms::{form_page, internal, new_password_refused};
use crate::hosted::html;
use crate::hosted::mfa::setup::qr_svg;
use crate::hosted::pages::{Brand, RecoveryCodesPage, render};
use crate::hosted::read::Hosted;
use crate::hosted::see_other;
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;

#[derive(Template)]
#[template(path = "hosted/account_totp.html")]
struct TotpPage<'a> {
    brand: Brand,
    action: String,
    back: String,
    csrf_token: String,
    secret: &'a str,
    uri: &'a str,
    qr_svg: String,
    replacing: bool,
    error: Option<&'a str>,
}

fn totp_page(
    req: &HttpRequest,
    ctx: &Context,
    me: &SignedIn,
    setup: &settings::Setup,
    error: Option<&str>,
) -> HttpResponse {
    let pool = &me.pool;
    form_page(req, ctx, |token| TotpPage {
        brand: Brand::of(pool),
        action: format!("{}/totp/confirm", base(pool)),
        back: base(pool),
        csrf_token: token,
        secret: &setup.secret,
        uri: &setup.uri,
        qr_svg: qr_svg(&setup.uri),
        replacing: me.account.factors.totp,
        error,
    })
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
pub async fn totp_form(req: HttpRequest, ctx: Data<Context>, me: Hosted<SignedIn>) -> HttpResponse {
    match settings::pending_totp(&ctx, &me.pool, &me.account) {
        Ok(Some(setup)) => totp_page(&req, &ctx, &me, &setup, None),
        Ok(None) => see_other(&base(&me.pool)),
        Err(err) => internal(err),
    }
}

#[post("/{pool_id}/account/totp")]
pub async fn totp_begin(
    req: HttpRequest,
    ctx: Data<Context>,
    post: Hosted<AccountPost>,
) -> HttpResponse {
    let me = &post.me;
    let result = settings::begin_totp(&ctx, &me.pool, &me.account).await;
    answer(&req, &ctx, me, result, |setup| {
        totp_page(&req, &ctx, me, &setup, None)
    })
}

#[post("/{pool_id}/account/totp/confirm")]
pub async fn totp_confirm(
    req: HttpRequest,
    ctx: Data<Context>,
    post: Hosted<AccountPost>,
) -> HttpResponse {
    let me = &post.me;
    let code = post.params.get("code").unwrap_or_default();
    match settings::confirm_totp(&ctx, &me.pool, &me.account, code).await {
        Ok(Err(Refused::Invalid)) => match settings::pending_totp(&ctx, &me.pool, &me.account) {
            Ok(Some(setup)) => totp_page(
                &req,
                &ctx,
                me,
                &setup,
                Some(
                    "That code is not valid. Check the time on your device, and enter the code the app shows now.",
                ),
            ),
            Ok(None) => refused_page(&req, &ctx, me, refused_text(Refused::SetupExpired)),
            Err(err) => internal(err),
        },
        result => answer(&req, &ctx, me, result, |codes| codes_page(&me.pool, &codes)),
    }
}

#[post("/{pool_id}/account/totp/remove")]
pub async fn totp_remove(
    req: HttpRequest,
    ctx: Data<Context>,
    post: Hosted<AccountPost>,
) -> HttpResponse {
    let me = &post.me;
    let result = settings::remove_totp(&ctx, &me.pool, &me.account).await;
    answer(&req, &ctx, me, result, |()| {
        back_to_page(&me.pool, "totp_removed")
    })
}

#[post("/{pool_id}/account/email")]
pub async fn email_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    post: Hosted<AccountPost>,
) -> HttpResponse {
    let me = &post.me;
    let enabled = match post.params.get("enabled") {
        Some("true") => true,
        Some("false") => false,
        _ => return refused_page(&req, &ctx, me, "Choose on or off."),
    };
    let result = settings::set_email(&ctx, &me.pool, &me.account, enabled).await;
    answer(&req, &ctx, me, result, |()| {
        back_to_page(&me.pool, if enabled { "email_on" } else { "email_off" })
    })
}

#[post("/{pool_id}/account/preferred")]
pub async fn preferred_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    post: Hosted<AccountPost>,
) -> HttpResponse {
    let me = &post.me;
    let Some(factor) = post.params.get("preferred").and_then(MfaFactor::parse) else {
        return refused_page(&req, &ctx, me, "Choose one of your factors.");
    };
    let result = settings::set_preferred(&ctx, &me.pool, &me.account, factor).await;
    answer(&req, &ctx, me, result, |()| {
        back_to_page(&me.pool, "preferred")
    })
}

#[post("/{pool_id}/account/recovery-codes")]
pub async fn recovery_codes_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    post: Hosted<AccountPost>,
) -> HttpResponse {
    let me = &post.me;
    let result = settings::regenerate_recovery_codes(&ctx, &me.pool, &me.account).await;
    answer(&req, &ctx, me, result, |codes| codes_page(&me.pool, &codes))
}

#[post("/{pool_id}/account/password")]
pub async fn password_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    address: ClientAddress,
    post: Hosted<AccountPost>,
) -> HttpResponse {
    let SignedIn { pool, account } = &post.me;
    let current = post.params.get("current_password").unwrap_or_default();
    let new = post.params.get("new_password").unwrap_or_default();
    let confirm = post.params.get("confirm_password").unwrap_or_default();
    let device = req.cookie(&device_cookie_name(&ctx, &pool.id));
    let origin = origin(&address, device.as_ref().map(|c| c.value()));
    let refused = |why: &str| refused_page(&req, &ctx, &post.me, why);
    match password::change_password(&ctx, pool, account, current, new, confirm, &origin).await {
        Ok(Ok(token)) => {
            let mut response = back_to_page(pool, "password");
            let _ = response.add_cookie(&session_cookie(&ctx, &pool.id, &token));
            response
        }
        Ok(Err(Refused::Invalid)) => refused("The current password is not right."),
        Ok(Err(other)) => refused(refused_text(other)),
        Err(Error::Validation { field, message } | Error::Password { field, message }) => {
            let text =
                new_password_refused(&field, &message, "The two new passwords do not match.");
            refused(&text)
        }
        Err(err) => internal(err),
    }
}
