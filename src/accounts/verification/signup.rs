//! Self-service sign-up: an `UNCONFIRMED` account with its code and mail, in one
//! transaction. With enumeration protection, a name or address that is taken answers as a
//! new account would, and its owner gets a note instead.

use std::net::IpAddr;

use serde_json::Value;

use crate::accounts::attributes::{self, Attributes};
use crate::accounts::factors::codes::{
    MAX_TRIES, SIGNUP, SIGNUP_CODE_MS, mailbox_key, new_code_row, send_code,
};
use crate::accounts::factors::rates::{self, Rate, limit_address};
use crate::accounts::password_policy;
use crate::accounts::signin::password::refused_password_digest;
use crate::accounts::signin::srp;
use crate::accounts::username;
use crate::accounts::users::lookup::{UNCONFIRMED, find_user, login_key, new_user_row};
use crate::clock::Millis;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::pools::text;
use crate::store::StoreError;
use crate::store::refused_sign_ups;
use crate::store::user_codes;
use crate::store::users::{self as users_store, UserRow};

/// What a person typed on the sign-up page.
pub struct SignUpForm {
    pub username: Option<String>,
    pub email: String,
    pub password: String,
    pub attributes: Attributes,
    /// The browser that submitted it (an opaque digest), when there is one.
    pub submitted_by: Option<String>,
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
        return Err(Error::state("sign-up is disabled for this pool"));
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
            if !protect {
                return Err(name_exists());
            }
            return existing_account(ctx, pool, &user, &fresh).await;
        }
        // In a username pool, an address that already belongs to a confirmed account gets the
        // notice, not a second account.
        if !pool.config.email_is_username()
            && let Some(owner) =
                users_store::confirmed_with_email(&ctx.store, &pool.id, &fresh.email).await?
        {
            if !protect {
                return Err(name_exists());
            }
            return taken(ctx, pool, &owner, &fresh).await;
        }
        // Someone may take the name between our lookup and our insert: then it is answered
        // as a name that was taken all along.
        if let Some(row) = create_unconfirmed(ctx, pool, &fresh).await? {
            srp::remember(ctx, &row, &fresh.password).await;
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
    let mail_allowed = rates::take(ctx, Rate::MailTo, &mailbox_key(&fresh.email)).await?;
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

/// A taken name, refused openly: only a client that does not protect its users says so.
fn name_exists() -> Error {
    Error::exists("an account with this username already exists")
}

/// A sign-up for a name that exists. An unconfirmed one is taken over by the newest
/// sign-up (whoever confirms gets the password they chose themselves, never one an earlier
/// sign-up planted), and any code it had dies with the old address and password.
async fn existing_account(
    ctx: &Context,
    pool: &Pool,
    user: &UserRow,
    fresh: &Fresh,
) -> Result<SignedUp> {
    if user.status != UNCONFIRMED {
        return taken(ctx, pool, user, fresh).await;
    }
    let address_changes = user.email.as_deref() != Some(fresh.email.as_str());
    if address_changes
        && !pool.config.email_is_username()
        && let Some(owner) =
            users_store::confirmed_with_email(&ctx.store, &pool.id, &fresh.email).await?
    {
        // Moving the pending name onto someone else's confirmed address is refused like a
        // new name would be: the owner gets the notice, the pending sign-up stays as it was.
        return taken(ctx, pool, &owner, fresh).await;
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
    srp::remember(ctx, &updated, &fresh.password).await;
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
async fn taken(ctx: &Context, pool: &Pool, owner: &UserRow, fresh: &Fresh) -> Result<SignedUp> {
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
        if recent == 0 && rates::take(ctx, Rate::MailTo, &mailbox_key(email)).await? {
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
