//! The error every core rule returns. Each front door maps it to its own wire format in
//! one place (`admin::error` for the REST API).

use crate::crypto::password::HashError;
use crate::store::StoreError;
use crate::store::paging::PageError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request clashes with what exists; the kind lets each door name it in its own terms.
    #[error("{1}")]
    Conflict(Clash, String),
    /// A password the pool's policy refuses; `field` names the form or body field it came in.
    #[error("{field}: {message}")]
    Password { field: String, message: String },
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

/// What a conflict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clash {
    /// The name is taken: a user, group, provider, pool, client or scope has it already.
    Exists,
    /// Another user signs in with this address (Cognito's `AliasExistsException`).
    Alias,
    /// A limit on how many there may be is reached.
    Limit,
    /// The resource's state does not allow it now (a protection, a setting, a change meanwhile).
    State,
}

impl Error {
    pub fn exists(message: impl Into<String>) -> Self {
        Error::Conflict(Clash::Exists, message.into())
    }

    pub fn alias(message: impl Into<String>) -> Self {
        Error::Conflict(Clash::Alias, message.into())
    }

    pub fn limit(message: impl Into<String>) -> Self {
        Error::Conflict(Clash::Limit, message.into())
    }

    pub fn state(message: impl Into<String>) -> Self {
        Error::Conflict(Clash::State, message.into())
    }

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
            // The unique index on users' addresses: another user signs in with it.
            StoreError::Conflict(what) if what.contains("email") => {
                Error::alias(format!("already exists ({what})"))
            }
            StoreError::Conflict(what) => Error::exists(format!("already exists ({what})")),
            StoreError::Reference(what) => {
                Error::state(format!("a related resource changed meanwhile ({what})"))
            }
            other => Error::Store(other),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
