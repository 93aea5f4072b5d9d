//! Self-service sign-up with an emailed code, confirmation, resending, and the forgotten-
//! password reset. Codes are 6 digits from the CSPRNG, stored as an HMAC, expire, allow 5
//! wrong tries, and are consumed in the same transaction as the change they authorise.
//! With enumeration protection, unknown and known accounts get the same answers.

use std::net::IpAddr;

use serde_json::Value;

use crate::accounts::attributes::{self, Attributes};
use crate::accounts::factors::throttle::{self, Rate};
use crate::accounts::password_policy;
use crate::accounts::signin::password::refused_password_digest;
use crate::accounts::username;
use crate::accounts::users::lookup::{
    CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, UNCONFIRMED, find_user, login_key,
    new_user_row,
};
use crate::clock::Millis;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::pools::text;
use crate::store::StoreError;
use crate::store::refused_sign_ups;
use crate::store::user_codes;
use crate::store::users::{self as users_store, UserRow};

pub use crate::accounts::factors::codes::{
    CodeCheck, MAX_TRIES, RESET, Resend, SIGNUP, SIGNUP_CODE_MS,
};
use crate::accounts::factors::codes::{
    begin_guess, check_code, mailbox_key, new_code_row, padded, send_code, typed_login,
};

/// What a person typed on the sign-up page.
pub struct SignUpForm {
    pub username: Option<String>,
    pub email: String,
    pub password: String,
    pub attributes: Attributes,
    /// The browser that submitted it (an opaque digest), when there is one.
    pub submitted_by: Option<String>,
}

fn email_verified(user: &UserRow) -> bool {
    serde_json::from_str::<Attributes>(&user.attributes)
        .ok()
        .and_then(|a| a.get("email_verified").and_then(Value::as_bool))
        .unwrap_or(false)
}

/// Counts one request from `address` against `rate`; past it the caller is told to wait
/// (a limit on the caller, which says nothing about any account).
async fn limit_address(ctx: &Context, rate: Rate, address: Option<IpAddr>) -> Result<()> {
    match address {
        Some(ip) if !throttle::take(ctx, rate, &ip.to_string()).await? => {
            Err(Error::TooManyRequests)
        }
        _ => Ok(()),
    }
}

/// A sign-up as submitted, checked and hashed.
struct Fresh {
    username: String,
    email: String,
    /// Kept in memory only, for the refused sign-up's keyed digest.
    password: String,
    hash: String,
    attrs: Attributes,
    submitted_by: Option<String>,
}

/// What a sign-up answers: the name the person signs in with and the account's `sub`. A
/// sign-up refused under enumeration protection gets a `sub` no account has.
#[derive(Debug)]
pub struct SignedUp {
    pub username: String,
    pub sub: String,
}

