//! The secret behind an access key id, and who it belongs to: an IAM user's long-term key
//! from the snapshot, or a role session's temporary one, which must come with its token.

use subtle::ConstantTimeEq;

use crate::clock::Millis;
use crate::iam::authenticate::caller::{AuthError, Caller};
use crate::iam::directory::Directory;
use crate::iam::directory::snapshot::Snapshot;
use crate::store::Store;

/// A placeholder the unknown-key path signs with, so it costs what a known key costs.
pub(super) const NO_SECRET: &str = "0000000000000000000000000000000000000000";

/// The secret behind an access key id, and who it belongs to; `None` for no usable key.
pub(super) async fn secret_of(
    directory: &Directory,
    snapshot: &Snapshot,
    store: &Store,
    id: &str,
    now: Millis,
) -> Result<Option<(String, Caller)>, AuthError> {
    if id.len() != 20
        || !id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Ok(None);
    }
    if id.starts_with("AKIA") {
        let Some(key) = snapshot.keys.get(id) else {
            return Ok(None);
        };
        let live = key.active
            && key.expires_at.is_none_or(|t| now < t)
            && snapshot.users.contains_key(&key.user);
        return Ok(live.then(|| {
            (
                key.secret.clone(),
                Caller::User {
                    name: key.user.clone(),
                    access_key_id: key.id.clone(),
                },
            )
        }));
    }
    if id.starts_with("ASIA") {
        let Some(session) = directory.session(store, id, now).await? else {
            return Ok(None);
        };
        // A deleted role ends its sessions here at once, elsewhere within the TTL.
        if !snapshot.roles.contains_key(&session.role) || now >= session.expires_at {
            return Ok(None);
        }
        return Ok(Some((session.secret.clone(), Caller::Session(session))));
    }
    Ok(None)
}

/// A session's token must come with its own key: compared as keyed hashes, in constant time.
pub(super) fn token_fits(directory: &Directory, caller: &Caller, token: Option<&str>) -> bool {
    match (caller, token) {
        (Caller::Session(session), Some(token)) => bool::from(
            directory
                .token_hash(token)
                .as_bytes()
                .ct_eq(session.token_hash.as_bytes()),
        ),
        (Caller::Session(_), None) => false,
        // A token sent with a long-term key belongs to something else.
        (_, Some(_)) => false,
        (_, None) => true,
    }
}
