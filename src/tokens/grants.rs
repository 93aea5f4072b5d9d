//! The token endpoint's grants: authorization code (with PKCE), refresh token (rotating,
//! with family revocation on reuse, RFC 9700 §4.14) and client credentials.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::accounts::types::may_hold_tokens;
use crate::context::Context;
use crate::crypto::secret;
use crate::pools::clients::{OAuthClient, STANDARD_SCOPES, find_oauth_client};
use crate::store::oauth as store;
use crate::store::users::UserRow;
use crate::tokens::OAuthError;
use crate::tokens::claims::{
    Grant, TokenResponse, issue_client_token, issue_user_tokens, mint_refresh,
};

/// Client credentials as presented: from `Authorization: Basic` or the form body.
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Authenticates the client: a confidential client must present its secret, a public
/// client must not claim one. Every failure reads the same.
pub async fn authenticate_client(
    ctx: &Context,
    pool_id: &str,
    creds: &ClientCredentials,
) -> Result<OAuthClient, OAuthError> {
    let failed = || OAuthError::InvalidClient("client authentication failed".into());
    let client = find_oauth_client(ctx, pool_id, &creds.client_id)
        .await?
        .ok_or_else(failed)?;
    match (&creds.secret, client.is_confidential()) {
        (Some(secret), true) if client.secret_matches(secret) => Ok(client),
        (None, false) => Ok(client),
        _ => Err(failed()),
    }
}

/// Splits a `scope` parameter into distinct scopes, in order.
pub fn parse_scopes(scope: &str) -> Result<Vec<String>, OAuthError> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if s.len() > 512
            || !s
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        {
            return Err(OAuthError::InvalidScope("malformed scope".into()));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

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
    let user = crate::accounts::lookup::find_by_sub(ctx, pool_id, user_id)
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

/// The door a refresh comes through: its rule for who may refresh differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDoor {
    /// `/oauth2/token`: a standing code grant, for clients with the code flow.
    OAuth,
    /// The user-pools API: for clients with `ALLOW_REFRESH_TOKEN_AUTH`.
    Api,
}

pub async fn refresh_token(
    ctx: &Context,
    client: &OAuthClient,
    token: &str,
    scope: Option<&str>,
    door: RefreshDoor,
) -> Result<TokenResponse, OAuthError> {
    let allowed = match door {
        // A refresh token is a standing code grant: a client that lost the code flow loses it.
        RefreshDoor::OAuth => client.allows_flow("code"),
        RefreshDoor::Api => client
            .config
            .explicit_auth_flows
            .iter()
            .any(|f| f == "ALLOW_REFRESH_TOKEN_AUTH"),
    };
    if !allowed {
        return Err(OAuthError::UnauthorizedClient(
            "this client may not refresh tokens this way".into(),
        ));
    }
    let now = ctx.now();
    let hash = secret::digest(token);
    let invalid =
        || OAuthError::InvalidGrant("the refresh token is invalid, expired or revoked".into());
    // The token, its user, its family's revocation and the groups, in one read.
    let store::RefreshState {
        refresh: row,
        user,
        revoked: family_revoked,
        groups,
    } = match store::refresh_with_user(&ctx.store, &client.pool_id, &hash).await? {
        // Another client's token: refused, and left alone.
        Some(found) if found.refresh.client_id == client.client_id => found,
        _ => return Err(invalid()),
    };
    let rotation = client.config.refresh_token_rotation;
    // The previous token of a rotation, presented again within the client's grace period:
    // a retry, or a second tab refreshing at once. It gets a sibling in the same family.
    let grace_ms = i64::from(rotation.retry_grace_period_seconds) * 1000;
    let in_grace =
        |rotated_at: i64| rotation.enabled && grace_ms > 0 && now - rotated_at <= grace_ms;
    if row.rotated_at.is_some_and(|at| !in_grace(at)) {
        // A rotated token presented again: someone holds a copy. Kill the family.
        reuse_detected(ctx, client, &row.origin_jti, now).await?;
        return Err(invalid());
    }
    if row.revoked_at.is_some() || row.expires_at <= now || family_revoked {
        return Err(invalid());
    }
    if !may_hold_tokens(&user, row.created_at) {
        return Err(invalid());
    }
    // What the grant still covers: what was granted, less what the client may no longer
    // ask for. The refresh token keeps that for good (RFC 6749 §6).
    // The API's own scope is not an OAuth scope a client is allowed: the API keeps it.
    let granted: Vec<String> = parse_scopes(&row.scope)?
        .into_iter()
        .filter(|s| {
            client.allows_scope(s)
                || (door == RefreshDoor::Api && s == crate::tokens::claims::USER_ADMIN_SCOPE)
        })
        .collect();
    if granted.is_empty() {
        return Err(OAuthError::InvalidGrant(
            "the client may no longer use any scope of this grant".into(),
        ));
    }
    // A smaller `scope` narrows this access token only.
    let scopes = match scope.map(parse_scopes).transpose()? {
        Some(asked) if !asked.is_empty() => {
            if let Some(extra) = asked.iter().find(|s| !granted.contains(s)) {
                return Err(OAuthError::InvalidScope(format!(
                    "`{extra}` was not granted"
                )));
            }
            asked
        }
        _ => granted.clone(),
    };
    let grant = Grant {
        client,
        user: &user,
        scopes: &scopes,
        auth_time: row.auth_time,
        nonce: None,
        origin_jti: &row.origin_jti,
        amr: row.amr.as_deref(),
    };
    // Sign first, then rotate: if signing failed after the old token was spent, the
    // client's retry would look like reuse and kill its own family.
    let mut answer = issue_user_tokens(ctx, &grant, &groups, false).await?;
    if !rotation.enabled {
        // The same refresh token serves until it expires or is revoked (RFC 6749 §6 lets
        // the server issue no new one).
        return Ok(answer);
    }
    let (new_token, new_row) = mint_refresh(ctx, &grant, &granted, row.expires_at);
    let sibling = row.rotated_at.is_some()
        || !store::rotate_refresh(
            &ctx.store,
            &client.pool_id,
            &client.client_id,
            &hash,
            &new_row.token_hash,
            &new_row.scope,
            new_row.created_at,
        )
        .await?;
    if sibling {
        // Rotated already, by an earlier request or a concurrent one: within the grace
        // period a sibling of the successor; otherwise a copy exists, and the family dies.
        // A token read as rotated was judged in its grace above; one that a concurrent
        // request rotated between our read and our write is read again.
        let retry = row.rotated_at.is_some()
            || store::find_refresh(&ctx.store, &client.pool_id, &hash)
                .await?
                .is_some_and(|r| r.revoked_at.is_none() && r.rotated_at.is_some_and(in_grace));
        if !retry {
            reuse_detected(ctx, client, &row.origin_jti, now).await?;
            return Err(invalid());
        }
        store::insert_refresh(&ctx.store, &new_row).await?;
    }
    answer.refresh_token = Some(new_token);
    Ok(answer)
}