/// Creates an `UNCONFIRMED` user with a code and its mail, in one transaction. An account
/// that exists already answers the same (when `protect`) and its owner gets a note instead.
pub async fn sign_up(
    ctx: &Context,
    pool: &Pool,
    form: SignUpForm,
    protect: bool,
    address: Option<IpAddr>,
) -> Result<SignedUp> {
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
    // Each sign-up costs a hash and a mail: one address gets so many an hour.
    limit_address(ctx, Rate::SignUpsFrom, address).await?;

    // Both branches pay for one argon2 hash, so timing does not tell them apart.
    let hash = ctx.hasher.hash(&form.password).await?;
    let fresh = Fresh {
        username,
        email,
        password: form.password,
        hash,
        attrs,
        submitted_by: form.submitted_by,
    };
    for _ in 0..5 {
        let existing = match find_user(ctx, pool, &fresh.username).await {
            Ok(user) => Some(user),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        if let Some(user) = existing {
            return existing_account(ctx, pool, &user, &fresh, protect).await;
        }
        // In a username pool, an address that already belongs to a confirmed account gets the
        // notice, not a second account.
        if !pool.config.email_is_username()
            && let Some(owner) =
                users_store::confirmed_with_email(&ctx.store, &pool.id, &fresh.email).await?
        {
            return taken(ctx, pool, &owner, &fresh, protect).await;
        }
        // Someone may take the name between our lookup and our insert: then it is answered
        // as a name that was taken all along.
        if let Some(row) = create_unconfirmed(ctx, pool, &fresh).await? {
            crate::accounts::signin::srp::remember(ctx, &row, &fresh.password).await;
            return Ok(SignedUp {
                username: fresh.username,
                sub: row.id,
            });
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// A new `UNCONFIRMED` account, with its code and mail when the address may have more mail
/// this hour (otherwise the person asks for a code later). `None` if the name was taken.
async fn create_unconfirmed(ctx: &Context, pool: &Pool, fresh: &Fresh) -> Result<Option<UserRow>> {
    let id = uuid::Uuid::new_v4().to_string();
    let stored_username = if pool.config.email_is_username() {
        id.clone()
    } else {
        fresh.username.clone()
    };
    let now = ctx.now();
    let mut row = new_user_row(
        pool,
        id,
        stored_username,
        &fresh.attrs,
        UNCONFIRMED,
        fresh.hash.clone(),
        None,
        now,
    )?;
    row.signup_submitted_by = fresh.submitted_by.clone();
    let mail_allowed = throttle::take(ctx, Rate::MailTo, &mailbox_key(&fresh.email)).await?;
    let code = crate::mail::new_code();
    let code_row = new_code_row(ctx, &row, SIGNUP, &fresh.email, &code, SIGNUP_CODE_MS);
    let mails = if mail_allowed {
        vec![ctx.outbox.row(
            pool,
            crate::mail::verification(pool, &fresh.email, &code),
            now,
        )]
    } else {
        Vec::new()
    };
    let code_row = mail_allowed.then_some(&code_row);
    match user_codes::insert_with(&ctx.store, &row, code_row, &mails).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    if mail_allowed {
        ctx.outbox.wake();
    }
    Ok(Some(row))
}

/// Notices to one address about sign-up attempts: at most one an hour, so the page cannot
/// be used to flood someone's inbox.
const ATTEMPT_NOTICE_GAP_MS: Millis = 3_600_000;

/// A sign-up for a name that exists. An unconfirmed one is taken over by the newest
/// sign-up (whoever confirms gets the password they chose themselves, never one an earlier
/// sign-up planted), and any code it had dies with the old address and password.
async fn existing_account(
    ctx: &Context,
    pool: &Pool,
    user: &UserRow,
    fresh: &Fresh,
    protect: bool,
) -> Result<SignedUp> {
    if !protect {
        return Err(Error::Conflict(
            "an account with this username already exists".into(),
        ));
    }
    if user.status != UNCONFIRMED {
        return taken(ctx, pool, user, fresh, protect).await;
    }
    let address_changes = user.email.as_deref() != Some(fresh.email.as_str());
    if address_changes
        && !pool.config.email_is_username()
        && let Some(owner) =
            users_store::confirmed_with_email(&ctx.store, &pool.id, &fresh.email).await?
    {
        // Moving the pending name onto someone else's confirmed address is refused like a
        // new name would be: the owner gets the notice, the pending sign-up stays as it was.
        return taken(ctx, pool, &owner, fresh, protect).await;
    }
    // The same address with a password from another browser: whoever holds the address did
    // not necessarily choose it, so a code then confirms the address, not the password. (A
    // new address is a new claim: its code goes to its holder, as for any sign-up.)
    let contested = !address_changes
        && (user.signup_contested
            || user.signup_submitted_by.is_none()
            || user.signup_submitted_by != fresh.submitted_by);
    let mut updated = new_user_row(
        pool,
        user.id.clone(),
        user.username.clone(),
        &fresh.attrs,
        UNCONFIRMED,
        fresh.hash.clone(),
        None,
        user.created_at,
    )?;
    updated.version = user.version;
    updated.updated_at = ctx.now();
    updated.signup_submitted_by = fresh.submitted_by.clone();
    updated.signup_contested = contested;
    if !user_codes::save_killing_codes(&ctx.store, &updated, user.version, MAX_TRIES).await? {
        // Another sign-up (or an edit) changed the pending account meanwhile. Newest wins, and
        // that one is newer: this sign-up is superseded, exactly as if it had come first.
        return Ok(SignedUp {
            username: fresh.username.clone(),
            sub: user.id.clone(),
        });
    }
    updated.version += 1;
    crate::accounts::signin::srp::remember(ctx, &updated, &fresh.password).await;
    // A new code to the new address; the dead one is no reason to wait.
    send_code(ctx, pool, &updated, SIGNUP).await?;
    Ok(SignedUp {
        username: fresh.username.clone(),
        sub: updated.id,
    })
}

/// A sign-up refused because the name or address belongs to `owner`: the owner may get a
/// notice, and the refused password is remembered so that signing in with it looks like
/// signing in to a new, unconfirmed account.
async fn taken(
    ctx: &Context,
    pool: &Pool,
    owner: &UserRow,
    fresh: &Fresh,
    protect: bool,
) -> Result<SignedUp> {
    if !protect {
        return Err(Error::Conflict(
            "an account with this username already exists".into(),
        ));
    }
    let now = ctx.now();
    let key = login_key(pool, &fresh.username);
    refused_sign_ups::remember(
        &ctx.store,
        &pool.id,
        &key,
        &refused_password_digest(ctx, &pool.id, &key, &fresh.password),
        now,
        now + SIGNUP_CODE_MS,
    )
    .await?;
    if let Some(email) = owner.email.as_deref() {
        let recent = crate::store::outbox::recent_to(
            &ctx.store,
            email,
            "signup_attempt",
            now - ATTEMPT_NOTICE_GAP_MS,
        )
        .await?;
        if recent == 0 && throttle::take(ctx, Rate::MailTo, &mailbox_key(email)).await? {
            let mail = ctx
                .outbox
                .row(pool, crate::mail::signup_attempt(pool, email), now);
            crate::store::outbox::enqueue(&ctx.store, &mail).await?;
            ctx.outbox.wake();
        } else {
            // A new account costs a committed write; without one here, a sign-up for a
            // taken address would answer measurably sooner (a commit is milliseconds on
            // PostgreSQL) and tell the asker the account exists.
            users_store::touch(&ctx.store, &owner.id).await?;
        }
    }
    Ok(SignedUp {
        username: fresh.username.clone(),
        sub: uuid::Uuid::new_v4().to_string(),
    })
}

/// Confirms a sign-up: the right code marks the user `CONFIRMED` with the address it was
/// sent to verified. Returns the confirmed user with the check. When a later sign-up had
/// replaced the password and `confirmer` (the confirming browser) did not submit it, the
/// address is verified but the password must be reset first (`RESET_REQUIRED`): the code
/// proves who holds the address, not who chose the password.
pub async fn confirm_sign_up(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    code: &str,
    address: Option<IpAddr>,
    confirmer: Option<&str>,
) -> Result<(CodeCheck, Option<UserRow>)> {
    padded(confirm_guarded(ctx, pool, login, code, address, confirmer)).await
}

async fn confirm_guarded(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    code: &str,
    address: Option<IpAddr>,
    confirmer: Option<&str>,
) -> Result<(CodeCheck, Option<UserRow>)> {
    let Some(login) = typed_login(login) else {
        return Ok((CodeCheck::Rejected, None));
    };
    let user = match find_user(ctx, pool, login).await {
        Ok(user) => Some(user),
        Err(Error::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let Some(attempt) = begin_guess(ctx, pool, login, user.as_ref(), address).await? else {
        return Ok((CodeCheck::Rejected, None));
    };
    let outcome = match user {
        Some(user) if user.status == UNCONFIRMED => confirm_user(ctx, user, code, confirmer).await,
        _ => Ok((CodeCheck::Rejected, None)),
    };
    match &outcome {
        Ok((CodeCheck::Accepted, _)) => attempt.succeeded().await?,
        Ok(_) => attempt.failed().await?,
        Err(_) => attempt.abandoned().await?,
    }
    outcome
}

async fn confirm_user(
    ctx: &Context,
    user: UserRow,
    code: &str,
    confirmer: Option<&str>,
) -> Result<(CodeCheck, Option<UserRow>)> {
    let live = match check_code(ctx, &user, SIGNUP, code).await? {
        Ok(live) => live,
        Err(outcome) => return Ok((outcome, None)),
    };
    let mut confirmed = user.clone();
    let mut attrs: Attributes = serde_json::from_str(&user.attributes).map_err(StoreError::from)?;
    attrs.insert("email_verified".into(), Value::Bool(true));
    confirmed.attributes = serde_json::to_string(&attrs).map_err(StoreError::from)?;
    let password_is_theirs = !user.signup_contested
        || (user.signup_submitted_by.is_some() && user.signup_submitted_by.as_deref() == confirmer);
    confirmed.status = if password_is_theirs {
        CONFIRMED
    } else {
        RESET_REQUIRED
    }
    .to_string();
    // Any change to the user since it was read (a new sign-up, an admin edit) means the
    // code no longer vouches for what the row holds: no confirmation, and the try is spent.
    if user_codes::confirm_user(
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
    Ok((CodeCheck::Rejected, None))
}

/// A new sign-up code for an unconfirmed user; anyone else gets the same answer and no mail.
pub async fn resend_sign_up_code(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    address: Option<IpAddr>,
) -> Result<Resend> {
    padded(async {
        limit_address(ctx, Rate::CodeRequestsFrom, address).await?;
        let Some(login) = typed_login(login) else {
            return Ok(Resend::Sent);
        };
        match find_user(ctx, pool, login).await {
            Ok(user) if user.status == UNCONFIRMED => send_code(ctx, pool, &user, SIGNUP).await,
            Ok(_) | Err(Error::NotFound(_)) => Ok(Resend::Sent),
            Err(e) => Err(e),
        }
    })
    .await
}

/// Sends a reset code when the account exists, is enabled and has a verified email.
/// Answers the same in every case.
pub async fn forgot_password(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    address: Option<IpAddr>,
) -> Result<()> {
    padded(async {
        limit_address(ctx, Rate::CodeRequestsFrom, address).await?;
        let Some(login) = typed_login(login) else {
            return Ok(());
        };
        match find_user(ctx, pool, login).await {
            // A federated user has no password here to reset: it answers as an unknown name.
            Ok(user) if user.enabled && email_verified(&user) && user.password_hash.is_some() => {
                send_code(ctx, pool, &user, RESET).await?;
                Ok(())
            }
            Ok(_) | Err(Error::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await
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
    if new_password != confirm_password {
        return Err(Error::validation(
            "confirm_password",
            "the passwords do not match",
        ));
    }
    password_policy::check("new_password", &pool.config.password_policy, new_password)?;
    padded(reset_guarded(ctx, pool, login, code, new_password, address)).await
}

async fn reset_guarded(
    ctx: &Context,
    pool: &Pool,
    login: &str,
    code: &str,
    new_password: &str,
    address: Option<IpAddr>,
) -> Result<CodeCheck> {
    let Some(login) = typed_login(login) else {
        return Ok(CodeCheck::Rejected);
    };
    let user = match find_user(ctx, pool, login).await {
        Ok(user) => Some(user),
        Err(Error::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let Some(attempt) = begin_guess(ctx, pool, login, user.as_ref(), address).await? else {
        return Ok(CodeCheck::Rejected);
    };
    // Known or not, the new password is hashed: the answer costs the same.
    let outcome = match ctx.hasher.hash(new_password).await {
        Ok(hash) => match user {
            Some(user) => reset_user(ctx, pool, user, code, hash, new_password).await,
            None => Ok(CodeCheck::Rejected),
        },
        Err(e) => Err(e.into()),
    };
    match &outcome {
        Ok(CodeCheck::Accepted) => attempt.succeeded().await?,
        Ok(_) => attempt.failed().await?,
        Err(_) => attempt.abandoned().await?,
    }
    outcome
}

async fn reset_user(
    ctx: &Context,
    pool: &Pool,
    user: UserRow,
    code: &str,
    hash: String,
    new_password: &str,
) -> Result<CodeCheck> {
    let live = match check_code(ctx, &user, RESET, code).await? {
        Ok(live) => live,
        Err(outcome) => return Ok(outcome),
    };
    let mut updated = user.clone();
    updated.password_hash = Some(hash);
    if matches!(user.status.as_str(), RESET_REQUIRED | FORCE_CHANGE_PASSWORD) {
        updated.status = CONFIRMED.to_string();
    }
    let now = ctx.now();
    if !user_codes::reset_password(&ctx.store, &live.id, MAX_TRIES, &updated, user.version, now)
        .await?
    {
        return Ok(CodeCheck::Rejected);
    }
    crate::store::oauth::revoke_user(&ctx.store, &pool.id, &user.id, now).await?;
    crate::accounts::signin::srp::remember(ctx, &updated, new_password).await;
    Ok(CodeCheck::Accepted)
}

/// For the admin `reset-password` action: a reset code by mail when the user has a
/// verified email (throttled like any other).
pub async fn send_reset_code(ctx: &Context, pool: &Pool, user: &UserRow) -> Result<()> {
    if user.enabled && email_verified(user) {
        send_code(ctx, pool, user, RESET).await?;
    }
    Ok(())
}
