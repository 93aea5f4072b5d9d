//! `{issuer}/login` and `{issuer}/new-password`, and what every hosted form shares: the
//! pages between an authorization request and the code the application receives. Each
//! handler parses, calls the sign-in machine (`accounts::auth_flow`) and renders.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::accounts::auth_flow::{self, AuthStep, Binding, Completed, Outcome, Refused, Start};
use crate::accounts::devices::{self, DEVICE_LIFETIME_MS};
use crate::accounts::sessions::{self, SESSION_LIFETIME_MS};
use crate::accounts::signin::Origin;
use crate::context::Context;
use crate::crypto::password::HashError;
use crate::error::Error;
use crate::hosted::csrf;
use crate::hosted::federation::{self, Offer};
use crate::hosted::pages::{Brand, LoginPage, NewPasswordPage, message, render};
use crate::hosted::{html, see_other};
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;
use crate::pools::pool::cached_pool;
use crate::store::StoreError;
use crate::store::oauth::AuthRequestRow;
use crate::tokens::authorize::{self, CodeRedirect, Params, with_query};

pub const SESSION_COOKIE: &str = "cognate_session";
const INVALID_CREDENTIALS: &str = "Incorrect username or password.";
const EXPIRED_REQUEST: &str = "This sign-in page has expired or was already used. Go back to the application and sign in again.";

pub fn is_https(ctx: &Context) -> bool {
    ctx.public_url.scheme() == "https"
}

/// The session cookie: scoped to the pool's issuer path, `HttpOnly`, `SameSite=Lax`,
/// `Secure` when the public URL is https.
pub fn session_cookie(ctx: &Context, pool_id: &str, value: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value.to_string())
        .path(format!("/{pool_id}"))
        .http_only(true)
        .secure(is_https(ctx))
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::milliseconds(SESSION_LIFETIME_MS))
        .finish()
}

/// The device cookie of `pool_id`: one per pool, `__Host-` prefixed on https.
pub fn device_cookie_name(ctx: &Context, pool_id: &str) -> String {
    if is_https(ctx) {
        format!("__Host-cognate_device_{pool_id}")
    } else {
        format!("cognate_device_{pool_id}")
    }
}

fn device_cookie(ctx: &Context, pool_id: &str, value: String) -> Cookie<'static> {
    Cookie::build(device_cookie_name(ctx, pool_id), value)
        .path("/")
        .http_only(true)
        .secure(is_https(ctx))
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::milliseconds(DEVICE_LIFETIME_MS))
        .finish()
}

/// The redirect that hands the application its code (RFC 9207 adds `iss`).
pub fn code_redirect(
    ctx: &Context,
    pool_id: &str,
    code: &CodeRedirect,
    status: StatusCode,
) -> HttpResponse {
    let issuer = ctx.issuer(pool_id);
    let mut params = vec![("code", code.code.as_str())];
    if let Some(state) = &code.state {
        params.push(("state", state));
    }
    params.push(("iss", &issuer));
    crate::oauth::respond::to_client(&code.redirect_uri, code.response_mode, &params, status)
}

pub(crate) async fn load_pool(ctx: &Context, pool_id: &str) -> Result<Pool, HttpResponse> {
    match cached_pool(ctx, pool_id).await {
        Ok(pool) => Ok(pool),
        Err(Error::NotFound(_)) => Err(message(
            StatusCode::NOT_FOUND,
            Brand::plain(),
            "Not found",
            "There is no user pool at this address.",
        )),
        Err(err) => Err(internal(err)),
    }
}

/// The page for a core error no form can fix: busy (503), too many requests (429), or a
/// failure (500, logged with the request id).
pub(crate) fn internal(err: Error) -> HttpResponse {
    let (status, heading, text) = match &err {
        Error::Hash(HashError::Busy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Busy",
            "The service is busy right now. Please try again in a moment.",
        ),
        Error::TooManyRequests => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            "Too many requests came from your network. Please wait a while and try again.",
        ),
        // The same change raced another (a double click, an admin at the same moment) more
        // often than it retries: nothing was written.
        Error::Store(StoreError::Contention) => (
            StatusCode::CONFLICT,
            "Changed meanwhile",
            "Something else changed your account at the same moment, so nothing was saved. \
             Please go back and try again.",
        ),
        _ => {
            tracing::error!(error = %err, "hosted page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again in a moment.",
            )
        }
    };
    let mut page = message(status, Brand::plain(), heading, text);
    if status != StatusCode::INTERNAL_SERVER_ERROR {
        page.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static(
                if status == StatusCode::TOO_MANY_REQUESTS {
                    "60"
                } else {
                    "1"
                },
            ),
        );
    }
    page
}

