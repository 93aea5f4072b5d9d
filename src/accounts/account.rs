//! The self-service account page's rules, without HTTP: a signed-in user (an SSO session)
//! sets up or removes an authenticator app, turns codes by email on or off, picks the
//! preferred factor, regenerates recovery codes and changes the password. Every change
//! wants a step-up (the password or a second factor's code, proved again in the last five
//! minutes on this session), and mails the user a notice in the same transaction.

use std::net::IpAddr;

use crate::accounts::factors::codes::{CodeCheck, MAX_TRIES};
use crate::accounts::factors::mfa::{self, Factors};
use crate::accounts::factors::step_up;
use crate::accounts::sessions::{self, Session};
use crate::accounts::signin::machine::Origin;
use crate::accounts::signin::new_password::check_new_password;
use crate::accounts::signin::password::{SignIn, authenticate};
use crate::accounts::types::MfaFactor;
use crate::accounts::users::lookup::sign_in_name;
use crate::clock::Millis;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::pools::pool::MfaConfiguration;
use crate::store::StoreError;
use crate::store::account::{self as store, AccountState};
use crate::store::mfa::MfaRow;

/// How long a step-up lets the user change settings, and a set-up secret waits.
pub const STEP_UP_MS: Millis = 5 * 60_000;

/// A signed-in user on the account page.
pub struct Account {
    pub session: Session,
    pub state: AccountState,
    pub factors: Factors,
    /// The name the user signs in with.
    pub name: String,
}

impl Account {
    /// Until when changes are allowed, if the user stepped up in the last five minutes.
    pub fn stepped_up_until(&self, now: Millis) -> Option<Millis> {
        self.state
            .stepped_up_at
            .map(|t| t + STEP_UP_MS)
            .filter(|until| *until >= now)
    }

    fn stepped_up(&self, now: Millis) -> bool {
        self.stepped_up_until(now).is_some()
    }

    /// Whether the password alone may step this session up: the pool asks for no second
    /// factor, the account has none the pool uses, or this session's sign-in passed one.
    /// A session signed in with the password alone while the account had no factor (or the
    /// pool asked for none) must prove a factor now: its holder may know only the password.
    pub fn password_suffices(&self, pool: &Pool) -> bool {
        if pool.config.mfa() == MfaConfiguration::Off
            || self.session.amr.split(' ').any(|m| m == "mfa")
        {
            return true;
        }
        !pool.config.allowed_factors().iter().any(|f| match f {
            MfaFactor::SoftwareToken => self.factors.totp,
            MfaFactor::Email => self.factors.email,
        })
    }

    /// The TOTP secret being set up on this session, if it is still waiting.
    pub fn pending_setup(&self, now: Millis) -> Option<&str> {
        self.state
            .setup_secret
            .as_deref()
            .filter(|_| self.state.setup_expires_at.is_some_and(|t| t > now))
    }
}

/// What the pool lets this account do with second factors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The pool uses second factors at all (`OPTIONAL` or `ON`).
    pub enabled: bool,
    /// Factors the pool allows and this account could set up.
    pub settable: Vec<MfaFactor>,
    /// The pool requires a factor (`ON`).
    pub required: bool,
}

pub fn options(pool: &Pool, account: &Account) -> Options {
    let rule = pool.config.mfa();
    Options {
        enabled: rule != MfaConfiguration::Off,
        settable: mfa::settable(pool, &account.session.user),
        required: rule == MfaConfiguration::On,
    }
}

/// Why a change was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No step-up in the last five minutes: prove it is you first.
    StepUpRequired,
    /// The password or code is wrong.
    Invalid,
    /// Too many wrong passwords or codes; nothing was checked.
    Throttled,
    /// The set-up being confirmed is gone (taken, replaced or expired): start it again.
    SetupExpired,
    /// The pool does not offer this factor, or the account cannot have it (codes by email
    /// need a verified address).
    NotOffered,
    /// The factor is not set up.
    NotSetUp,
    /// The pool requires a second factor, and this is the account's last one.
    LastFactor,
    /// The password alone is not enough for this session: a second factor's code is.
    FactorRequired,
    /// The account has an authenticator app: only its code (on this session's sign-in or
    /// its step-up) lets its factors change.
    AppRequired,
}

