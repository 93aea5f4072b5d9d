//! Rows of the `iam_*` tables: admin users, groups, roles, policies, access keys and role
//! sessions. Every write runs in a transaction, so an admin request's audit event goes with
//! it (see `audit`).
//!
//! A file per table or group of tables; `snapshot` reads them all at once for the
//! authoriser.

mod access_keys;
mod policies;
mod principals;
mod sessions;
mod snapshot;

pub use access_keys::{
    AccessKeyRow, delete_key, insert_key_within, keys_of, set_key_status, touch_key,
};
pub use policies::{
    PolicyRow, PrincipalPolicyRow, attach, delete_inline, delete_policy, detach, insert_policy,
    put_inline, seed_managed, update_policy,
};
pub use principals::{
    Kind, MemberRow, NamedRow, RoleRow, add_member, delete_entity, insert_named, insert_role,
    remove_member,
};
pub use sessions::{SessionRow, insert_session, live_session, sweep_sessions};
pub use snapshot::{Everything, RootRow, everything};
