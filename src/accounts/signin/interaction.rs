//! Whether an authorization request needs the person at all: the browser's session, the
//! `prompt` and `max_age` it asks for, and the pool's MFA rule, weighed in one place.

use crate::accounts::sessions::Session;
use crate::clock::Millis;
use crate::domain::Prompt;
use crate::domain::UserStatus;
use crate::pools::Pool;
use crate::pools::pool_config::MfaConfiguration;

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
    prompt: Prompt,
    max_age: Option<i64>,
    session: Option<&Session>,
    now: Millis,
) -> Interaction {
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
    let federated = UserStatus::of(&session.user) == Some(UserStatus::ExternalProvider);
    if pool.config.mfa() == MfaConfiguration::On && !had_mfa && !federated {
        return if silent {
            Interaction::LoginRequired
        } else {
            Interaction::SecondFactor
        };
    }
    Interaction::UseSession
}
