//! A signed-in user proving an email address (`GetUserAttributeVerificationCode`,
//! `VerifyUserAttribute`): a code to the address the account has now; the right one marks
//! it verified, in the same transaction that spends the code.

use std::net::IpAddr;

use serde_json::Value;

use crate::accounts::attributes::Attributes;
use crate::accounts::factors::codes::{
    self, CodeCheck, MAX_TRIES, Resend, SIGNUP, begin_guess, check_code,
};
use crate::context::Context;
use crate::error::Result;
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::user_codes;
use crate::store::users::UserRow;

/// Sends a code to the user's address.
pub async fn send(ctx: &Context, pool: &Pool, user: &UserRow) -> Result<Resend> {
    codes::send_code(ctx, pool, user, SIGNUP).await
}

/// Checks the code; the address is verified if it is right.
pub async fn verify(
    ctx: &Context,
    pool: &Pool,
    user: UserRow,
    code: &str,
    address: Option<IpAddr>,
) -> Result<CodeCheck> {
    let Some(attempt) = begin_guess(ctx, pool, &user.username, Some(&user), address).await? else {
        return Ok(CodeCheck::Rejected);
    };
    let outcome = async {
        let live = match check_code(ctx, &user, SIGNUP, code).await? {
            Ok(live) => live,
            Err(outcome) => return Ok(outcome),
        };
        let mut verified = user.clone();
        let mut attrs: Attributes =
            serde_json::from_str(&user.attributes).map_err(StoreError::from)?;
        attrs.insert("email_verified".into(), Value::Bool(true));
        verified.attributes = serde_json::to_string(&attrs).map_err(StoreError::from)?;
        let saved = user_codes::confirm_user(
            &ctx.store,
            &live.id,
            MAX_TRIES,
            &verified,
            user.version,
            ctx.now(),
        )
        .await?;
        Ok(if saved {
            CodeCheck::Accepted
        } else {
            CodeCheck::Rejected
        })
    }
    .await;
    match &outcome {
        Ok(CodeCheck::Accepted) => attempt.succeeded().await?,
        Ok(_) => attempt.failed().await?,
        Err(_) => attempt.abandoned().await?,
    }
    outcome
}
