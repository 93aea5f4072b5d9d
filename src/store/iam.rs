//! Rows of the `iam_*` tables: admin users, groups, roles, policies, access keys and role
//! sessions. Every write runs in a transaction, so an admin request's audit event goes with
//! it (see `audit`).

use sqlx::AssertSqlSafe;

use super::{Store, StoreError, StoreResult, in_tx, on_pool};

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

#[derive(Clone, sqlx::FromRow)]
pub struct AccessKeyRow {
    pub id: String,
    pub user_name: String,
    pub secret_sealed: String,
    pub status: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_address: Option<String>,
}

impl std::fmt::Debug for AccessKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRow")
            .field("id", &self.id)
            .field("user_name", &self.user_name)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub access_key_id: String,
    pub role_name: String,
    pub session_name: String,
    pub caller_arn: String,
    pub secret_sealed: String,
    pub token_hash: String,
    pub session_policy: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("access_key_id", &self.access_key_id)
            .field("role_name", &self.role_name)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, sqlx::FromRow)]
pub struct RootRow {
    pub key_hash: String,
    pub disabled_at: Option<i64>,
}

/// Everything the authoriser needs, read in one consistent snapshot.
#[derive(Default)]
pub struct Everything {
    pub users: Vec<NamedRow>,
    pub groups: Vec<NamedRow>,
    pub members: Vec<MemberRow>,
    pub roles: Vec<RoleRow>,
    pub policies: Vec<PolicyRow>,
    pub principal_policies: Vec<PrincipalPolicyRow>,
    pub keys: Vec<AccessKeyRow>,
    pub root: Option<RootRow>,
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

fn entity_table(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "iam_users",
        Kind::Group => "iam_groups",
        Kind::Role => "iam_roles",
        Kind::Policy => "iam_policies",
    }
}

const KEY_COLUMNS: &str = "id, user_name, secret_sealed, status, created_at, expires_at, \
     last_used_at, last_used_address";
const SESSION_COLUMNS: &str = "access_key_id, role_name, session_name, caller_arn, \
     secret_sealed, token_hash, session_policy, created_at, expires_at";

const PRINCIPAL_POLICIES: &str = "\
    SELECT 'user' AS kind, principal, policy_name, NULL AS document FROM iam_user_attached \
    UNION ALL SELECT 'group', principal, policy_name, NULL FROM iam_group_attached \
    UNION ALL SELECT 'role', principal, policy_name, NULL FROM iam_role_attached \
    UNION ALL SELECT 'user', principal, policy_name, document FROM iam_user_inline \
    UNION ALL SELECT 'group', principal, policy_name, document FROM iam_group_inline \
    UNION ALL SELECT 'role', principal, policy_name, document FROM iam_role_inline";

macro_rules! read_everything {
    ($tx:ident) => {{
        let users = sqlx::query_as::<_, NamedRow>("SELECT name, created_at FROM iam_users")
            .fetch_all(&mut *$tx)
            .await?;
        let groups = sqlx::query_as::<_, NamedRow>("SELECT name, created_at FROM iam_groups")
            .fetch_all(&mut *$tx)
            .await?;
        let members =
            sqlx::query_as::<_, MemberRow>("SELECT group_name, user_name FROM iam_group_members")
                .fetch_all(&mut *$tx)
                .await?;
        let roles = sqlx::query_as::<_, RoleRow>(
            "SELECT name, trust_policy, max_session_duration, created_at FROM iam_roles",
        )
        .fetch_all(&mut *$tx)
        .await?;
        let policies = sqlx::query_as::<_, PolicyRow>(
            "SELECT name, managed, description, document, created_at, updated_at FROM iam_policies",
        )
        .fetch_all(&mut *$tx)
        .await?;
        let principal_policies = sqlx::query_as::<_, PrincipalPolicyRow>(PRINCIPAL_POLICIES)
            .fetch_all(&mut *$tx)
            .await?;
        let keys = sqlx::query_as::<_, AccessKeyRow>(AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM iam_access_keys"
        )))
        .fetch_all(&mut *$tx)
        .await?;
        let root = sqlx::query_as::<_, RootRow>(
            "SELECT key_hash, disabled_at FROM admin_keys WHERE id = 'root'",
        )
        .fetch_optional(&mut *$tx)
        .await?;
        Everything {
            users,
            groups,
            members,
            roles,
            policies,
            principal_policies,
            keys,
            root,
        }
    }};
}

