//! A user's second factors: TOTP (its secret sealed under the master key, each step
//! accepted once), codes by email, and single-use recovery codes kept as keyed hashes.
//! Checking a factor is the caller's attempt, throttled like a password.

use std::net::IpAddr;

use crate::accounts::factors::codes::{self, CodeCheck, MAX_TRIES};
use crate::accounts::factors::rates::{self, Rate};
use crate::accounts::factors::throttle::{self, Attempt, Lock, Subject};
use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::{random, totp};
use crate::domain::{CodePurpose, MfaFactor};
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::codes as code_store;
use crate::store::mfa::{self as store, MfaRow};
use crate::store::outbox::OutboxRow;
use crate::store::users::UserRow;

pub const EMAIL_CODE_MS: Millis = 5 * 60_000;
pub const RECOVERY_CODES: usize = 10;
const RECOVERY_LENGTH: usize = 10;
/// No 0/O, 1/I/L: recovery codes are read off paper.
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// What a user has set up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Factors {
    pub totp: bool,
    pub email: bool,
    pub preferred: Option<MfaFactor>,
    pub recovery_codes_left: i64,
    /// Codes by email are turned on, whether or not the address is verified now (an
    /// address changed and not yet verified still guards the account: `step_up`).
    pub email_enabled: bool,
}

/// Whether the user has an email address, verified: where codes and notices may go.
pub fn has_verified_email(user: &UserRow) -> bool {
    user.email.is_some() && email_verified(user)
}

fn email_verified(user: &UserRow) -> bool {
    serde_json::from_str::<serde_json::Value>(&user.attributes)
        .ok()
        .and_then(|a| a["email_verified"].as_bool())
        .unwrap_or(false)
}

fn seal_context(user_id: &str) -> String {
    format!("totp:{user_id}")
}

pub async fn factors(ctx: &Context, user: &UserRow) -> Result<Factors> {
    let (row, left) = store::get_with_recovery_count(&ctx.store, &user.id).await?;
    Ok(Factors {
        recovery_codes_left: left,
        ..factors_in(user, &row.unwrap_or_default())
    })
}

/// What `row` holds for `user` (recovery codes not counted).
pub(crate) fn factors_in(user: &UserRow, row: &MfaRow) -> Factors {
    Factors {
        totp: row.totp_secret.is_some(),
        // Email codes only go to a verified address.
        email: row.email_enabled && has_verified_email(user),
        preferred: row.preferred.as_deref().and_then(MfaFactor::parse),
        recovery_codes_left: 0,
        email_enabled: row.email_enabled,
    }
}

/// How often a change of the settings reads them again and retries, when another change
/// wrote them between its read and its write.
pub(crate) const RETRIES: usize = 5;

/// The factors `user` can be asked for in `pool`: set up, and allowed by the pool. The
/// preferred one first.
pub async fn usable(ctx: &Context, pool: &Pool, user: &UserRow) -> Result<Vec<MfaFactor>> {
    let have = factors(ctx, user).await?;
    let mut out: Vec<MfaFactor> = pool
        .config
        .allowed_factors()
        .into_iter()
        .filter(|f| match f {
            MfaFactor::SoftwareToken => have.totp,
            MfaFactor::Email => have.email,
        })
        .collect();
    if let Some(preferred) = have.preferred
        && let Some(i) = out.iter().position(|f| *f == preferred)
    {
        out.swap(0, i);
    }
    Ok(out)
}

/// The factors `user` could set up in `pool` now.
pub fn settable(pool: &Pool, user: &UserRow) -> Vec<MfaFactor> {
    pool.config
        .allowed_factors()
        .into_iter()
        .filter(|f| *f == MfaFactor::SoftwareToken || has_verified_email(user))
        .collect()
}

/// A new TOTP secret, sealed for keeping in a pending step until it is confirmed.
pub fn new_totp_secret(ctx: &Context, user_id: &str) -> Result<String> {
    let secret = totp::new_secret();
    ctx.keys
        .seal(&secret, &seal_context(user_id))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
}

/// The secret behind a sealed value, for display (base32) and checking.
pub fn open_totp_secret(ctx: &Context, user_id: &str, sealed: &str) -> Result<Vec<u8>> {
    ctx.keys
        .open(sealed, &seal_context(user_id))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))
}

/// Holds a check of a factor's code against the user's counters (per account and
/// address, per account, per address), like a password.
pub async fn begin_check<'a>(
    ctx: &'a Context,
    pool: &Pool,
    user: &UserRow,
    address: Option<IpAddr>,
) -> Result<Option<Attempt<'a>>> {
    let mut subjects = vec![
        Subject::at(Lock::MfaAccountAtAddress, address, &user.id),
        Subject::new(Lock::MfaAccount, user.id.clone()),
    ];
    if let Some(address) = address {
        subjects.push(Subject::new(Lock::MfaAddress, address.to_string()));
    }
    throttle::begin(ctx, &pool.id, subjects).await
}