/// The pending request `id`, if it is live and this browser started it.
pub(crate) async fn load_pending(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    id: Option<&str>,
) -> Result<AuthRequestRow, HttpResponse> {
    let browser = csrf::browser_id(req, ctx);
    match authorize::pending(ctx, &pool.id, id.unwrap_or_default(), browser.as_deref()).await {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(message(
            StatusCode::BAD_REQUEST,
            Brand::of(pool),
            "Sign-in expired",
            EXPIRED_REQUEST,
        )),
        Err(err) => Err(internal(err.into())),
    }
}

pub(crate) fn username_label(pool: &Pool) -> &'static str {
    if pool.config.email_is_username() {
        "Email"
    } else {
        "Username"
    }
}

fn login_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    offer: &Offer,
    request: &str,
    username: &str,
    error: Option<&str>,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let page = LoginPage {
        password_form: offer.cognito,
        routes_by_email: offer.routes_by_email,
        providers: offer.providers.clone(),
        brand: Brand::of(pool),
        action: format!("/{}/login", pool.id),
        csrf_token: &token,
        request,
        username,
        username_label: username_label(pool),
        error,
        forgot_link: with_query(
            &format!("/{}/forgot-password", pool.id),
            &[("request", request)],
        ),
        signup_link: (!pool.config.allow_admin_create_user_only)
            .then(|| with_query(&format!("/{}/signup", pool.id), &[("request", request)])),
    };
    let mut response = html(StatusCode::OK, render(&page));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

pub(crate) fn policy_text(pool: &Pool) -> String {
    let p = &pool.config.password_policy;
    let mut parts = vec![format!("At least {} characters", p.minimum_length)];
    if p.require_uppercase {
        parts.push("an uppercase letter".into());
    }
    if p.require_lowercase {
        parts.push("a lowercase letter".into());
    }
    if p.require_numbers {
        parts.push("a number".into());
    }
    if p.require_symbols {
        parts.push("a symbol".into());
    }
    format!("{}.", parts.join(", "))
}

fn new_password_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    request: &str,
    step: &str,
    error: Option<&str>,
) -> HttpResponse {
    let (token, cookie) = csrf::token(req, ctx);
    let page = NewPasswordPage {
        brand: Brand::of(pool),
        action: format!("/{}/new-password", pool.id),
        csrf_token: &token,
        request,
        step,
        policy: policy_text(pool),
        error,
    };
    let mut response = html(StatusCode::OK, render(&page));
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

pub(crate) fn csrf_failure(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::FORBIDDEN,
        Brand::of(pool),
        "Please try again",
        "This form could not be verified (it may be stale, or cookies are blocked). Go back, reload the page and try again.",
    )
}

pub(crate) fn form(body: &Bytes, pool: &Pool) -> Result<Params, HttpResponse> {
    Params::parse(body).map_err(|why| {
        message(
            StatusCode::BAD_REQUEST,
            Brand::of(pool),
            "Bad request",
            &why,
        )
    })
}

/// The start of every hosted form post: the pool, the parsed form, and a CSRF token that
/// matches the browser's cookie.
pub(crate) async fn posted_form(
    req: &HttpRequest,
    ctx: &Context,
    pool_id: &str,
    body: &Bytes,
) -> Result<(Pool, Params), HttpResponse> {
    let pool = load_pool(ctx, pool_id).await?;
    let params = form(body, &pool)?;
    if !csrf::verify(req, ctx, params.get("csrf_token")) {
        return Err(csrf_failure(&pool));
    }
    Ok((pool, params))
}

pub(crate) fn expired(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::BAD_REQUEST,
        Brand::of(pool),
        "Sign-in expired",
        EXPIRED_REQUEST,
    )
}

/// The `request` reference in the query string, if given once.
pub(crate) fn request_in_query(req: &HttpRequest) -> Option<String> {
    Params::parse(req.query_string().as_bytes())
        .ok()
        .and_then(|p| p.get("request").map(str::to_string))
}

/// The sign-in machine's context for this browser and pending request.
pub(crate) fn flow_start<'a>(
    pool: &'a Pool,
    pending: &'a AuthRequestRow,
    browser: &'a str,
    origin: Origin<'a>,
) -> Start<'a> {
    Start {
        pool,
        client_id: &pending.client_id,
        binding: Binding::Browser {
            browser,
            auth_request: &pending.id,
        },
        origin,
    }
}

