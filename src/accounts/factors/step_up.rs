//! The one rule for changing a user's second factors, which every door calls (the account
//! page, the API's `AssociateSoftwareToken` / `VerifySoftwareToken` / `SetUserMFAPreference`):
//! setting up a first factor needs nothing more than the sign-in; replacing, adding or
//! removing a factor where one exists, or making new recovery codes, needs a proof of an
//! existing factor at least as strong, made in the last five minutes. Whoever reads the
//! mailbox must not be able to put their own authenticator app in place of the user's.

use crate::accounts::factors::mfa::Factors;
use crate::clock::Millis;

/// How recent the proof must be.
pub const WINDOW_MS: Millis = 5 * 60_000;

/// What a sign-in (or a step-up on the account page) proved, as RFC 8176 methods, and when.
#[derive(Debug, Clone, Copy)]
pub struct Proof<'a> {
    pub amr: &'a str,
    pub at: Millis,
}

/// Why a change of factors is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// The proof is older than five minutes (or there is none): sign in again.
    Fresh,
    /// The proof is recent but did not prove the factor that guards the account: the
    /// authenticator app's code (or one of its recovery codes) is needed.
    App,
    /// Codes by email guard the account: a sign-in that proved a mailed code is needed.
    Email,
}

fn has(amr: &str, method: &str) -> bool {
    amr.split(' ').any(|m| m == method)
}

/// Whether `amr` proved the authenticator app: its code (`otp`), or a recovery code (a
/// second factor, `mfa`, that was neither the app nor a mailed code).
pub fn proves_app(amr: &str) -> bool {
    has(amr, "otp") || (has(amr, "mfa") && !has(amr, "email"))
}

/// Whether `amr` proved the mailbox with a code.
pub fn proves_email(amr: &str) -> bool {
    has(amr, crate::domain::AMR_EMAIL)
}

/// What the API sign-in behind an access token proved: its grant family's `amr`, at its
/// `auth_time`. `None` when the family is unknown (nothing is then proved).
pub async fn of_sign_in(
    ctx: &crate::context::Context,
    pool_id: &str,
    origin_jti: &str,
) -> crate::error::Result<Option<String>> {
    if origin_jti.is_empty() {
        return Ok(None);
    }
    Ok(crate::store::oauth::family_amr(&ctx.store, pool_id, origin_jti).await?)
}

/// The rule for the user of an access token, on the strength of the token's sign-in (its
/// grant family's `amr` at its `auth_time`), as the user's factors stand now.
pub async fn check_api(
    ctx: &crate::context::Context,
    pool_id: &str,
    user: &crate::store::users::UserRow,
    origin_jti: &str,
    auth_time: Millis,
) -> crate::error::Result<Result<(), Needed>> {
    let have = crate::accounts::factors::mfa::factors(ctx, user).await?;
    let amr = of_sign_in(ctx, pool_id, origin_jti).await?;
    let proof = amr.as_deref().map(|amr| Proof { amr, at: auth_time });
    Ok(may_change_factors(&have, proof, ctx.now()))
}

/// Whether a user with `have` may change their second factors on the strength of `proof`.
pub fn may_change_factors(
    have: &Factors,
    proof: Option<Proof<'_>>,
    now: Millis,
) -> Result<(), Needed> {
    let by_email = have.email || have.email_enabled;
    if !have.totp && !by_email {
        return Ok(());
    }
    let Some(proof) = proof.filter(|p| p.at <= now && now - p.at <= WINDOW_MS) else {
        return Err(Needed::Fresh);
    };
    if have.totp {
        return if proves_app(proof.amr) {
            Ok(())
        } else {
            Err(Needed::App)
        };
    }
    if proves_app(proof.amr) || proves_email(proof.amr) {
        Ok(())
    } else {
        Err(Needed::Email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factors(totp: bool, email: bool) -> Factors {
        Factors {
            totp,
            email,
            ..Factors::default()
        }
    }

    const NOW: Millis = 10 * 60_000;

    fn proof(amr: &str, ago: Millis) -> Option<Proof<'_>> {
        Some(Proof { amr, at: NOW - ago })
    }

    #[test]
    fn a_first_factor_needs_no_step_up() {
        assert_eq!(
            may_change_factors(&factors(false, false), None, NOW),
            Ok(())
        );
    }

    #[test]
    fn an_app_is_replaced_only_after_proving_it_lately() {
        let app = factors(true, false);
        assert_eq!(
            may_change_factors(&app, proof("pwd otp mfa", 60_000), NOW),
            Ok(())
        );
        assert_eq!(
            may_change_factors(&app, proof("email otp mfa", 0), NOW),
            Ok(())
        );
        // A recovery code stands in for a lost app.
        assert_eq!(may_change_factors(&app, proof("pwd mfa", 0), NOW), Ok(()));
        // The mailbox alone, or with the password, is not the app.
        assert_eq!(
            may_change_factors(&app, proof("email", 0), NOW),
            Err(Needed::App)
        );
        assert_eq!(
            may_change_factors(&app, proof("pwd email mfa", 0), NOW),
            Err(Needed::App)
        );
        assert_eq!(
            may_change_factors(&app, proof("pwd", 0), NOW),
            Err(Needed::App)
        );
        assert_eq!(
            may_change_factors(&app, proof("pwd otp mfa", WINDOW_MS + 1), NOW),
            Err(Needed::Fresh)
        );
        assert_eq!(may_change_factors(&app, None, NOW), Err(Needed::Fresh));
        // An identity provider's word is not a proof of this pool's app.
        assert_eq!(
            may_change_factors(&app, proof("idp:pwd idp:otp idp:mfa", 0), NOW),
            Err(Needed::App)
        );
        // A proof from the future (a clock gone wrong) proves nothing.
        assert_eq!(
            may_change_factors(&app, proof("pwd otp mfa", -1), NOW),
            Err(Needed::Fresh)
        );
    }

    #[test]
    fn an_enabled_email_factor_guards_while_its_new_address_waits() {
        let waiting = Factors {
            email_enabled: true,
            ..Factors::default()
        };
        assert_eq!(
            may_change_factors(&waiting, proof("pwd", 0), NOW),
            Err(Needed::Email)
        );
    }

    #[test]
    fn codes_by_email_are_changed_after_proving_the_mailbox() {
        let email = factors(false, true);
        assert_eq!(
            may_change_factors(&email, proof("pwd email mfa", 0), NOW),
            Ok(())
        );
        assert_eq!(may_change_factors(&email, proof("email", 0), NOW), Ok(()));
        assert_eq!(
            may_change_factors(&email, proof("pwd", 0), NOW),
            Err(Needed::Email)
        );
    }
}
