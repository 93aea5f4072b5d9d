//! The error every core rule returns. Each front door maps it to its own wire format in
//! one place (`admin::error` for the REST API).

use crate::crypto::password::HashError;
use crate::store::StoreError;
use crate::store::paging::PageError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// Well-formed but unacceptable input; `field` names what to fix.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    /// The caller's credentials do not allow this; the message names the action and
    /// resource, as AWS's `AccessDenied` does.
    #[error("{0}")]
    Forbidden(String),
    /// A rate limit on the caller (its address) was reached; it says nothing about accounts.
    #[error("too many requests; try again later")]
    TooManyRequests,
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl Error {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<PageError> for Error {
    fn from(err: PageError) -> Self {
        Error::validation(err.field, err.message)
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Error::NotFound("resource"),
            StoreError::Conflict(what) => Error::Conflict(format!("already exists ({what})")),
            StoreError::Reference(what) => {
                Error::Conflict(format!("a related resource changed meanwhile ({what})"))
            }
            other => Error::Store(other),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