/// Goes where the sign-in machine says: the application (with a code), or the page of the
/// next step.
pub(crate) async fn continue_sign_in(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    pending: &AuthRequestRow,
    step: AuthStep,
) -> HttpResponse {
    let page = match step {
        AuthStep::Complete(done) => return finish_sign_in(req, ctx, pool, pending, *done).await,
        AuthStep::NewPasswordRequired { token } => ("new-password", token),
        AuthStep::MfaSetupRequired { token, .. } => ("mfa/setup", token),
        AuthStep::MfaRequired { token, .. } => ("mfa", token),
    };
    see_other(&with_query(
        &format!("/{}/{}", pool.id, page.0),
        &[("request", &pending.id), ("step", &page.1)],
    ))
}

/// Signs the user in: the code for the pending request, then the session it names (with
/// the methods it used), the session cookie and the device cookie. A browser's earlier
/// session ends. A TOTP set-up's recovery codes are shown once on the way.
pub(crate) async fn finish_sign_in(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    pending: &AuthRequestRow,
    done: Completed,
) -> HttpResponse {
    // A provider's answer that led to a second-factor step (a linked local user).
    let token = match (&pending.identity_provider, &pending.upstream_id_token) {
        (Some(_), Some(sealed)) => {
            crate::federation::logout::open_for_request(ctx, &pending.id, &done.user.id, sealed)
        }
        _ => None,
    };
    let upstream = match (&pending.identity_provider, &token) {
        (Some(provider), Some(id_token)) => Some(Upstream { provider, id_token }),
        _ => None,
    };
    finish_sign_in_via(req, ctx, pool, pending, done, upstream).await
}

/// A sign-in through an identity provider: its name and its ID token, which the session
/// keeps (sealed) for signing out there.
pub(crate) struct Upstream<'a> {
    pub provider: &'a str,
    pub id_token: &'a str,
}

/// `finish_sign_in`, for a session that came from `upstream` when given.
pub(crate) async fn finish_sign_in_via(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    pending: &AuthRequestRow,
    done: Completed,
    upstream: Option<Upstream<'_>>,
) -> HttpResponse {
    let (token, hash) = sessions::mint();
    // The code and the session it names are written in one transaction.
    let mut session = sessions::new_row(
        ctx,
        &pool.id,
        &done.user.id,
        &hash,
        done.auth_time,
        &done.amr,
    );
    if let Some(upstream) = upstream {
        session.identity_provider = Some(upstream.provider.to_string());
        session.upstream_id_token =
            match crate::federation::logout::seal_id_token(ctx, &hash, upstream.id_token) {
                Ok(sealed) => Some(sealed),
                Err(err) => return internal(err),
            };
    }
    let code = match authorize::code_for_pending(ctx, pending, &session).await {
        Ok(Some(code)) => code,
        Ok(None) => return expired(pool),
        Err(err) => return internal(err.into()),
    };
    if let Some(previous) = req.cookie(SESSION_COOKIE)
        && let Err(err) = sessions::end(ctx, previous.value()).await
    {
        tracing::warn!(error = %err, "could not end the previous session");
    }
    let mut response = match &done.recovery_codes {
        Some(codes) => crate::hosted::mfa::recovery_codes_page(ctx, pool, &code, codes),
        None => code_redirect(ctx, &pool.id, &code, StatusCode::SEE_OTHER),
    };
    let _ = response.add_cookie(&session_cookie(ctx, &pool.id, &token));
    let device = devices::issue(ctx, &pool.id, &done.user.id);
    let _ = response.add_cookie(&device_cookie(ctx, &pool.id, device));
    response
}

/// The `step` reference in the query string, if given once.
pub(crate) fn step_in_query(req: &HttpRequest) -> Option<String> {
    Params::parse(req.query_string().as_bytes())
        .ok()
        .and_then(|p| p.get("step").map(str::to_string))
}

#[get("/{pool_id}/login")]
pub async fn login_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    let pending = match load_pending(&req, &ctx, &pool, request_in_query(&req).as_deref()).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let offer = match federation::offer(&ctx, &pool, &pending.client_id).await {
        Ok(offer) => offer,
        Err(err) => return internal(err),
    };
    let hint = pending.login_hint.clone().unwrap_or_default();
    login_page(&req, &ctx, &pool, &offer, &pending.id, &hint, None)
}

