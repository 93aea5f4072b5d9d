//! Rows of the OAuth tables, a file each: pending authorization requests, sessions,
//! authorization codes, refresh tokens and revoked token families. Single-use values are
//! consumed in one `UPDATE ... WHERE consumed IS NULL RETURNING` statement, never
//! found-then-deleted. Each file writes only its own table; `composed` joins their
//! statements into the transactions that span tables.

// The modules are visible in the crate because `revoke_user_in!` names their statements
// wherever it is expanded.
pub(crate) mod auth_requests;
pub(crate) mod authorization_codes;
pub(crate) mod composed;
pub(crate) mod refresh_tokens;
pub(crate) mod revoked_origins;
pub(crate) mod sessions;

pub use auth_requests::{
    AuthRequestRow, insert_auth_request, live_auth_request, set_pending_user, set_request_upstream,
};
pub use authorization_codes::{CodeRow, consume_code, consumed_code, insert_code};
pub(crate) use composed::revoke_user_in;
pub use composed::{issue_code, revoke_family, revoke_user};
pub use refresh_tokens::{
    RefreshRow, RefreshState, family_amr, find_refresh, insert_refresh, refresh_with_user,
    rotate_refresh,
};
pub use revoked_origins::is_revoked;
pub(crate) use sessions::insert_session_query;
pub use sessions::{SessionRow, live_session, revoke_session, session_ended};