pub type Change<T> = std::result::Result<T, Refused>;

/// The account behind a session cookie, if it is live and its user may be signed in.
pub async fn open(ctx: &Context, pool: &Pool, cookie: &str) -> Result<Option<Account>> {
    let Some(session) = sessions::current(ctx, &pool.id, cookie).await? else {
        return Ok(None);
    };
    let state = store::state(&ctx.store, &session.token_hash).await?;
    let factors = mfa::factors(ctx, &session.user).await?;
    let name = sign_in_name(pool, &session.user);
    Ok(Some(Account {
        session,
        state,
        factors,
        name,
    }))
}

/// What proves it is the user again.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    Password(&'a str),
    /// A code of a factor the user has set up (a recovery code does not count: those are
    /// kept for a lost device).
    Code(MfaFactor, &'a str),
}

/// Checks the password (as a sign-in: the same counters and locks) or a second factor's
/// code (the same counters as at sign-in), and records the step-up on the session.
pub async fn step_up(
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    proof: Proof<'_>,
    origin: &Origin<'_>,
) -> Result<Change<()>> {
    let user = &account.session.user;
    match proof {
        Proof::Password(_) if !account.password_suffices(pool) => {
            return Ok(Err(Refused::FactorRequired));
        }
        Proof::Password(password) => {
            match authenticate(ctx, pool, &account.name, password, origin).await? {
                SignIn::Success(found) if found.id == user.id => {}
                SignIn::Throttled => return Ok(Err(Refused::Throttled)),
                _ => return Ok(Err(Refused::Invalid)),
            }
        }
        Proof::Code(factor, code) => {
            if !mfa::usable(ctx, pool, user).await?.contains(&factor) {
                return Ok(Err(Refused::NotSetUp));
            }
            if let Err(refused) =
                check_code(ctx, pool, account, factor, code, origin.address).await?
            {
                return Ok(Err(refused));
            }
        }
    }
    let method = match proof {
        Proof::Password(_) => "pwd",
        Proof::Code(MfaFactor::SoftwareToken, _) => "otp",
        Proof::Code(MfaFactor::Email, _) => crate::accounts::types::AMR_EMAIL,
    };
    if !store::record_step_up(&ctx.store, &account.session.token_hash, ctx.now(), method).await? {
        // The session ended meanwhile.
        return Ok(Err(Refused::StepUpRequired));
    }
    Ok(Ok(()))
}

async fn check_code(
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    factor: MfaFactor,
    code: &str,
    address: Option<IpAddr>,
) -> Result<Change<()>> {
    let user = &account.session.user;
    // What cannot be a code is refused without counting as a guess.
    if !mfa::is_code_shaped(code) {
        return Ok(Err(Refused::Invalid));
    }
    let Some(attempt) = mfa::begin_check(ctx, pool, user, address).await? else {
        return Ok(Err(Refused::Throttled));
    };
    let checked = match factor {
        MfaFactor::SoftwareToken => mfa::check_totp(ctx, user, code).await,
        MfaFactor::Email => mfa::check_email_code(ctx, user, code)
            .await
            .map(|c| c == CodeCheck::Accepted),
    };
    match checked {
        Ok(true) => {
            attempt.succeeded().await?;
            Ok(Ok(()))
        }
        Ok(false) => {
            attempt.failed().await?;
            Ok(Err(Refused::Invalid))
        }
        Err(e) => {
            attempt.abandoned().await?;
            Err(e)
        }
    }
}

/// Mails a code for a step-up by email, if the user has that factor. False when nothing was
/// sent (no such factor, or the mailbox's hourly allowance is spent).
pub async fn send_step_up_code(ctx: &Context, pool: &Pool, account: &Account) -> Result<bool> {
    let user = &account.session.user;
    if !mfa::usable(ctx, pool, user)
        .await?
        .contains(&MfaFactor::Email)
    {
        return Ok(false);
    }
    mfa::send_email_code(ctx, pool, user).await
}

