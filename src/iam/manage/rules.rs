//! What every change to the admin principals checks: AWS's limits on names and documents,
//! that what it names exists in the directory as it is now, and how a refusal is worded.

use crate::error::{Error, Result};
use crate::iam::Iam;
use crate::iam::directory::snapshot::{Entity, Snapshot};
use crate::iam::policy::{Policy, PolicyError};
use crate::store::StoreError;
use crate::store::iam::Kind;

/// AWS's limits.
pub const USER_NAME_MAX: usize = 64;
pub const GROUP_NAME_MAX: usize = 128;
pub const ROLE_NAME_MAX: usize = 64;
pub const POLICY_NAME_MAX: usize = 128;
pub const DESCRIPTION_MAX: usize = 1000;
pub const SESSION_DURATION: std::ops::RangeInclusive<i64> = 900..=43_200;
pub const DEFAULT_SESSION_DURATION: i64 = 3_600;
/// The characters IAM allows in names.
pub const NAME_CHARS: &str = "A-Za-z0-9+=,.@_-";

pub fn validate_name(field: &str, name: &str, max: usize) -> Result<()> {
    // `.` and `..` could never be named in a path again.
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= max
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            field,
            format!("must be 1-{max} characters of {NAME_CHARS}"),
        ))
    }
}

pub(super) fn name_max(kind: Kind) -> usize {
    match kind {
        Kind::User => USER_NAME_MAX,
        Kind::Group => GROUP_NAME_MAX,
        Kind::Role => ROLE_NAME_MAX,
        Kind::Policy => POLICY_NAME_MAX,
    }
}

pub(super) fn what(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "user",
        Kind::Group => "group",
        Kind::Role => "role",
        Kind::Policy => "policy",
    }
}

/// A refused document as a validation error naming the statement and field.
pub fn policy_error(field: &str, err: PolicyError) -> Error {
    let at = match err.statement {
        Some(i) => format!("{field}.Statement[{i}].{}", err.field),
        None if err.field == "document" => field.to_string(),
        None => format!("{field}.{}", err.field),
    };
    Error::validation(at, err.message)
}

/// A policy document given as JSON text, checked against `max`.
pub(super) fn checked(field: &str, text: &str, max: usize) -> Result<Policy> {
    Policy::parse(text, max).map_err(|e| policy_error(field, e))
}

pub(super) fn conflict_or(err: StoreError, message: String) -> Error {
    match err {
        StoreError::Conflict(_) => Error::exists(message),
        other => other.into(),
    }
}

pub(super) async fn fresh(iam: &Iam) -> Result<std::sync::Arc<Snapshot>> {
    let ctx = &iam.ctx;
    Ok(iam.directory.load(&ctx.store, ctx.now()).await?)
}

pub(super) fn entity_of<'a>(snapshot: &'a Snapshot, kind: Kind, name: &str) -> Option<&'a Entity> {
    match kind {
        Kind::User => snapshot.users.get(name),
        Kind::Group => snapshot.groups.get(name),
        Kind::Role => snapshot.roles.get(name).map(|r| &r.entity),
        Kind::Policy => None,
    }
}

pub(super) fn need(snapshot: &Snapshot, kind: Kind, name: &str) -> Result<()> {
    entity_of(snapshot, kind, name)
        .map(|_| ())
        .ok_or(Error::NotFound(what(kind)))
}
