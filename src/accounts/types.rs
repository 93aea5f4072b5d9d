//! What every area reads off a stored user row: its status as the domain's type, and
//! whether the account may still hold tokens.

use crate::clock::Millis;
use crate::domain::UserStatus;
use crate::store::users::UserRow;

// The row's text read as the domain's state (an inherent impl may live in any module of
// the crate: `domain` itself knows no rows).
impl UserStatus {
    pub fn of(user: &UserRow) -> Option<Self> {
        Self::parse(&user.status)
    }
}

/// Whether the account may hold a session or tokens issued at `issued_at` (milliseconds):
/// it exists as a confirmed, enabled account, and has not been signed out everywhere
/// since. The one place this is decided, for sessions, codes, refresh tokens and access
/// tokens alike.
pub fn may_hold_tokens(user: &UserRow, issued_at: Millis) -> bool {
    user.enabled
        && matches!(
            UserStatus::of(user),
            Some(UserStatus::Confirmed | UserStatus::ExternalProvider)
        )
        && user.signed_out_at.is_none_or(|t| t < issued_at)
}
