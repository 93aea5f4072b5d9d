//! Rows of `users`. The filterable attributes are mirrored into indexed columns by the
//! core; the store writes what it is given.

use sqlx::AssertSqlSafe;

use super::{Store, StoreResult, execute_in_tx, on_pool};
use crate::store::paging::PageRequest;

#[derive(Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub pool_id: String,
    pub username: String,
    pub username_key: String,
    pub email_key: Option<String>,
    pub status: String,
    pub enabled: bool,
    pub attributes: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
    pub password_hash: Option<String>,
    pub temporary_password_expires_at: Option<i64>,
    pub signed_out_at: Option<i64>,
    /// The browser that submitted a pending sign-up's password (digest), if known.
    pub signup_submitted_by: Option<String>,
    /// A sign-up from another browser replaced the pending password for the same address.
    pub signup_contested: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

// The password hash stays out of every dump.
crate::redact::debug_fields!(UserRow {
    id,
    pool_id,
    username,
    status,
    enabled,
    version
});

const COLUMNS: &str = "id, pool_id, username, username_key, email_key, status, enabled, attributes, \
     email, phone_number, name, given_name, family_name, preferred_username, password_hash, \
     temporary_password_expires_at, signed_out_at, signup_submitted_by, signup_contested, version, \
     created_at, updated_at";

/// A condition on one indexed column; the column name comes from a fixed list in the core.
pub enum ColumnMatch<'a> {
    Exact(&'static str, &'a str),
    /// `column >= from AND column < to` (no upper bound when `to` is `None`).
    Range(&'static str, &'a str, Option<&'a str>),
    /// A boolean column, true or false.
    Flag(&'static str, bool),
}

macro_rules! insert_user_query {
    ($row:expr) => {
        sqlx::query(
                "INSERT INTO users (id, pool_id, username, username_key, email_key, status, enabled, attributes, \
                 email, phone_number, name, given_name, family_name, preferred_username, password_hash, \
                 temporary_password_expires_at, signed_out_at, signup_submitted_by, signup_contested, \
                 version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
            )
            .bind(&$row.id)
            .bind(&$row.pool_id)
            .bind(&$row.username)
            .bind(&$row.username_key)
            .bind(&$row.email_key)
            .bind(&$row.status)
            .bind($row.enabled)
            .bind(&$row.attributes)
            .bind(&$row.email)
            .bind(&$row.phone_number)
            .bind(&$row.name)
            .bind(&$row.given_name)
            .bind(&$row.family_name)
            .bind(&$row.preferred_username)
            .bind(&$row.password_hash)
            .bind($row.temporary_password_expires_at)
            .bind($row.signed_out_at)
            .bind(&$row.signup_submitted_by)
            .bind($row.signup_contested)
            .bind($row.version)
            .bind($row.created_at)
            .bind($row.updated_at)
    };
}

pub async fn insert(store: &Store, row: &UserRow) -> StoreResult<()> {
    crate::store::in_tx!(store, tx => {
        insert_user_query!(row).execute(&mut *tx).await?;
    });
    Ok(())
}

/// The user whose username key, or (in email-as-username pools) email key, is `key`.
pub async fn find(store: &Store, pool_id: &str, key: &str) -> StoreResult<UserRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, UserRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE pool_id = $1 AND (username_key = $2 OR email_key = $2) \
         ORDER BY username_key LIMIT 1"
    )))
    .bind(pool_id)
    .bind(key)
    .fetch_one(pool)
    .await?))
}

/// The user columns qualified by `u.`, for queries that join users to another table.
pub(crate) fn joined_columns() -> &'static str {
    static JOINED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        COLUMNS
            .split(',')
            .map(|c| format!("u.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    });
    &JOINED
}

/// A page of users ordered by username key, optionally narrowed by one indexed column.
pub async fn list(
    store: &Store,
    pool_id: &str,
    condition: Option<ColumnMatch<'_>>,
    page: &PageRequest,
) -> StoreResult<Vec<UserRow>> {
    // $1 pool, $2 limit, then the filter's values, then the key to page after.
    let (clause, first, second) = match &condition {
        None => (String::new(), None, None),
        Some(ColumnMatch::Exact(col, v)) => (format!(" AND {col} = $3"), Some(*v), None),
        Some(ColumnMatch::Range(col, from, Some(to))) => (
            format!(" AND {col} >= $3 AND {col} < $4"),
            Some(*from),
            Some(*to),
        ),
        Some(ColumnMatch::Range(col, from, None)) => {
            (format!(" AND {col} >= $3"), Some(*from), None)
        }
        Some(ColumnMatch::Flag(col, on)) => (
            format!(" AND {col} = {}", if *on { "TRUE" } else { "FALSE" }),
            None,
            None,
        ),
    };
    let next = 3 + usize::from(first.is_some()) + usize::from(second.is_some());
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE pool_id = $1{clause}{} ORDER BY username_key LIMIT $2",
        page.after_sql("username_key", next)
    );
    on_pool!(store, pool => {
        let mut query = sqlx::query_as::<_, UserRow>(AssertSqlSafe(sql))
            .bind(pool_id)
            .bind(page.fetch());
        if let Some(v) = first {
            query = query.bind(v);
        }
        if let Some(v) = second {
            query = query.bind(v);
        }
        if let Some(after) = page.after_key() {
            query = query.bind(after);
        }
        Ok(query.fetch_all(pool).await?)
    })
}

