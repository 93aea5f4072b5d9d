//! The refresh token grant: rotating per client, with family revocation on reuse (RFC 9700
//! §4.14), through either door (`/oauth2/token` or the user-pools API).

use crate::accounts::types::may_hold_tokens;
use crate::context::Context;
use crate::crypto::secret;
use crate::pools::oauth_client::OAuthClient;
use crate::store::oauth as store;
use crate::store::users::UserRow;
use crate::tokens::OAuthError;
use crate::tokens::claims::{Grant, TokenResponse, issue_user_tokens, mint_refresh};
use crate::tokens::grants::scope::{narrowed, parse_scopes};

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
    let scopes = narrowed(scope, &granted, "was not granted")?;
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
