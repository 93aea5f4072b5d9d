//! Every IAM row and the root key, read in one consistent snapshot for the authoriser.

use sqlx::AssertSqlSafe;

use crate::store::Store;
use crate::store::StoreResult;
use crate::store::iam::access_keys::{AccessKeyRow, KEY_COLUMNS};
use crate::store::iam::policies::{PolicyRow, PrincipalPolicyRow};
use crate::store::iam::principals::{MemberRow, NamedRow, RoleRow};

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
