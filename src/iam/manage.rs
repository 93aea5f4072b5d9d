//! Creating and changing admin principals: users and their access keys, groups, roles,
//! customer-managed policies, attachments and inline policies. Every change is checked
//! here, written in one transaction, and seen by this process's next request.

use crate::clock::Millis;
use crate::crypto::random;
use crate::error::{Error, Result};
use crate::iam::Iam;
use crate::iam::directory::{Entity, Snapshot, seal_context};
use crate::iam::managed::MANAGED;
use crate::iam::policy::{
    GROUP_INLINE_MAX, MANAGED_MAX, Policy, PolicyError, ROLE_INLINE_MAX, TrustPolicy,
    USER_INLINE_MAX,
};
use crate::store::StoreError;
use crate::store::iam::Kind;
use crate::store::iam::{self as store, AccessKeyRow, PolicyRow, RoleRow};
use crate::store::paging::{Page, PageRequest};

/// AWS's limits.
pub const USER_NAME_MAX: usize = 64;
pub const GROUP_NAME_MAX: usize = 128;
pub const ROLE_NAME_MAX: usize = 64;
pub const POLICY_NAME_MAX: usize = 128;
pub const DESCRIPTION_MAX: usize = 1000;
pub const KEYS_PER_USER: i64 = 2;
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

fn name_max(kind: Kind) -> usize {
    match kind {
        Kind::User => USER_NAME_MAX,
        Kind::Group => GROUP_NAME_MAX,
        Kind::Role => ROLE_NAME_MAX,
        Kind::Policy => POLICY_NAME_MAX,
    }
}

fn inline_max(kind: Kind) -> usize {
    match kind {
        Kind::User => USER_INLINE_MAX,
        Kind::Group => GROUP_INLINE_MAX,
        _ => ROLE_INLINE_MAX,
    }
}

fn what(kind: Kind) -> &'static str {
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

fn conflict_or(err: StoreError, message: String) -> Error {
    match err {
        StoreError::Conflict(_) => Error::Conflict(message),
        other => other.into(),
    }
}

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

#[derive(Debug, Clone)]
pub struct KeyView {
    pub access_key_id: String,
    pub user_name: String,
    pub status: String,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
    pub last_used_address: Option<String>,
}

/// A new key: shown with its secret once.
pub struct NewKey {
    pub key: KeyView,
    pub secret_access_key: String,
}

async fn fresh(iam: &Iam) -> Result<std::sync::Arc<Snapshot>> {
    let ctx = &iam.ctx;
    Ok(iam.directory.load(&ctx.store, ctx.now()).await?)
}

fn entity_of<'a>(snapshot: &'a Snapshot, kind: Kind, name: &str) -> Option<&'a Entity> {
    match kind {
        Kind::User => snapshot.users.get(name),
        Kind::Group => snapshot.groups.get(name),
        Kind::Role => snapshot.roles.get(name).map(|r| &r.entity),
        Kind::Policy => None,
    }
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

/// A policy document given as JSON text, checked against `max`.
fn checked(field: &str, text: &str, max: usize) -> Result<Policy> {
    Policy::parse(text, max).map_err(|e| policy_error(field, e))
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
        return Err(Error::Conflict(format!(
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
            StoreError::Reference(_) => Error::Conflict(
                "the policy is attached; detach it from every user, group and role first".into(),
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

fn need(snapshot: &Snapshot, kind: Kind, name: &str) -> Result<()> {
    entity_of(snapshot, kind, name)
        .map(|_| ())
        .ok_or(Error::NotFound(what(kind)))
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

fn key_view(row: AccessKeyRow) -> KeyView {
    KeyView {
        access_key_id: row.id,
        user_name: row.user_name,
        status: row.status,
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        last_used_address: row.last_used_address,
    }
}

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `AKIA` or `ASIA` and 16 uppercase alphanumerics, as AWS's key ids.
pub fn new_key_id(prefix: &str) -> String {
    let tail: String = (0..16).map(|_| random::pick(UPPER_ALNUM)).collect();
    format!("{prefix}{tail}")
}

/// 40 characters of base64's alphabet: 238 bits.
pub fn new_secret() -> String {
    (0..40).map(|_| random::pick(SECRET_ALPHABET)).collect()
}

pub async fn create_key(iam: &Iam, user: &str, expires_at: Option<Millis>) -> Result<NewKey> {
    let ctx = &iam.ctx;
    let now = ctx.now();
    if expires_at.is_some_and(|t| t <= now) {
        return Err(Error::validation("expires_at", "must be in the future"));
    }
    let id = new_key_id("AKIA");
    let secret = new_secret();
    let sealed = iam
        .directory
        .master()
        .seal(secret.as_bytes(), &seal_context(&id))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    let row = AccessKeyRow {
        id,
        user_name: user.to_string(),
        secret_sealed: sealed,
        status: "Active".into(),
        created_at: now,
        expires_at,
        last_used_at: None,
        last_used_address: None,
    };
    let inserted = store::insert_key_within(&ctx.store, &row, KEYS_PER_USER)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Error::NotFound("user"),
            other => other.into(),
        })?;
    if !inserted {
        return Err(Error::Conflict(format!(
            "the user already has {KEYS_PER_USER} access keys; delete one first"
        )));
    }
    iam.directory.changed();
    Ok(NewKey {
        key: key_view(row),
        secret_access_key: secret,
    })
}

pub async fn list_keys(iam: &Iam, user: &str) -> Result<Vec<KeyView>> {
    let ctx = &iam.ctx;
    let snapshot = fresh(iam).await?;
    need(&snapshot, Kind::User, user)?;
    Ok(store::keys_of(&ctx.store, user)
        .await?
        .into_iter()
        .map(key_view)
        .collect())
}

pub async fn set_key_status(iam: &Iam, user: &str, id: &str, active: bool) -> Result<KeyView> {
    let ctx = &iam.ctx;
    let status = if active { "Active" } else { "Inactive" };
    if !store::set_key_status(&ctx.store, user, id, status).await? {
        return Err(Error::NotFound("access key"));
    }
    iam.directory.changed();
    list_keys(iam, user)
        .await?
        .into_iter()
        .find(|k| k.access_key_id == id)
        .ok_or(Error::NotFound("access key"))
}

pub async fn delete_key(iam: &Iam, user: &str, id: &str) -> Result<()> {
    let ctx = &iam.ctx;
    let deleted = store::delete_key(&ctx.store, user, id).await?;
    iam.directory.changed();
    if deleted {
        Ok(())
    } else {
        Err(Error::NotFound("access key"))
    }
}
