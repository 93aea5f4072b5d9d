//! Password sign-in and the forced new password after a temporary one. Unknown users cost
//! the same argon2 verification as known ones, and every failure a stranger could cause
//! reads the same.

use std::net::IpAddr;

use crate::accounts::password_policy;
use crate::accounts::throttle;
use crate::accounts::users::{
    CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, UNCONFIRMED, find_by_sub, find_user,
    login_key,
};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::users::{self as store, UserRow};

#[derive(Debug)]
pub enum SignIn {
    /// Right password, and the user may sign in.
    Success(UserRow),
    /// Right temporary password: a new password must be chosen first.
    NewPasswordRequired(UserRow),
    /// Right temporary password, but it has expired.
    TemporaryPasswordExpired,
    /// Right password, but an admin asked for a reset.
    ResetRequired,
    /// Right password, but the account is disabled.
    NotAllowed,
    /// Right password, but the email was never confirmed: on to the confirm page.
    Unconfirmed(UserRow),
    /// Wrong username or password.
    Invalid,
    /// Too many recent failures for this username or address; nothing was checked.
    Throttled,
}

pub async fn authenticate(
    ctx: &Context,
    pool: &Pool,
    username: &str,
    password: &str,
    address: Option<IpAddr>,
) -> Result<SignIn> {
    // Nothing a real username could be reaches the store or the throttle table, but the
    // answer costs the same hash as any other failure.
    if username.is_empty() || username.len() > 512 || username.chars().any(char::is_control) {
        ctx.hasher.verify_dummy(password).await?;
        return Ok(SignIn::Invalid);
    }
    let key = login_key(pool, username);
    // A locked name or address is refused before any hashing, known or not.
    let standing = throttle::standing(ctx, &pool.id, &key, address).await?;
    if standing.locked {
        return Ok(SignIn::Throttled);
    }
    let outcome = check_password(ctx, pool, username, password).await?;
    match outcome {
        SignIn::Invalid => throttle::record_failure(ctx, &pool.id, &key, address).await?,
        // Nothing to forget is the common case: no write for it.
        _ if standing.user_failures => throttle::record_success(ctx, &pool.id, &key).await?,
        _ => {}
    }
    Ok(outcome)
}

async fn check_password(
    ctx: &Context,
    pool: &Pool,
    username: &str,
    password: &str,
) -> Result<SignIn> {
    if username.is_empty() || password.is_empty() || password.len() > 1024 {
        ctx.hasher.verify_dummy(password).await?;
        return Ok(SignIn::Invalid);
    }
    let user = match find_user(ctx, pool, username).await {
        Ok(user) => user,
        Err(Error::NotFound(_)) => {
            ctx.hasher.verify_dummy(password).await?;
            return Ok(SignIn::Invalid);
        }
        Err(e) => return Err(e),
    };
    let verified = match &user.password_hash {
        Some(hash) => ctx.hasher.verify(password, hash).await?,
        None => ctx.hasher.verify_dummy(password).await?,
    };
    if !verified {
        return Ok(SignIn::Invalid);
    }
    if !user.enabled {
        return Ok(SignIn::NotAllowed);
    }
    if user.status == UNCONFIRMED {
        // The right password proves who is asking: telling them to confirm reveals nothing.
        return Ok(SignIn::Unconfirmed(user));
    }
    Ok(match user.status.as_str() {
        CONFIRMED => SignIn::Success(user),
        FORCE_CHANGE_PASSWORD
            if user
                .temporary_password_expires_at
                .is_some_and(|t| t <= ctx.now()) =>
        {
            SignIn::TemporaryPasswordExpired
        }
        FORCE_CHANGE_PASSWORD => SignIn::NewPasswordRequired(user),
        RESET_REQUIRED => SignIn::ResetRequired,
        _ => SignIn::NotAllowed,
    })
}

/// Replaces a temporary password with one the user chose; the user is then `CONFIRMED`.
pub async fn choose_new_password(
    ctx: &Context,
    pool: &Pool,
    user_id: &str,
    new_password: &str,
    confirm_password: &str,
) -> Result<UserRow> {
    if new_password != confirm_password {
        return Err(Error::validation(
            "confirm_password",
            "the passwords do not match",
        ));
    }
    password_policy::check("new_password", &pool.config.password_policy, new_password)?;
    let hash = ctx.hasher.hash(new_password).await?;
    for _ in 0..5 {
        let Some(mut user) = find_by_sub(ctx, &pool.id, user_id).await? else {
            return Err(Error::NotFound("user"));
        };
        let expired = user
            .temporary_password_expires_at
            .is_some_and(|t| t <= ctx.now());
        if user.status != FORCE_CHANGE_PASSWORD || !user.enabled || expired {
            return Err(Error::Conflict(
                "this account no longer needs a new password".into(),
            ));
        }
        let version = user.version;
        user.password_hash = Some(hash.clone());
        user.status = CONFIRMED.to_string();
        user.temporary_password_expires_at = None;
        user.updated_at = ctx.now();
        if store::save(&ctx.store, &user, version).await? {
            user.version += 1;
            return Ok(user);
        }
    }
    Err(Error::Store(StoreError::Contention))
}