/// A change of settings: a step-up in the last five minutes, and (the rule every door
/// shares, `step_up`) one that proved the factor guarding the account.
fn may_change(account: &Account, now: Millis) -> Change<()> {
    let Some(at) = account
        .state
        .stepped_up_at
        .filter(|_| account.stepped_up(now))
    else {
        return Err(Refused::StepUpRequired);
    };
    // Each proof stands on its own, each with its own time: the confirmation (what it
    // proved, when), or this session's sign-in (if it was in the last five minutes). An old
    // sign-in's app code and a fresh password are not a fresh proof of the app.
    let confirmed = step_up::Proof {
        amr: account.state.stepped_up_amr.as_deref().unwrap_or_default(),
        at,
    };
    let signed_in = step_up::Proof {
        amr: &account.session.amr,
        at: account.session.auth_time,
    };
    let judged = step_up::may_change_factors(&account.factors, Some(confirmed), now)
        .or_else(|_| step_up::may_change_factors(&account.factors, Some(signed_in), now));
    match judged {
        Ok(()) => Ok(()),
        Err(step_up::Needed::Fresh) => Err(Refused::StepUpRequired),
        Err(step_up::Needed::App) => Err(Refused::AppRequired),
        Err(step_up::Needed::Email) => Err(Refused::FactorRequired),
    }
}

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
        row.totp_secret = Some(sealed.to_string());
        row.totp_last_step = Some(step);
        row.totp_enabled_at = Some(now);
        if row.preferred.is_none() {
            row.preferred = Some(MfaFactor::SoftwareToken.as_str().into());
        }
        row.updated_at = now;
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
    user: &crate::store::users::UserRow,
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

/// A new password, the current one required (which is its step-up). Every other session and
/// refresh token of the user ends, and live reset codes die; this browser continues on the
/// new session whose cookie value is returned.
pub async fn change_password(
    ctx: &Context,
    pool: &Pool,
    account: &Account,
    current: &str,
    new_password: &str,
    confirm_password: &str,
    origin: &Origin<'_>,
) -> Result<Change<String>> {
    // The policy first: a typo costs no hash and no attempt.
    check_new_password(pool, new_password, confirm_password)?;
    // A session the password alone cannot step up cannot change the password on it alone.
    if !account.password_suffices(pool) && !account.stepped_up(ctx.now()) {
        return Ok(Err(Refused::FactorRequired));
    }
    let mut hash = None;
    for _ in 0..mfa::RETRIES {
        let mut user = match authenticate(ctx, pool, &account.name, current, origin).await? {
            SignIn::Success(found) if found.id == account.session.user.id => found,
            SignIn::Throttled => return Ok(Err(Refused::Throttled)),
            _ => return Ok(Err(Refused::Invalid)),
        };
        if hash.is_none() {
            hash = Some(ctx.hasher.hash(new_password).await?);
        }
        let now = ctx.now();
        let version = user.version;
        user.password_hash = hash.clone();
        let (token, token_hash) = sessions::mint();
        let mut session = sessions::new_row(
            ctx,
            &pool.id,
            &user.id,
            &token_hash,
            account.session.auth_time,
            &account.session.amr,
        );
        // Later than the sign-out, so it is the one session that survives it.
        session.created_at = now + 1;
        let notice = mfa::notice(ctx, pool, &user, "your password was changed");
        if store::change_password(
            &ctx.store,
            &user,
            version,
            now,
            &session,
            MAX_TRIES,
            notice.as_ref(),
        )
        .await?
        {
            ctx.outbox.wake();
            crate::accounts::signin::srp::remember(ctx, &user, new_password).await;
            // The current password was just proved: the new session may go on changing
            // settings.
            store::record_step_up(&ctx.store, &token_hash, now + 1, "pwd").await?;
            return Ok(Ok(token));
        }
        // The user changed meanwhile (the same change posted twice, an admin): nothing was
        // written. Check the current password again against what is stored now.
    }
    Err(Error::Store(StoreError::Contention))
}
