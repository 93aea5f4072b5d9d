//! `/account/verify`: the step-up a change needs, by password or by a second factor.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use crate::accounts::account::page::{self, Account, Proof, Refused};
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::hosted::account::page::{
    back_to_page, base, not_signed_in, origin, posted, refused_text, signed_in, with_cookie,
};
use crate::hosted::cookies::device_cookie_name;
use crate::hosted::csrf;
use crate::hosted::forms::{internal, load_pool};
use crate::hosted::html;
use crate::hosted::pages::{Brand, render};
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;

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
