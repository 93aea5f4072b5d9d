//! Rows of `refresh_tokens`: rotated in one statement, read with their user and family in
//! one query.

use crate::store::{Store, StoreResult, on_pool};

#[derive(Clone, sqlx::FromRow)]
pub struct RefreshRow {
    pub token_hash: String,
    pub origin_jti: String,
    pub pool_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub amr: Option<String>,
}

const REFRESH_COLUMNS: &str = "token_hash, origin_jti, pool_id, client_id, user_id, scope, auth_time, created_at, \
     expires_at, rotated_at, revoked_at, amr";

macro_rules! insert_refresh_query {
    ($row:expr) => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO refresh_tokens ({REFRESH_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )))
        .bind(&$row.token_hash)
        .bind(&$row.origin_jti)
        .bind(&$row.pool_id)
        .bind(&$row.client_id)
        .bind(&$row.user_id)
        .bind(&$row.scope)
        .bind($row.auth_time)
        .bind($row.created_at)
        .bind($row.expires_at)
        .bind($row.rotated_at)
        .bind($row.revoked_at)
        .bind(&$row.amr)
    };
}

pub async fn insert_refresh(store: &Store, row: &RefreshRow) -> StoreResult<()> {
    on_pool!(store, pool => {
        insert_refresh_query!(row).execute(pool).await?;
    });
    Ok(())
}

/// Rotates a refresh token: claims the old one (for its own client, if neither rotated nor
/// revoked yet) and stores its successor `new_hash` with `new_scope`, created `now`, in one
/// statement; the successor keeps the family, user, sign-in and expiry of the old token.
/// False when the old token was no longer usable, in which case nothing is written.
///
/// One statement, not a transaction: on SQLite it holds the single write lock for one round
/// trip to the connection's thread instead of four, which is what bounded the grant's rate.
/// A trigger (migration 0012) inserts the successor when the claim sets `successor_hash`;
/// PostgreSQL chains the two writes in a data-modifying `WITH`.
pub async fn rotate_refresh(
    store: &Store,
    pool_id: &str,
    client_id: &str,
    old_hash: &str,
    new_hash: &str,
    new_scope: &str,
    now: i64,
) -> StoreResult<bool> {
    const CLAIM: &str = "UPDATE refresh_tokens \
         SET rotated_at = $1, successor_hash = $5, successor_scope = $6 \
         WHERE token_hash = $2 AND pool_id = $3 AND client_id = $4 \
         AND rotated_at IS NULL AND revoked_at IS NULL AND successor_hash IS NULL";
    let written = match store {
        Store::Sqlite(sqlite) => {
            let _turn = sqlite.write_turn().await;
            sqlx::query(CLAIM)
                .bind(now)
                .bind(old_hash)
                .bind(pool_id)
                .bind(client_id)
                .bind(new_hash)
                .bind(new_scope)
                .execute(&sqlite.pool)
                .await?
                .rows_affected()
        }
        Store::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH claimed AS ({CLAIM} \
               RETURNING origin_jti, pool_id, client_id, user_id, auth_time, expires_at, amr) \
             INSERT INTO refresh_tokens ({REFRESH_COLUMNS}) \
             SELECT $5, origin_jti, pool_id, client_id, user_id, $6, auth_time, $1, expires_at, \
                    NULL, NULL, amr FROM claimed"
        )))
        .bind(now)
        .bind(old_hash)
        .bind(pool_id)
        .bind(client_id)
        .bind(new_hash)
        .bind(new_scope)
        .execute(pool)
        .await?
        .rows_affected(),
    };
    Ok(written == 1)
}

#[derive(sqlx::FromRow)]
struct RefreshAndUser {
    r_token_hash: String,
    r_origin_jti: String,
    r_client_id: String,
    r_scope: String,
    r_auth_time: i64,
    r_created_at: i64,
    r_expires_at: i64,
    r_rotated_at: Option<i64>,
    r_revoked_at: Option<i64>,
    r_amr: Option<String>,
    #[sqlx(flatten)]
    user: crate::store::users::UserRow,
    revoked: bool,
    groups: Option<String>,
}

/// Separates group names in one aggregated column; names cannot hold control characters.
const GROUP_SEPARATOR: char = '\u{1f}';

