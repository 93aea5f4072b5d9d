//! Rows of `iam_policies` and of the tables that attach policies to principals
//! (`iam_*_attached`) or hold their inline ones (`iam_*_inline`).

use sqlx::AssertSqlSafe;

use crate::store::iam::principals::Kind;
use crate::store::{Store, StoreError, StoreResult, execute_in_tx, in_tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub name: String,
    pub managed: bool,
    pub description: Option<String>,
    /// `None` for the built-in policies, whose documents are in the code.
    pub document: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An attached (`document` is `None`) or inline policy of a principal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PrincipalPolicyRow {
    /// `user`, `group` or `role`.
    pub kind: String,
    pub principal: String,
    pub policy_name: String,
    pub document: Option<String>,
}

fn table(kind: Kind, inline: bool) -> StoreResult<&'static str> {
    Ok(match (kind, inline) {
        (Kind::User, false) => "iam_user_attached",
        (Kind::Group, false) => "iam_group_attached",
        (Kind::Role, false) => "iam_role_attached",
        (Kind::User, true) => "iam_user_inline",
        (Kind::Group, true) => "iam_group_inline",
        (Kind::Role, true) => "iam_role_inline",
        (Kind::Policy, _) => {
            return Err(StoreError::Corrupt("a policy holds no policies".into()));
        }
    })
}

/// The built-in policies' rows, so attachments can refer to them.
pub async fn seed_managed(store: &Store, names: &[&str], now: i64) -> StoreResult<()> {
    in_tx!(store, tx => {
        for name in names {
            sqlx::query(
                "INSERT INTO iam_policies (name, managed, created_at, updated_at) \
                 VALUES ($1, TRUE, $2, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(*name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    });
    Ok(())
}

pub async fn insert_policy(store: &Store, row: &PolicyRow) -> StoreResult<()> {
    execute_in_tx!(
        store,
        "INSERT INTO iam_policies (name, managed, description, document, created_at, updated_at) \
             VALUES ($1, FALSE, $2, $3, $4, $5)",
        &row.name,
        &row.description,
        &row.document,
        row.created_at,
        row.updated_at
    );
    Ok(())
}

/// Replaces a customer-managed policy's document; false when there is no such policy.
pub async fn update_policy(
    store: &Store,
    name: &str,
    document: &str,
    now: i64,
) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "UPDATE iam_policies SET document = $2, updated_at = $3 WHERE name = $1 AND NOT managed",
        name,
        document,
        now
    );
    Ok(rows == 1)
}

/// Deletes a customer-managed policy; `Reference` while it is attached.
pub async fn delete_policy(store: &Store, name: &str) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "DELETE FROM iam_policies WHERE name = $1 AND NOT managed",
        name
    );
    Ok(rows == 1)
}

/// Attaches a policy (idempotent); `Reference` when the principal or policy is gone.
pub async fn attach(store: &Store, kind: Kind, principal: &str, policy: &str) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO {} (principal, policy_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        table(kind, false)?
    );
    execute_in_tx!(store, AssertSqlSafe(sql), principal, policy);
    Ok(())
}

pub async fn detach(store: &Store, kind: Kind, principal: &str, policy: &str) -> StoreResult<bool> {
    let sql = format!(
        "DELETE FROM {} WHERE principal = $1 AND policy_name = $2",
        table(kind, false)?
    );
    let rows = execute_in_tx!(store, AssertSqlSafe(sql), principal, policy);
    Ok(rows == 1)
}

/// Creates or replaces an inline policy; `Reference` when the principal is gone.
pub async fn put_inline(
    store: &Store,
    kind: Kind,
    principal: &str,
    policy: &str,
    document: &str,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO {} (principal, policy_name, document) VALUES ($1, $2, $3) \
         ON CONFLICT (principal, policy_name) DO UPDATE SET document = excluded.document",
        table(kind, true)?
    );
    execute_in_tx!(store, AssertSqlSafe(sql), principal, policy, document);
    Ok(())
}

pub async fn delete_inline(
    store: &Store,
    kind: Kind,
    principal: &str,
    policy: &str,
) -> StoreResult<bool> {
    let sql = format!(
        "DELETE FROM {} WHERE principal = $1 AND policy_name = $2",
        table(kind, true)?
    );
    let rows = execute_in_tx!(store, AssertSqlSafe(sql), principal, policy);
    Ok(rows == 1)
}
