//! `{issuer}/oauth2/token` and `{issuer}/oauth2/revoke`: form-encoded, client authentication
//! by `client_secret_basic` or `client_secret_post`, public clients by `client_id` alone.

use actix_web::http::header::AUTHORIZATION;
use actix_web::web::{Bytes, Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::context::Context;
use crate::error::Error;
use crate::oauth::error::OAuthResponse;
use crate::pools::Pool;
use crate::pools::pool::cached_pool;
use crate::tokens::OAuthError;
use crate::tokens::authorize::Params;
use crate::tokens::grants::{self, ClientCredentials, authenticate_client};
use crate::tokens::revocation;

fn form_decode(text: &str) -> Option<String> {
    let plus = text.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The client's credentials from `Authorization: Basic` (RFC 6749 §2.3.1: each part
/// form-encoded) or from the body; both at once is an error.
fn client_credentials(req: &HttpRequest, params: &Params) -> Result<ClientCredentials, OAuthError> {
    if req.headers().get_all(AUTHORIZATION).count() > 1 {
        return Err(OAuthError::InvalidRequest(
            "send one Authorization header".into(),
        ));
    }
    let basic = match req.headers().get(AUTHORIZATION) {
        None => None,
        Some(value) => {
            let text = value
                .to_str()
                .map_err(|_| OAuthError::InvalidClient("malformed Authorization header".into()))?;
            let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(OAuthError::InvalidClient(
                    "use HTTP Basic client authentication".into(),
                ));
            }
            let decoded = STANDARD
                .decode(rest.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| OAuthError::InvalidClient("malformed Basic credentials".into()))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| OAuthError::InvalidClient("malformed Basic credentials".into()))?;
            let id = form_decode(id)
                .ok_or_else(|| OAuthError::InvalidClient("malformed Basic credentials".into()))?;
            let secret = form_decode(secret)
                .ok_or_else(|| OAuthError::InvalidClient("malformed Basic credentials".into()))?;
            Some((id, secret))
        }
    };
    match (basic, params.get("client_id"), params.get("client_secret")) {
        (Some(_), _, Some(_)) => Err(OAuthError::InvalidRequest(
            "use one client authentication method".into(),
        )),
        (Some((id, _)), Some(body_id), None) if id != body_id => Err(OAuthError::InvalidRequest(
            "client_id does not match the Authorization header".into(),
        )),
        (Some((id, secret)), _, None) => Ok(ClientCredentials {
            client_id: id,
            secret: Some(secret),
        }),
        (None, Some(id), secret) => Ok(ClientCredentials {
            client_id: id.to_string(),
            secret: secret.map(str::to_string),
        }),
        (None, None, _) => Err(OAuthError::InvalidClient(
            "client authentication is required".into(),
        )),
    }
}

fn form_params(req: &HttpRequest, body: &Bytes) -> Result<Params, OAuthError> {
    if !crate::oauth::is_form(req) {
        return Err(OAuthError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    Params::parse(body).map_err(OAuthError::InvalidRequest)
}

async fn pool(ctx: &Context, pool_id: &str) -> Result<Pool, OAuthError> {
    cached_pool(ctx, pool_id).await.map_err(|e| match e {
        Error::NotFound(_) => OAuthError::InvalidRequest("unknown user pool".into()),
        other => OAuthError::Internal(other.to_string()),
    })
}

/// The pool and the form of a post to the token or the revocation endpoint.
async fn posted(
    req: &HttpRequest,
    ctx: &Context,
    pool_id: &str,
    payload: Payload,
) -> Result<(Pool, Params), OAuthError> {
    let body = crate::oauth::read_body(payload).await?;
    let pool = pool(ctx, pool_id).await?;
    let params = form_params(req, &body)?;
    Ok((pool, params))
}

/// A parameter the request must carry; `invalid_request` when it does not.
fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    params
        .get(name)
        .ok_or_else(|| OAuthError::InvalidRequest(format!("{name} is missing")))
}

fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder
        .insert_header(("cache-control", "no-store"))
        .insert_header(("pragma", "no-cache"));
    builder
}

#[post("/{pool_id}/oauth2/token")]
pub async fn token(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    payload: Payload,
) -> Result<HttpResponse, OAuthResponse> {
    let (pool, params) = posted(&req, &ctx, &path, payload).await?;
    let grant_type = required(&params, "grant_type")?;
    if !matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return Err(OAuthError::UnsupportedGrantType("grant_type is not supported".into()).into());
    }
    let creds = client_credentials(&req, &params)?;
    let client = authenticate_client(&ctx, &pool.id, &creds).await?;
    let answer = match grant_type {
        "authorization_code" => {
            grants::authorization_code(
                &ctx,
                &client,
                required(&params, "code")?,
                params.get("redirect_uri"),
                params.get("code_verifier"),
            )
            .await?
        }
        "refresh_token" => {
            grants::refresh_token(
                &ctx,
                &client,
                required(&params, "refresh_token")?,
                params.get("scope"),
                grants::RefreshDoor::OAuth,
            )
            .await?
        }
        _ => grants::client_credentials(&ctx, &client, params.get("scope")).await?,
    };
    Ok(no_store(HttpResponse::Ok()).json(answer))
}

/// RFC 7009: revokes a refresh token's family; `200` whether or not the token was known.
#[post("/{pool_id}/oauth2/revoke")]
pub async fn revoke(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    payload: Payload,
) -> Result<HttpResponse, OAuthResponse> {
    let (pool, params) = posted(&req, &ctx, &path, payload).await?;
    let presented = required(&params, "token")?;
    let creds = client_credentials(&req, &params)?;
    let client = authenticate_client(&ctx, &pool.id, &creds).await?;
    revocation::revoke(&ctx, &client, presented).await?;
    Ok(no_store(HttpResponse::Ok()).finish())
}
