//! An authenticator app set up by a signed-in user of the API (`AssociateSoftwareToken` and
//! `VerifySoftwareToken` with an access token). The secret waits, sealed, in a pending step
//! that only that access token names, until its first code confirms it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::accounts::factors::mfa;
use crate::accounts::factors::step_up::{self, Needed};
use crate::accounts::signin::machine::{Binding, Origin, Start, Step};
use crate::accounts::signin::steps::{NewStep, STEP_LIFETIME_MS, save_step_replacing, take};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::StoreError;
use crate::store::users::UserRow;

/// The pending step's token: keyed with a server key over the access token's id, so only
/// the server can name it from the token (a `jti` is no secret: APIs log it).
fn token_for(ctx: &Context, access_jti: &str) -> String {
    let tag = aws_lc_rs::hmac::sign(
        &ctx.code_key,
        format!("totp-enrol\n{access_jti}").as_bytes(),
    );
    URL_SAFE_NO_PAD.encode(tag.as_ref())
}

fn start<'a>(pool: &'a Pool, client_id: &'a str) -> Start<'a> {
    Start {
        pool,
        client_id,
        binding: Binding::Opaque,
        origin: Origin::default(),
    }
}

/// The access token a set-up is made with: its id, and what its sign-in proved and when.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub jti: &'a str,
    pub origin_jti: &'a str,
    pub auth_time: crate::clock::Millis,
}

/// The rule of `step_up` for this token's user as their factors stand now.
async fn may_change(
    ctx: &Context,
    pool: &Pool,
    user: &UserRow,
    signed: &Signed<'_>,
) -> Result<std::result::Result<(), Needed>> {
    step_up::check_api(ctx, &pool.id, user, signed.origin_jti, signed.auth_time).await
}

/// A new secret for `user` (base32, as `SecretCode`), replacing any pending one; refused
/// (see `step_up`) where the user has a factor this token's sign-in did not lately prove.
pub async fn begin(
    ctx: &Context,
    pool: &Pool,
    client_id: &str,
    user: &UserRow,
    signed: &Signed<'_>,
) -> Result<std::result::Result<String, Needed>> {
    if let Err(needed) = may_change(ctx, pool, user, signed).await? {
        return Ok(Err(needed));
    }
    let access_jti = signed.jti;
    let sealed = mfa::new_totp_secret(ctx, &user.id)?;
    let secret = mfa::open_totp_secret(ctx, &user.id, &sealed)?;
    save_step_replacing(
        ctx,
        &start(pool, client_id),
        NewStep {
            user,
            step: Step::TotpEnrol,
            amr: "",
            auth_time: ctx.now(),
            setup_secret: Some(sealed),
            expires_at: Some(ctx.now() + STEP_LIFETIME_MS),
        },
        &token_for(ctx, access_jti),
    )
    .await?;
    Ok(Ok(crate::crypto::totp::base32(&secret)))
}

/// What a code did to a pending set-up.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    /// The app is the user's factor now.
    Enabled,
    /// A wrong code; the set-up still waits.
    WrongCode,
    /// No set-up is pending for this access token.
    NothingPending,
    /// The user has a factor this token's sign-in did not lately prove (`step_up`).
    StepUpNeeded(Needed),
}

pub async fn verify(
    ctx: &Context,
    pool: &Pool,
    client_id: &str,
    signed: &Signed<'_>,
    code: &str,
) -> Result<Verified> {
    let start = start(pool, client_id);
    let token = token_for(ctx, signed.jti);
    let Some((row, user)) = take(ctx, &start, &token, &[Step::TotpEnrol]).await? else {
        return Ok(Verified::NothingPending);
    };
    // Judged again as the factors stand now: one may have been set up since `begin`.
    if let Err(needed) = may_change(ctx, pool, &user, signed).await? {
        return Ok(Verified::StepUpNeeded(needed));
    }
    let Some(sealed) = row.setup_secret.as_deref() else {
        return Ok(Verified::NothingPending);
    };
    let Some(step) = mfa::confirm_new_secret(ctx, &user.id, sealed, code)? else {
        save_step_replacing(
            ctx,
            &start,
            NewStep {
                user: &user,
                step: Step::TotpEnrol,
                amr: "",
                auth_time: row.auth_time,
                setup_secret: Some(sealed.to_string()),
                expires_at: Some(row.expires_at),
            },
            &token,
        )
        .await?;
        return Ok(Verified::WrongCode);
    };
    let settings = mfa::current_row(ctx, &user).await?;
    let replaced = settings.totp_secret.is_some();
    // The old app's recovery codes are replaced with the new set in the same write.
    match mfa::enable_totp(ctx, settings, sealed, step).await {
        Ok(_) => {}
        Err(Error::Store(StoreError::Contention)) => return Ok(Verified::NothingPending),
        Err(e) => return Err(e),
    }
    let change = if replaced {
        "a new authenticator app replaced the old one, and its recovery codes no longer work"
    } else {
        "an authenticator app was set up"
    };
    mfa::notify_change(ctx, pool, &user, change).await?;
    Ok(Verified::Enabled)
}
