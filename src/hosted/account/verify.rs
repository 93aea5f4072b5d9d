//! `/account/verify`: the step-up a change needs, by password or by a second factor.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;

use crate::accounts::account::page::{self, Proof, Refused};
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::hosted::account::page::{
    AccountPost, SignedIn, back_to_page, base, not_signed_in, origin, refused_text,
};
use crate::hosted::cookies::device_cookie_name;
use crate::hosted::forms::{form_page, internal};
use crate::hosted::pages::Brand;
use crate::hosted::read::Hosted;
use crate::ops::client_address::ClientAddress;

#[derive(Template)]
#[template(path = "hosted/account_verify.html")]
struct VerifyPage<'a> {
    brand: Brand,
    action: String,
    back: String,
    csrf_token: String,
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
    me: &SignedIn,
    email_sent: bool,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    let SignedIn { pool, account } = me;
    let options = page::options(pool, account);
    let allowed = pool.config.allowed_factors();
    form_page(req, ctx, |token| VerifyPage {
        brand: Brand::of(pool),
        action: format!("{}/verify", base(pool)),
        back: base(pool),
        csrf_token: token,
        notice,
        error,
        password: account.password_suffices(pool),
        totp: options.enabled
            && account.factors.totp
            && allowed.contains(&MfaFactor::SoftwareToken),
        email: options.enabled && account.factors.email && allowed.contains(&MfaFactor::Email),
        email_sent,
    })
}

#[get("/{pool_id}/account/verify")]
pub async fn verify_form(
    req: HttpRequest,
    ctx: Data<Context>,
    me: Hosted<SignedIn>,
) -> HttpResponse {
    verify_page(&req, &ctx, &me, false, None, None)
}

#[post("/{pool_id}/account/verify")]
pub async fn verify_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    address: ClientAddress,
    post: Hosted<AccountPost>,
) -> HttpResponse {
    let (me, params) = (&post.me, &post.params);
    let factor = params.get("factor").and_then(MfaFactor::parse);
    if factor == Some(MfaFactor::Email) && params.get("send").is_some() {
        return match page::send_step_up_code(&ctx, &me.pool, &me.account).await {
            Ok(true) => verify_page(
                &req,
                &ctx,
                me,
                true,
                Some("We emailed you a code. It is valid for 5 minutes."),
                None,
            ),
            Ok(false) => verify_page(
                &req,
                &ctx,
                me,
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
    let device = req.cookie(&device_cookie_name(&ctx, &me.pool.id));
    let origin = origin(&address, device.as_ref().map(|c| c.value()));
    match page::step_up(&ctx, &me.pool, &me.account, proof, &origin).await {
        Ok(Ok(())) => back_to_page(&me.pool, "verified"),
        Ok(Err(Refused::StepUpRequired)) => not_signed_in(&me.pool),
        Ok(Err(refused)) => verify_page(
            &req,
            &ctx,
            me,
            factor == Some(MfaFactor::Email),
            None,
            Some(refused_text(refused)),
        ),
        Err(err) => internal(err),
    }
}
