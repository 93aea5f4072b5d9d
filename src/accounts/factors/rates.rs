//! Rate limits on what costs someone else (mail to an address) or us (sign-ups, code
//! requests from one address): so many uses an hour, then none until the window moves.

use std::net::IpAddr;

use crate::clock::Millis;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::throttle::{self as store, CounterKey};

const HOUR: Millis = 3_600_000;

/// A rate limit: at most `limit` uses per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// Mail of any kind to one address, across pools and names.
    MailTo,
    /// Sign-ups from one client address.
    SignUpsFrom,
    /// Code requests (resend, forgot password) from one client address.
    CodeRequestsFrom,
}

pub const MAILS_PER_ADDRESS_HOUR: i64 = 5;
pub const SIGN_UPS_PER_ADDRESS_HOUR: i64 = 30;
pub const CODE_REQUESTS_PER_ADDRESS_HOUR: i64 = 30;

impl Rate {
    fn kind(self) -> &'static str {
        match self {
            Rate::MailTo => "mail.to",
            Rate::SignUpsFrom => "signup.from",
            Rate::CodeRequestsFrom => "code-request.from",
        }
    }

    fn limit(self) -> (i64, Millis) {
        match self {
            Rate::MailTo => (MAILS_PER_ADDRESS_HOUR, HOUR),
            Rate::SignUpsFrom => (SIGN_UPS_PER_ADDRESS_HOUR, HOUR),
            Rate::CodeRequestsFrom => (CODE_REQUESTS_PER_ADDRESS_HOUR, HOUR),
        }
    }
}

/// Scope of counters that span pools.
const EVERY_POOL: &str = "*";

/// Uses one of the rate's allowance for `subject`; false when none is left this window.
pub async fn take(ctx: &Context, rate: Rate, subject: &str) -> Result<bool> {
    let (limit, window) = rate.limit();
    let key = CounterKey {
        kind: rate.kind(),
        subject: subject.to_string(),
    };
    Ok(store::take(&ctx.store, EVERY_POOL, &key, limit, window, ctx.now()).await?)
}

/// Counts one request from `address` against `rate`; past it the caller is told to wait
/// (a limit on the caller, which says nothing about any account).
pub async fn limit_address(ctx: &Context, rate: Rate, address: Option<IpAddr>) -> Result<()> {
    match address {
        Some(ip) if !take(ctx, rate, &ip.to_string()).await? => Err(Error::TooManyRequests),
        _ => Ok(()),
    }
}
