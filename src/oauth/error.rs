//! OAuth errors on the wire: `{"error", "error_description"}` (RFC 6749 §5.2), mapped here
//! and nowhere else.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::tokens::OAuthError;

/// RFC 6749 allows only %x20-21 / %x23-5B / %x5D-7E in `error_description`.
pub fn sanitize_description(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}' => c,
            _ => ' ',
        })
        .take(300)
        .collect()
}

#[derive(Debug)]
pub struct OAuthResponse(pub OAuthError);

impl std::fmt::Display for OAuthResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<OAuthError> for OAuthResponse {
    fn from(err: OAuthError) -> Self {
        Self(err)
    }
}

impl From<crate::keyring::KeyError> for OAuthResponse {
    fn from(err: crate::keyring::KeyError) -> Self {
        Self(err.into())
    }
}

impl ResponseError for OAuthResponse {
    fn status_code(&self) -> StatusCode {
        match self.0 {
            OAuthError::InvalidClient(_)
            | OAuthError::InvalidToken(_)
            | OAuthError::TokenExpired
            | OAuthError::TokenRevoked => StatusCode::UNAUTHORIZED,
            OAuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let description = match &self.0 {
            OAuthError::Internal(cause) => {
                tracing::error!(error = %cause, "oauth request failed");
                "internal error".to_string()
            }
            other => sanitize_description(&other.to_string()),
        };
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header(("cache-control", "no-store"))
            .insert_header(("pragma", "no-cache"));
        match &self.0 {
            OAuthError::InvalidClient(_) => {
                response.insert_header((
                    "www-authenticate",
                    "Basic realm=\"cognate\", charset=\"UTF-8\"",
                ));
            }
            OAuthError::InvalidToken(_) | OAuthError::TokenExpired | OAuthError::TokenRevoked => {
                response.insert_header((
                    "www-authenticate",
                    format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
                ));
            }
            _ => {}
        }
        response.json(json!({"error": self.0.code(), "error_description": description}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_carry_no_control_or_quote_characters() {
        assert_eq!(sanitize_description("a\r\nb\t\"c\\"), "a  b  c ");
    }
}
