//! The admin API's one error shape: `{"error": {"code", "message"}}`, and the single place
//! where core errors become HTTP statuses.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;
use crate::store::paging::PageError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("the request signature or credentials are invalid")]
    Unauthorized,
    /// A copy of a signed request that changed state (`iam::replay`).
    #[error("this signed request was already used; sign the request again")]
    Replayed,
    #[error("{0}")]
    NotFound(String),
    /// A route that exists, asked with a method it does not take; carries the `Allow` list.
    #[error("this route takes {0}")]
    MethodNotAllowed(String),
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error(transparent)]
    Core(#[from] Error),
}

impl From<PageError> for ApiError {
    fn from(err: PageError) -> Self {
        ApiError::Core(err.into())
    }
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `invalid_request`, `unauthorized`, `access_denied` (403), `not_found`, `method_not_allowed`, `conflict`,
    /// `validation_failed`, `payload_too_large`, `too_many_requests` (429), `busy` (503,
    /// with `Retry-After`) or `internal_error`.
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            ApiError::Unauthorized | ApiError::Replayed => {
                (StatusCode::UNAUTHORIZED, "unauthorized")
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Core(Error::NotFound(_)) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Core(Error::Conflict(..)) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Core(Error::Forbidden(_)) => (StatusCode::FORBIDDEN, "access_denied"),
            ApiError::Core(Error::Validation { .. } | Error::Password { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            }
            ApiError::Core(Error::Store(crate::store::StoreError::Contention)) => {
                (StatusCode::CONFLICT, "conflict")
            }
            ApiError::Core(Error::TooManyRequests) => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            ApiError::Core(Error::Hash(crate::crypto::password::HashError::Busy)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "busy")
            }
            ApiError::Core(Error::Store(_) | Error::Hash(_)) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = self.parts();
        let message = if status == StatusCode::SERVICE_UNAVAILABLE {
            self.to_string()
        } else if status.is_server_error() {
            // The cause goes to the log with the request id; the client gets no internals.
            tracing::error!(error = %self, "admin request failed");
            "internal error; the server log has details under this request's x-request-id"
                .to_string()
        } else {
            self.to_string()
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("retry-after", "1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header(("www-authenticate", "Bearer realm=\"cognate-admin\""));
        }
        if let ApiError::MethodNotAllowed(allow) = self {
            response.insert_header(("allow", allow.as_str()));
        }
        response.json(ErrorBody {
            error: ErrorDetail { code, message },
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