macro_rules! save_user_query {
    ($row:expr, $version:expr) => {
        sqlx::query(
            "UPDATE users SET status = $1, enabled = $2, attributes = $3, email_key = $4, email = $5, \
             phone_number = $6, name = $7, given_name = $8, family_name = $9, preferred_username = $10, \
             password_hash = $11, temporary_password_expires_at = $12, signed_out_at = $13, \
             updated_at = $14, signup_submitted_by = $15, signup_contested = $16, version = version + 1 \
             WHERE id = $17 AND version = $18",
        )
        .bind(&$row.status)
        .bind($row.enabled)
        .bind(&$row.attributes)
        .bind(&$row.email_key)
        .bind(&$row.email)
        .bind(&$row.phone_number)
        .bind(&$row.name)
        .bind(&$row.given_name)
        .bind(&$row.family_name)
        .bind(&$row.preferred_username)
        .bind(&$row.password_hash)
        .bind($row.temporary_password_expires_at)
        .bind($row.signed_out_at)
        .bind($row.updated_at)
        .bind(&$row.signup_submitted_by)
        .bind($row.signup_contested)
        .bind(&$row.id)
        .bind($version)
    };
}

/// Writes every mutable column if the row is still at `version`; false when it moved on.
pub async fn save(store: &Store, row: &UserRow, version: i64) -> StoreResult<bool> {
    let rows = crate::store::in_tx!(store, tx => save_user_query!(row, version)
        .execute(&mut *tx)
        .await?
        .rows_affected());
    Ok(rows == 1)
}

pub async fn delete(store: &Store, pool_id: &str, id: &str) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "DELETE FROM users WHERE pool_id = $1 AND id = $2",
        pool_id,
        id
    );
    Ok(rows == 1)
}

/// A committed write that changes nothing: it makes a path that must not be told apart by
/// its timing pay for a commit like the path it hides.
pub async fn touch(store: &Store, id: &str) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

#[derive(sqlx::FromRow)]
struct UserAndRevocation {
    #[sqlx(flatten)]
    user: UserRow,
    revoked: bool,
}

/// The user, and whether the token family `origin_jti` is revoked, in one query: the two
/// reads behind every access token check.
pub async fn get_by_id_with_revocation(
    store: &Store,
    pool_id: &str,
    id: &str,
    origin_jti: &str,
) -> StoreResult<(UserRow, bool)> {
    on_pool!(store, pool => {
        let row = sqlx::query_as::<_, UserAndRevocation>(AssertSqlSafe(format!(
            "SELECT {COLUMNS}, EXISTS (SELECT 1 FROM revoked_origins WHERE origin_jti = $3) AS revoked \
             FROM users WHERE pool_id = $1 AND id = $2"
        )))
        .bind(pool_id)
        .bind(id)
        .bind(origin_jti)
        .fetch_one(pool)
        .await?;
        Ok((row.user, row.revoked))
    })
}

pub async fn get_by_id(store: &Store, pool_id: &str, id: &str) -> StoreResult<UserRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, UserRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE pool_id = $1 AND id = $2"
    )))
    .bind(pool_id)
    .bind(id)
    .fetch_one(pool)
    .await?))
}

/// Up to two of the pool's own (not federated, not pending) users with this address,
/// compared without case: more than one means the address names nobody in particular.
pub async fn local_with_email(
    store: &Store,
    pool_id: &str,
    email: &str,
) -> StoreResult<Vec<UserRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, UserRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE pool_id = $1 AND lower(email) = lower($2) \
         AND status NOT IN ('UNCONFIRMED', 'EXTERNAL_PROVIDER') ORDER BY username_key LIMIT 2"
    )))
    .bind(pool_id)
    .bind(email)
    .fetch_all(pool)
    .await?))
}

/// A confirmed user of the pool with exactly this email, if any.
pub async fn confirmed_with_email(
    store: &Store,
    pool_id: &str,
    email: &str,
) -> StoreResult<Option<UserRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, UserRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE pool_id = $1 AND email = $2 \
         AND status NOT IN ('UNCONFIRMED', 'EXTERNAL_PROVIDER') ORDER BY username_key LIMIT 1"
    )))
    .bind(pool_id)
    .bind(email)
    .fetch_optional(pool)
    .await?))
}

pub(crate) use {insert_user_query, save_user_query};

/// Confirms a user (status and verified email in `attributes`) if the row is still at
/// `version`, as a statement for a transaction a caller composes.
macro_rules! confirm_user_query {
    ($row:expr, $version:expr, $now:expr) => {
        sqlx::query(
            "UPDATE users SET status = $1, attributes = $2, updated_at = $3, version = version + 1 \
             WHERE id = $4 AND version = $5",
        )
        .bind(&$row.status)
        .bind(&$row.attributes)
        .bind($now)
        .bind(&$row.id)
        .bind($version)
    };
}

/// Sets a reset password (with status and sign-out time) if the row is still at `version`,
/// as a statement for a transaction a caller composes.
macro_rules! reset_password_query {
    ($row:expr, $version:expr, $now:expr) => {
        sqlx::query(
            "UPDATE users SET status = $1, password_hash = $2, temporary_password_expires_at = NULL, \
             signed_out_at = $3, updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5",
        )
        .bind(&$row.status)
        .bind(&$row.password_hash)
        .bind($now)
        .bind(&$row.id)
        .bind($version)
    };
}
pub(crate) use {confirm_user_query, reset_password_query};
