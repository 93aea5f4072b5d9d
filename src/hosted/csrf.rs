//! CSRF protection for hosted forms: a random token in an `HttpOnly`, `SameSite=Lax` cookie
//! that each form repeats in a hidden field (double submit). A cross-site page can make the
//! browser send the cookie, but cannot read it to fill in the field.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use subtle::ConstantTimeEq;

use crate::crypto::random;

pub const COOKIE: &str = "cognate_csrf";

/// The browser's token, or a fresh one with the cookie that carries it.
pub fn token(req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(existing) = req.cookie(COOKIE).map(|c| c.value().to_string())
        && (20..=64).contains(&existing.len())
    {
        return (existing, None);
    }
    let value = random::token(24);
    let cookie = Cookie::build(COOKIE, value.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    (value, Some(cookie))
}

/// True when the form's token equals the cookie's.
pub fn verify(req: &HttpRequest, submitted: Option<&str>) -> bool {
    match (req.cookie(COOKIE), submitted) {
        (Some(cookie), Some(field)) if !field.is_empty() => {
            cookie.value().as_bytes().ct_eq(field.as_bytes()).into()
        }
        _ => false,
    }
}
