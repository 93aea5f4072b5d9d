//! Who an access token speaks for: a token of the pool with the user-admin scope, from a
//! client that still exists; and whether its sign-in may change the user's factors.

use serde::Deserialize;
use serde_json::Value;

use crate::accounts::factors::step_up;
use crate::cognito::Call;
use crate::cognito::protocol::Exception;
use crate::pools::Pool;
use crate::pools::oauth_client::find_oauth_client;
use crate::pools::pool::cached_pool;
use crate::store::users::UserRow;
use crate::tokens::OAuthError;
use crate::tokens::claims::USER_ADMIN_SCOPE;

/// Who an access token speaks for.
pub struct SignedIn {
    pub pool: Pool,
    pub client_id: String,
    pub user: UserRow,
    /// The access token's `jti`.
    pub jti: String,
    /// The sign-in behind the token: when it was (`auth_time`) and its grant family.
    pub auth_time: crate::clock::Millis,
    pub origin_jti: String,
}

/// The pool an access token claims to be from, read before the signature is checked (the
/// check then uses that pool's keys and issuer).
fn claimed_pool(call: &Call<'_>, token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let iss = claims["iss"].as_str()?;
    let base = call.ctx.public_url.as_str().trim_end_matches('/');
    let pool = iss.strip_prefix(base)?.strip_prefix('/')?;
    (!pool.is_empty() && !pool.contains('/')).then(|| pool.to_string())
}

pub async fn authorise(call: &Call<'_>, token: &str) -> Result<SignedIn, Exception> {
    let invalid = || Exception::not_authorized("Invalid Access Token");
    if token.len() > 16 * 1024 {
        return Err(invalid());
    }
    let pool_id = claimed_pool(call, token).ok_or_else(invalid)?;
    let pool = cached_pool(call.ctx, &pool_id)
        .await
        .map_err(|_| invalid())?;
    let (claims, user) =
        crate::tokens::revocation::validate_access_token(call.ctx, &pool.id, token)
            .await
            .map_err(|e| match e {
                OAuthError::TokenExpired => Exception::not_authorized("Access Token has expired"),
                OAuthError::TokenRevoked => {
                    Exception::not_authorized("Access Token has been revoked")
                }
                OAuthError::InvalidToken(_) => invalid(),
                other => other.into(),
            })?;
    let scoped = claims["scope"]
        .as_str()
        .is_some_and(|s| s.split(' ').any(|s| s == USER_ADMIN_SCOPE));
    if !scoped {
        return Err(Exception::not_authorized(
            "Access Token does not have required scopes",
        ));
    }
    // A deleted client's tokens speak for no one: its `write_attributes` and
    // `read_attributes` would no longer bound what they do.
    let client_id = claims["client_id"].as_str().unwrap_or_default().to_string();
    if find_oauth_client(call.ctx, &pool.id, &client_id)
        .await?
        .is_none()
    {
        return Err(invalid());
    }
    Ok(SignedIn {
        pool,
        client_id,
        user,
        jti: claims["jti"].as_str().unwrap_or_default().to_string(),
        auth_time: claims["auth_time"]
            .as_i64()
            .and_then(|t| t.checked_mul(1000))
            .unwrap_or(0),
        origin_jti: claims["origin_jti"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WithToken {
    access_token: String,
}

pub(super) async fn signed(call: &Call<'_>) -> Result<SignedIn, Exception> {
    let input: WithToken = call.input()?;
    authorise(call, &input.access_token).await
}

/// The address codes by email and resets go to is part of how a user with a second factor
/// signs in: changing or removing it, like any change of factors, follows `step_up`.
pub(super) async fn address_may_change(
    call: &Call<'_>,
    signed: &SignedIn,
) -> Result<(), Exception> {
    step_up::check_api(
        call.ctx,
        &signed.pool.id,
        &signed.user,
        &signed.origin_jti,
        signed.auth_time,
    )
    .await?
    .map_err(step_up_needed)
}

/// Cognito's answer when a change of factors needs a fresher or stronger sign-in.
pub(crate) fn step_up_needed(needed: step_up::Needed) -> Exception {
    Exception::not_authorized(match needed {
        step_up::Needed::Fresh => {
            "Changing the user's MFA needs a sign-in in the last 5 minutes that proved the \
             user's current second factor; sign in again."
        }
        step_up::Needed::App => {
            "The user has an authenticator app: changing the user's MFA needs a sign-in in the \
             last 5 minutes with its code (SOFTWARE_TOKEN_MFA)."
        }
        step_up::Needed::Email => {
            "The user signs in with codes by email: changing the user's MFA needs a sign-in in \
             the last 5 minutes with such a code (EMAIL_OTP)."
        }
    })
}
