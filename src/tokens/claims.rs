//! The claims of Cognate's tokens, Cognito-compatible (design §3), and their signing.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::accounts::attributes::Attributes;
use crate::context::Context;
use crate::crypto::jwt::half_hash;
use crate::crypto::random;
use crate::crypto::secret;
use crate::pools::oauth_client::OAuthClient;
use crate::store::StoreError;
use crate::store::oauth::{self as store, RefreshRow};
use crate::store::users::UserRow;
use crate::tokens::OAuthError;

const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "address",
];

/// What the token endpoint answers on success.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub token_type: &'static str,
    pub expires_in: u32,
    /// What the access token carries; sent always, so a client never has to guess whether
    /// it got less than it asked for (RFC 6749 §5.1).
    pub scope: String,
}

/// Who and what a set of user tokens is for.
pub struct Grant<'a> {
    pub client: &'a OAuthClient,
    pub user: &'a UserRow,
    pub scopes: &'a [String],
    /// Milliseconds; stays the original sign-in time across refreshes.
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    pub origin_jti: &'a str,
    /// The methods the sign-in used (RFC 8176), space-separated; stays across refreshes.
    pub amr: Option<&'a str>,
}

/// The scope of tokens issued by the user-pools API, which its self-service operations ask for.
pub const USER_ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

fn has(scopes: &[String], scope: &str) -> bool {
    scopes.iter().any(|s| s == scope)
}

/// The OIDC claims the granted scopes allow, from the user's attributes. The ID token also
/// carries the email with `openid` alone (Cognito's ID token, design §3); userInfo keeps to
/// the scopes.
pub fn user_claims(
    user: &UserRow,
    scopes: &[String],
    client: &OAuthClient,
    for_id_token: bool,
) -> Result<Map<String, Value>, OAuthError> {
    let attrs: Attributes = serde_json::from_str(&user.attributes).map_err(StoreError::from)?;
    let readable = |name: &str| {
        client
            .config
            .read_attributes
            .as_ref()
            .is_none_or(|list| list.iter().any(|a| a == name))
    };
    let mut out = Map::new();
    let mut copy = |name: &str| {
        if readable(name)
            && let Some(v) = attrs.get(name)
        {
            out.insert(name.to_string(), v.clone());
        }
    };
    // An ID token of the user-pools API (`aws.cognito.signin.user.admin`) carries every
    // readable attribute, as Cognito's does.
    let everything = for_id_token && has(scopes, USER_ADMIN_SCOPE);
    if everything || has(scopes, "email") || (for_id_token && has(scopes, "openid")) {
        copy("email");
        copy("email_verified");
    }
    if everything || has(scopes, "phone") {
        copy("phone_number");
        copy("phone_number_verified");
    }
    if everything || has(scopes, "profile") {
        for claim in PROFILE_CLAIMS {
            copy(claim);
        }
    }
    if let Some(email) = out.get("email")
        && !out.contains_key("email_verified")
        && email.is_string()
    {
        out.insert("email_verified".into(), Value::Bool(false));
    }
    Ok(out)
}

fn custom_claims(user: &UserRow, client: &OAuthClient) -> Result<Map<String, Value>, OAuthError> {
    let attrs: Attributes = serde_json::from_str(&user.attributes).map_err(StoreError::from)?;
    Ok(attrs
        .into_iter()
        .filter(|(k, _)| k.starts_with("custom:"))
        .filter(|(k, _)| {
            client
                .config
                .read_attributes
                .as_ref()
                .is_none_or(|list| list.iter().any(|a| a == k))
        })
        .collect())
}

/// The identities as the ID token carries them: the array itself.
pub fn identities_claim(attributes_json: &str) -> Option<Value> {
    if !attributes_json.contains("\"identities\"") {
        return None;
    }
    let attrs: serde_json::Map<String, Value> = serde_json::from_str(attributes_json).ok()?;
    let text = attrs.get(crate::domain::IDENTITIES)?.as_str()?;
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_array)
}

/// `amr` as the ID token shows it: the provider's methods unmarked, each method once.
pub fn public_amr(amr: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for method in amr.split(' ').filter(|m| !m.is_empty()) {
        let method = method
            .strip_prefix(crate::domain::UPSTREAM_AMR)
            .unwrap_or(method);
        if !out.contains(&method) {
            out.push(method);
        }
    }
    out
}

/// A new refresh token of the grant's family, for `scopes`, and the row that stores its
/// digest. A family keeps the expiry of its first token: rotation never extends it.
pub fn mint_refresh(
    ctx: &Context,
    grant: &Grant<'_>,
    scopes: &[String],
    expires_at: i64,
) -> (String, RefreshRow) {
    let token = random::token(32);
    let row = RefreshRow {
        token_hash: secret::digest(&token),
        origin_jti: grant.origin_jti.to_string(),
        pool_id: grant.client.pool_id.clone(),
        client_id: grant.client.client_id.clone(),
        user_id: grant.user.id.clone(),
        scope: scopes.join(" "),
        auth_time: grant.auth_time,
        created_at: ctx.now(),
        expires_at,
        rotated_at: None,
        revoked_at: None,
        amr: grant.amr.map(str::to_string),
    };
    (token, row)
}

