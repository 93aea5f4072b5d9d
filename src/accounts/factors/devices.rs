//! Device cookies (OWASP's answer to lockout as a weapon): a browser that signed in as an
//! account gets a signed token naming the account and a random device id. Failures typed by
//! strangers lock the account's name for strangers; a browser holding the token is held to
//! its own limit instead, so an attacker cannot lock the owner out of their own browser.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::random;

/// How long a device stays trusted after its last sign-in.
pub const DEVICE_LIFETIME_MS: Millis = 180 * 24 * 3_600_000;

/// A verified device token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The account (`sub`) the browser signed in as.
    pub user_id: String,
    /// Random, per browser: the device's own throttle counter.
    pub id: String,
    /// When the cookie was issued (milliseconds).
    pub issued_at: Millis,
}

/// What the signature covers: the pool too, so a token from one pool means nothing in another.
fn signed_text(pool_id: &str, user_id: &str, id: &str, issued: Millis) -> String {
    format!("device\n{pool_id}\n{user_id}\n{id}\n{issued}")
}

/// A fresh token for `user_id` in `pool_id`: `<sub>.<device id>.<issued ms>.<signature>`.
pub fn issue(ctx: &Context, pool_id: &str, user_id: &str) -> String {
    let id = random::token(16);
    let issued = ctx.now();
    let tag = aws_lc_rs::hmac::sign(
        &ctx.device_key,
        signed_text(pool_id, user_id, &id, issued).as_bytes(),
    );
    let sig = URL_SAFE_NO_PAD.encode(tag.as_ref());
    format!("{user_id}.{id}.{issued}.{sig}")
}

/// The device a token names, if this server signed it for this pool and it has not expired.
pub fn verify(ctx: &Context, pool_id: &str, token: &str) -> Option<Device> {
    if token.len() > 256 {
        return None;
    }
    let mut parts = token.split('.');
    let (user_id, id, issued, sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let issued: Millis = issued.parse().ok()?;
    if issued > ctx.now() || ctx.now() - issued > DEVICE_LIFETIME_MS {
        return None;
    }
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    aws_lc_rs::hmac::verify(
        &ctx.device_key,
        signed_text(pool_id, user_id, id, issued).as_bytes(),
        &sig,
    )
    .ok()?;
    Some(Device {
        user_id: user_id.to_string(),
        id: id.to_string(),
        issued_at: issued,
    })
}
