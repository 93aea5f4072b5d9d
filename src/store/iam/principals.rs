//! Rows of the principals' tables: `iam_users`, `iam_groups`, `iam_roles` and
//! `iam_group_members`, and the kinds that name them in ARNs.

use sqlx::AssertSqlSafe;

use crate::store::{Store, StoreResult, execute_in_tx};

/// The IAM resource kinds, as in `arn:aws:iam::<account>:<kind>/<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    Role,
    Policy,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
            Kind::Policy => "policy",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NamedRow {
    pub name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub group_name: String,
    pub user_name: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleRow {
    pub name: String,
    pub trust_policy: String,
    pub max_session_duration: i64,
    pub created_at: i64,
}

fn entity_table(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "iam_users",
        Kind::Group => "iam_groups",
        Kind::Role => "iam_roles",
        Kind::Policy => "iam_policies",
    }
}

/// Inserts a user, group or role-less entity (`iam_users`, `iam_groups`).
pub async fn insert_named(store: &Store, kind: Kind, name: &str, now: i64) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO {} (name, created_at) VALUES ($1, $2)",
        entity_table(kind)
    );
    execute_in_tx!(store, AssertSqlSafe(sql), name, now);
    Ok(())
}

/// Deletes a user, group or role with everything that hangs off it (keys, memberships,
/// policies, sessions). False when there was none.
pub async fn delete_entity(store: &Store, kind: Kind, name: &str) -> StoreResult<bool> {
    let sql = format!("DELETE FROM {} WHERE name = $1", entity_table(kind));
    let rows = execute_in_tx!(store, AssertSqlSafe(sql), name);
    Ok(rows == 1)
}

pub async fn insert_role(store: &Store, row: &RoleRow) -> StoreResult<()> {
    execute_in_tx!(
        store,
        "INSERT INTO iam_roles (name, trust_policy, max_session_duration, created_at) \
             VALUES ($1, $2, $3, $4)",
        &row.name,
        &row.trust_policy,
        row.max_session_duration,
        row.created_at
    );
    Ok(())
}

/// Adds a member (idempotent). `Reference` when the group or user does not exist.
pub async fn add_member(store: &Store, group: &str, user: &str) -> StoreResult<()> {
    execute_in_tx!(
        store,
        "INSERT INTO iam_group_members (group_name, user_name) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        group,
        user
    );
    Ok(())
}

pub async fn remove_member(store: &Store, group: &str, user: &str) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "DELETE FROM iam_group_members WHERE group_name = $1 AND user_name = $2",
        group,
        user
    );
    Ok(rows == 1)
}

/// Locks a user's row for the rest of the transaction (a no-op update), so that what hangs
/// off it can be counted before more is added.
macro_rules! lock_user_query {
    ($name:expr) => {
        sqlx::query("UPDATE iam_users SET created_at = created_at WHERE name = $1").bind($name)
    };
}
pub(crate) use lock_user_query;