#[post("/{pool_id}/login")]
pub async fn login_submit(
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
    // The CSRF check above guarantees the browser has its id.
    let browser = csrf::browser_id(&req, &ctx).unwrap_or_default();
    let username = params.get("username").unwrap_or_default().trim();
    let password = params.get("password").unwrap_or_default();
    let offer = match federation::offer(&ctx, &pool, &pending.client_id).await {
        Ok(offer) => offer,
        Err(err) => return internal(err),
    };
    let retry = |error: &str| {
        login_page(
            &req,
            &ctx,
            &pool,
            &offer,
            &pending.id,
            username,
            Some(error),
        )
    };
    // "Continue with …", or a work address that routes to a provider.
    let chosen = match params.get("identity_provider") {
        Some(name) if offer.providers.iter().any(|p| p == name) => Some((name.to_string(), None)),
        Some(_) => return retry("That sign-in option is not available here."),
        None => match federation::route_email(&ctx, &pool, &offer, username).await {
            Ok(found) => found.map(|name| (name, Some(username))),
            Err(err) => return internal(err),
        },
    };
    if let Some((name, hint)) = chosen {
        let asked = crate::federation::flow::Asked {
            login_hint: hint,
            ..Default::default()
        };
        return federation::send_upstream(
            &ctx,
            &pool,
            &pending,
            &browser,
            &name,
            asked,
            StatusCode::SEE_OTHER,
        )
        .await;
    }
    if !offer.cognito {
        return retry("Choose how to sign in.");
    }
    let device = req.cookie(&device_cookie_name(&ctx, &pool.id));
    let origin = Origin {
        address: address.0,
        device: device.as_ref().map(|c| c.value()),
    };
    let start = flow_start(&pool, &pending, &browser, origin);
    let outcome = match auth_flow::password(&ctx, &start, username, password).await {
        Ok(outcome) => outcome,
        Err(err) => return internal(err),
    };
    match outcome {
        Outcome::Step(step) => continue_sign_in(&req, &ctx, &pool, &pending, step).await,
        Outcome::Refused(Refused::TemporaryPasswordExpired) => {
            retry("Your temporary password has expired. Ask your administrator to set a new one.")
        }
        Outcome::Refused(Refused::ResetRequired) => {
            retry("You must reset your password before you can sign in.")
        }
        Outcome::Refused(Refused::NotAllowed | Refused::NoFactorPossible) => {
            retry("This account cannot sign in. Contact your administrator.")
        }
        Outcome::Refused(Refused::Unconfirmed) => see_other(&with_query(
            &format!("/{}/confirm", pool.id),
            &[("request", &pending.id), ("username", username)],
        )),
        Outcome::Refused(Refused::Throttled) => {
            retry("Too many failed sign-in attempts. Wait a few minutes and try again.")
        }
        Outcome::Refused(Refused::Invalid | Refused::Expired | Refused::WrongCode { .. }) => {
            retry(INVALID_CREDENTIALS)
        }
    }
}

#[get("/{pool_id}/new-password")]
pub async fn new_password_form(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    // `load_pending` already holds the request to the browser that started it; the step
    // must be this browser's too.
    let pending = match load_pending(&req, &ctx, &pool, request_in_query(&req).as_deref()).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let (Some(browser), Some(step)) = (csrf::browser_id(&req, &ctx), step_in_query(&req)) else {
        return expired(&pool);
    };
    let start = flow_start(&pool, &pending, &browser, Origin::default());
    match auth_flow::view(&ctx, &start, &step).await {
        Ok(Some(view)) if view.step == "NEW_PASSWORD_REQUIRED" => {
            new_password_page(&req, &ctx, &pool, &pending.id, &step, None)
        }
        Ok(_) => expired(&pool),
        Err(err) => internal(err),
    }
}

#[post("/{pool_id}/new-password")]
pub async fn new_password_submit(
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
    let new = params.get("new_password").unwrap_or_default();
    let confirm = params.get("confirm_password").unwrap_or_default();
    let start = flow_start(&pool, &pending, &browser, Origin::default());
    match auth_flow::new_password(&ctx, &start, step, new, confirm).await {
        Ok(Outcome::Step(next)) => continue_sign_in(&req, &ctx, &pool, &pending, next).await,
        Ok(Outcome::Refused(_)) => expired(&pool),
        Err(Error::Validation { field, message }) => {
            let text = if field == "confirm_password" {
                "The two passwords do not match.".to_string()
            } else {
                format!("The new password {message}.")
            };
            new_password_page(&req, &ctx, &pool, &pending.id, step, Some(&text))
        }
        Err(err) => internal(err),
    }
}
