//! Rows of the OAuth tables: pending authorization requests, sessions, authorization codes,
//! refresh tokens and revoked token families. Single-use values are consumed in one
//! `UPDATE ... WHERE consumed IS NULL RETURNING` statement, never found-then-deleted.

use super::{Store, StoreResult, in_tx, on_pool};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthRequestRow {
    pub id: String,
    pub pool_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub pending_user_id: Option<String>,
    pub pending_browser: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub client_address: Option<String>,
    pub response_mode: Option<String>,
    /// The provider that answered the request, while its user is in a second-factor step.
    #[sqlx(default)]
    pub identity_provider: Option<String>,
    /// That provider's ID token, sealed to this request.
    #[sqlx(default)]
    pub upstream_id_token: Option<String>,
}

#[derive(Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub pool_id: String,
    pub user_id: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The methods the sign-in used (RFC 8176), space-separated.
    pub amr: Option<String>,
    /// The identity provider that signed it in, for a federated sign-in.
    pub identity_provider: Option<String>,
    /// That provider's ID token, sealed: the hint its sign-out endpoint takes.
    pub upstream_id_token: Option<String>,
}

#[derive(Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub code_hash: String,
    pub pool_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub session_hash: Option<String>,
    pub auth_time: i64,
    pub origin_jti: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub amr: Option<String>,
}

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

const AUTH_REQUEST_COLUMNS: &str = "id, pool_id, client_id, redirect_uri, scope, state, nonce, code_challenge, \
     max_age, login_hint, pending_user_id, pending_browser, created_at, expires_at, consumed_at, \
     client_address, response_mode";
const CODE_COLUMNS: &str = "code_hash, pool_id, client_id, user_id, redirect_uri, scope, nonce, code_challenge, \
     session_hash, auth_time, origin_jti, created_at, expires_at, consumed_at, amr";
const REFRESH_COLUMNS: &str = "token_hash, origin_jti, pool_id, client_id, user_id, scope, auth_time, created_at, \
     expires_at, rotated_at, revoked_at, amr";

/// Stores a pending request unless its client address already has `max_per_address` live
/// ones (count and insert are one statement); false when refused.
pub async fn insert_auth_request(
    store: &Store,
    row: &AuthRequestRow,
    max_per_address: i64,
) -> StoreResult<bool> {
    // The count and the insert must see the same rows: one statement, in a write of its own.
    let inserted = in_tx!(store, tx => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO auth_requests ({AUTH_REQUEST_COLUMNS}) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17 \
             WHERE $16 IS NULL OR (SELECT COUNT(*) FROM auth_requests \
               WHERE client_address = $16 AND expires_at > $13 AND consumed_at IS NULL) < $18"
        )))
        .bind(&row.id)
        .bind(&row.pool_id)
        .bind(&row.client_id)
        .bind(&row.redirect_uri)
        .bind(&row.scope)
        .bind(&row.state)
        .bind(&row.nonce)
        .bind(&row.code_challenge)
        .bind(row.max_age)
        .bind(&row.login_hint)
        .bind(&row.pending_user_id)
        .bind(&row.pending_browser)
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(row.consumed_at)
        .bind(&row.client_address)
        .bind(&row.response_mode)
        .bind(max_per_address)
        .execute(&mut *tx)
        .await?
        .rows_affected()
    });
    Ok(inserted == 1)
}

/// A pending request that has neither expired nor been used.
pub async fn live_auth_request(
    store: &Store,
    pool_id: &str,
    id: &str,
    now: i64,
) -> StoreResult<AuthRequestRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, AuthRequestRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {AUTH_REQUEST_COLUMNS}, identity_provider, upstream_id_token FROM auth_requests \
         WHERE id = $1 AND pool_id = $2 AND consumed_at IS NULL AND expires_at > $3"
    )))
    .bind(id)
    .bind(pool_id)
    .bind(now)
    .fetch_one(pool)
    .await?))
}

/// Records that a provider answered the request (its ID token sealed), for the session its
/// user gets after a second-factor step.
pub async fn set_request_upstream(
    store: &Store,
    id: &str,
    provider: &str,
    sealed_token: &str,
) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query(
            "UPDATE auth_requests SET identity_provider = $1, upstream_id_token = $2 \
             WHERE id = $3 AND consumed_at IS NULL",
        )
        .bind(provider)
        .bind(sealed_token)
        .bind(id)
        .execute(pool)
        .await?;
        Ok(())
    })
}