/// Every IAM row and the root key, as of one moment: a change made of several writes is
/// seen whole or not at all.
pub async fn everything(store: &Store) -> StoreResult<Everything> {
    match store {
        Store::Sqlite(sqlite) => {
            let mut tx = sqlite.pool.begin().await?;
            let all = read_everything!(tx);
            tx.commit().await?;
            Ok(all)
        }
        Store::Postgres(pool) => {
            let mut tx = pool
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?;
            let all = read_everything!(tx);
            tx.commit().await?;
            Ok(all)
        }
    }
}

/// Inserts a user, group or role-less entity (`iam_users`, `iam_groups`).
pub async fn insert_named(store: &Store, kind: Kind, name: &str, now: i64) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO {} (name, created_at) VALUES ($1, $2)",
        entity_table(kind)
    );
    in_tx!(store, tx => {
        sqlx::query(AssertSqlSafe(sql)).bind(name).bind(now).execute(&mut *tx).await?;
    });
    Ok(())
}

/// Deletes a user, group or role with everything that hangs off it (keys, memberships,
/// policies, sessions). False when there was none.
pub async fn delete_entity(store: &Store, kind: Kind, name: &str) -> StoreResult<bool> {
    let sql = format!("DELETE FROM {} WHERE name = $1", entity_table(kind));
    let rows = in_tx!(store, tx => sqlx::query(AssertSqlSafe(sql))
        .bind(name)
        .execute(&mut *tx)
        .await?
        .rows_affected());
    Ok(rows == 1)
}

pub async fn insert_role(store: &Store, row: &RoleRow) -> StoreResult<()> {
    in_tx!(store, tx => {
        sqlx::query(
            "INSERT INTO iam_roles (name, trust_policy, max_session_duration, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&row.name)
        .bind(&row.trust_policy)
        .bind(row.max_session_duration)
        .bind(row.created_at)
        .execute(&mut *tx)
        .await?;
    });
    Ok(())
}

/// Adds a member (idempotent). `Reference` when the group or user does not exist.
pub async fn add_member(store: &Store, group: &str, user: &str) -> StoreResult<()> {
    in_tx!(store, tx => {
        sqlx::query(
            "INSERT INTO iam_group_members (group_name, user_name) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(group)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    });
    Ok(())
}

pub async fn remove_member(store: &Store, group: &str, user: &str) -> StoreResult<bool> {
    let rows = in_tx!(store, tx => sqlx::query(
        "DELETE FROM iam_group_members WHERE group_name = $1 AND user_name = $2",
    )
    .bind(group)
    .bind(user)
    .execute(&mut *tx)
    .await?
    .rows_affected());
    Ok(rows == 1)
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
    in_tx!(store, tx => {
        sqlx::query(
            "INSERT INTO iam_policies (name, managed, description, document, created_at, updated_at) \
             VALUES ($1, FALSE, $2, $3, $4, $5)",
        )
        .bind(&row.name)
        .bind(&row.description)
        .bind(&row.document)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(&mut *tx)
        .await?;
    });
    Ok(())
}

/// Replaces a customer-managed policy's document; false when there is no such policy.
pub async fn update_policy(
    store: &Store,
    name: &str,
    document: &str,
    now: i64,
) -> StoreResult<bool> {
    let rows = in_tx!(store, tx => sqlx::query(
        "UPDATE iam_policies SET document = $2, updated_at = $3 WHERE name = $1 AND NOT managed",
    )
    .bind(name)
    .bind(document)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected());
    Ok(rows == 1)
}

/// Deletes a customer-managed policy; `Reference` while it is attached.
pub async fn delete_policy(store: &Store, name: &str) -> StoreResult<bool> {
    let rows = in_tx!(store, tx => sqlx::query(
        "DELETE FROM iam_policies WHERE name = $1 AND NOT managed",
    )
    .bind(name)
    .execute(&mut *tx)
    .await?
    .rows_affected());
    Ok(rows == 1)
}

/// Attaches a policy (idempotent); `Reference` when the principal or policy is gone.
pub async fn attach(store: &Store, kind: Kind, principal: &str, policy: &str) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO {} (principal, policy_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        table(kind, false)?
    );
    in_tx!(store, tx => {
        sqlx::query(AssertSqlSafe(sql)).bind(principal).bind(policy).execute(&mut *tx).await?;
    });
    Ok(())
}

pub async fn detach(store: &Store, kind: Kind, principal: &str, policy: &str) -> StoreResult<bool> {
    let sql = format!(
        "DELETE FROM {} WHERE principal = $1 AND policy_name = $2",
        table(kind, false)?
    );
    let rows = in_tx!(store, tx => sqlx::query(AssertSqlSafe(sql))
        .bind(principal)
        .bind(policy)
        .execute(&mut *tx)
        .await?
        .rows_affected());
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
    in_tx!(store, tx => {
        sqlx::query(AssertSqlSafe(sql))
            .bind(principal)
            .bind(policy)
            .bind(document)
            .execute(&mut *tx)
            .await?;
    });
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
    let rows = in_tx!(store, tx => sqlx::query(AssertSqlSafe(sql))
        .bind(principal)
        .bind(policy)
        .execute(&mut *tx)
        .await?
        .rows_affected());
    Ok(rows == 1)
}

/// Inserts an access key unless its user already has `max` keys; false when it has. The
/// user's row is locked first (a no-op update), so two requests at once cannot both pass
/// the count on either engine. `NotFound` when the user does not exist.
pub async fn insert_key_within(store: &Store, row: &AccessKeyRow, max: i64) -> StoreResult<bool> {
    in_tx!(store, tx => {
        let locked = sqlx::query("UPDATE iam_users SET created_at = created_at WHERE name = $1")
            .bind(&row.user_name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if locked != 1 {
            return Err(StoreError::NotFound);
        }
        let held: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM iam_access_keys WHERE user_name = $1")
                .bind(&row.user_name)
                .fetch_one(&mut *tx)
                .await?;
        if held >= max {
            return Ok(false);
        }
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO iam_access_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)"
        )))
        .bind(&row.id)
        .bind(&row.user_name)
        .bind(&row.secret_sealed)
        .bind(&row.status)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(&mut *tx)
        .await?;
    });
    Ok(true)
}

