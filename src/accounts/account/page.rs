//! The signed-in account the page works on, what the pool lets it do, and the step-up
//! every change wants: the password or a second factor's code, proved again in the last
//! five minutes on this session.

use std::net::IpAddr;

use crate::accounts::factors::codes::CodeCheck;
use crate::accounts::factors::mfa::{self, Factors};
use crate::accounts::factors::step_up;
use crate::accounts::sessions::{self, Session};
use crate::accounts::signin::machine::Origin;
use crate::accounts::signin::password::{SignIn, authenticate};
use crate::accounts::users::lookup::sign_in_name;
use crate::clock::Millis;
use crate::context::Context;
use crate::domain::MfaFactor;
use crate::error::Result;
use crate::pools::Pool;
use crate::pools::pool_config::MfaConfiguration;
use crate::store::account::{self as store, AccountState};

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

    pub(super) fn stepped_up(&self, now: Millis) -> bool {
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
        Proof::Code(MfaFactor::Email, _) => crate::domain::AMR_EMAIL,
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
pub(super) fn may_change(account: &Account, now: Millis) -> Change<()> {
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
