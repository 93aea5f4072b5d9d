//! The forgotten-password reset: a code by mail to a verified address, then a new password
//! with it, the code consumed in the same transaction. Unknown and known accounts get the
//! same answers.

use std::net::IpAddr;

use serde_json::Value;

use crate::accounts::attributes::Attributes;
use crate::accounts::factors::codes::{
    CodeCheck, MAX_TRIES, RESET, begin_guess, check_code, padded, send_code, typed_login,
};
use crate::accounts::factors::rates::{Rate, limit_address};
use crate::accounts::password_policy;
use crate::accounts::signin::srp;
use crate::accounts::users::lookup::{CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, find_user};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::user_codes;
use crate::store::users::UserRow;

fn email_verified(user: &UserRow) -> bool {
    serde_json::from_str::<Attributes>(&user.attributes)
        .ok()
        .and_then(|a| a.get("email_verified").and_then(Value::as_bool))
        .unwrap_or(false)
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
    srp::remember(ctx, &updated, new_password).await;
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
