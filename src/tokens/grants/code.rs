//! Grants that start a token family from a sign-in: the authorization code (with PKCE,
//! RFC 7636) at the token endpoint, and a sign-in finished through the user-pools API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::accounts::types::may_hold_tokens;
use crate::context::Context;
use crate::crypto::secret;
use crate::pools::oauth_client::OAuthClient;
use crate::store::oauth as store;
use crate::store::users::UserRow;
use crate::tokens::OAuthError;
use crate::tokens::claims::{Grant, TokenResponse, issue_user_tokens};
use crate::tokens::grants::scope::parse_scopes;

/// PKCE S256 (RFC 7636 §4.6): BASE64URL(SHA256(verifier)) must equal the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(crate::crypto::secret::sha256(verifier.as_bytes()));
    well_formed && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// The user behind a grant made at `granted_at`, if they may still hold its tokens.
async fn active_user(
    ctx: &Context,
    pool_id: &str,
    user_id: &str,
    granted_at: i64,
) -> Result<UserRow, OAuthError> {
    let user = crate::accounts::users::lookup::find_by_sub(ctx, pool_id, user_id)
        .await?
        .ok_or_else(|| OAuthError::InvalidGrant("the user no longer exists".into()))?;
    if !may_hold_tokens(&user, granted_at) {
        return Err(OAuthError::InvalidGrant(
            "the user can no longer hold these tokens".into(),
        ));
    }
    Ok(user)
}

pub async fn authorization_code(
    ctx: &Context,
    client: &OAuthClient,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    if !client.allows_flow("code") {
        return Err(OAuthError::UnauthorizedClient(
            "this client may not use the authorization code grant".into(),
        ));
    }
    let now = ctx.now();
    let code_hash = secret::digest(code);
    let Some(row) = store::consume_code(
        &ctx.store,
        &client.pool_id,
        &client.client_id,
        &code_hash,
        now,
    )
    .await?
    else {
        // A replayed code revokes everything issued from it (RFC 6749 §4.1.2).
        if let Some(used) = store::consumed_code(&ctx.store, &client.pool_id, &code_hash).await?
            && used.client_id == client.client_id
        {
            store::revoke_family(&ctx.store, &client.pool_id, &used.origin_jti, now).await?;
            tracing::warn!(client_id = %client.client_id, "authorization code replayed; its tokens are revoked");
        }
        return Err(OAuthError::InvalidGrant(
            "the authorization code is invalid, expired or used".into(),
        ));
    };
    if row.expires_at <= now {
        return Err(OAuthError::InvalidGrant(
            "the authorization code is invalid, expired or used".into(),
        ));
    }
    if redirect_uri != Some(row.redirect_uri.as_str()) {
        return Err(OAuthError::InvalidGrant(
            "redirect_uri does not match the authorization request".into(),
        ));
    }
    match (&row.code_challenge, code_verifier) {
        (Some(challenge), Some(verifier)) if pkce_matches(verifier, challenge) => {}
        (Some(_), Some(_)) => {
            return Err(OAuthError::InvalidGrant(
                "code_verifier does not match".into(),
            ));
        }
        (Some(_), None) => {
            return Err(OAuthError::InvalidGrant("code_verifier is required".into()));
        }
        (None, Some(_)) => {
            return Err(OAuthError::InvalidGrant(
                "code_verifier sent, but the request had no code_challenge".into(),
            ));
        }
        (None, None) => {}
    }
    let user = active_user(ctx, &client.pool_id, &row.user_id, row.created_at).await?;
    // A logout after the code was issued voids it too.
    let session_ended = match &row.session_hash {
        Some(hash) => store::session_ended(&ctx.store, hash).await?,
        None => false,
    };
    if session_ended {
        return Err(OAuthError::InvalidGrant(
            "the sign-in behind this code has ended".into(),
        ));
    }
    // What the client may still ask for: a scope taken from it since the sign-in is gone.
    let scopes: Vec<String> = parse_scopes(&row.scope)?
        .into_iter()
        .filter(|s| client.allows_scope(s))
        .collect();
    let groups = crate::store::groups::group_names(&ctx.store, &user.id).await?;
    issue_user_tokens(
        ctx,
        &Grant {
            client,
            user: &user,
            scopes: &scopes,
            auth_time: row.auth_time,
            nonce: row.nonce.as_deref(),
            origin_jti: &row.origin_jti,
            amr: row.amr.as_deref(),
        },
        &groups,
        true,
    )
    .await
}

/// Tokens for a sign-in finished through the user-pools API (`AuthenticationResult`): a new
/// grant family with the API's scope, refreshable through either door.
pub async fn api_sign_in(
    ctx: &Context,
    client: &OAuthClient,
    user: &UserRow,
    amr: &str,
    auth_time: i64,
) -> Result<TokenResponse, OAuthError> {
    let groups = crate::store::groups::group_names(&ctx.store, &user.id).await?;
    let origin_jti = uuid::Uuid::new_v4().to_string();
    let scopes = [crate::tokens::claims::USER_ADMIN_SCOPE.to_string()];
    issue_user_tokens(
        ctx,
        &Grant {
            client,
            user,
            scopes: &scopes,
            auth_time,
            nonce: None,
            origin_jti: &origin_jti,
            amr: Some(amr),
        },
        &groups,
        true,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_matches(
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }
}
