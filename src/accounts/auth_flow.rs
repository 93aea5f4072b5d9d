//! The sign-in state machine: `Password → NewPasswordRequired → MfaSetupRequired |
//! MfaRequired → Complete`. Every front door (the hosted pages now, the Cognito-compatible
//! API next) drives it the same way: it hands over typed input and gets the next step, whose
//! state is kept server-side for 3 minutes under a token that is used once (a wrong code
//! gets a fresh token for the same step). A step belongs to the browser that reached it,
//! or, for the API, to whoever holds its opaque token.

use std::net::IpAddr;

use crate::accounts::factors::codes::CodeCheck;
use crate::accounts::factors::mfa;
use crate::accounts::signin::password::{
    Origin, SignIn, authenticate, check_new_password, choose_new_password,
};
use crate::accounts::types::MfaFactor;
use crate::clock::Millis;
use crate::context::Context;
use crate::crypto::{random, secret};
use crate::error::{Error, Result};
use crate::pools::Pool;
use crate::pools::pool::MfaConfiguration;
use crate::store::StoreError;
use crate::store::sign_in_steps::{self as store, StepRow};
use crate::store::users::UserRow;

/// Cognito's sign-in session lasts 3 minutes.
pub const STEP_LIFETIME_MS: Millis = 3 * 60_000;

const NEW_PASSWORD_REQUIRED: &str = "NEW_PASSWORD_REQUIRED";
/// The step `USER_SRP_AUTH` waits in for the client's proof (`password_verifier`).
pub const PASSWORD_VERIFIER: &str = "PASSWORD_VERIFIER";
const MFA_SETUP: &str = "MFA_SETUP";

/// Who a step belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    /// A hosted-pages browser (the digest of its CSRF cookie) and its pending request.
    Browser {
        browser: &'a str,
        auth_request: &'a str,
    },
    /// Whoever holds the token (the API's `Session`).
    Opaque,
}

impl Binding<'_> {
    fn matches(&self, row: &StepRow) -> bool {
        use subtle::ConstantTimeEq;
        match self {
            Binding::Browser {
                browser,
                auth_request,
            } => {
                row.browser
                    .as_deref()
                    .is_some_and(|b| bool::from(b.as_bytes().ct_eq(browser.as_bytes())))
                    && row.auth_request_id.as_deref() == Some(*auth_request)
            }
            Binding::Opaque => row.browser.is_none(),
        }
    }
}

/// Where a sign-in stands after a step.
#[derive(Debug)]
pub enum AuthStep {
    /// A temporary password was right: a new one must be chosen (`NEW_PASSWORD_REQUIRED`).
    NewPasswordRequired { token: String },
    /// The pool requires a second factor and the user has none (`MFA_SETUP`): `factors`
    /// are the ones that can be set up now.
    MfaSetupRequired {
        token: String,
        factors: Vec<MfaFactor>,
    },
    /// A second factor is asked for (`SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`; `SELECT_MFA_TYPE` for
    /// a client that wants to choose among `factors`). `current` is the one asked for now;
    /// `recovery` says whether recovery codes can stand in for it.
    MfaRequired {
        token: String,
        current: MfaFactor,
        factors: Vec<MfaFactor>,
        recovery: bool,
    },
    /// Signed in.
    Complete(Box<Completed>),
}

/// A finished sign-in.
#[derive(Debug)]
pub struct Completed {
    pub user: UserRow,
    /// RFC 8176 methods, space-separated: `pwd`; `pwd otp mfa` (the app), `pwd email mfa`
    /// (a code by email), `pwd mfa` (a recovery code); `email` or `email otp mfa` for a
    /// sign-in that began with a code by email.
    pub amr: String,
    /// The time of the last factor.
    pub auth_time: Millis,
    /// Recovery codes made by a TOTP set-up in this sign-in, to show once.
    pub recovery_codes: Option<Vec<String>>,
}

