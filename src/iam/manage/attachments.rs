//! The policies a user, group or role holds: managed policies attached to it, and its own
//! inline policies.

use crate::error::{Error, Result};
use crate::iam::Iam;
use crate::iam::manage::rules::{
    POLICY_NAME_MAX, checked, entity_of, fresh, need, validate_name, what,
};
use crate::iam::policy::{GROUP_INLINE_MAX, ROLE_INLINE_MAX, USER_INLINE_MAX};
use crate::store::StoreError;
use crate::store::iam::{self as store, Kind};

fn inline_max(kind: Kind) -> usize {
    match kind {
        Kind::User => USER_INLINE_MAX,
        Kind::Group => GROUP_INLINE_MAX,
        _ => ROLE_INLINE_MAX,
    }
}

pub async fn attach(iam: &Iam, kind: Kind, principal: &str, policy: &str) -> Result<()> {
    let ctx = &iam.ctx;
    let snapshot = fresh(iam).await?;
    need(&snapshot, kind, principal)?;
    if !snapshot.policies.contains_key(policy) {
        return Err(Error::NotFound("policy"));
    }
    store::attach(&ctx.store, kind, principal, policy)
        .await
        .map_err(|e| match e {
            StoreError::Reference(_) => Error::NotFound("principal or policy"),
            other => other.into(),
        })?;
    iam.directory.changed();
    Ok(())
}

pub async fn detach(iam: &Iam, kind: Kind, principal: &str, policy: &str) -> Result<()> {
    let ctx = &iam.ctx;
    let snapshot = fresh(iam).await?;
    need(&snapshot, kind, principal)?;
    if !store::detach(&ctx.store, kind, principal, policy).await? {
        return Err(Error::NotFound("attachment"));
    }
    iam.directory.changed();
    Ok(())
}

pub async fn put_inline(
    iam: &Iam,
    kind: Kind,
    principal: &str,
    policy: &str,
    document: &str,
) -> Result<()> {
    let ctx = &iam.ctx;
    validate_name("policy", policy, POLICY_NAME_MAX)?;
    checked("document", document, inline_max(kind))?;
    let snapshot = fresh(iam).await?;
    need(&snapshot, kind, principal)?;
    store::put_inline(&ctx.store, kind, principal, policy, document)
        .await
        .map_err(|e| match e {
            StoreError::Reference(_) => Error::NotFound(what(kind)),
            other => other.into(),
        })?;
    iam.directory.changed();
    Ok(())
}

pub async fn get_inline(iam: &Iam, kind: Kind, principal: &str, policy: &str) -> Result<String> {
    let snapshot = fresh(iam).await?;
    let entity = entity_of(&snapshot, kind, principal).ok_or(Error::NotFound(what(kind)))?;
    entity
        .inline
        .iter()
        .find(|(n, _, _)| n == policy)
        .map(|(_, text, _)| text.clone())
        .ok_or(Error::NotFound("inline policy"))
}

pub async fn delete_inline(iam: &Iam, kind: Kind, principal: &str, policy: &str) -> Result<()> {
    let ctx = &iam.ctx;
    let snapshot = fresh(iam).await?;
    need(&snapshot, kind, principal)?;
    if !store::delete_inline(&ctx.store, kind, principal, policy).await? {
        return Err(Error::NotFound("inline policy"));
    }
    iam.directory.changed();
    Ok(())
}
