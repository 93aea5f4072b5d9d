//! The ARNs admin policies name resources by, spelled exactly as AWS spells them.

use crate::store::iam::Kind;

/// A user pool's ARN, exactly as Cognito's.
pub fn pool_arn(region: &str, account: &str, pool_id: &str) -> String {
    format!("arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}")
}

/// `arn:aws:iam::<account>:<kind>/<name>`.
pub fn iam_arn(account: &str, kind: Kind, name: &str) -> String {
    format!("arn:aws:iam::{account}:{}/{name}", kind.as_str())
}

/// What the route acts on: its pool's ARN, or `*` for the routes on no single pool
/// (`ListUserPools`, `CreateUserPool`), as in AWS.
pub fn resource_for(region: &str, account: &str, pool_id: Option<&str>) -> String {
    pool_id.map_or_else(|| "*".to_string(), |id| pool_arn(region, account, id))
}
