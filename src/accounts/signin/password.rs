//! The password: the first step of a sign-in, and the check behind it (which the account
//! page's step-up also uses). Unknown users cost the same argon2 verification as known
//! ones, and every failure a stranger could cause reads the same.

use subtle::ConstantTimeEq;

use crate::accounts::factors::devices::{self, Device};
use crate::accounts::factors::throttle::{self, Lock, Subject};
use crate::accounts::signin::machine::{AuthStep, Origin, Outcome, Refused, Start, Step};
use crate::accounts::signin::second_factor::after_first_factor;
use crate::accounts::signin::srp;
use crate::accounts::signin::steps::{NewStep, save_step};
use crate::accounts::users::lookup::{
    CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED, UNCONFIRMED, find_user, login_key,
};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::store::refused_sign_ups;
use crate::store::users::UserRow;

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
    /// Right password, but the email was never confirmed: on to the confirm page. Also the
    /// answer for the password of a refused sign-up, which a new account would have given.
    Unconfirmed,
    /// Wrong username or password.
    Invalid,
    /// Too many recent failures for this username, account, address or device; nothing was
    /// checked.
    Throttled,
}

/// The counters a sign-in for `key` is held against. A browser that signed in as this
/// account before answers to its own counter instead of the name's and account's, which
/// strangers can fill. Unknown names get an account counter of their own, so known and
/// unknown names cost the same and lock alike.
fn sign_in_subjects(
    key: &str,
    user: Option<&UserRow>,
    device: Option<&Device>,
    origin: &Origin,
) -> Vec<Subject> {
    let mut subjects = match device {
        Some(device) => vec![Subject::new(Lock::Device, device.id.clone())],
        None => {
            let account = user.map_or_else(|| format!("?{key}"), |u| u.id.clone());
            vec![
                Subject::at(Lock::NameAtAddress, origin.address, key),
                Subject::at(Lock::AccountAtAddress, origin.address, &account),
                Subject::new(Lock::Name, key),
                Subject::new(Lock::Account, account),
            ]
        }
    };
    if let Some(address) = origin.address {
        subjects.push(Subject::new(Lock::Address, address.to_string()));
    }
    subjects
}