/// Whether `code` is the user's TOTP code now, accepted at most once per step.
pub async fn check_totp(ctx: &Context, user: &UserRow, code: &str) -> Result<bool> {
    let Some(row) = store::get(&ctx.store, &user.id).await? else {
        return Ok(false);
    };
    let Some(sealed) = &row.totp_secret else {
        return Ok(false);
    };
    let secret = open_totp_secret(ctx, &user.id, sealed)?;
    let now = ctx.now();
    match totp::accepted_step(&secret, code, now, row.totp_last_step) {
        // Recorded in one conditional statement: the same code twice at once passes once.
        Some(step) => Ok(store::accept_totp_step(&ctx.store, &user.id, step, now).await?),
        None => Ok(false),
    }
}

/// Sends a sign-in code to the user's verified address (5 minutes, 5 tries).
pub async fn send_email_code(ctx: &Context, pool: &Pool, user: &UserRow) -> Result<bool> {
    let Some(email) = user.email.as_deref().filter(|_| email_verified(user)) else {
        return Ok(false);
    };
    if !rates::take(ctx, Rate::MailTo, &codes::mailbox_key(email)).await? {
        return Ok(false);
    }
    let code = crate::mail::new_code();
    let now = ctx.now();
    let row = codes::new_code_row(
        ctx,
        user,
        CodePurpose::EmailOtp.as_str(),
        email,
        &code,
        EMAIL_CODE_MS,
    );
    let mail = ctx
        .outbox
        .row(pool, crate::mail::sign_in_code(pool, email, &code), now);
    code_store::replace_code(&ctx.store, &row, &mail).await?;
    ctx.outbox.wake();
    Ok(true)
}

/// Whether `code` is the user's live sign-in code by email; spends it if so.
pub async fn check_email_code(ctx: &Context, user: &UserRow, code: &str) -> Result<CodeCheck> {
    let live = match codes::check_code(ctx, user, CodePurpose::EmailOtp.as_str(), code).await? {
        Ok(live) => live,
        Err(outcome) => return Ok(outcome),
    };
    Ok(
        if code_store::spend(&ctx.store, &live.id, MAX_TRIES, ctx.now()).await? {
            CodeCheck::Accepted
        } else {
            CodeCheck::Rejected
        },
    )
}

fn recovery_digest(ctx: &Context, user_id: &str, code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    ctx.code_digest(user_id, "recovery", "", &normal)
}

/// Whether `code` could be a 6-digit code at all (spaces around it ignored). Anything else
/// is refused without counting as a guess: it cannot be right.
pub fn is_code_shaped(code: &str) -> bool {
    let code = code.trim();
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `code` could be a recovery code (spaces and dashes ignored, any case).
pub fn is_recovery_code_shaped(code: &str) -> bool {
    code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
        && code.chars().filter(char::is_ascii_alphanumeric).count() == RECOVERY_LENGTH
}

/// Spends one of the user's recovery codes (spaces and dashes ignored, any case).
pub async fn spend_recovery_code(ctx: &Context, user: &UserRow, code: &str) -> Result<bool> {
    if code.len() > 64 {
        return Ok(false);
    }
    let digest = recovery_digest(ctx, &user.id, code);
    Ok(store::spend_recovery_code(&ctx.store, &user.id, &digest, ctx.now()).await?)
}

/// Ten new recovery codes (shown once) and the digests that replace the old set.
pub fn new_recovery_codes(ctx: &Context, user_id: &str) -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..RECOVERY_LENGTH)
                .map(|_| random::pick(RECOVERY_ALPHABET))
                .collect();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    let digests = codes
        .iter()
        .map(|c| recovery_digest(ctx, user_id, c))
        .collect();
    (codes, digests)
}

/// The user's settings row, or a fresh one.
pub(crate) async fn current_row(ctx: &Context, user: &UserRow) -> Result<MfaRow> {
    Ok(store::get(&ctx.store, &user.id)
        .await?
        .unwrap_or_else(|| MfaRow {
            user_id: user.id.clone(),
            pool_id: user.pool_id.clone(),
            ..MfaRow::default()
        }))
}

/// Makes `sealed` the row's authenticator app, its code at `step` already used; the app
/// becomes the preferred factor unless one was chosen.
pub fn set_totp(row: &mut MfaRow, sealed: &str, step: i64, now: i64) {
    row.totp_secret = Some(sealed.to_string());
    row.totp_last_step = Some(step);
    row.totp_enabled_at = Some(now);
    if row.preferred.is_none() {
        row.preferred = Some(MfaFactor::SoftwareToken.as_str().into());
    }
    row.updated_at = now;
}

