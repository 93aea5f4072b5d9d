//! `{issuer}/.well-known/openid-configuration` and `{issuer}/.well-known/jwks.json`.

use actix_web::http::header::ContentType;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpResponse, get};
use serde_json::json;

use crate::clock::Millis;
use crate::context::Context;
use crate::error::Error;
use crate::oauth::error::OAuthResponse;
use crate::pools::Pool;
use crate::pools::client_config::STANDARD_SCOPES;
use crate::pools::pool::cached_pool;
use crate::pools::resource_servers::all_scopes;
use crate::tokens::OAuthError;

async fn pool_or_404(ctx: &Context, pool_id: &str) -> Result<Pool, OAuthResponse> {
    cached_pool(ctx, pool_id).await.map_err(|e| match e {
        Error::NotFound(_) => OAuthResponse(OAuthError::InvalidRequest("unknown user pool".into())),
        other => OAuthResponse(OAuthError::Internal(other.to_string())),
    })
}

/// Rendered documents, by `"<pool id>/<name>"`.
struct Documents;

impl crate::cache::Kept for Documents {
    type Key = String;
    type Value = Bytes;
}

/// A pool's document, from the cache or rendered by `render` (with when it stops being
/// true by itself, if it does) and cached.
async fn document(
    ctx: &Context,
    pool_id: &str,
    name: &str,
    cache_control: &'static str,
    render: impl AsyncFnOnce(&Pool) -> Result<(Bytes, Option<Millis>), OAuthResponse>,
) -> Result<HttpResponse, OAuthResponse> {
    let now = ctx.now();
    let key = format!("{pool_id}/{name}");
    let body = match ctx.caches.get::<Documents, _>(&key, now) {
        Some(body) => body,
        None => {
            let since = ctx.caches.generation();
            let pool = match pool_or_404(ctx, pool_id).await {
                Ok(pool) => pool,
                Err(_) => return Ok(not_found()),
            };
            let (body, until) = render(&pool).await?;
            ctx.caches
                .keep::<Documents>(since, key, body.clone(), now, until);
            body
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", cache_control))
        .content_type(ContentType::json())
        .body(body))
}

#[get("/{pool_id}/.well-known/openid-configuration")]
pub async fn openid_configuration(
    ctx: Data<Context>,
    path: Path<String>,
) -> Result<HttpResponse, OAuthResponse> {
    document(
        &ctx,
        &path,
        "openid-configuration",
        "public, max-age=3600",
        async |pool| configuration(&ctx, pool).await,
    )
    .await
}

/// The discovery document of `pool`, rendered, and when it changes by itself (a retired
/// key of another algorithm stops being published).
async fn configuration(
    ctx: &Context,
    pool: &Pool,
) -> Result<(Bytes, Option<Millis>), OAuthResponse> {
    let issuer = ctx.issuer(&pool.id);
    // The pool's algorithm first, then those of keys still published after a change.
    let (keys, until) = ctx
        .keys
        .published_until(&ctx.store, &pool.id, ctx.now())
        .await?;
    let mut algorithms = vec![pool.config.signing_algorithm().as_str().to_string()];
    for key in keys {
        if !algorithms.contains(&key.alg) {
            algorithms.push(key.alg);
        }
    }
    let mut scopes: Vec<String> = STANDARD_SCOPES.iter().map(|s| s.to_string()).collect();
    for (rs, name) in all_scopes(ctx, &pool.id)
        .await
        .map_err(|e| OAuthResponse(e.into()))?
    {
        scopes.push(format!("{rs}/{name}"));
    }
    let body = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "userinfo_endpoint": format!("{issuer}/oauth2/userInfo"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": crate::tokens::authorize::ResponseMode::ALL,
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algorithms,
        "scopes_supported": scopes,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "cognito:username",
            "cognito:groups", "email", "email_verified", "phone_number", "phone_number_verified",
            "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
            "profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "address"
        ],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "prompt_values_supported": ["none", "login"],
    });
    Ok((Bytes::from(body.to_string()), until))
}

#[get("/{pool_id}/.well-known/jwks.json")]
pub async fn jwks(ctx: Data<Context>, path: Path<String>) -> Result<HttpResponse, OAuthResponse> {
    let now = ctx.now();
    document(&ctx, &path, "jwks", "public, max-age=300", async |pool| {
        // A pool created before signing keys existed gets its key on first use.
        ctx.keys.signing_key(&ctx.store, &pool.id, now).await?;
        let (keys, until) = ctx.keys.published_until(&ctx.store, &pool.id, now).await?;
        Ok((Bytes::from(json!({ "keys": keys }).to_string()), until))
    })
    .await
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .json(json!({"error": "invalid_request", "error_description": "unknown user pool"}))
}
