//! CSRF protection for hosted forms: signed double submit (OWASP's CSRF cheat sheet). The
//! browser carries a random id in an `HttpOnly`, `SameSite=Lax` cookie (`__Host-` prefixed
//! on https, so no subdomain can plant one); each form carries an HMAC of that id under a
//! server key. A cross-site page can make the browser send the cookie but cannot read it,
//! and a cookie and field pair made up by an attacker fails, since only the server can sign.
//! The same id tells which browser started a sign-in, so a pending request stays with it.

use actix_web::HttpRequest;
use actix_web::cookie::Cookie;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::context::Context;
use crate::crypto::{random, secret};
use crate::hosted::cookies::{csrf_cookie, csrf_cookie_name};

fn browser_value(req: &HttpRequest, ctx: &Context) -> Option<String> {
    req.cookie(csrf_cookie_name(ctx))
        .map(|c| c.value().to_string())
        .filter(|v| (20..=64).contains(&v.len()))
}

/// The browser's id, or a fresh one with the cookie that carries it.
pub fn browser(req: &HttpRequest, ctx: &Context) -> (String, Option<Cookie<'static>>) {
    if let Some(existing) = browser_value(req, ctx) {
        return (existing, None);
    }
    let value = random::token(24);
    let cookie = csrf_cookie(ctx, value.clone());
    (value, Some(cookie))
}

/// What the server stores to recognise the browser later (never the cookie itself).
pub fn browser_digest(value: &str) -> String {
    secret::digest(value)
}

/// The digest of the browser's id, if it has one.
pub fn browser_id(req: &HttpRequest, ctx: &Context) -> Option<String> {
    browser_value(req, ctx).map(|v| browser_digest(&v))
}

fn sign(ctx: &Context, browser: &str) -> String {
    let tag = aws_lc_rs::hmac::sign(&ctx.csrf_key, format!("csrf\n{browser}").as_bytes());
    URL_SAFE_NO_PAD.encode(tag.as_ref())
}

/// The form token for this browser, and the cookie to set if it had none.
pub fn token(req: &HttpRequest, ctx: &Context) -> (String, Option<Cookie<'static>>) {
    let (browser, cookie) = browser(req, ctx);
    (sign(ctx, &browser), cookie)
}

/// True when the form's token is the server's signature of the browser's cookie.
pub fn verify(req: &HttpRequest, ctx: &Context, submitted: Option<&str>) -> bool {
    match (browser_value(req, ctx), submitted) {
        (Some(browser), Some(field)) if !field.is_empty() => sign(ctx, &browser)
            .as_bytes()
            .ct_eq(field.as_bytes())
            .into(),
        _ => false,
    }
}