/// Why a step did not move the sign-in on. Nothing here tells a stranger whether an
/// account exists (see `signin`).
#[derive(Debug)]
pub enum Refused {
    /// Wrong username or password.
    Invalid,
    /// Too many failures; nothing was checked.
    Throttled,
    TemporaryPasswordExpired,
    ResetRequired,
    NotAllowed,
    /// Right password, unconfirmed account (or a refused sign-up's password).
    Unconfirmed,
    /// The step is unknown, used, expired, or not this browser's: start again.
    Expired,
    /// A wrong or dead code, or (`locked`) too many wrong codes for the account or address
    /// lately, so nothing was checked; the same step goes on under `retry`.
    WrongCode {
        retry: Box<AuthStep>,
        dead: bool,
        locked: bool,
    },
    /// The pool requires a factor this user cannot set up here.
    NoFactorPossible,
}

pub enum Outcome {
    Step(AuthStep),
    Refused(Refused),
}

/// The context a sign-in runs in.
pub struct Start<'a> {
    pub pool: &'a Pool,
    pub client_id: &'a str,
    pub binding: Binding<'a>,
    pub origin: Origin<'a>,
}

fn mint() -> (String, String) {
    let token = random::token(32);
    let hash = secret::digest(&token);
    (token, hash)
}

/// Only tokens of the shape `mint` makes are looked up.
fn token_hash(token: &str) -> Option<String> {
    (token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| secret::digest(token))
}

pub(crate) struct NewStep<'a> {
    pub user: &'a UserRow,
    pub step: String,
    pub amr: &'a str,
    pub auth_time: Millis,
    pub setup_secret: Option<String>,
    /// A retry keeps the first token's expiry: wrong codes do not buy time.
    pub expires_at: Option<Millis>,
}

/// A retry of the step behind `token`. A browser gets a fresh token with each page; an
/// API client cannot be handed one with an error, so its `Session` stays the same.
pub(crate) fn retry_token<'a>(start: &Start<'_>, token: &'a str) -> Option<&'a str> {
    matches!(start.binding, Binding::Opaque).then_some(token)
}

pub(crate) async fn save_step(
    ctx: &Context,
    start: &Start<'_>,
    new: NewStep<'_>,
) -> Result<String> {
    save_step_as(ctx, start, new, None).await
}

/// `save_step` under a token the caller derived, in place of any step under it.
pub(crate) async fn save_step_replacing(
    ctx: &Context,
    start: &Start<'_>,
    new: NewStep<'_>,
    token: &str,
) -> Result<()> {
    let row = step_row(ctx, start, new, secret::digest(token));
    store::replace(&ctx.store, &row, false).await?;
    Ok(())
}

fn step_row(ctx: &Context, start: &Start<'_>, new: NewStep<'_>, hash: String) -> StepRow {
    let now = ctx.now();
    let (browser, auth_request) = match start.binding {
        Binding::Browser {
            browser,
            auth_request,
        } => (Some(browser.to_string()), Some(auth_request.to_string())),
        Binding::Opaque => (None, None),
    };
    StepRow {
        token_hash: hash,
        pool_id: start.pool.id.clone(),
        client_id: start.client_id.to_string(),
        user_id: new.user.id.clone(),
        step: new.step,
        browser,
        auth_request_id: auth_request,
        amr: new.amr.to_string(),
        auth_time: new.auth_time,
        setup_secret: new.setup_secret,
        created_at: now,
        expires_at: new.expires_at.unwrap_or(now + STEP_LIFETIME_MS),
        consumed_at: None,
    }
}

/// `save_step`, under the spent token `reuse` when given (see `retry_token`).
pub(crate) async fn save_step_as(
    ctx: &Context,
    start: &Start<'_>,
    new: NewStep<'_>,
    reuse: Option<&str>,
) -> Result<String> {
    let (token, hash) = match reuse.and_then(|t| token_hash(t).map(|h| (t.to_string(), h))) {
        Some(pair) => pair,
        None => mint(),
    };
    let reused = reuse.is_some_and(|t| t == token);
    let row = step_row(ctx, start, new, hash);
    if reused {
        store::replace_spent(&ctx.store, &row).await?;
    } else {
        store::insert(&ctx.store, &row).await?;
    }
    Ok(token)
}

