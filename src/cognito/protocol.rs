//! The wire protocol of AWS's JSON services (`awsJson1_1`): a `POST /` whose
//! `X-Amz-Target` names the operation, JSON bodies in PascalCase, and errors as
//! `{"__type", "message"}` with `x-amzn-ErrorType`. Each error is one of Cognito's
//! exception names, so the SDKs raise their typed errors.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::store::StoreError;

/// The target prefix of every Cognito user pools operation.
pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// Cognito's requests are small; a body past this is refused unread.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Cognito's exception names, as the SDKs match them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NotAuthorized,
    UserNotFound,
    UsernameExists,
    CodeMismatch,
    ExpiredCode,
    InvalidPassword,
    InvalidParameter,
    LimitExceeded,
    TooManyRequests,
    TooManyFailedAttempts,
    UserNotConfirmed,
    PasswordResetRequired,
    ResourceNotFound,
    AliasExists,
    EnableSoftwareTokenMfa,
    UnsupportedOperation,
    UnknownOperation,
    Serialization,
    AccessDenied,
    UnrecognizedClient,
    GroupExists,
    InvalidUserPoolConfiguration,
    ConcurrentModification,
    InternalError,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::NotAuthorized => "NotAuthorizedException",
            Kind::UserNotFound => "UserNotFoundException",
            Kind::UsernameExists => "UsernameExistsException",
            Kind::CodeMismatch => "CodeMismatchException",
            Kind::ExpiredCode => "ExpiredCodeException",
            Kind::InvalidPassword => "InvalidPasswordException",
            Kind::InvalidParameter => "InvalidParameterException",
            Kind::LimitExceeded => "LimitExceededException",
            Kind::TooManyRequests => "TooManyRequestsException",
            Kind::TooManyFailedAttempts => "TooManyFailedAttemptsException",
            Kind::UserNotConfirmed => "UserNotConfirmedException",
            Kind::PasswordResetRequired => "PasswordResetRequiredException",
            Kind::ResourceNotFound => "ResourceNotFoundException",
            Kind::AliasExists => "AliasExistsException",
            Kind::EnableSoftwareTokenMfa => "EnableSoftwareTokenMFAException",
            Kind::UnsupportedOperation => "UnsupportedOperationException",
            Kind::UnknownOperation => "UnknownOperationException",
            Kind::Serialization => "SerializationException",
            Kind::AccessDenied => "AccessDeniedException",
            Kind::UnrecognizedClient => "UnrecognizedClientException",
            Kind::GroupExists => "GroupExistsException",
            Kind::InvalidUserPoolConfiguration => "InvalidUserPoolConfigurationException",
            Kind::ConcurrentModification => "ConcurrentModificationException",
            Kind::InternalError => "InternalErrorException",
        }
    }

    /// Cognito answers its exceptions with 400, except its own failures.
    fn status(self) -> StatusCode {
        match self {
            Kind::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// An operation's failure, as the client sees it.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", kind.name())]
pub struct Exception {
    pub kind: Kind,
    pub message: String,
}

impl Exception {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn not_authorized(message: impl Into<String>) -> Self {
        Self::new(Kind::NotAuthorized, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidParameter, message)
    }

    /// What too many tries (of a code or a password) read as, everywhere.
    pub fn too_many_tries() -> Self {
        Self::new(
            Kind::LimitExceeded,
            "Attempt limit exceeded, please try after some time.",
        )
    }

    /// What a wrong username or password reads as, everywhere.
    pub fn wrong_credentials() -> Self {
        Self::not_authorized("Incorrect username or password.")
    }

    pub fn render(&self, request_id: &str) -> HttpResponse {
        if self.kind == Kind::InternalError {
            tracing::error!(message = %self.message, "cognito operation failed");
        }
        let message = if self.kind == Kind::InternalError {
            "An internal error occurred.".to_string()
        } else {
            self.message.clone()
        };
        HttpResponse::build(self.kind.status())
            .content_type(CONTENT_TYPE)
            .insert_header(("x-amzn-requestid", request_id.to_string()))
            .insert_header(("x-amzn-errortype", self.kind.name()))
            .json(serde_json::json!({"__type": self.kind.name(), "message": message}))
    }
}

/// The core's errors, for operations without a more precise reading.
impl From<Error> for Exception {
    fn from(err: Error) -> Self {
        match err {
            Error::NotFound("user") => Exception::new(Kind::UserNotFound, "User does not exist."),
            Error::NotFound("group") => Exception::new(Kind::ResourceNotFound, "Group not found."),
            Error::NotFound(what) => {
                Exception::new(Kind::ResourceNotFound, format!("The {what} was not found."))
            }
            Error::Password { message, .. } => Exception::new(
                Kind::InvalidPassword,
                format!("Password does not conform to policy: {message}"),
            ),
            Error::Validation { field, message } => {
                Exception::invalid(format!("{field}: {message}"))
            }
            Error::Conflict(_, message) => Exception::invalid(message),
            Error::Forbidden(message) => Exception::new(Kind::AccessDenied, message),
            Error::TooManyRequests => {
                Exception::new(Kind::TooManyRequests, "Too many requests; try again later.")
            }
            Error::Store(StoreError::Contention) => Exception::new(
                Kind::ConcurrentModification,
                "The resource was changed meanwhile; try again.",
            ),
            Error::Store(e) => Exception::new(Kind::InternalError, e.to_string()),
            Error::Hash(e) => Exception::new(Kind::InternalError, e.to_string()),
        }
    }
}

impl From<StoreError> for Exception {
    fn from(err: StoreError) -> Self {
        Error::from(err).into()
    }
}

impl From<crate::tokens::OAuthError> for Exception {
    fn from(err: crate::tokens::OAuthError) -> Self {
        use crate::tokens::OAuthError as O;
        match err {
            O::InvalidGrant(m) | O::InvalidClient(m) | O::UnauthorizedClient(m) => {
                Exception::not_authorized(m)
            }
            e @ (O::TokenExpired | O::TokenRevoked) => Exception::not_authorized(e.to_string()),
            O::InvalidRequest(m) | O::InvalidScope(m) | O::UnsupportedGrantType(m) => {
                Exception::invalid(m)
            }
            other => Exception::new(Kind::InternalError, other.to_string()),
        }
    }
}

pub type Answer = Result<Value, Exception>;

/// Reads an operation's input. Wrong JSON or wrong types are `SerializationException`, a
/// missing member `InvalidParameterException`, as AWS's front end answers them.
pub fn input<T: DeserializeOwned>(body: &[u8]) -> Result<T, Exception> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        if text.starts_with("missing field") {
            let field = text
                .split('`')
                .nth(1)
                .unwrap_or("a required member")
                .to_string();
            Exception::invalid(format!(
                "1 validation error detected: Value null at '{field}' failed to satisfy \
                 constraint: Member must not be null"
            ))
        } else {
            Exception::new(
                Kind::Serialization,
                format!("The request body could not be read: {}", first_line(&text)),
            )
        }
    })
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

/// A successful answer.
pub fn render(value: &Value, request_id: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header(("x-amzn-requestid", request_id.to_string()))
        .json(value)
}