/// Records that the user behind this request signed in with a temporary password, in the
/// browser whose CSRF-cookie digest is `browser`: only that browser may choose the password.
pub async fn set_pending_user(
    store: &Store,
    id: &str,
    user_id: &str,
    browser: &str,
) -> StoreResult<bool> {
    let rows = on_pool!(store, pool => sqlx::query(
        "UPDATE auth_requests SET pending_user_id = $1, pending_browser = $2 \
         WHERE id = $3 AND consumed_at IS NULL",
    )
    .bind(user_id)
    .bind(browser)
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(rows == 1)
}

macro_rules! insert_session_query {
    ($row:expr) => {
        sqlx::query(
            "INSERT INTO sessions (token_hash, pool_id, user_id, auth_time, created_at, expires_at, revoked_at, amr, \
             identity_provider, upstream_id_token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&$row.token_hash)
        .bind(&$row.pool_id)
        .bind(&$row.user_id)
        .bind($row.auth_time)
        .bind($row.created_at)
        .bind($row.expires_at)
        .bind($row.revoked_at)
        .bind(&$row.amr)
        .bind(&$row.identity_provider)
        .bind(&$row.upstream_id_token)
    };
}
pub(crate) use insert_session_query;

pub async fn live_session(
    store: &Store,
    pool_id: &str,
    token_hash: &str,
    now: i64,
) -> StoreResult<SessionRow> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, SessionRow>(
        "SELECT token_hash, pool_id, user_id, auth_time, created_at, expires_at, revoked_at, amr, \
         identity_provider, upstream_id_token FROM sessions \
         WHERE token_hash = $1 AND pool_id = $2 AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(pool_id)
    .bind(now)
    .fetch_one(pool)
    .await?))
}

pub async fn revoke_session(store: &Store, token_hash: &str, now: i64) -> StoreResult<()> {
    on_pool!(store, pool => {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(token_hash)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Consumes the pending request and stores the code it turns into, together: a request
/// yields at most one code.
pub async fn issue_code(
    store: &Store,
    request_id: &str,
    code: &CodeRow,
    session: &SessionRow,
) -> StoreResult<bool> {
    in_tx!(store, tx => {
        let consumed = sqlx::query(
            "UPDATE auth_requests SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL AND expires_at > $1",
        )
        .bind(code.created_at)
        .bind(request_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if consumed != 1 {
            return Ok(false);
        }
        insert_code_query!(code).execute(&mut *tx).await?;
        insert_session_query!(session).execute(&mut *tx).await?;
    });
    Ok(true)
}

/// Stores a code issued straight from a live session (single sign-on).
pub async fn insert_code(store: &Store, code: &CodeRow) -> StoreResult<()> {
    on_pool!(store, pool => {
        insert_code_query!(code).execute(pool).await?;
    });
    Ok(())
}

macro_rules! insert_code_query {
    ($code:expr) => {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO authorization_codes ({CODE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )))
        .bind(&$code.code_hash)
        .bind(&$code.pool_id)
        .bind(&$code.client_id)
        .bind(&$code.user_id)
        .bind(&$code.redirect_uri)
        .bind(&$code.scope)
        .bind(&$code.nonce)
        .bind(&$code.code_challenge)
        .bind(&$code.session_hash)
        .bind($code.auth_time)
        .bind(&$code.origin_jti)
        .bind($code.created_at)
        .bind($code.expires_at)
        .bind($code.consumed_at)
        .bind(&$code.amr)
    };
}
use insert_code_query;

/// Consumes the code in one statement, for the client it was issued to only. `None` when
/// it does not exist, belongs to another client, or was already used.
pub async fn consume_code(
    store: &Store,
    pool_id: &str,
    client_id: &str,
    code_hash: &str,
    now: i64,
) -> StoreResult<Option<CodeRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, CodeRow>(sqlx::AssertSqlSafe(format!(
        "UPDATE authorization_codes SET consumed_at = $1 \
         WHERE code_hash = $2 AND pool_id = $3 AND client_id = $4 AND consumed_at IS NULL \
         RETURNING {CODE_COLUMNS}"
    )))
    .bind(now)
    .bind(code_hash)
    .bind(pool_id)
    .bind(client_id)
    .fetch_optional(pool)
    .await?))
}

