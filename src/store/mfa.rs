//! Rows of `mfa_settings` and `recovery_codes`.

use super::{Store, StoreResult, execute_in_tx, in_tx, on_pool};

#[derive(Clone, Default, sqlx::FromRow)]
pub struct MfaRow {
    pub user_id: String,
    pub pool_id: String,
    /// Sealed with the master key (context `totp:<user id>`).
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub totp_enabled_at: Option<i64>,
    pub email_enabled: bool,
    pub preferred: Option<String>,
    pub updated_at: i64,
    /// Bumped by every write; a write names the version it read (0: not stored yet).
    pub version: i64,
}

impl std::fmt::Debug for MfaRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaRow")
            .field("user_id", &self.user_id)
            .field("totp", &self.totp_secret.is_some())
            .field("email_enabled", &self.email_enabled)
            .field("preferred", &self.preferred)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "user_id, pool_id, totp_secret, totp_last_step, totp_enabled_at, email_enabled, preferred, updated_at, version";

pub async fn get(store: &Store, user_id: &str) -> StoreResult<Option<MfaRow>> {
    on_pool!(store, pool => Ok(sqlx::query_as::<_, MfaRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM mfa_settings WHERE user_id = $1"
    )))
    .bind(user_id)
    .fetch_optional(pool)
    .await?))
}

/// The settings of a user and how many unused recovery codes remain.
pub async fn get_with_recovery_count(
    store: &Store,
    user_id: &str,
) -> StoreResult<(Option<MfaRow>, i64)> {
    let row = get(store, user_id).await?;
    let left = on_pool!(store, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await?);
    Ok((row, left))
}

macro_rules! upsert_query {
    ($row:expr) => {
        sqlx::query(
            "INSERT INTO mfa_settings (user_id, pool_id, totp_secret, totp_last_step, totp_enabled_at, \
             email_enabled, preferred, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9 + 1) \
             ON CONFLICT (user_id) DO UPDATE SET totp_secret = $3, totp_last_step = $4, \
             totp_enabled_at = $5, email_enabled = $6, preferred = $7, updated_at = $8, \
             version = mfa_settings.version + 1 WHERE mfa_settings.version = $9",
        )
        .bind(&$row.user_id)
        .bind(&$row.pool_id)
        .bind(&$row.totp_secret)
        .bind($row.totp_last_step)
        .bind($row.totp_enabled_at)
        .bind($row.email_enabled)
        .bind(&$row.preferred)
        .bind($row.updated_at)
        .bind($row.version)
    };
}

/// Writes the settings inside a transaction, if they are still at the version `row` was
/// read at (else the enclosing function returns `Contention` and the transaction rolls
/// back); with `recovery`, replaces the user's recovery codes with these digests (an empty
/// list removes them).
macro_rules! save_in {
    ($tx:expr, $row:expr, $recovery:expr) => {{
        let row: &$crate::store::mfa::MfaRow = $row;
        let recovery: Option<&[String]> = $recovery;
        let written = $crate::store::mfa::upsert_query!(row)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if written != 1 {
            return Err($crate::store::StoreError::Contention);
        }
        if let Some(codes) = recovery {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(&row.user_id)
                .execute(&mut *$tx)
                .await?;
            for code in codes {
                sqlx::query(
                    "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) \
                     VALUES ($1, $2, $3, NULL)",
                )
                .bind(&row.user_id)
                .bind(code)
                .bind(row.updated_at)
                .execute(&mut *$tx)
                .await?;
            }
        }
    }};
}
pub(crate) use {save_in, upsert_query};

/// Writes the settings if they are still at `row.version` (else `Contention`); with
/// `recovery`, replaces the user's recovery codes with these digests in the same
/// transaction (an empty list removes them).
pub async fn save(store: &Store, row: &MfaRow, recovery: Option<&[String]>) -> StoreResult<()> {
    in_tx!(store, tx => {
        save_in!(tx, row, recovery);
    });
    Ok(())
}

/// Records `step` as the last accepted TOTP step, only if it is later than the one on
/// record: two requests with the same code cannot both pass. False when refused.
pub async fn accept_totp_step(
    store: &Store,
    user_id: &str,
    step: i64,
    now: i64,
) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "UPDATE mfa_settings SET totp_last_step = $1, updated_at = $2, version = version + 1 \
         WHERE user_id = $3 AND totp_secret IS NOT NULL \
         AND (totp_last_step IS NULL OR totp_last_step < $1)",
        step,
        now,
        user_id
    );
    Ok(rows == 1)
}

/// Spends a recovery code in one statement; false if it is unknown or used.
pub async fn spend_recovery_code(
    store: &Store,
    user_id: &str,
    code_hash: &str,
    now: i64,
) -> StoreResult<bool> {
    let rows = execute_in_tx!(
        store,
        "UPDATE recovery_codes SET used_at = $1 \
         WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        now,
        user_id,
        code_hash
    );
    Ok(rows == 1)
}

/// Removes the TOTP factor and the recovery codes inside a transaction; the preference
/// falls to codes by email, if on.
macro_rules! remove_totp_in {
    ($tx:expr, $user_id:expr, $now:expr) => {{
        sqlx::query(
            "UPDATE mfa_settings SET totp_secret = NULL, totp_last_step = NULL, totp_enabled_at = NULL, \
             preferred = CASE WHEN email_enabled THEN 'EMAIL_OTP' ELSE NULL END, updated_at = $1, \
             version = version + 1 \
             WHERE user_id = $2",
        )
        .bind($now)
        .bind($user_id)
        .execute(&mut *$tx)
        .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind($user_id)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Removes TOTP and the recovery codes, and signs the user out everywhere, together: a lost
/// phone. `signed_out_at` is the users table's; this is the one write that needs it here.
pub async fn remove_totp(store: &Store, pool_id: &str, user_id: &str, now: i64) -> StoreResult<()> {
    in_tx!(store, tx => {
        remove_totp_in!(tx, user_id, now);
        sqlx::query("UPDATE users SET signed_out_at = $1, updated_at = $1, version = version + 1 WHERE id = $2")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        crate::store::oauth::revoke_user_in!(tx, pool_id, user_id, now);
    });
    Ok(())
}
