//! Writes that span the OAuth tables, each one transaction composed from the tables' own
//! statements: a request turned into its code and session, a grant family revoked, and
//! every session and family of a user revoked.

use crate::store::oauth::auth_requests::consume_request_query;
use crate::store::oauth::authorization_codes::{CODE_COLUMNS, CodeRow, insert_code_query};
use crate::store::oauth::refresh_tokens::revoke_family_tokens_query;
use crate::store::oauth::revoked_origins::revoke_origin_query;
use crate::store::oauth::sessions::{SessionRow, insert_session_query};
use crate::store::{Store, StoreResult, in_tx};

/// Consumes the pending request and stores the code it turns into, together: a request
/// yields at most one code.
pub async fn issue_code(
    store: &Store,
    request_id: &str,
    code: &CodeRow,
    session: &SessionRow,
) -> StoreResult<bool> {
    in_tx!(store, tx => {
        let consumed = consume_request_query!(request_id, code.created_at)
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

/// Revokes a token family: its refresh tokens stop working and the access tokens issued
/// from it are refused, in one transaction.
pub async fn revoke_family(
    store: &Store,
    pool_id: &str,
    origin_jti: &str,
    now: i64,
) -> StoreResult<()> {
    in_tx!(store, tx => {
        revoke_family_tokens_query!(origin_jti, now)
            .execute(&mut *tx)
            .await?;
        revoke_origin_query!(origin_jti, pool_id, now)
            .execute(&mut *tx)
            .await?;
    });
    Ok(())
}

/// Revokes every session and refresh-token family of a user, inside a transaction.
macro_rules! revoke_user_in {
    ($tx:expr, $pool_id:expr, $user_id:expr, $now:expr) => {{
        $crate::store::oauth::sessions::revoke_sessions_of_query!($user_id, $now)
            .execute(&mut *$tx)
            .await?;
        $crate::store::oauth::revoked_origins::revoke_origins_of_query!($pool_id, $user_id, $now)
            .execute(&mut *$tx)
            .await?;
        $crate::store::oauth::refresh_tokens::revoke_tokens_of_query!($user_id, $now)
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
