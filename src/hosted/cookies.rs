//! The cookies a browser carries for the hosted pages: the CSRF cookie (the browser's id),
//! the session cookie and the device cookie. Each is `HttpOnly`, `SameSite=Lax`, and
//! `Secure` when the public URL is https.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use crate::accounts::factors::devices::DEVICE_LIFETIME_MS;
use crate::accounts::sessions::SESSION_LIFETIME_MS;
use crate::context::Context;

pub const SESSION_COOKIE: &str = "cognate_session";

pub fn is_https(ctx: &Context) -> bool {
    ctx.public_url.scheme() == "https"
}

/// The CSRF cookie's name: `__Host-` prefixed when the public URL is https, so no subdomain
/// can plant one.
pub fn csrf_cookie_name(ctx: &Context) -> &'static str {
    if is_https(ctx) {
        "__Host-cognate_csrf"
    } else {
        "cognate_csrf"
    }
}

/// The CSRF cookie carrying the browser's id `value`, for the browser's lifetime.
pub fn csrf_cookie(ctx: &Context, value: String) -> Cookie<'static> {
    Cookie::build(csrf_cookie_name(ctx), value)
        .path("/")
        .http_only(true)
        .secure(is_https(ctx))
        .same_site(SameSite::Lax)
        .finish()
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

pub fn device_cookie(ctx: &Context, pool_id: &str, value: String) -> Cookie<'static> {
    Cookie::build(device_cookie_name(ctx, pool_id), value)
        .path("/")
        .http_only(true)
        .secure(is_https(ctx))
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::milliseconds(DEVICE_LIFETIME_MS))
        .finish()
}

/// The live session the browser's session cookie names, if any. A failed lookup is logged
/// and read as no session: the person signs in again.
pub async fn current_session(
    req: &actix_web::HttpRequest,
    ctx: &Context,
    pool_id: &str,
) -> Option<crate::accounts::sessions::Session> {
    let cookie = req.cookie(SESSION_COOKIE)?;
    crate::accounts::sessions::current(ctx, pool_id, cookie.value())
        .await
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "session lookup failed");
            None
        })
}