pub async fn keys_of(store: &Store, user: &str) -> StoreResult<Vec<AccessKeyRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, AccessKeyRow>(AssertSqlSafe(format!(
        "SELECT {KEY_COLUMNS} FROM iam_access_keys WHERE user_name = $1 ORDER BY created_at, id"
    )))
    .bind(user)
    .fetch_all(pool)
    .await?))
}

pub async fn set_key_status(
    store: &Store,
    user: &str,
    id: &str,
    status: &str,
) -> StoreResult<bool> {
    let rows = in_tx!(store, tx => sqlx::query(
        "UPDATE iam_access_keys SET status = $3 WHERE user_name = $1 AND id = $2",
    )
    .bind(user)
    .bind(id)
    .bind(status)
    .execute(&mut *tx)
    .await?
    .rows_affected());
    Ok(rows == 1)
}

pub async fn delete_key(store: &Store, user: &str, id: &str) -> StoreResult<bool> {
    let rows = in_tx!(store, tx => sqlx::query(
        "DELETE FROM iam_access_keys WHERE user_name = $1 AND id = $2",
    )
    .bind(user)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected());
    Ok(rows == 1)
}

/// Records a key's use: when and from where.
pub async fn touch_key(
    store: &Store,
    id: &str,
    now: i64,
    address: Option<&str>,
) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "UPDATE iam_access_keys SET last_used_at = $2, last_used_address = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .bind(address)
        .execute(pool)
        .await?;
    });
    Ok(())
}

pub async fn insert_session(store: &Store, row: &SessionRow) -> StoreResult<()> {
    in_tx!(store, tx => {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO iam_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(&row.access_key_id)
        .bind(&row.role_name)
        .bind(&row.session_name)
        .bind(&row.caller_arn)
        .bind(&row.secret_sealed)
        .bind(&row.token_hash)
        .bind(&row.session_policy)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(&mut *tx)
        .await?;
    });
    Ok(())
}

/// A session that has not expired at `now`.
pub async fn live_session(store: &Store, id: &str, now: i64) -> StoreResult<Option<SessionRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, SessionRow>(AssertSqlSafe(format!(
        "SELECT {SESSION_COLUMNS} FROM iam_sessions WHERE access_key_id = $1 AND expires_at > $2"
    )))
    .bind(id)
    .bind(now)
    .fetch_optional(pool)
    .await?))
}

pub async fn sweep_sessions(store: &Store, now: i64) -> StoreResult<u64> {
    on_pool!(store, pool => Ok(sqlx::query("DELETE FROM iam_sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()))
}
