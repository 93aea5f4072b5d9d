//! Self-service sign-up with an emailed code, confirmation, resending, and the forgotten-
//! password reset. Codes are 6 digits from the CSPRNG, stored as an HMAC, expire, allow 5
//! wrong tries, and are consumed in the same transaction as the change they authorise.
//! With enumeration protection, unknown and known accounts get the same answers.

use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::accounts::attributes::{self, Attributes};
use std::net::IpAddr;

use crate::accounts::password_policy;
use crate::accounts::throttle;
use crate::accounts::username;
use crate::accounts::users::{
    CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, UNCONFIRMED, find_user, login_key,
    new_user_row,
};
use crate::clock::Millis;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::pools::text;
use crate::store::StoreError;
use crate::store::codes::{self as store, CodeRow};
use crate::store::users::{self as users_store, UserRow};

pub const SIGNUP: &str = "signup";
pub const RESET: &str = "reset";
pub const SIGNUP_CODE_MS: Millis = 24 * 3_600_000;
pub const RESET_CODE_MS: Millis = 3_600_000;
pub const MAX_TRIES: i64 = 5;
pub const CODES_PER_HOUR: i64 = 5;
pub const RESEND_GAP_MS: Millis = 60_000;

/// What a person typed on the sign-up page.
pub struct SignUpForm {
    pub username: Option<String>,
    pub email: String,
    pub password: String,
    pub attributes: Attributes,
}

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

fn email_of(user: &UserRow) -> Option<&str> {
    user.email.as_deref()
}

fn email_verified(user: &UserRow) -> bool {
    serde_json::from_str::<Attributes>(&user.attributes)
        .ok()
        .and_then(|a| a.get("email_verified").and_then(Value::as_bool))
        .unwrap_or(false)
}

fn new_code_row(
    ctx: &Context,
    user: &UserRow,
    purpose: &str,
    code: &str,
    lifetime: Millis,
) -> CodeRow {
    let now = ctx.now();
    CodeRow {
        id: uuid::Uuid::new_v4().to_string(),
        pool_id: user.pool_id.clone(),
        user_id: user.id.clone(),
        purpose: purpose.to_string(),
        code_hash: ctx.code_digest(&user.id, purpose, code),
        attempts: 0,
        created_at: now,
        expires_at: now + lifetime,
        consumed_at: None,
    }
}

/// Sends a new code of `purpose` unless the user had 5 this hour or one in the last minute.
async fn send_code(ctx: &Context, pool: &Pool, user: &UserRow, purpose: &str) -> Result<Resend> {
    let Some(email) = email_of(user) else {
        return Ok(Resend::Sent);
    };
    let now = ctx.now();
    let (count, last) = store::recent(&ctx.store, &user.id, purpose, now - 3_600_000).await?;
    if count >= CODES_PER_HOUR || last.is_some_and(|t| now - t < RESEND_GAP_MS) {
        return Ok(Resend::TooSoon);
    }
    let code = crate::mail::new_code();
    let (row, mail) = if purpose == RESET {
        (
            new_code_row(ctx, user, RESET, &code, RESET_CODE_MS),
            crate::mail::reset(pool, email, &code),
        )
    } else {
        (
            new_code_row(ctx, user, SIGNUP, &code, SIGNUP_CODE_MS),
            crate::mail::verification(pool, email, &code),
        )
    };
    store::replace_code(&ctx.store, &row, &ctx.outbox.row(pool, mail, now)).await?;
    ctx.outbox.wake();
    Ok(Resend::Sent)
}

