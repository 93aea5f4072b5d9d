//! The account page, and what every account handler shares: the signed-in account of the
//! browser, the checked form post, and the answer to a change.

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get};
use askama::Template;

use crate::accounts::account::page::{self, Account, Change, Refused};
use crate::accounts::signin::machine::Origin;
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::hosted::cookies::SESSION_COOKIE;
use crate::hosted::forms::{PostedForm, form_page, internal, path_pool, policy_text};
use crate::hosted::pages::{Brand, message};
use crate::hosted::read::{Hosted, Read, Reading};
use crate::hosted::see_other;
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;
use crate::tokens::authorize::Params;

#[derive(Template)]
#[template(path = "hosted/account.html")]
struct AccountPage<'a> {
    brand: Brand,
    base: String,
    csrf_token: String,
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

pub(super) fn base(pool: &Pool) -> String {
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

pub(super) fn refused_text(refused: Refused) -> &'static str {
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

pub(super) fn not_signed_in(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::UNAUTHORIZED,
        Brand::of(pool),
        "You are not signed in",
        "Sign in to an application that uses this account, then open this page again.",
    )
}

/// The signed-in account of this browser, and its pool. A browser without one is answered
/// with the page that says so.
pub(super) struct SignedIn {
    pub(super) pool: Pool,
    pub(super) account: Account,
}

async fn signed_in(req: &HttpRequest, ctx: &Context, pool: Pool) -> Reading<SignedIn> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Err(not_signed_in(&pool));
    };
    match page::open(ctx, &pool, cookie.value()).await {
        Ok(Some(account)) => Ok(SignedIn { pool, account }),
        Ok(None) => Err(not_signed_in(&pool)),
        Err(err) => Err(internal(err)),
    }
}

impl Read for SignedIn {
    type Before = ();

    async fn read(req: &HttpRequest, ctx: &Context, (): ()) -> Reading<Self> {
        let pool = path_pool(req, ctx).await?;
        signed_in(req, ctx, pool).await
    }
}

/// An account form post: the form, its CSRF token checked, from a signed-in browser.
pub(super) struct AccountPost {
    pub(super) me: SignedIn,
    pub(super) params: Params,
}

impl Read for AccountPost {
    type Before = Hosted<PostedForm>;

    async fn read(req: &HttpRequest, ctx: &Context, form: Self::Before) -> Reading<Self> {
        let Hosted(PostedForm { pool, params }) = form;
        let me = signed_in(req, ctx, pool).await?;
        Ok(AccountPost { me, params })
    }
}

pub(super) fn account_page(
    req: &HttpRequest,
    ctx: &Context,
    me: &SignedIn,
    notice: Option<&'static str>,
    error: Option<&str>,
) -> HttpResponse {
    let SignedIn { pool, account } = me;
    let now = ctx.now();
    let options = page::options(pool, account);
    form_page(req, ctx, |token| AccountPage {
        brand: Brand::of(pool),
        base: base(pool),
        csrf_token: token,
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
    })
}

/// The account page again, saying why the change was not made.
pub(super) fn refused_page(
    req: &HttpRequest,
    ctx: &Context,
    me: &SignedIn,
    why: &str,
) -> HttpResponse {
    account_page(req, ctx, me, None, Some(why))
}

pub(super) fn back_to_page(pool: &Pool, done: &str) -> HttpResponse {
    see_other(&format!("{}?done={done}", base(pool)))
}

fn to_verify(pool: &Pool) -> HttpResponse {
    see_other(&format!("{}/verify", base(pool)))
}

/// The answer to a change: on to `done`, to the step-up, or the page with why not.
pub(super) fn answer<T>(
    req: &HttpRequest,
    ctx: &Context,
    me: &SignedIn,
    result: crate::error::Result<Change<T>>,
    done: impl FnOnce(T) -> HttpResponse,
) -> HttpResponse {
    match result {
        Ok(Ok(value)) => done(value),
        Ok(Err(Refused::StepUpRequired)) => to_verify(&me.pool),
        Ok(Err(refused)) => refused_page(req, ctx, me, refused_text(refused)),
        Err(err) => internal(err),
    }
}

pub(super) fn origin<'a>(address: &ClientAddress, device: Option<&'a str>) -> Origin<'a> {
    Origin {
        address: address.0,
        device,
    }
}

#[get("/{pool_id}/account")]
pub async fn account_form(
    req: HttpRequest,
    ctx: Data<Context>,
    me: Hosted<SignedIn>,
) -> HttpResponse {
    let notice = Params::parse(req.query_string().as_bytes())
        .ok()
        .and_then(|p| p.get("done").and_then(done_text));
    account_page(&req, &ctx, &me, notice, None)
}
