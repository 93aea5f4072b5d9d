//! The account's second factors, changed by the user after a step-up: an authenticator app
//! set up or removed, codes by email turned on or off, the preferred factor, new recovery
//! codes. Each change mails the user a notice in the same transaction.

use crate::accounts::account::page::{Account, Change, Refused, STEP_UP_MS, may_change, options};
use crate::accounts::factors::mfa::{self, Factors};
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::pools::pool_config::MfaConfiguration;
use crate::store::StoreError;
use crate::store::account as store;
use crate::store::mfa::MfaRow;
use crate::store::users::UserRow;

/// The secret of an authenticator app being set up (base32) and its `otpauth://` URI.
pub struct Setup {
    pub secret: String,
    pub uri: String,
}

fn setup_of(ctx: &Context, pool: &Pool, account: &Account, sealed: &str) -> Result<Setup> {
    let secret = mfa::open_totp_secret(ctx, &account.session.user.id, sealed)?;
    let issuer = pool
        .config
        .branding
        .display_name
        .clone()
        .unwrap_or_else(|| pool.name.clone());
    Ok(Setup {
        secret: crate::crypto::totp::base32(&secret),
        uri: crate::crypto::totp::otpauth_uri(&issuer, &account.name, &secret),
    })
}

/// Starts setting up an authenticator app (a first one, or a new device over the old): a
/// new secret, kept on this session for five minutes until a code confirms it.
pub async fn begin_totp(ctx: &Context, pool: &Pool, account: &Account) -> Result<Change<Setup>> {
    let now = ctx.now();
    if let Err(refused) = may_change(account, now) {
        return Ok(Err(refused));
    }
    let offered = options(pool, account);
    if !offered.enabled || !offered.settable.contains(&MfaFactor::SoftwareToken) {
        return Ok(Err(Refused::NotOffered));
    }
    let sealed = mfa::new_totp_secret(ctx, &account.session.user.id)?;
    if !store::hold_setup_secret(
        &ctx.store,
        &account.session.token_hash,
        &sealed,
        now,
        now + STEP_UP_MS,
    )
    .await?
    {
        return Ok(Err(Refused::StepUpRequired));
    }
    Ok(Ok(setup_of(ctx, pool, account, &sealed)?))
}

/// The set-up in progress, to show again after a wrong code.
pub fn pending_totp(ctx: &Context, pool: &Pool, account: &Account) -> Result<Option<Setup>> {
    match account.pending_setup(ctx.now()) {
        Some(sealed) => Ok(Some(setup_of(ctx, pool, account, sealed)?)),
        None => Ok(None),
    }
}

