//! Verification and reset codes: 6 digits from the CSPRNG, stored as an HMAC bound to the
//! address they were sent to, with a life and 5 tries each. A try is reserved before the
//! code is compared, so parallel guesses cannot share one; guesses are also throttled per
//! typed name and address like sign-ins.

use std::net::IpAddr;
use std::time::Duration;

use subtle::ConstantTimeEq;

use crate::accounts::factors::rates::{self, Rate};
use crate::accounts::factors::throttle::{self, Attempt, Lock, Subject};
use crate::accounts::users::lookup::login_key;
use crate::clock::Millis;
use crate::context::Context;
use crate::error::Result;
use crate::pools::Pool;
use crate::store::codes::{self as store, CodeRow};
use crate::store::users::UserRow;

pub const SIGNUP: &str = "signup";
pub const RESET: &str = "reset";
pub const SIGNUP_CODE_MS: Millis = 24 * 3_600_000;
pub const RESET_CODE_MS: Millis = 3_600_000;
pub const MAX_TRIES: i64 = 5;
pub const CODES_PER_HOUR: i64 = 5;
pub const RESEND_GAP_MS: Millis = 60_000;

/// The least time every code page takes to answer. What it hides: whether the name had a
/// live code (a read, a reserved try, a commit) or nothing at all (one read). Both finish
/// well within it on a healthy database, so the answer time tells nothing.
pub const ANSWER_FLOOR: Duration = Duration::from_millis(60);

#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code was right and has been used.
    Accepted,
    /// Wrong, expired, replaced or no code at all (never says which).
    Rejected,
    /// This was the fifth wrong try: the code is dead, a new one is needed.
    TooManyTries,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Resend {
    Sent,
    /// Wait before asking again.
    TooSoon,
}

/// Runs `work`, then waits out the rest of `ANSWER_FLOOR`.
pub async fn padded<T>(work: impl std::future::Future<Output = T>) -> T {
    let started = tokio::time::Instant::now();
    let out = work.await;
    tokio::time::sleep_until(started + ANSWER_FLOOR).await;
    out
}

/// The key mail to an address is counted under: the same mailbox however it is spelled.
pub fn mailbox_key(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn new_code_row(
    ctx: &Context,
    user: &UserRow,
    purpose: &str,
    destination: &str,
    code: &str,
    lifetime: Millis,
) -> CodeRow {
    let now = ctx.now();
    CodeRow {
        id: uuid::Uuid::new_v4().to_string(),
        pool_id: user.pool_id.clone(),
        user_id: user.id.clone(),
        purpose: purpose.to_string(),
        code_hash: ctx.code_digest(&user.id, purpose, destination, code),
        attempts: 0,
        created_at: now,
        expires_at: now + lifetime,
        consumed_at: None,
        destination: Some(destination.to_string()),
    }
}

/// Sends a new code of `purpose` to the user's address unless the user had 5 this hour, one
/// in the last minute that is still alive, or the address had its mail for the hour.
pub async fn send_code(
    ctx: &Context,
    pool: &Pool,
    user: &UserRow,
    purpose: &str,
) -> Result<Resend> {
    let Some(email) = user.email.as_deref() else {
        return Ok(Resend::Sent);
    };
    let now = ctx.now();
    let (count, last, last_tries) =
        store::recent(&ctx.store, &user.id, purpose, now - 3_600_000).await?;
    // A code killed by wrong tries (maybe a stranger's) is replaced at once.
    let last_is_dead = last_tries >= MAX_TRIES;
    if count >= CODES_PER_HOUR || (last.is_some_and(|t| now - t < RESEND_GAP_MS) && !last_is_dead) {
        return Ok(Resend::TooSoon);
    }
    if !rates::take(ctx, Rate::MailTo, &mailbox_key(email)).await? {
        return Ok(Resend::TooSoon);
    }
    let code = crate::mail::new_code();
    let (row, mail) = if purpose == RESET {
        (
            new_code_row(ctx, user, RESET, email, &code, RESET_CODE_MS),
            crate::mail::reset(pool, email, &code),
        )
    } else {
        (
            new_code_row(ctx, user, SIGNUP, email, &code, SIGNUP_CODE_MS),
            crate::mail::verification(pool, email, &code),
        )
    };
    store::replace_code(&ctx.store, &row, &ctx.outbox.row(pool, mail, now)).await?;
    ctx.outbox.wake();
    Ok(Resend::Sent)
}

/// A typed name that could be a real one, trimmed; `None` for what no account can have.
pub fn typed_login(login: &str) -> Option<&str> {
    let login = login.trim();
    (!login.is_empty() && login.len() <= 512 && !login.chars().any(char::is_control))
        .then_some(login)
}

/// Admits a code guess for `login` against the guess counters: per (name, address) first,
/// then per name, per account (the user it resolved to, or the name's stand-in) and per
/// address. `None` when any is locked.
pub async fn begin_guess<'a>(
    ctx: &'a Context,
    pool: &Pool,
    login: &str,
    user: Option<&UserRow>,
    address: Option<IpAddr>,
) -> Result<Option<Attempt<'a>>> {
    let key = login_key(pool, login);
    let account = user.map_or_else(|| format!("?{key}"), |u| u.id.clone());
    let mut subjects = vec![
        Subject::at(Lock::CodeNameAtAddress, address, &key),
        Subject::at(Lock::CodeAccountAtAddress, address, &account),
        Subject::new(Lock::CodeName, key),
        Subject::new(Lock::CodeAccount, account),
    ];
    if let Some(address) = address {
        subjects.push(Subject::new(Lock::CodeAddress, address.to_string()));
    }
    throttle::begin(ctx, &pool.id, subjects).await
}

/// Checks `code` against the user's live code of `purpose`. The try is reserved first; the
/// code must have been sent to the address the user has now.
pub async fn check_code(
    ctx: &Context,
    user: &UserRow,
    purpose: &str,
    code: &str,
) -> Result<std::result::Result<CodeRow, CodeCheck>> {
    let code = code.trim();
    let now = ctx.now();
    let Some(live) = store::live_code(&ctx.store, &user.id, purpose, now).await? else {
        return Ok(Err(CodeCheck::Rejected));
    };
    let Some(tries) = store::reserve_try(&ctx.store, &live.id, MAX_TRIES, now).await? else {
        return Ok(Err(CodeCheck::Rejected));
    };
    let destination = user.email.as_deref().unwrap_or_default();
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    let digest = ctx.code_digest(&user.id, purpose, destination, code);
    let sent_here = live.destination.as_deref() == Some(destination);
    if well_formed && sent_here && bool::from(digest.as_bytes().ct_eq(live.code_hash.as_bytes())) {
        return Ok(Ok(live));
    }
    if tries >= MAX_TRIES {
        store::kill(&ctx.store, &live.id, now).await?;
        return Ok(Err(CodeCheck::TooManyTries));
    }
    Ok(Err(CodeCheck::Rejected))
}
