//! The sign-in state machine: `Password → NewPasswordRequired → MfaSetupRequired |
//! MfaRequired → Complete`. Every front door (the hosted pages now, the Cognito-compatible
//! API next) drives it the same way: it hands over typed input and gets the next step, whose
//! state is kept server-side for 3 minutes under a token that is used once (a wrong code
//! gets a fresh token for the same step). A step belongs to the browser that reached it,
//! or, for the API, to whoever holds its opaque token.
//!
//! Here are the words every step speaks; `steps` keeps them, and each step's answer is a
//! module of its own.

use std::net::IpAddr;

use crate::clock::Millis;
use crate::domain::MfaFactor;
use crate::pools::Pool;
use crate::store::sign_in_steps::StepRow;
use crate::store::users::UserRow;

/// Where a sign-in comes from: the client address and the browser's device token, if any.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    pub address: Option<IpAddr>,
    pub device: Option<&'a str>,
}

/// The kinds of step a sign-in waits in, as the store names them: a step's kind decides
/// which answer may take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The step `USER_SRP_AUTH` waits in for the client's proof (`password_verifier`).
    PasswordVerifier,
    /// A temporary password was right: a new one is chosen (`new_password`).
    NewPasswordRequired,
    /// The pool requires a factor the user lacks: one is set up (`mfa_setup`).
    MfaSetup,
    /// A second factor is asked for (`mfa`).
    Mfa(MfaFactor),
    /// A code by email began the sign-in (`passwordless`).
    EmailOtpSignIn,
    /// An API user's new authenticator app waits for its first code (`factors::enrol`).
    TotpEnrol,
    /// A finished sign-in, kept for one more request (`complete`).
    Complete,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::PasswordVerifier => "PASSWORD_VERIFIER",
            Step::NewPasswordRequired => "NEW_PASSWORD_REQUIRED",
            Step::MfaSetup => "MFA_SETUP",
            Step::Mfa(factor) => factor.as_str(),
            Step::EmailOtpSignIn => "EMAIL_OTP_SIGN_IN",
            Step::TotpEnrol => "TOTP_ENROL",
            Step::Complete => "COMPLETE",
        }
    }
}

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
    pub(super) fn matches(&self, row: &StepRow) -> bool {
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
/// account exists (see `password`).
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
}
