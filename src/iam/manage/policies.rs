//! Customer-managed policies: created, read, changed and deleted by name; the built-in ones
//! are read only.

use crate::clock::Millis;
use crate::error::{Error, Result};
use crate::iam::Iam;
use crate::iam::directory::snapshot::Snapshot;
use crate::iam::manage::rules::{
    DESCRIPTION_MAX, POLICY_NAME_MAX, checked, conflict_or, fresh, validate_name,
};
use crate::iam::managed::MANAGED;
use crate::iam::policy::MANAGED_MAX;
use crate::store::StoreError;
use crate::store::iam::{self as store, Kind, PolicyRow};
use crate::store::paging::{Page, PageRequest};

#[derive(Debug, Clone)]
pub struct PolicyView {
    pub name: String,
    pub arn: String,
    pub managed: bool,
    pub description: Option<String>,
    pub document: String,
    pub attachments: usize,
    pub created_at: Millis,
    pub updated_at: Millis,
}

fn policy_view(iam: &Iam, snapshot: &Snapshot, name: &str) -> Option<PolicyView> {
    let stored = snapshot.policies.get(name)?;
    let attachments = snapshot
        .users
        .values()
        .chain(snapshot.groups.values())
        .chain(snapshot.roles.values().map(|r| &r.entity))
        .filter(|e| e.attached.iter().any(|a| a == name))
        .count();
    let arn = if stored.managed {
        format!("arn:aws:iam::aws:policy/{name}")
    } else {
        iam.directory.arn(Kind::Policy, name)
    };
    Some(PolicyView {
        name: name.to_string(),
        arn,
        managed: stored.managed,
        description: stored.description.clone(),
        document: stored.text.clone(),
        attachments,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
    })
}

pub async fn get_policy(iam: &Iam, name: &str) -> Result<PolicyView> {
    let snapshot = fresh(iam).await?;
    policy_view(iam, &snapshot, name).ok_or(Error::NotFound("policy"))
}

pub async fn list_policies(iam: &Iam, page: PageRequest) -> Result<Page<PolicyView>> {
    let snapshot = fresh(iam).await?;
    let rows: Vec<PolicyView> = snapshot
        .policies
        .keys()
        .filter(|n| page.after_key().is_none_or(|after| n.as_str() > after))
        .take(page.fetch() as usize)
        .filter_map(|n| policy_view(iam, &snapshot, n))
        .collect();
    Ok(page.finish(rows, |v| v.name.clone()))
}

fn refuse_managed(name: &str) -> Result<()> {
    if MANAGED.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Err(Error::state(format!(
            "{name} is a built-in policy and cannot be changed"
        )));
    }
    Ok(())
}

pub async fn create_policy(
    iam: &Iam,
    name: &str,
    document: &str,
    description: Option<String>,
) -> Result<PolicyView> {
    let ctx = &iam.ctx;
    validate_name("name", name, POLICY_NAME_MAX)?;
    refuse_managed(name)?;
    checked("document", document, MANAGED_MAX)?;
    if let Some(d) = &description {
        crate::pools::text::free_text("description", d, DESCRIPTION_MAX)?;
    }
    let now = ctx.now();
    let row = PolicyRow {
        name: name.to_string(),
        managed: false,
        description,
        document: Some(document.to_string()),
        created_at: now,
        updated_at: now,
    };
    store::insert_policy(&ctx.store, &row)
        .await
        .map_err(|e| conflict_or(e, "a policy with this name exists".into()))?;
    iam.directory.changed();
    get_policy(iam, name).await
}

pub async fn update_policy(iam: &Iam, name: &str, document: &str) -> Result<PolicyView> {
    let ctx = &iam.ctx;
    refuse_managed(name)?;
    checked("document", document, MANAGED_MAX)?;
    if !store::update_policy(&ctx.store, name, document, ctx.now()).await? {
        return Err(Error::NotFound("policy"));
    }
    iam.directory.changed();
    get_policy(iam, name).await
}

pub async fn delete_policy(iam: &Iam, name: &str) -> Result<()> {
    let ctx = &iam.ctx;
    refuse_managed(name)?;
    let deleted = store::delete_policy(&ctx.store, name)
        .await
        .map_err(|e| match e {
            StoreError::Reference(_) => Error::state(
                "the policy is attached; detach it from every user, group and role first",
            ),
            other => other.into(),
        })?;
    iam.directory.changed();
    if deleted {
        Ok(())
    } else {
        Err(Error::NotFound("policy"))
    }
}
