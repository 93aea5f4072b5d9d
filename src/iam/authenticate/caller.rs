//! Who made a request, once authenticated, and the one answer every failed authentication
//! gets.

use std::sync::Arc;

use crate::iam::directory::sessions::Session;
use crate::store::StoreError;

/// Who made the request.
#[derive(Debug, Clone)]
pub enum Caller {
    Root,
    User { name: String, access_key_id: String },
    Session(Arc<Session>),
}

impl Caller {
    /// The ARN the audit trail, errors and `aws:userid`-style keys name.
    pub fn arn(&self, account: &str) -> String {
        match self {
            Caller::Root => format!("arn:aws:iam::{account}:root"),
            Caller::User { name, .. } => format!("arn:aws:iam::{account}:user/{name}"),
            Caller::Session(s) => format!(
                "arn:aws:sts::{account}:assumed-role/{}/{}",
                s.role, s.session_name
            ),
        }
    }

    /// `aws:PrincipalArn`: for a role session, the role's ARN (as in AWS).
    pub fn principal_arn(&self, account: &str) -> String {
        match self {
            Caller::Session(s) => format!("arn:aws:iam::{account}:role/{}", s.role),
            other => other.arn(account),
        }
    }

    pub fn access_key_id(&self) -> Option<&str> {
        match self {
            Caller::Root => None,
            Caller::User { access_key_id, .. } => Some(access_key_id),
            Caller::Session(s) => Some(&s.access_key_id),
        }
    }
}

/// The one answer to every failed authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request signature or credentials are invalid")]
pub struct Refused;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The signature verified, but a request that changes state was signed with it before:
    /// a copy. Names the caller, for the audit trail.
    #[error("this signed request was already used")]
    Replayed(Caller),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a request was refused, for the debug log.
pub(super) fn refuse(reason: &'static str) -> AuthError {
    tracing::debug!(reason, "admin credentials refused");
    AuthError::Refused(Refused)
}