/// The first step: a username and password.
pub async fn password(
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
                    step: NEW_PASSWORD_REQUIRED.into(),
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

/// `USER_SRP_AUTH`'s first step, kept like any other, so its proof is taken once (the
/// exchange itself travels sealed in `SECRET_BLOCK`, see `accounts::signin::srp`).
pub async fn save_srp_step(ctx: &Context, start: &Start<'_>, user: &UserRow) -> Result<String> {
    save_step(
        ctx,
        start,
        NewStep {
            user,
            step: PASSWORD_VERIFIER.into(),
            amr: "",
            auth_time: ctx.now(),
            setup_secret: None,
            expires_at: None,
        },
    )
    .await
}

/// Spends a `PASSWORD_VERIFIER` step.
pub async fn take_srp_step(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
) -> Result<Option<(StepRow, UserRow)>> {
    take(ctx, start, token, &[PASSWORD_VERIFIER]).await
}

/// What follows a first factor (or a session that lacks the second the pool now wants):
/// the pool's MFA rule decides. With `force`, a factor is asked for whatever the rule
/// (the session's step-up).
pub async fn after_first_factor(
    ctx: &Context,
    start: &Start<'_>,
    user: UserRow,
    amr: &str,
    auth_time: Millis,
    force: bool,
) -> Result<Outcome> {
    let pool = start.pool;
    let rule = pool.config.mfa();
    let complete = |user| {
        Outcome::Step(AuthStep::Complete(Box::new(Completed {
            user,
            amr: amr.to_string(),
            auth_time,
            recovery_codes: None,
        })))
    };
    // A pool without MFA pays nothing here: no read.
    if rule == MfaConfiguration::Off && !force {
        return Ok(complete(user));
    }
    let usable = mfa::usable(ctx, pool, &user).await?;
    if usable.is_empty() {
        if rule == MfaConfiguration::Optional && !force {
            return Ok(complete(user));
        }
        return setup_step(ctx, start, &user, amr, auth_time).await;
    }
    Ok(Outcome::Step(
        mfa_step(
            ctx, start, &user, amr, auth_time, usable[0], usable, None, None,
        )
        .await?,
    ))
}

/// The second factors a step accepts. After a sign-in that began with a code by email,
/// only the authenticator app (or its recovery codes): a second mailed code would prove the
/// same mailbox twice.
async fn step_factors(
    ctx: &Context,
    pool: &Pool,
    user: &UserRow,
    amr: &str,
) -> Result<Vec<MfaFactor>> {
    let mut factors = mfa::usable(ctx, pool, user).await?;
    if began_with_code(amr) {
        factors.retain(|f| *f != MfaFactor::Email);
        if factors.is_empty() && mfa::factors(ctx, user).await?.totp {
            factors.push(MfaFactor::SoftwareToken);
        }
    }
    Ok(factors)
}

fn began_with_code(amr: &str) -> bool {
    amr.split(' ')
        .any(|m| m == crate::accounts::types::AMR_EMAIL)
}

/// The authenticator app's step after a code by email began the sign-in (`amr` its method).
pub(crate) async fn app_after_code(
    ctx: &Context,
    start: &Start<'_>,
    user: &UserRow,
    amr: &str,
    auth_time: Millis,
) -> Result<AuthStep> {
    mfa_step(
        ctx,
        start,
        user,
        amr,
        auth_time,
        MfaFactor::SoftwareToken,
        vec![MfaFactor::SoftwareToken],
        None,
        None,
    )
    .await
}

async fn setup_step(
    ctx: &Context,
    start: &Start<'_>,
    user: &UserRow,
    amr: &str,
    auth_time: Millis,
) -> Result<Outcome> {
    let factors = mfa::settable(start.pool, user);
    if factors.is_empty() {
        // The pool asks for a factor this account cannot have (codes by email, and no
        // verified address): no code is issued.
        return Ok(Outcome::Refused(Refused::NoFactorPossible));
    }
    let sealed = mfa::new_totp_secret(ctx, &user.id)?;
    let token = save_step(
        ctx,
        start,
        NewStep {
            user,
            step: MFA_SETUP.into(),
            amr,
            auth_time,
            setup_secret: Some(sealed),
            expires_at: None,
        },
    )
    .await?;
    Ok(Outcome::Step(AuthStep::MfaSetupRequired { token, factors }))
}

#[allow(clippy::too_many_arguments)]
async fn mfa_step(
    ctx: &Context,
    start: &Start<'_>,
    user: &UserRow,
    amr: &str,
    auth_time: Millis,
    current: MfaFactor,
    factors: Vec<MfaFactor>,
    expires_at: Option<Millis>,
    reuse: Option<&str>,
) -> Result<AuthStep> {
    // A code by email is sent when that factor is asked for (not again on a retry).
    if current == MfaFactor::Email && expires_at.is_none() {
        mfa::send_email_code(ctx, start.pool, user).await?;
    }
    let recovery = factors.contains(&MfaFactor::SoftwareToken)
        && mfa::factors(ctx, user).await?.recovery_codes_left > 0;
    let token = save_step_as(
        ctx,
        start,
        NewStep {
            user,
            step: current.as_str().into(),
            amr,
            auth_time,
            setup_secret: None,
            expires_at,
        },
        reuse,
    )
    .await?;
    Ok(AuthStep::MfaRequired {
        token,
        current,
        factors,
        recovery,
    })
}

/// Takes the step `token` for `binding`, if it is live, of one of `kinds`, and theirs.
pub(crate) async fn take(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
    kinds: &[&str],
) -> Result<Option<(StepRow, UserRow)>> {
    let Some(hash) = token_hash(token) else {
        return Ok(None);
    };
    let belongs = |row: &StepRow| {
        start.binding.matches(row)
            && row.client_id == start.client_id
            && kinds.contains(&row.step.as_str())
    };
    // Checked before the step is spent, so a stranger holding the token cannot spend it.
    match store::live(&ctx.store, &start.pool.id, &hash, ctx.now()).await? {
        Some(row) if belongs(&row) => {}
        _ => return Ok(None),
    }
    let Some(row) = store::consume(&ctx.store, &start.pool.id, &hash, ctx.now()).await? else {
        return Ok(None);
    };
    if !belongs(&row) {
        return Ok(None);
    }
    let Some(user) =
        crate::accounts::users::lookup::find_by_sub(ctx, &start.pool.id, &row.user_id).await?
    else {
        return Ok(None);
    };
    // Disabled (or signed out everywhere) between two steps: the sign-in is over.
    if !user.enabled || user.signed_out_at.is_some_and(|t| t >= row.created_at) {
        return Ok(None);
    }
    Ok(Some((row, user)))
}

/// What a step's page needs to show, without using the step.
#[derive(Debug)]
pub struct StepView {
    pub step: String,
    pub current: Option<MfaFactor>,
    pub factors: Vec<MfaFactor>,
    pub recovery: bool,
    /// For a TOTP set-up: the secret in base32 and its `otpauth://` URI.
    pub setup: Option<(String, String)>,
}

/// The user of a live step that belongs to `start`, without spending it.
pub async fn step_user(ctx: &Context, start: &Start<'_>, token: &str) -> Result<Option<UserRow>> {
    let Some(hash) = token_hash(token) else {
        return Ok(None);
    };
    let Some(row) = store::live(&ctx.store, &start.pool.id, &hash, ctx.now()).await? else {
        return Ok(None);
    };
    if !start.binding.matches(&row) || row.client_id != start.client_id {
        return Ok(None);
    }
    crate::accounts::users::lookup::find_by_sub(ctx, &start.pool.id, &row.user_id).await
}

/// The client of a live API step, from its token alone (`AssociateSoftwareToken` names
/// no client).
pub async fn step_client(ctx: &Context, token: &str) -> Result<Option<String>> {
    let Some(hash) = token_hash(token) else {
        return Ok(None);
    };
    Ok(store::live_anywhere(&ctx.store, &hash, ctx.now())
        .await?
        .filter(|row| row.browser.is_none())
        .map(|row| row.client_id))
}

pub async fn view(ctx: &Context, start: &Start<'_>, token: &str) -> Result<Option<StepView>> {
    let Some(hash) = token_hash(token) else {
        return Ok(None);
    };
    let Some(row) = store::live(&ctx.store, &start.pool.id, &hash, ctx.now()).await? else {
        return Ok(None);
    };
    if !start.binding.matches(&row) || row.client_id != start.client_id {
        return Ok(None);
    }
    let Some(user) =
        crate::accounts::users::lookup::find_by_sub(ctx, &start.pool.id, &row.user_id).await?
    else {
        return Ok(None);
    };
    let current = MfaFactor::parse(&row.step);
    let (factors, recovery) = if current.is_some() {
        let factors = step_factors(ctx, start.pool, &user, &row.amr).await?;
        let recovery = factors.contains(&MfaFactor::SoftwareToken)
            && mfa::factors(ctx, &user).await?.recovery_codes_left > 0;
        (factors, recovery)
    } else if row.step == MFA_SETUP {
        (mfa::settable(start.pool, &user), false)
    } else {
        (Vec::new(), false)
    };
    // Only a set-up step holds a TOTP secret.
    let setup = match row.setup_secret.as_ref().filter(|_| row.step == MFA_SETUP) {
        Some(sealed) => {
            let secret = mfa::open_totp_secret(ctx, &user.id, sealed)?;
            let issuer = start
                .pool
                .config
                .branding
                .display_name
                .clone()
                .unwrap_or_else(|| start.pool.name.clone());
            let account = crate::accounts::users::lookup::sign_in_name(start.pool, &user);
            Some((
                crate::crypto::totp::base32(&secret),
                crate::crypto::totp::otpauth_uri(&issuer, &account, &secret),
            ))
        }
        None => None,
    };
    Ok(Some(StepView {
        step: row.step,
        current,
        factors,
        recovery,
        setup,
    }))
}

/// `NEW_PASSWORD_REQUIRED`: the chosen password (checked against the policy first, so a
/// typo does not spend the step).
pub async fn new_password(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
    new_password: &str,
    confirm_password: &str,
) -> Result<Outcome> {
    check_new_password(start.pool, new_password, confirm_password)?;
    let Some((row, user)) = take(ctx, start, token, &[NEW_PASSWORD_REQUIRED]).await? else {
        return Ok(Outcome::Refused(Refused::Expired));
    };
    let user = match choose_new_password(ctx, start.pool, &user.id, new_password, confirm_password)
        .await
    {
        Ok(user) => user,
        Err(Error::Conflict(_) | Error::NotFound(_)) => {
            return Ok(Outcome::Refused(Refused::Expired));
        }
        Err(e) => return Err(e),
    };
    after_first_factor(ctx, start, user, &row.amr, row.auth_time, false).await
}

const COMPLETE: &str = "COMPLETE";

/// Keeps a finished sign-in for one more request under a new token: the API's `MFA_SETUP`
/// finishes in `VerifySoftwareToken`, and its tokens are collected by the next
/// `RespondToAuthChallenge`.
pub async fn hold(ctx: &Context, start: &Start<'_>, done: &Completed) -> Result<String> {
    save_step(
        ctx,
        start,
        NewStep {
            user: &done.user,
            step: COMPLETE.into(),
            amr: &done.amr,
            auth_time: done.auth_time,
            setup_secret: None,
            expires_at: None,
        },
    )
    .await
}

/// Spends what `hold` kept.
pub async fn collect(ctx: &Context, start: &Start<'_>, token: &str) -> Result<Option<Completed>> {
    Ok(take(ctx, start, token, &[COMPLETE])
        .await?
        .map(|(row, user)| Completed {
            user,
            amr: row.amr,
            auth_time: row.auth_time,
            recovery_codes: None,
        }))
}

/// What a person answers to a second-factor step.
#[derive(Debug, Clone, Copy)]
pub enum MfaAnswer<'a> {
    /// The code of the factor asked for.
    Code(&'a str),
    /// One of the recovery codes, instead of a TOTP code.
    Recovery(&'a str),
    /// Ask for another of the user's factors instead ("Email me a code instead").
    Switch(MfaFactor),
}

/// `SOFTWARE_TOKEN_MFA` / `EMAIL_OTP`: the second factor.
pub async fn mfa(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
    answer: MfaAnswer<'_>,
    address: Option<IpAddr>,
) -> Result<Outcome> {
    let kinds = [MfaFactor::SoftwareToken.as_str(), MfaFactor::Email.as_str()];
    let Some((row, user)) = take(ctx, start, token, &kinds).await? else {
        return Ok(Outcome::Refused(Refused::Expired));
    };
    let Some(current) = MfaFactor::parse(&row.step) else {
        return Ok(Outcome::Refused(Refused::Expired));
    };
    let factors = step_factors(ctx, start.pool, &user, &row.amr).await?;
    let again = |ctx, factor, expires| {
        mfa_step(
            ctx,
            start,
            &user,
            &row.amr,
            row.auth_time,
            factor,
            factors.clone(),
            expires,
            retry_token(start, token),
        )
    };
    let code = match answer {
        MfaAnswer::Switch(factor) if factors.contains(&factor) => {
            // A new factor asked for: its own step (and code by email), same expiry.
            let step = if factor == MfaFactor::Email {
                mfa::send_email_code(ctx, start.pool, &user).await?;
                again(ctx, factor, Some(row.expires_at)).await?
            } else {
                again(ctx, factor, Some(row.expires_at)).await?
            };
            return Ok(Outcome::Step(step));
        }
        MfaAnswer::Switch(_) => {
            let retry = again(ctx, current, Some(row.expires_at)).await?;
            return Ok(Outcome::Refused(Refused::WrongCode {
                retry: Box::new(retry),
                dead: false,
                locked: false,
            }));
        }
        MfaAnswer::Code(code) | MfaAnswer::Recovery(code) => code,
    };
    // What cannot be a code is refused without counting as a guess.
    let shaped = match answer {
        MfaAnswer::Recovery(code) => mfa::is_recovery_code_shaped(code),
        _ => mfa::is_code_shaped(code),
    };
    if !shaped {
        let retry = again(ctx, current, Some(row.expires_at)).await?;
        return Ok(Outcome::Refused(Refused::WrongCode {
            retry: Box::new(retry),
            dead: false,
            locked: false,
        }));
    }
    // A second-factor guess is throttled like a password.
    let Some(attempt) = mfa::begin_check(ctx, start.pool, &user, address).await? else {
        let retry = again(ctx, current, Some(row.expires_at)).await?;
        return Ok(Outcome::Refused(Refused::WrongCode {
            retry: Box::new(retry),
            dead: false,
            locked: true,
        }));
    };
    let checked: Result<(bool, bool, &str)> = async {
        Ok(match (answer, current) {
            (MfaAnswer::Recovery(_), _) if factors.contains(&MfaFactor::SoftwareToken) => (
                mfa::spend_recovery_code(ctx, &user, code).await?,
                false,
                "mfa",
            ),
            (MfaAnswer::Recovery(_), _) => (false, false, "mfa"),
            (_, MfaFactor::SoftwareToken) => {
                (mfa::check_totp(ctx, &user, code).await?, false, "otp mfa")
            }
            (_, MfaFactor::Email) => match mfa::check_email_code(ctx, &user, code).await? {
                CodeCheck::Accepted => (true, false, "email mfa"),
                CodeCheck::TooManyTries => (false, true, "email mfa"),
                CodeCheck::Rejected => (false, false, "email mfa"),
            },
        })
    }
    .await;
    let (right, dead, methods) = match checked {
        Ok(found) => found,
        Err(e) => {
            attempt.abandoned().await?;
            return Err(e);
        }
    };
    if right {
        attempt.succeeded().await?;
        return Ok(Outcome::Step(AuthStep::Complete(Box::new(Completed {
            user,
            amr: join_amr(&row.amr, methods),
            auth_time: ctx.now(),
            recovery_codes: None,
        }))));
    }
    attempt.failed().await?;
    let retry = again(ctx, current, Some(row.expires_at)).await?;
    Ok(Outcome::Refused(Refused::WrongCode {
        retry: Box::new(retry),
        dead,
        locked: false,
    }))
}

/// `amr` with `more` added, each method once, in RFC 8176's usual order.
pub(crate) fn join_amr(amr: &str, more: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for method in amr.split(' ').chain(more.split(' ')) {
        if !method.is_empty() && !out.contains(&method) {
            out.push(method);
        }
    }
    out.join(" ")
}

/// What an authorization request needs from the person, given the browser's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interaction {
    /// The session answers it: a code at once (single sign-on).
    UseSession,
    /// The session is fine but lacks the second factor the pool now requires: that step.
    SecondFactor,
    /// The sign-in form.
    SignIn,
    /// `prompt=none`, and nothing can be done without the person.
    LoginRequired,
}

/// The one place the `prompt` / `max_age` / session / MFA decision is made (OIDC Core
/// §3.1.2.1): each check in turn.
pub fn decide(
    pool: &Pool,
    prompt: crate::domain::Prompt,
    max_age: Option<i64>,
    session: Option<&crate::accounts::sessions::Session>,
    now: Millis,
) -> Interaction {
    use crate::domain::Prompt;
    let silent = prompt == Prompt::None;
    let ask = if silent {
        Interaction::LoginRequired
    } else {
        Interaction::SignIn
    };
    let Some(session) = session else {
        return ask;
    };
    // `prompt=login`: a fresh sign-in whatever the session.
    if prompt == Prompt::Login {
        return Interaction::SignIn;
    }
    // `max_age`: the session's sign-in must be recent enough.
    if max_age.is_some_and(|max| now - session.auth_time > max * 1000) {
        return ask;
    }
    // A pool that now requires a second factor does not take a session without one. A
    // federated user's factors are its provider's business, as in Cognito; a local user
    // linked to a provider still owes the pool its second factor.
    let had_mfa = session.amr.split(' ').any(|m| m == "mfa");
    let federated = crate::accounts::types::UserStatus::of(&session.user)
        == Some(crate::accounts::types::UserStatus::ExternalProvider);
    if pool.config.mfa() == MfaConfiguration::On && !had_mfa && !federated {
        return if silent {
            Interaction::LoginRequired
        } else {
            Interaction::SecondFactor
        };
    }
    Interaction::UseSession
}

/// What a person answers to `MFA_SETUP`.
#[derive(Debug, Clone, Copy)]
pub enum SetupAnswer<'a> {
    /// The first code of the authenticator app set up with the step's secret.
    Totp(&'a str),
    /// Use codes by email (to the verified address) instead.
    Email,
}

/// `MFA_SETUP`: confirms a new factor; then the sign-in completes with it.
pub async fn mfa_setup(
    ctx: &Context,
    start: &Start<'_>,
    token: &str,
    answer: SetupAnswer<'_>,
) -> Result<Outcome> {
    let Some((row, user)) = take(ctx, start, token, &[MFA_SETUP]).await? else {
        return Ok(Outcome::Refused(Refused::Expired));
    };
    // The step is for an account without a factor. One set up meanwhile (in another
    // browser) is the one to ask for: this step must not replace it. The settings are
    // written only if they are still as read here.
    let settings = mfa::current_row(ctx, &user).await?;
    let have = mfa::factors_in(&user, &settings);
    let allowed = start.pool.config.allowed_factors();
    if allowed.iter().any(|f| match f {
        MfaFactor::SoftwareToken => have.totp,
        MfaFactor::Email => have.email,
    }) {
        return Ok(Outcome::Refused(Refused::Expired));
    }
    let settable = mfa::settable(start.pool, &user);
    match answer {
        SetupAnswer::Totp(code) if settable.contains(&MfaFactor::SoftwareToken) => {
            let Some(sealed) = row.setup_secret.as_deref() else {
                return Ok(Outcome::Refused(Refused::Expired));
            };
            match mfa::confirm_new_secret(ctx, &user.id, sealed, code)? {
                Some(step) => {
                    let codes = match mfa::enable_totp(ctx, settings, sealed, step).await {
                        Ok(codes) => codes,
                        Err(Error::Store(StoreError::Contention)) => {
                            return Ok(Outcome::Refused(Refused::Expired));
                        }
                        Err(e) => return Err(e),
                    };
                    mfa::notify_change(ctx, start.pool, &user, "an authenticator app was set up")
                        .await?;
                    Ok(Outcome::Step(AuthStep::Complete(Box::new(Completed {
                        user,
                        amr: join_amr(&row.amr, "otp mfa"),
                        auth_time: ctx.now(),
                        recovery_codes: Some(codes),
                    }))))
                }
                None => {
                    // The same secret again: the app already holds it.
                    let token = save_step_as(
                        ctx,
                        start,
                        NewStep {
                            user: &user,
                            step: MFA_SETUP.into(),
                            amr: &row.amr,
                            auth_time: row.auth_time,
                            setup_secret: row.setup_secret.clone(),
                            expires_at: Some(row.expires_at),
                        },
                        retry_token(start, token),
                    )
                    .await?;
                    Ok(Outcome::Refused(Refused::WrongCode {
                        retry: Box::new(AuthStep::MfaSetupRequired {
                            token,
                            factors: settable,
                        }),
                        dead: false,
                        locked: false,
                    }))
                }
            }
        }
        SetupAnswer::Email if settable.contains(&MfaFactor::Email) => {
            let settings = mfa::with_preferences(ctx, &user, settings, Some(true), None)?;
            match crate::store::mfa::save(&ctx.store, &settings, None).await {
                Ok(()) => {}
                Err(StoreError::Contention) => return Ok(Outcome::Refused(Refused::Expired)),
                Err(e) => return Err(e.into()),
            }
            mfa::notify_change(ctx, start.pool, &user, "codes by email were turned on").await?;
            // The address proves itself with the first code.
            let step = mfa_step(
                ctx,
                start,
                &user,
                &row.amr,
                row.auth_time,
                MfaFactor::Email,
                vec![MfaFactor::Email],
                None,
                None,
            )
            .await?;
            Ok(Outcome::Step(step))
        }
        _ => Ok(Outcome::Refused(Refused::NoFactorPossible)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amr_joins_each_method_once() {
        assert_eq!(join_amr("pwd", "otp mfa"), "pwd otp mfa");
        assert_eq!(join_amr("pwd", "mfa"), "pwd mfa");
        assert_eq!(join_amr("pwd otp mfa", "otp mfa"), "pwd otp mfa");
        assert_eq!(join_amr("", "otp mfa"), "otp mfa");
    }

    #[test]
    fn only_minted_tokens_are_looked_up() {
        let (token, hash) = mint();
        assert_eq!(token_hash(&token), Some(hash));
        for bad in ["", "short", &"x".repeat(44), "abc\0def"] {
            assert_eq!(token_hash(bad), None);
        }
    }
}
