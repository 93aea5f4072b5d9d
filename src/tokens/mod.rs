//! Tokens own signing keys, the claims Cognate issues (Cognito-compatible ID and access
//! tokens, opaque refresh tokens), authorization codes, grants and revocation.

pub mod authorize;
pub mod claims;
pub mod complete;
pub mod grants;
pub mod logout;
pub mod revocation;
pub mod upstream;

use crate::crypto::jwt::JwtError;
use crate::crypto::sealed::SealError;
use crate::keyring::KeyError;
use crate::store::StoreError;

/// Errors of the OAuth rules; each maps to one RFC 6749 §5.2 error code.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    UnauthorizedClient(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    InvalidScope(String),
    #[error("{0}")]
    InvalidToken(String),
    /// An access token past its `exp` (answered as `invalid_token`).
    #[error("the access token has expired")]
    TokenExpired,
    /// An access token whose sign-in was revoked (answered as `invalid_token`).
    #[error("the access token has been revoked")]
    TokenRevoked,
    /// The request body is over the limit (answered `413` with `invalid_request`).
    #[error("the request body is too large")]
    TooLarge,
    #[error("internal error: {0}")]
    Internal(String),
}

impl OAuthError {
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::InvalidToken(_) | OAuthError::TokenExpired | OAuthError::TokenRevoked => {
                "invalid_token"
            }
            OAuthError::TooLarge => "invalid_request",
            OAuthError::Internal(_) => "server_error",
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(err: StoreError) -> Self {
        OAuthError::Internal(err.to_string())
    }
}

impl From<crate::error::Error> for OAuthError {
    fn from(err: crate::error::Error) -> Self {
        match err {
            crate::error::Error::NotFound(what) => {
                OAuthError::InvalidRequest(format!("unknown {what}"))
            }
            other => OAuthError::Internal(other.to_string()),
        }
    }
}

impl From<JwtError> for OAuthError {
    fn from(err: JwtError) -> Self {
        match err {
            JwtError::Sign(_) | JwtError::Key(_) => OAuthError::Internal(err.to_string()),
            _ => OAuthError::InvalidToken("the access token is invalid".into()),
        }
    }
}

impl From<KeyError> for OAuthError {
    fn from(err: KeyError) -> Self {
        match err {
            KeyError::Jwt(err) => err.into(),
            other => OAuthError::Internal(other.to_string()),
        }
    }
}

impl From<SealError> for OAuthError {
    fn from(err: SealError) -> Self {
        OAuthError::Internal(err.to_string())
    }
}