/// Makes the confirmed `secret` (sealed) the user's TOTP factor, with `step` its first
/// accepted step, and gives the user new recovery codes; returns them (shown once). `row`
/// is the settings as the caller read and judged them: if they changed since, nothing is
/// written and the answer is `Contention`.
pub async fn enable_totp(
    ctx: &Context,
    mut row: MfaRow,
    sealed: &str,
    step: i64,
) -> Result<Vec<String>> {
    set_totp(&mut row, sealed, step, ctx.now());
    let (codes, digests) = new_recovery_codes(ctx, &row.user_id);
    store::save(&ctx.store, &row, Some(&digests)).await?;
    Ok(codes)
}

/// Checks a code against a secret being set up (not yet the user's).
pub fn confirm_new_secret(
    ctx: &Context,
    user_id: &str,
    sealed: &str,
    code: &str,
) -> Result<Option<i64>> {
    let secret = open_totp_secret(ctx, user_id, sealed)?;
    Ok(totp::accepted_step(&secret, code, ctx.now(), None))
}

/// Turns codes by email on or off, and sets the preferred factor, as `AdminSetUserMFAPreference`.
/// A change written meanwhile is read again and this one applied over it.
pub async fn set_preferences(
    ctx: &Context,
    user: &UserRow,
    email_enabled: Option<bool>,
    preferred: Option<Option<MfaFactor>>,
) -> Result<Factors> {
    for _ in 0..RETRIES {
        let row = current_row(ctx, user).await?;
        let row = with_preferences(ctx, user, row, email_enabled, preferred)?;
        match store::save(&ctx.store, &row, None).await {
            Ok(()) => return factors(ctx, user).await,
            Err(StoreError::Contention) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// `row` with codes by email turned on or off and the preferred factor set, if the user
/// can have them.
pub(crate) fn with_preferences(
    ctx: &Context,
    user: &UserRow,
    mut row: MfaRow,
    email_enabled: Option<bool>,
    preferred: Option<Option<MfaFactor>>,
) -> Result<MfaRow> {
    if let Some(enabled) = email_enabled {
        if enabled && !has_verified_email(user) {
            return Err(Error::validation(
                "email_enabled",
                "the user has no verified email address",
            ));
        }
        row.email_enabled = enabled;
        // A first factor is the one asked for.
        if enabled && row.preferred.is_none() && row.totp_secret.is_none() {
            row.preferred = Some(MfaFactor::Email.as_str().into());
        }
    }
    if let Some(preferred) = preferred {
        match preferred {
            Some(MfaFactor::SoftwareToken) if row.totp_secret.is_none() => {
                return Err(Error::validation(
                    "preferred",
                    "the user has not set up an authenticator app",
                ));
            }
            Some(MfaFactor::Email) if !row.email_enabled => {
                return Err(Error::validation(
                    "preferred",
                    "codes by email are not enabled for the user",
                ));
            }
            _ => {}
        }
        row.preferred = preferred.map(|f| f.as_str().to_string());
    }
    // A preference for a factor that is gone falls to what remains.
    if row.preferred.as_deref() == Some(MfaFactor::Email.as_str()) && !row.email_enabled {
        row.preferred = row
            .totp_secret
            .as_ref()
            .map(|_| MfaFactor::SoftwareToken.as_str().to_string());
    }
    row.updated_at = ctx.now();
    Ok(row)
}

/// A lost phone: removes TOTP and the recovery codes and signs the user out everywhere.
pub async fn remove_totp(ctx: &Context, user: &UserRow) -> Result<()> {
    Ok(store::remove_totp(&ctx.store, &user.pool_id, &user.id, ctx.now()).await?)
}

/// The "your security settings changed: `change`" mail, for a user with a verified address.
/// Not rate limited: only the account's own (stepped-up) actions cause it, and it must never
/// be held back.
pub fn notice(ctx: &Context, pool: &Pool, user: &UserRow, change: &str) -> Option<OutboxRow> {
    let email = user.email.as_deref().filter(|_| email_verified(user))?;
    Some(ctx.outbox.row(
        pool,
        crate::mail::security_notice(pool, email, change),
        ctx.now(),
    ))
}

/// Queues the notice of `change` (see `notice`).
pub async fn notify_change(ctx: &Context, pool: &Pool, user: &UserRow, change: &str) -> Result<()> {
    if let Some(mail) = notice(ctx, pool, user, change) {
        crate::store::outbox::enqueue(&ctx.store, &mail).await?;
        ctx.outbox.wake();
    }
    Ok(())
}
