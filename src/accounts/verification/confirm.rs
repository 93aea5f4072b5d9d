//! A sign-up's confirmation with the code it mailed, and a new code on request. Codes are
//! 6 digits from the CSPRNG, stored as an HMAC, expire, allow 5 wrong tries, and are
//! consumed in the same transaction as the change they authorise. With enumeration
//! protection, unknown and known accounts get the same answers.

use std::net::IpAddr;

use serde_json::Value;

use crate::accounts::attributes::Attributes;
use crate::accounts::factors::codes::{
    CodeCheck, MAX_TRIES, Resend, SIGNUP, begin_guess, check_code, padded, send_code, typed_login,
};
use crate::accounts::factors::rates::{Rate, limit_address};
use crate::accounts::users::lookup::{CONFIRMED, RESET_REQUIRED, UNCONFIRMED, find_user};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::user_codes;
use crate::store::users::UserRow;

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
    padded(async {
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
            Some(user) if user.status == UNCONFIRMED => {
                confirm_user(ctx, user, code, confirmer).await
            }
            _ => Ok((CodeCheck::Rejected, None)),
        };
        match &outcome {
            Ok((CodeCheck::Accepted, _)) => attempt.succeeded().await?,
            Ok(_) => attempt.failed().await?,
            Err(_) => attempt.abandoned().await?,
        }
        outcome
    })
    .await
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
