//! Revocation (RFC 7009) and the checks an access token passes before userInfo trusts it:
//! signature by a published key of this pool, issuer, use, expiry, and no revocation of its
//! family, of the user's sessions, or of the user.

use serde_json::{Map, Value};

use crate::accounts::types::may_hold_tokens;
use crate::context::Context;
use crate::crypto::{jwt, secret};
use crate::pools::oauth_client::{OAuthClient, find_oauth_client};
use crate::store::oauth as store;
use crate::store::users::UserRow;
use crate::tokens::OAuthError;
use crate::tokens::claims::user_claims;
use crate::tokens::grants::parse_scopes;

/// Revokes the refresh token's family, and with it the access tokens it issued. Unknown
/// tokens, and tokens of other clients, are answered the same (RFC 7009 §2.2).
pub async fn revoke(ctx: &Context, client: &OAuthClient, token: &str) -> Result<(), OAuthError> {
    let hash = secret::digest(token);
    if let Some(row) = store::find_refresh(&ctx.store, &client.pool_id, &hash).await?
        && row.client_id == client.client_id
    {
        store::revoke_family(&ctx.store, &client.pool_id, &row.origin_jti, ctx.now()).await?;
    }
    Ok(())
}

fn invalid(why: &str) -> OAuthError {
    OAuthError::InvalidToken(why.to_string())
}

/// The verified claims of a user access token of this pool, and its user.
pub async fn validate_access_token(
    ctx: &Context,
    pool_id: &str,
    token: &str,
) -> Result<(Value, UserRow), OAuthError> {
    let now = ctx.now();
    let kid = jwt::key_id(token).map_err(|_| invalid("the access token is invalid"))?;
    let key = ctx
        .keys
        .verifying_key(&ctx.store, &ctx.caches, pool_id, &kid, now)
        .await?
        .ok_or_else(|| invalid("the access token is invalid"))?;
    let claims = jwt::verify(token, &key).map_err(|_| invalid("the access token is invalid"))?;
    if claims["iss"].as_str() != Some(ctx.issuer(pool_id).as_str())
        || claims["token_use"] != "access"
    {
        return Err(invalid("the access token is invalid"));
    }
    let exp = claims["exp"]
        .as_i64()
        .ok_or_else(|| invalid("the access token is invalid"))?;
    if exp * 1000 <= now {
        return Err(OAuthError::TokenExpired);
    }
    let origin = claims["origin_jti"]
        .as_str()
        .ok_or_else(|| invalid("not a user access token"))?;
    let sub = claims["sub"].as_str().unwrap_or_default();
    let (user, revoked) =
        crate::accounts::users::lookup::find_by_sub_with_revocation(ctx, pool_id, sub, origin)
            .await?
            .ok_or_else(|| invalid("the access token is invalid"))?;
    if revoked {
        return Err(OAuthError::TokenRevoked);
    }
    let iat = claims["iat"].as_i64().unwrap_or(0);
    if !may_hold_tokens(&user, iat.saturating_mul(1000)) {
        return Err(OAuthError::TokenRevoked);
    }
    Ok((claims, user))
}

/// The userInfo answer: `sub`, `username`, and the claims the token's scopes allow.
pub async fn user_info(
    ctx: &Context,
    pool_id: &str,
    token: &str,
) -> Result<Map<String, Value>, OAuthError> {
    let (claims, user) = validate_access_token(ctx, pool_id, token).await?;
    let scopes = parse_scopes(claims["scope"].as_str().unwrap_or_default())?;
    if !scopes.iter().any(|s| s == "openid") {
        return Err(OAuthError::InvalidToken(
            "the access token lacks the openid scope".into(),
        ));
    }
    let client_id = claims["client_id"].as_str().unwrap_or_default();
    let client = find_oauth_client(ctx, pool_id, client_id)
        .await?
        .ok_or_else(|| invalid("the client no longer exists"))?;
    let mut out = Map::new();
    out.insert("sub".into(), Value::String(user.id.clone()));
    out.insert("username".into(), Value::String(user.username.clone()));
    out.extend(user_claims(&user, &scopes, &client, false)?);
    Ok(out)
}