/// Whether the client's refresh tokens rotate (Cognito's `RefreshTokenRotation`).
pub fn rotates(client: &OAuthClient) -> bool {
    client.config.refresh_token_rotation.enabled
}

/// The user a refresh token of `client` was issued to, if any (for checks that name the
/// user before the refresh, such as `SECRET_HASH`).
pub async fn refresh_token_user(
    ctx: &Context,
    client: &OAuthClient,
    token: &str,
) -> Result<Option<UserRow>, OAuthError> {
    let hash = secret::digest(token);
    Ok(
        match store::refresh_with_user(&ctx.store, &client.pool_id, &hash).await? {
            Some(found) if found.refresh.client_id == client.client_id => Some(found.user),
            _ => None,
        },
    )
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

async fn reuse_detected(
    ctx: &Context,
    client: &OAuthClient,
    origin_jti: &str,
    now: i64,
) -> Result<(), OAuthError> {
    store::revoke_family(&ctx.store, &client.pool_id, origin_jti, now).await?;
    tracing::warn!(client_id = %client.client_id, "refresh token reused; its family is revoked");
    Ok(())
}

pub async fn client_credentials(
    ctx: &Context,
    client: &OAuthClient,
    scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    if !client.is_confidential() || !client.allows_flow("client_credentials") {
        return Err(OAuthError::UnauthorizedClient(
            "this client may not use the client credentials grant".into(),
        ));
    }
    let allowed: Vec<String> = client
        .config
        .allowed_oauth_scopes
        .iter()
        .filter(|s| !STANDARD_SCOPES.contains(&s.as_str()))
        .cloned()
        .collect();
    let scopes = match scope.map(parse_scopes).transpose()? {
        Some(asked) if !asked.is_empty() => {
            if let Some(bad) = asked.iter().find(|s| !allowed.contains(s)) {
                return Err(OAuthError::InvalidScope(format!(
                    "`{bad}` is not allowed for this client"
                )));
            }
            asked
        }
        _ => allowed,
    };
    issue_client_token(ctx, client, &scopes).await
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

    #[test]
    fn scopes_are_split_and_deduplicated() {
        assert_eq!(
            parse_scopes("openid  email openid").unwrap(),
            vec!["openid", "email"]
        );
        assert!(parse_scopes("a\"b").is_err());
    }
}