/// Creates an `UNCONFIRMED` user with a code and its mail, in one transaction. An account
/// that exists already answers the same (when `protect`) and its owner gets a note instead.
/// Returns the name the person signs in with.
pub async fn sign_up(
    ctx: &Context,
    pool: &Pool,
    form: SignUpForm,
    protect: bool,
) -> Result<String> {
    if pool.config.allow_admin_create_user_only {
        return Err(Error::Conflict("sign-up is disabled for this pool".into()));
    }
    let email = username::email_for(pool, "email", form.email.trim())?;
    if !text::is_email(&email) {
        return Err(Error::validation("email", "must be a valid email address"));
    }
    let username = if pool.config.email_is_username() {
        email.clone()
    } else {
        username::for_new_user(form.username.as_deref().unwrap_or_default().trim())?
    };
    password_policy::check("password", &pool.config.password_policy, &form.password)?;
    let mut attrs = form.attributes.clone();
    attrs.insert("email".into(), Value::String(email.clone()));
    attrs.insert("email_verified".into(), Value::Bool(false));
    let attrs = attributes::for_new_user(&pool.config, &attrs)?;

    // Both branches pay for one argon2 hash, so timing does not tell them apart.
    let hash = ctx.hasher.hash(&form.password).await?;
    let existing = match find_user(ctx, pool, &username).await {
        Ok(user) => Some(user),
        Err(Error::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    if let Some(user) = existing {
        return existing_account(ctx, pool, &user, &username, protect, Some((hash, attrs))).await;
    }
    // In a username pool, an address that already belongs to a confirmed account gets the
    // notice, not a second account.
    if !pool.config.email_is_username()
        && let Some(owner) = users_store::confirmed_with_email(&ctx.store, &pool.id, &email).await?
    {
        return existing_account(ctx, pool, &owner, &username, protect, None).await;
    }
    let id = uuid::Uuid::new_v4().to_string();
    let stored_username = if pool.config.email_is_username() {
        id.clone()
    } else {
        username.clone()
    };
    let now = ctx.now();
    let row = new_user_row(
        pool,
        id,
        stored_username,
        &attrs,
        UNCONFIRMED,
        hash,
        None,
        now,
    )?;
    let code = crate::mail::new_code();
    let code_row = new_code_row(ctx, &row, SIGNUP, &code, SIGNUP_CODE_MS);
    let mail = ctx
        .outbox
        .row(pool, crate::mail::verification(pool, &email, &code), now);
    match users_store::insert_with(&ctx.store, &row, Some(&code_row), &[mail]).await {
        Ok(()) => {
            ctx.outbox.wake();
            Ok(username)
        }
        // Someone took the name between our lookup and our insert.
        Err(StoreError::Conflict(_)) => match find_user(ctx, pool, &username).await {
            Ok(user) => existing_account(ctx, pool, &user, &username, protect, None).await,
            Err(_) => Err(Error::Conflict(
                "an account with this username already exists".into(),
            )),
        },
        Err(e) => Err(e.into()),
    }
}

/// Notices to one address about sign-up attempts: at most one an hour, so the page cannot
/// be used to flood someone's inbox.
const ATTEMPT_NOTICE_GAP_MS: Millis = 3_600_000;

async fn existing_account(
    ctx: &Context,
    pool: &Pool,
    user: &UserRow,
    username: &str,
    protect: bool,
    fresh: Option<(String, Attributes)>,
) -> Result<String> {
    if !protect {
        return Err(Error::Conflict(
            "an account with this username already exists".into(),
        ));
    }
    if user.status == UNCONFIRMED {
        let mut user = user.clone();
        // The newest sign-up wins: whoever confirms the address gets the password they chose
        // themselves, never one an earlier, unconfirmed sign-up planted.
        if let Some((hash, attrs)) = fresh {
            let version = user.version;
            let mut updated = new_user_row(
                pool,
                user.id.clone(),
                user.username.clone(),
                &attrs,
                UNCONFIRMED,
                hash,
                None,
                user.created_at,
            )?;
            updated.version = version;
            updated.updated_at = ctx.now();
            if users_store::save(&ctx.store, &updated, version).await? {
                updated.version += 1;
                user = updated;
            }
        }
        // A new code to the address on file, as a resend would.
        send_code(ctx, pool, &user, SIGNUP).await?;
    } else if let Some(email) = email_of(user) {
        let now = ctx.now();
        let recent = crate::store::outbox::recent_to(
            &ctx.store,
            email,
            "signup_attempt",
            now - ATTEMPT_NOTICE_GAP_MS,
        )
        .await?;
        if recent == 0 {
            let mail = ctx
                .outbox
                .row(pool, crate::mail::signup_attempt(pool, email), now);
            crate::store::outbox::enqueue(&ctx.store, &mail).await?;
            ctx.outbox.wake();
        } else {
            // A new account costs a committed write; without one here, a sign-up for a
            // taken address would answer measurably sooner (a commit is milliseconds on
            // PostgreSQL) and tell the asker the account exists.
            users_store::touch(&ctx.store, &user.id).await?;
        }
    }
    Ok(username.to_string())
}

/// Checks a code against the user's live code of `purpose`, counting wrong tries.
async fn check_code(
    ctx: &Context,
    user: &UserRow,
    purpose: &str,
    code: &str,
) -> Result<std::result::Result<CodeRow, CodeCheck>> {
    let code = code.trim();
    let Some(live) = store::live_code(&ctx.store, &user.id, purpose, ctx.now()).await? else {
        return Ok(Err(CodeCheck::Rejected));
    };
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    let digest = ctx.code_digest(&user.id, purpose, code);
    if well_formed && bool::from(digest.as_bytes().ct_eq(live.code_hash.as_bytes())) {
        return Ok(Ok(live));
    }
    let tries = store::record_wrong_guess(&ctx.store, &live.id, MAX_TRIES, ctx.now()).await?;
    Ok(Err(if tries >= MAX_TRIES {
        CodeCheck::TooManyTries
    } else {
        CodeCheck::Rejected
    }))
}

/// Confirms a sign-up: the right code marks the user `CONFIRMED` with a verified email.
/// Returns the confirmed user with the check.
pub async fn confirm_sign_up(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    code: &str,
    address: Option<IpAddr>,
) -> Result<(CodeCheck, Option<UserRow>)> {
    let Some(key) = guess_key(pool, login) else {
        return Ok((CodeCheck::Rejected, None));
    };
    if throttle::is_locked(ctx, &pool.id, &key, address).await? {
        return Ok((CodeCheck::Rejected, None));
    }
    let outcome = confirm_unthrottled(ctx, pool, login, code).await?;
    count_guess(ctx, pool, &key, address, &outcome.0).await?;
    Ok(outcome)
}

/// Code guesses are throttled like sign-ins: per typed name (known or not) and per
/// address, so guessing cannot be spread over many accounts from one place.
fn guess_key(pool: &Pool, login: &str) -> Option<String> {
    let login = login.trim();
    if login.is_empty() || login.len() > 512 || login.chars().any(char::is_control) {
        return None;
    }
    Some(format!("code:{}", login_key(pool, login)))
}

async fn count_guess(
    ctx: &Context,
    pool: &Pool,
    key: &str,
    address: Option<IpAddr>,
    outcome: &CodeCheck,
) -> Result<()> {
    match outcome {
        CodeCheck::Accepted => throttle::record_success(ctx, &pool.id, key).await,
        _ => throttle::record_failure(ctx, &pool.id, key, address).await,
    }
}

async fn confirm_unthrottled(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    code: &str,
) -> Result<(CodeCheck, Option<UserRow>)> {
    for _ in 0..5 {
        let user = match find_user(ctx, pool, login.trim()).await {
            Ok(user) if user.status == UNCONFIRMED => user,
            Ok(_) | Err(Error::NotFound(_)) => return Ok((CodeCheck::Rejected, None)),
            Err(e) => return Err(e),
        };
        let live = match check_code(ctx, &user, SIGNUP, code).await? {
            Ok(live) => live,
            Err(outcome) => return Ok((outcome, None)),
        };
        let mut confirmed = user.clone();
        let mut attrs: Attributes =
            serde_json::from_str(&user.attributes).map_err(StoreError::from)?;
        attrs.insert("email_verified".into(), Value::Bool(true));
        confirmed.attributes = serde_json::to_string(&attrs).map_err(StoreError::from)?;
        confirmed.status = CONFIRMED.to_string();
        if store::confirm_user(
            &ctx.store,
            &live.id,
            MAX_TRIES,
            &confirmed,
            user.version,
            ctx.now(),
        )
        .await?
        {
            confirmed.version += 1;
            return Ok((CodeCheck::Accepted, Some(confirmed)));
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// A new sign-up code for an unconfirmed user; anyone else gets the same answer and no mail.
pub async fn resend_sign_up_code(ctx: &Context, pool: &Pool, login: &str) -> Result<Resend> {
    match find_user(ctx, pool, login.trim()).await {
        Ok(user) if user.status == UNCONFIRMED => send_code(ctx, pool, &user, SIGNUP).await,
        Ok(_) | Err(Error::NotFound(_)) => Ok(Resend::Sent),
        Err(e) => Err(e),
    }
}

/// Sends a reset code when the account exists, is enabled and has a verified email.
/// Answers the same in every case.
pub async fn forgot_password(ctx: &Context, pool: &Pool, login: &str) -> Result<()> {
    let login = login.trim();
    if login.is_empty() || login.len() > 512 || login.chars().any(char::is_control) {
        return Ok(());
    }
    match find_user(ctx, pool, login).await {
        Ok(user) if user.enabled && email_verified(&user) => {
            send_code(ctx, pool, &user, RESET).await?;
            Ok(())
        }
        Ok(_) | Err(Error::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets a new password with a reset code. The user is `CONFIRMED` afterwards (from
/// `RESET_REQUIRED` or `FORCE_CHANGE_PASSWORD` too), and every session and refresh token
/// of the user is revoked.
pub async fn reset_password(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    code: &str,
    new_password: &str,
    confirm_password: &str,
    address: Option<IpAddr>,
) -> Result<CodeCheck> {
    let Some(key) = guess_key(pool, login) else {
        return Ok(CodeCheck::Rejected);
    };
    if throttle::is_locked(ctx, &pool.id, &key, address).await? {
        return Ok(CodeCheck::Rejected);
    }
    let outcome = reset_unthrottled(ctx, pool, login, code, new_password, confirm_password).await?;
    count_guess(ctx, pool, &key, address, &outcome).await?;
    Ok(outcome)
}

async fn reset_unthrottled(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    code: &str,
    new_password: &str,
    confirm_password: &str,
) -> Result<CodeCheck> {
    if new_password != confirm_password {
        return Err(Error::validation(
            "confirm_password",
            "the passwords do not match",
        ));
    }
    password_policy::check("new_password", &pool.config.password_policy, new_password)?;
    let login = login.trim();
    if login.is_empty() || login.len() > 512 || login.chars().any(char::is_control) {
        return Ok(CodeCheck::Rejected);
    }
    let hash = ctx.hasher.hash(new_password).await?;
    for _ in 0..5 {
        let user = match find_user(ctx, pool, login).await {
            Ok(user) => user,
            Err(Error::NotFound(_)) => return Ok(CodeCheck::Rejected),
            Err(e) => return Err(e),
        };
        let live = match check_code(ctx, &user, RESET, code).await? {
            Ok(live) => live,
            Err(outcome) => return Ok(outcome),
        };
        let mut updated = user.clone();
        updated.password_hash = Some(hash.clone());
        if matches!(user.status.as_str(), RESET_REQUIRED | FORCE_CHANGE_PASSWORD) {
            updated.status = CONFIRMED.to_string();
        }
        let now = ctx.now();
        if store::reset_password(&ctx.store, &live.id, MAX_TRIES, &updated, user.version, now)
            .await?
        {
            crate::store::oauth::revoke_user(&ctx.store, &pool.id, &user.id, now).await?;
            return Ok(CodeCheck::Accepted);
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// For the admin `reset-password` action: a reset code by mail when the user has a
/// verified email (throttled like any other).
pub async fn send_reset_code(ctx: &Context, pool: &Pool, user: &UserRow) -> Result<()> {
    if user.enabled && email_verified(user) {
        send_code(ctx, pool, user, RESET).await?;
    }
    Ok(())
}
