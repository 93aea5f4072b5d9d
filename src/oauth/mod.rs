//! The OAuth 2.0 / OpenID Connect JSON endpoints under each issuer: discovery, JWKS, token,
//! userInfo and revocation. Errors are RFC 6749 §5.2 JSON. (`/oauth2/authorize` and
//! `/logout` render pages and set cookies: they live in `hosted`.)

pub mod discovery;
pub mod error;
pub mod token;
pub mod userinfo;

use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;

use crate::tokens::OAuthError;

/// Whether the request says its body is a form (`application/x-www-form-urlencoded`).
pub fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Form bodies larger than this are refused with a JSON `413`.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Reads a request body up to `MAX_FORM_BYTES`, answering in OAuth's error format.
pub async fn read_body(mut payload: Payload) -> Result<Bytes, OAuthError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|_| OAuthError::InvalidRequest("the request body could not be read".into()))?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(OAuthError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