/// Confirms the set-up with the app's first code: the secret becomes the user's factor
/// (replacing an old one), with ten new recovery codes, returned to be shown once.
pub async fn confirm_totp(
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    code: &str,
) -> Result<Change<Vec<String>>> {
    let now = ctx.now();
    if let Err(refused) = may_change(account, now) {
        return Ok(Err(refused));
    }
    let user = &account.session.user;
    let Some(sealed) = account.pending_setup(now) else {
        return Ok(Err(Refused::SetupExpired));
    };
    let Some(step) = mfa::confirm_new_secret(ctx, &user.id, sealed, code)? else {
        return Ok(Err(Refused::Invalid));
    };
    let (codes, digests) = mfa::new_recovery_codes(ctx, &user.id);
    for _ in 0..mfa::RETRIES {
        let mut row = mfa::current_row(ctx, user).await?;
        let replaced = row.totp_secret.is_some();
        mfa::set_totp(&mut row, sealed, step, now);
        let change = if replaced {
            "a new authenticator app replaced the old one, and new recovery codes were made"
        } else {
            "an authenticator app was set up"
        };
        let notice = mfa::notice(ctx, pool, user, change);
        match store::confirm_setup(
            &ctx.store,
            &account.session.token_hash,
            sealed,
            now,
            &row,
            &digests,
            notice.as_ref(),
        )
        .await
        {
            Ok(true) => {
                ctx.outbox.wake();
                // The app's first code was just proved on this session: a step-up with it.
                store::record_step_up(&ctx.store, &account.session.token_hash, now, "otp").await?;
                return Ok(Ok(codes));
            }
            Ok(false) => return Ok(Err(Refused::SetupExpired)),
            // The settings changed since they were read: read them again.
            Err(StoreError::Contention) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// Whether removing `factor` would leave a pool that requires one without any.
fn last_factor(pool: &Pool, factors: &Factors, factor: MfaFactor) -> bool {
    if pool.config.mfa() != MfaConfiguration::On {
        return false;
    }
    let allowed = pool.config.allowed_factors();
    let others = allowed.iter().any(|f| {
        *f != factor
            && match f {
                MfaFactor::SoftwareToken => factors.totp,
                MfaFactor::Email => factors.email,
            }
    });
    !others
}

/// Removes the authenticator app and its recovery codes (the preference falls to codes by
/// email, if on). The sessions stay: the user asked, and proved it.
pub async fn remove_totp(ctx: &Context, pool: &Pool, account: &Account) -> Result<Change<()>> {
    if let Err(refused) = may_change(account, ctx.now()) {
        return Ok(Err(refused));
    }
    write_settings(
        ctx,
        pool,
        account,
        "the authenticator app and its recovery codes were removed",
        |row, factors| {
            if !factors.totp {
                return Err(Refused::NotSetUp);
            }
            if last_factor(pool, factors, MfaFactor::SoftwareToken) {
                return Err(Refused::LastFactor);
            }
            row.totp_secret = None;
            row.totp_last_step = None;
            row.totp_enabled_at = None;
            row.preferred = row
                .email_enabled
                .then(|| MfaFactor::Email.as_str().to_string());
            Ok(Recovery::Remove)
        },
    )
    .await
    .map(|r| r.map(|_| ()))
}

/// What a settings change does to the recovery codes.
enum Recovery {
    Keep,
    Remove,
    /// A new set replaces the old.
    New,
}

/// Reads the user's settings, lets `change` judge them as they are now (refusing, or editing
/// the row and saying what becomes of the recovery codes), and writes the row with the
/// notice of `what`; returns the new recovery codes, if any (shown once). Another change
/// that wrote the settings meanwhile sends it round again, so each rule is checked against
/// what is written, never against an older read.
async fn write_settings(
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    what: &str,
    change: impl Fn(&mut MfaRow, &Factors) -> Change<Recovery>,
) -> Result<Change<Option<Vec<String>>>> {
    let user = &account.session.user;
    for _ in 0..mfa::RETRIES {
        let mut row = mfa::current_row(ctx, user).await?;
        let factors = mfa::factors_in(user, &row);
        let (codes, digests) = match change(&mut row, &factors) {
            Ok(Recovery::Keep) => (None, None),
            Ok(Recovery::Remove) => (None, Some(Vec::new())),
            Ok(Recovery::New) => {
                let (codes, digests) = mfa::new_recovery_codes(ctx, &user.id);
                (Some(codes), Some(digests))
            }
            Err(refused) => return Ok(Err(refused)),
        };
        row.updated_at = ctx.now();
        let notice = mfa::notice(ctx, pool, user, what);
        match store::save_settings(&ctx.store, &row, digests.as_deref(), notice.as_ref()).await {
            Ok(()) => {
                ctx.outbox.wake();
                return Ok(Ok(codes));
            }
            Err(StoreError::Contention) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Store(StoreError::Contention))
}

/// Turns codes by email on or off.
pub async fn set_email(
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    enabled: bool,
) -> Result<Change<()>> {
    if let Err(refused) = may_change(account, ctx.now()) {
        return Ok(Err(refused));
    }
    let offered = options(pool, account);
    if enabled && (!offered.enabled || !offered.settable.contains(&MfaFactor::Email)) {
        return Ok(Err(Refused::NotOffered));
    }
    let change = if enabled {
        "sign-in codes by email were turned on"
    } else {
        "sign-in codes by email were turned off"
    };
    let user = &account.session.user;
    write_settings(ctx, pool, account, change, |row, factors| {
        if !enabled && factors.email && last_factor(pool, factors, MfaFactor::Email) {
            return Err(Refused::LastFactor);
        }
        *row = with_preferences(ctx, user, row, Some(enabled), None)?;
        Ok(Recovery::Keep)
    })
    .await
    .map(|r| r.map(|_| ()))
}

/// Makes `factor` the one asked for first.
pub async fn set_preferred(
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    factor: MfaFactor,
) -> Result<Change<()>> {
    if let Err(refused) = may_change(account, ctx.now()) {
        return Ok(Err(refused));
    }
    let change = match factor {
        MfaFactor::SoftwareToken => "the authenticator app is now asked for first",
        MfaFactor::Email => "codes by email are now asked for first",
    };
    let user = &account.session.user;
    write_settings(ctx, pool, account, change, |row, factors| {
        let set_up = match factor {
            MfaFactor::SoftwareToken => factors.totp,
            MfaFactor::Email => factors.email,
        };
        if !set_up {
            return Err(Refused::NotSetUp);
        }
        *row = with_preferences(ctx, user, row, None, Some(Some(factor)))?;
        Ok(Recovery::Keep)
    })
    .await
    .map(|r| r.map(|_| ()))
}

/// `row` with the preferences applied; what the account cannot have is not offered.
fn with_preferences(
    ctx: &Context,
    user: &UserRow,
    row: &MfaRow,
    email_enabled: Option<bool>,
    preferred: Option<Option<MfaFactor>>,
) -> Change<MfaRow> {
    mfa::with_preferences(ctx, user, row.clone(), email_enabled, preferred)
        .map_err(|_| Refused::NotOffered)
}

/// Ten new recovery codes (the old set dies), returned to be shown once.
pub async fn regenerate_recovery_codes(
    ctx: &Context,
    pool: &Pool,
    account: &Account,
) -> Result<Change<Vec<String>>> {
    if let Err(refused) = may_change(account, ctx.now()) {
        return Ok(Err(refused));
    }
    let result = write_settings(
        ctx,
        pool,
        account,
        "new recovery codes were made, and the old ones no longer work",
        |_, factors| {
            if factors.totp {
                Ok(Recovery::New)
            } else {
                Err(Refused::NotSetUp)
            }
        },
    )
    .await?;
    Ok(result.map(Option::unwrap_or_default))
}
