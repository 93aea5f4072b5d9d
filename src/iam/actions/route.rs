//! What an admin route is to IAM: its method and pattern, the action it is, and what it
//! acts on.

use crate::store::iam::Kind;

/// What a route acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// No single resource (`ListUserPools`, `CreateUserPool`, the IAM lists): `*`, as in AWS.
    Any,
    /// The pool in the `{pool_id}` segment.
    Pool,
    /// The IAM entity named by a path segment.
    Path(Kind, &'static str),
    /// The IAM entity named by a string field of the JSON body (what is being created or
    /// assumed).
    Body(Kind, &'static str),
    /// An ARN given whole in a string field of the body (the simulator's principal).
    BodyArn(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    /// Under `/admin/v1`, with `{…}` placeholders.
    pub pattern: &'static str,
    pub action: &'static str,
    pub target: Target,
}