/// A code that exists but was consumed already: a replay.
pub async fn consumed_code(
    store: &Store,
    pool_id: &str,
    code_hash: &str,
) -> StoreResult<Option<CodeRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, CodeRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {CODE_COLUMNS} FROM authorization_codes \
         WHERE code_hash = $1 AND pool_id = $2 AND consumed_at IS NOT NULL"
    )))
    .bind(code_hash)
    .bind(pool_id)
    .fetch_optional(pool)
    .await?))
}

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

/// Whether the session with this digest was ended (logout, admin sign-out, new sign-in).
pub async fn session_ended(store: &Store, token_hash: &str) -> StoreResult<bool> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM sessions WHERE token_hash = $1 AND revoked_at IS NOT NULL",
    )
    .bind(token_hash)
    .fetch_one(pool)
    .await? > 0))
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

/// Revokes a token family: its refresh tokens stop working and the access tokens issued
/// from it are refused, in one transaction.
pub async fn revoke_family(
    store: &Store,
    pool_id: &str,
    origin_jti: &str,
    now: i64,
) -> StoreResult<()> {
    in_tx!(store, tx => {
        sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE origin_jti = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(origin_jti)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO revoked_origins (origin_jti, pool_id, revoked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (origin_jti) DO NOTHING",
        )
        .bind(origin_jti)
        .bind(pool_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    });
    Ok(())
}

/// Revokes every session and refresh-token family of a user, inside a transaction.
macro_rules! revoke_user_in {
    ($tx:expr, $pool_id:expr, $user_id:expr, $now:expr) => {{
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind($now)
        .bind($user_id)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO revoked_origins (origin_jti, pool_id, revoked_at) \
             SELECT DISTINCT origin_jti, $1, $2 FROM refresh_tokens WHERE user_id = $3 \
             ON CONFLICT (origin_jti) DO NOTHING",
        )
        .bind($pool_id)
        .bind($now)
        .bind($user_id)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind($now)
        .bind($user_id)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use revoke_user_in;

/// Revokes every session and refresh-token family of a user, together.
pub async fn revoke_user(store: &Store, pool_id: &str, user_id: &str, now: i64) -> StoreResult<()> {
    in_tx!(store, tx => {
        revoke_user_in!(tx, pool_id, user_id, now);
    });
    Ok(())
}

pub async fn is_revoked(store: &Store, origin_jti: &str) -> StoreResult<bool> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM revoked_origins WHERE origin_jti = $1",
    )
    .bind(origin_jti)
    .fetch_one(pool)
    .await? > 0))
}

/// Names of the groups a user is in, by precedence then name (for `cognito:groups`).
pub async fn group_names(store: &Store, user_id: &str) -> StoreResult<Vec<String>> {
    on_pool!(store, pool => Ok(sqlx::query_scalar::<_, String>(
        "SELECT g.name FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name \
         WHERE m.user_id = $1 ORDER BY COALESCE(g.precedence, 2147483647), g.name LIMIT 100",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?))
}

/// Deletes expired single-use rows; run now and then, never on a request path.
pub async fn sweep_expired(store: &Store, now: i64) -> StoreResult<u64> {
    let mut total = 0;
    for sql in [
        // Used requests go at once; their codes are elsewhere.
        "DELETE FROM auth_requests WHERE expires_at < $1 OR consumed_at IS NOT NULL",
        // Kept a day past expiry, so a late replay is still recognised and revokes.
        "DELETE FROM authorization_codes WHERE expires_at < $1 - 86400000",
        "DELETE FROM sessions WHERE expires_at < $1",
        "DELETE FROM verification_codes WHERE expires_at < $1 - 86400000",
        "DELETE FROM refused_sign_ups WHERE expires_at < $1",
        "DELETE FROM federation_states WHERE expires_at < $1 OR consumed_at IS NOT NULL",
        // Sign-ups nobody confirmed within a week (their codes died after a day): anyone can
        // make them, so they must not pile up. The person can simply sign up again.
        "DELETE FROM users WHERE status = 'UNCONFIRMED' AND created_at < $1 - 604800000",
        // Delivered or abandoned mail (bodies already blanked) is kept a week for the record.
        "DELETE FROM outbox WHERE status <> 'queued' AND created_at < $1 - 604800000",
    ] {
        total += on_pool!(store, pool => sqlx::query(sql).bind(now).execute(pool).await?.rows_affected());
    }
    Ok(total)
}
