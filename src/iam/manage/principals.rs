//! Admin users, groups and roles: reading them as the routes show them, creating and
//! deleting them, and group membership.

use crate::clock::Millis;
use crate::error::{Error, Result};
use crate::iam::Iam;
use crate::iam::directory::snapshot::Snapshot;
use crate::iam::manage::rules::{
    DEFAULT_SESSION_DURATION, ROLE_NAME_MAX, SESSION_DURATION, conflict_or, entity_of, fresh,
    name_max, policy_error, validate_name, what,
};
use crate::iam::policy::TrustPolicy;
use crate::store::StoreError;
use crate::store::iam::{self as store, Kind, RoleRow};
use crate::store::paging::{Page, PageRequest};

/// A principal with its policies, as the routes show it.
#[derive(Debug, Clone)]
pub struct PrincipalView {
    pub kind: Kind,
    pub name: String,
    pub arn: String,
    pub created_at: Millis,
    /// A user's groups, or a group's members; empty for a role.
    pub related: Vec<String>,
    pub attached: Vec<String>,
    pub inline: Vec<String>,
    /// Roles only.
    pub trust_policy: Option<String>,
    pub max_session_duration: Option<i64>,
}

fn view(iam: &Iam, snapshot: &Snapshot, kind: Kind, name: &str) -> Option<PrincipalView> {
    let entity = entity_of(snapshot, kind, name)?;
    let role = (kind == Kind::Role)
        .then(|| snapshot.roles.get(name))
        .flatten();
    Some(PrincipalView {
        kind,
        name: name.to_string(),
        arn: iam.directory.arn(kind, name),
        created_at: entity.created_at,
        related: entity.related.clone(),
        attached: entity.attached.clone(),
        inline: entity.inline.iter().map(|(n, _, _)| n.clone()).collect(),
        trust_policy: role.map(|r| r.trust_text.clone()),
        max_session_duration: role.map(|r| r.max_session_duration),
    })
}

pub async fn get_principal(iam: &Iam, kind: Kind, name: &str) -> Result<PrincipalView> {
    let snapshot = fresh(iam).await?;
    view(iam, &snapshot, kind, name).ok_or(Error::NotFound(what(kind)))
}

pub async fn list_principals(
    iam: &Iam,
    kind: Kind,
    page: PageRequest,
) -> Result<Page<PrincipalView>> {
    let snapshot = fresh(iam).await?;
    let names: Vec<&String> = match kind {
        Kind::User => snapshot.users.keys().collect(),
        Kind::Group => snapshot.groups.keys().collect(),
        Kind::Role => snapshot.roles.keys().collect(),
        Kind::Policy => Vec::new(),
    };
    let rows: Vec<PrincipalView> = names
        .into_iter()
        .filter(|n| page.after_key().is_none_or(|after| n.as_str() > after))
        .take(page.fetch() as usize)
        .filter_map(|n| view(iam, &snapshot, kind, n))
        .collect();
    Ok(page.finish(rows, |v| v.name.clone()))
}

/// Creates a user or a group.
pub async fn create_principal(iam: &Iam, kind: Kind, name: &str) -> Result<PrincipalView> {
    let ctx = &iam.ctx;
    validate_name("name", name, name_max(kind))?;
    let now = ctx.now();
    store::insert_named(&ctx.store, kind, name, now)
        .await
        .map_err(|e| conflict_or(e, format!("a {} with this name exists", what(kind))))?;
    iam.directory.changed();
    get_principal(iam, kind, name).await
}

/// Deletes a user (with its keys), group or role (with its sessions), and its policies.
pub async fn delete_principal(iam: &Iam, kind: Kind, name: &str) -> Result<()> {
    let ctx = &iam.ctx;
    let deleted = store::delete_entity(&ctx.store, kind, name).await?;
    iam.directory.changed();
    if deleted {
        Ok(())
    } else {
        Err(Error::NotFound(what(kind)))
    }
}

pub struct NewRole {
    pub name: String,
    pub trust_policy: String,
    pub max_session_duration: Option<i64>,
}

pub async fn create_role(iam: &Iam, new: NewRole) -> Result<PrincipalView> {
    let ctx = &iam.ctx;
    validate_name("name", &new.name, ROLE_NAME_MAX)?;
    TrustPolicy::parse(&new.trust_policy).map_err(|e| policy_error("trust_policy", e))?;
    let duration = new.max_session_duration.unwrap_or(DEFAULT_SESSION_DURATION);
    if !SESSION_DURATION.contains(&duration) {
        return Err(Error::validation(
            "max_session_duration",
            format!(
                "must be between {} and {} seconds",
                SESSION_DURATION.start(),
                SESSION_DURATION.end()
            ),
        ));
    }
    let row = RoleRow {
        name: new.name.clone(),
        trust_policy: new.trust_policy,
        max_session_duration: duration,
        created_at: ctx.now(),
    };
    store::insert_role(&ctx.store, &row)
        .await
        .map_err(|e| conflict_or(e, "a role with this name exists".into()))?;
    iam.directory.changed();
    get_principal(iam, Kind::Role, &new.name).await
}

pub async fn add_member(iam: &Iam, group: &str, user: &str) -> Result<()> {
    let ctx = &iam.ctx;
    let snapshot = fresh(iam).await?;
    if !snapshot.groups.contains_key(group) {
        return Err(Error::NotFound("group"));
    }
    if !snapshot.users.contains_key(user) {
        return Err(Error::NotFound("user"));
    }
    // Deleted meanwhile: the foreign keys refuse, and it is gone as far as the caller knows.
    store::add_member(&ctx.store, group, user)
        .await
        .map_err(|e| match e {
            StoreError::Reference(_) => Error::NotFound("group or user"),
            other => other.into(),
        })?;
    iam.directory.changed();
    Ok(())
}

pub async fn remove_member(iam: &Iam, group: &str, user: &str) -> Result<()> {
    let ctx = &iam.ctx;
    let snapshot = fresh(iam).await?;
    if !snapshot.groups.contains_key(group) {
        return Err(Error::NotFound("group"));
    }
    store::remove_member(&ctx.store, group, user).await?;
    iam.directory.changed();
    Ok(())
}