pub async fn authenticate(
    ctx: &Context,
    pool: &Pool,
    username: &str,
    password: &str,
    origin: &Origin<'_>,
) -> Result<SignIn> {
    // What no username can be is refused at once: hashing it would hide nothing (the asker
    // knows it is no name), and would let anyone spend hashes without ever being throttled.
    if username.is_empty() || username.len() > 512 || username.chars().any(char::is_control) {
        return Ok(SignIn::Invalid);
    }
    let key = login_key(pool, username);
    let user = match find_user(ctx, pool, username).await {
        Ok(user) => Some(user),
        Err(Error::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    // A device cookie counts for the account it names, and only if it was issued since the
    // account's last sign-out everywhere (which a password reset also is).
    let device = origin
        .device
        .and_then(|token| devices::verify(ctx, &pool.id, token))
        .filter(|d| {
            user.as_ref().is_some_and(|u| {
                u.id == d.user_id && u.signed_out_at.is_none_or(|t| d.issued_at >= t)
            })
        });
    let subjects = sign_in_subjects(&key, user.as_ref(), device.as_ref(), origin);
    // The attempt is counted before the hash, so parallel guesses cannot race past a lock.
    let Some(attempt) = throttle::begin(ctx, &pool.id, subjects).await? else {
        return Ok(SignIn::Throttled);
    };
    let outcome = match check_password(ctx, user, password).await {
        Ok(SignIn::Invalid) => refused_sign_up(ctx, pool, &key, password).await,
        other => other,
    };
    // A password set before SRP verifiers were kept gets one at its first right use.
    if let Ok(SignIn::Success(user) | SignIn::NewPasswordRequired(user)) = &outcome {
        srp::ensure(ctx, user, password).await;
    }
    match outcome {
        Ok(SignIn::Invalid) => attempt.failed().await?,
        // The confirm page proves no account (a refused sign-up's password leads there too),
        // so it must not wipe anyone's failures: it neither counts nor clears.
        Ok(SignIn::Unconfirmed) => attempt.abandoned().await?,
        Ok(_) => attempt.succeeded().await?,
        // Busy or broken: nothing was decided, so nothing counts.
        Err(_) => attempt.abandoned().await?,
    }
    outcome
}

/// The password of a sign-up that was refused for this name signs in "to the confirm page",
/// as the new account it pretended to create would. It confirms nothing there. The
/// password is kept as a keyed HMAC, not a second argon2 hash, so checking it costs nothing
/// that would tell names with a refused sign-up from the others.
async fn refused_sign_up(ctx: &Context, pool: &Pool, key: &str, password: &str) -> Result<SignIn> {
    let Some(stored) = refused_sign_ups::live(&ctx.store, &pool.id, key, ctx.now()).await? else {
        return Ok(SignIn::Invalid);
    };
    let presented = refused_password_digest(ctx, &pool.id, key, password);
    Ok(
        if bool::from(presented.as_bytes().ct_eq(stored.as_bytes())) {
            SignIn::Unconfirmed
        } else {
            SignIn::Invalid
        },
    )
}

/// How a refused sign-up's password is kept: an HMAC under a key derived from the master key
/// (a copy of the database alone cannot test guesses of it), bound to the pool and name.
pub fn refused_password_digest(ctx: &Context, pool_id: &str, key: &str, password: &str) -> String {
    ctx.code_digest(pool_id, "refused-sign-up", key, password)
}

async fn check_password(ctx: &Context, user: Option<UserRow>, password: &str) -> Result<SignIn> {
    let user = match user {
        Some(user) if !password.is_empty() && password.len() <= 1024 => user,
        _ => {
            ctx.hasher.verify_dummy(password).await?;
            return Ok(SignIn::Invalid);
        }
    };
    let verified = match &user.password_hash {
        Some(hash) => ctx.hasher.verify(password, hash).await?,
        None => ctx.hasher.verify_dummy(password).await?,
    };
    if !verified {
        return Ok(SignIn::Invalid);
    }
    Ok(proven(ctx, user))
}

/// What a proven first factor (a right password, or its SRP proof) leads to, by the
/// account's state.
fn proven(ctx: &Context, user: UserRow) -> SignIn {
    if !user.enabled {
        return SignIn::NotAllowed;
    }
    if user.status == UNCONFIRMED {
        // The right password proves who is asking: telling them to confirm reveals nothing.
        return SignIn::Unconfirmed;
    }
    match user.status.as_str() {
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
    }
}

/// An SRP proof, checked by `prove` (the proven user, or `None`), for the account
/// `known` holds (`None`: a name without an account, or whose exchange is gone), signed in
/// as `username` (what was typed): counted against the same throttles as
/// a password, unknown names alike, so neither route is a way around the other's lock and
/// neither tells which names exist.
pub async fn srp_proven(
    ctx: &Context,
    pool: &Pool,
    known: Option<&UserRow>,
    username: &str,
    origin: &Origin<'_>,
    prove: impl std::future::Future<Output = Result<Option<UserRow>>>,
) -> Result<SignIn> {
    let key = login_key(pool, username);
    let subjects = sign_in_subjects(&key, known, None, origin);
    // Counted before the proof is taken, as a password is before its hash: parallel copies
    // of one proof cannot hold the throttle against the one that spends the step.
    let Some(attempt) = throttle::begin(ctx, &pool.id, subjects).await? else {
        return Ok(SignIn::Throttled);
    };
    let user = match prove.await {
        Ok(Some(user)) => user,
        Ok(None) => {
            attempt.failed().await?;
            return Ok(SignIn::Invalid);
        }
        Err(e) => {
            attempt.abandoned().await?;
            return Err(e);
        }
    };
    let outcome = proven(ctx, user);
    match outcome {
        SignIn::Unconfirmed => attempt.abandoned().await?,
        _ => attempt.succeeded().await?,
    }
    Ok(outcome)
}

/// The first step: a username and password.
pub async fn sign_in(
    ctx: &Context,
    start: &Start<'_>,
    username: &str,
    password: &str,
) -> Result<Outcome> {
    let outcome = authenticate(ctx, start.pool, username, password, &start.origin).await?;
    first_factor(ctx, start, outcome, "pwd").await
}

/// Where a first factor's outcome (a password, or its SRP proof) leads.
pub async fn first_factor(
    ctx: &Context,
    start: &Start<'_>,
    outcome: SignIn,
    amr: &str,
) -> Result<Outcome> {
    Ok(match outcome {
        SignIn::Success(user) => {
            after_first_factor(ctx, start, user, amr, ctx.now(), false).await?
        }
        SignIn::NewPasswordRequired(user) => {
            let token = save_step(
                ctx,
                start,
                NewStep {
                    user: &user,
                    step: Step::NewPasswordRequired,
                    amr,
                    auth_time: ctx.now(),
                    setup_secret: None,
                    expires_at: None,
                },
            )
            .await?;
            Outcome::Step(AuthStep::NewPasswordRequired { token })
        }
        SignIn::TemporaryPasswordExpired => Outcome::Refused(Refused::TemporaryPasswordExpired),
        SignIn::ResetRequired => Outcome::Refused(Refused::ResetRequired),
        SignIn::NotAllowed => Outcome::Refused(Refused::NotAllowed),
        SignIn::Unconfirmed => Outcome::Refused(Refused::Unconfirmed),
        SignIn::Invalid => Outcome::Refused(Refused::Invalid),
        SignIn::Throttled => Outcome::Refused(Refused::Throttled),
    })
}
