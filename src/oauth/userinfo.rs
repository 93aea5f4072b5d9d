//! `{issuer}/oauth2/userInfo` (GET and POST): the signed-in user's claims for an access
//! token that carries `openid`.

use actix_web::http::header::AUTHORIZATION;
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, get, post};

use crate::context::Context;
use crate::oauth::error::OAuthResponse;
use crate::pools::pool::cached_pool;
use crate::tokens::OAuthError;
use crate::tokens::authorize::Params;
use crate::tokens::revocation::user_info;

fn bearer(req: &HttpRequest) -> Result<Option<String>, OAuthError> {
    if req.headers().get_all(AUTHORIZATION).count() > 1 {
        return Err(OAuthError::InvalidRequest(
            "send one Authorization header".into(),
        ));
    }
    match req.headers().get(AUTHORIZATION) {
        None => Ok(None),
        Some(value) => {
            let text = value
                .to_str()
                .map_err(|_| OAuthError::InvalidToken("malformed Authorization header".into()))?;
            match text.split_once(' ') {
                Some((scheme, token))
                    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
                {
                    Ok(Some(token.trim().to_string()))
                }
                _ => Err(OAuthError::InvalidToken(
                    "use Authorization: Bearer <access token>".into(),
                )),
            }
        }
    }
}

async fn answer(
    ctx: &Context,
    pool_id: &str,
    token: Option<String>,
) -> Result<HttpResponse, OAuthResponse> {
    let token =
        token.ok_or_else(|| OAuthError::InvalidToken("an access token is required".into()))?;
    if cached_pool(ctx, pool_id).await.is_err() {
        return Err(OAuthError::InvalidToken("the access token is invalid".into()).into());
    }
    let claims = user_info(ctx, pool_id, &token).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(claims))
}

#[get("/{pool_id}/oauth2/userInfo")]
pub async fn userinfo_get(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
) -> Result<HttpResponse, OAuthResponse> {
    let token = bearer(&req)?;
    answer(&ctx, &path, token).await
}

#[post("/{pool_id}/oauth2/userInfo")]
pub async fn userinfo_post(
    req: HttpRequest,
    ctx: Data<Context>,
    path: Path<String>,
    payload: Payload,
) -> Result<HttpResponse, OAuthResponse> {
    let body = crate::oauth::read_body(payload).await?;
    let header = bearer(&req)?;
    let form_token = if crate::oauth::is_form(&req) && !body.is_empty() {
        Params::parse(&body)
            .map_err(OAuthError::InvalidRequest)?
            .get("access_token")
            .map(str::to_string)
    } else {
        None
    };
    // RFC 6750 §2: one method per request.
    let token = match (header, form_token) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::InvalidRequest("send the token once".into()).into());
        }
        (h, f) => h.or(f),
    };
    answer(&ctx, &path, token).await
}