/// What a refresh grant reads, in one query.
pub struct RefreshState {
    pub refresh: RefreshRow,
    pub user: crate::store::users::UserRow,
    /// The token's family has been revoked.
    pub revoked: bool,
    /// The user's groups, by precedence then name.
    pub groups: Vec<String>,
}

/// A refresh token with its user, whether its family is revoked, and the user's groups:
/// everything a refresh grant reads, in one query.
pub async fn refresh_with_user(
    store: &Store,
    pool_id: &str,
    token_hash: &str,
) -> StoreResult<Option<RefreshState>> {
    // The one difference between the engines: the name of the ordered string aggregate.
    let aggregate = match store {
        Store::Sqlite(_) => "group_concat",
        Store::Postgres(_) => "string_agg",
    };
    let sql = format!(
        "SELECT r.token_hash AS r_token_hash, r.origin_jti AS r_origin_jti, r.client_id AS r_client_id, \
         r.scope AS r_scope, r.auth_time AS r_auth_time, r.created_at AS r_created_at, \
         r.expires_at AS r_expires_at, r.rotated_at AS r_rotated_at, r.revoked_at AS r_revoked_at, \
         r.amr AS r_amr, {}, EXISTS (SELECT 1 FROM revoked_origins o WHERE o.origin_jti = r.origin_jti) AS revoked, \
         (SELECT {aggregate}(g.name, $3 ORDER BY COALESCE(g.precedence, 2147483647), g.name) \
            FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name \
            WHERE m.user_id = u.id) AS groups \
         FROM refresh_tokens r JOIN users u ON u.id = r.user_id \
         WHERE r.token_hash = $1 AND r.pool_id = $2",
        crate::store::users::joined_columns()
    );
    let row = on_pool!(store, pool => sqlx::query_as::<_, RefreshAndUser>(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .bind(pool_id)
        .bind(GROUP_SEPARATOR.to_string())
        .fetch_optional(pool)
        .await?);
    Ok(row.map(|r| {
        let refresh = RefreshRow {
            token_hash: r.r_token_hash,
            origin_jti: r.r_origin_jti,
            pool_id: pool_id.to_string(),
            client_id: r.r_client_id,
            user_id: r.user.id.clone(),
            scope: r.r_scope,
            auth_time: r.r_auth_time,
            created_at: r.r_created_at,
            expires_at: r.r_expires_at,
            rotated_at: r.r_rotated_at,
            revoked_at: r.r_revoked_at,
            amr: r.r_amr,
        };
        let groups = r
            .groups
            .map(|g| {
                g.split(GROUP_SEPARATOR)
                    .take(100)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        RefreshState {
            refresh,
            user: r.user,
            revoked: r.revoked,
            groups,
        }
    }))
}

/// The `amr` of the sign-in that began the grant family `origin_jti` (every refresh token of
/// a family keeps its sign-in's).
pub async fn family_amr(
    store: &Store,
    pool_id: &str,
    origin_jti: &str,
) -> StoreResult<Option<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, Option<String>>(
        "SELECT amr FROM refresh_tokens WHERE origin_jti = $1 AND pool_id = $2 LIMIT 1",
    )
    .bind(origin_jti)
    .bind(pool_id)
    .fetch_optional(pool)
    .await?
    .flatten()))
}

pub async fn find_refresh(
    store: &Store,
    pool_id: &str,
    token_hash: &str,
) -> StoreResult<Option<RefreshRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, RefreshRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = $1 AND pool_id = $2"
    )))
    .bind(token_hash)
    .bind(pool_id)
    .fetch_optional(pool)
    .await?))
}

/// Revokes the refresh tokens of the grant family `origin_jti`.
macro_rules! revoke_family_tokens_query {
    ($origin_jti:expr, $now:expr) => {
        sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE origin_jti = $2 AND revoked_at IS NULL")
            .bind($now)
            .bind($origin_jti)
    };
}
pub(crate) use revoke_family_tokens_query;

/// Revokes every refresh token of a user.
macro_rules! revoke_tokens_of_query {
    ($user_id:expr, $now:expr) => {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind($now)
        .bind($user_id)
    };
}
pub(crate) use revoke_tokens_of_query;