/// Signs the access token, the ID token when `openid` (or the API's scope) was granted, and stores a new
/// refresh token of the family when `refresh` is asked for.
pub async fn issue_user_tokens(
    ctx: &Context,
    grant: &Grant<'_>,
    groups: &[String],
    refresh: bool,
) -> Result<TokenResponse, OAuthError> {
    let now = ctx.now();
    let iat = now / 1000;
    let pool_id = &grant.client.pool_id;
    let issuer = ctx.issuer(pool_id);
    let key = ctx.keys.signing_key(&ctx.store, pool_id, now).await?;
    let event_id = uuid::Uuid::new_v4().to_string();
    let config = &grant.client.config;

    let mut access = json!({
        "sub": grant.user.id,
        "iss": issuer,
        "client_id": grant.client.client_id,
        "origin_jti": grant.origin_jti,
        "event_id": event_id,
        "token_use": "access",
        "scope": grant.scopes.join(" "),
        "auth_time": grant.auth_time / 1000,
        "exp": iat + i64::from(config.access_token_validity),
        "iat": iat,
        "jti": uuid::Uuid::new_v4().to_string(),
        "username": grant.user.username,
        "version": 2,
    });
    if !groups.is_empty() {
        access["cognito:groups"] = json!(groups);
    }
    let access_token = key.sign(&access)?;
    // An RSA signature holds this worker thread for a quarter of a millisecond: let the
    // requests waiting on it run between the two.
    tokio::task::yield_now().await;

    let id_token = if has(grant.scopes, "openid") || has(grant.scopes, USER_ADMIN_SCOPE) {
        let mut id = json!({
            "sub": grant.user.id,
            "aud": grant.client.client_id,
            "iss": issuer,
            "token_use": "id",
            "auth_time": grant.auth_time / 1000,
            "iat": iat,
            "exp": iat + i64::from(config.id_token_validity),
            "jti": uuid::Uuid::new_v4().to_string(),
            "origin_jti": grant.origin_jti,
            "event_id": event_id,
            "cognito:username": grant.user.username,
            "at_hash": half_hash(key.algorithm(), &access_token),
        });
        if let Some(obj) = id.as_object_mut() {
            obj.extend(user_claims(grant.user, grant.scopes, grant.client, true)?);
            obj.extend(custom_claims(grant.user, grant.client)?);
            // A federated or linked user's identities, as Cognito's ID tokens carry them.
            if let Some(identities) = identities_claim(&grant.user.attributes) {
                obj.insert("identities".into(), identities);
            }
            if let Some(nonce) = grant.nonce {
                obj.insert("nonce".into(), json!(nonce));
            }
            if let Some(amr) = grant.amr.filter(|a| !a.is_empty()) {
                obj.insert("amr".into(), json!(public_amr(amr)));
            }
            if !groups.is_empty() {
                obj.insert("cognito:groups".into(), json!(groups));
            }
        }
        Some(key.sign(&id)?)
    } else {
        None
    };

    let refresh_token = if refresh {
        let expires_at = now + i64::from(config.refresh_token_validity) * 1000;
        let (token, row) = mint_refresh(ctx, grant, grant.scopes, expires_at);
        store::insert_refresh(&ctx.store, &row).await?;
        Some(token)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        id_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: config.access_token_validity,
        scope: grant.scopes.join(" "),
    })
}

/// A client-credentials access token: the client is the subject; custom scopes only.
pub async fn issue_client_token(
    ctx: &Context,
    client: &OAuthClient,
    scopes: &[String],
) -> Result<TokenResponse, OAuthError> {
    let now = ctx.now();
    let iat = now / 1000;
    let key = ctx
        .keys
        .signing_key(&ctx.store, &client.pool_id, now)
        .await?;
    let claims = json!({
        "sub": client.client_id,
        "iss": ctx.issuer(&client.pool_id),
        "client_id": client.client_id,
        "token_use": "access",
        "scope": scopes.join(" "),
        "auth_time": iat,
        "exp": iat + i64::from(client.config.access_token_validity),
        "iat": iat,
        "jti": uuid::Uuid::new_v4().to_string(),
        "version": 2,
    });
    Ok(TokenResponse {
        access_token: key.sign(&claims)?,
        id_token: None,
        refresh_token: None,
        token_type: "Bearer",
        expires_in: client.config.access_token_validity,
        scope: scopes.join(" "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_providers_methods_are_shown_unmarked_once() {
        assert_eq!(public_amr("pwd otp mfa"), ["pwd", "otp", "mfa"]);
        assert_eq!(public_amr("idp:pwd idp:mfa"), ["pwd", "mfa"]);
        assert_eq!(public_amr("idp:otp otp mfa"), ["otp", "mfa"]);
        assert!(public_amr("").is_empty());
    }
}
