//! `Authorization: Bearer`, for tools that cannot sign: the root key, or
//! `<access key id>:<secret>` compared in constant time.

use subtle::ConstantTimeEq;

use crate::clock::Millis;
use crate::crypto::secret;
use crate::iam::authenticate::caller::{AuthError, Caller, refuse};
use crate::iam::authenticate::keys::{NO_SECRET, secret_of, token_fits};
use crate::iam::authenticate::request::{Presented, single};
use crate::iam::directory::Directory;
use crate::iam::directory::snapshot::Snapshot;
use crate::store::Store;

pub(super) async fn bearer(
    directory: &Directory,
    snapshot: &Snapshot,
    store: &Store,
    request: &Presented<'_>,
    token: &str,
    now: Millis,
) -> Result<Caller, AuthError> {
    if token.is_empty() || token.len() > 512 {
        return Err(refuse("empty or oversized bearer token"));
    }
    let access_key = token
        .split_once(':')
        .filter(|(id, _)| id.starts_with("AKIA") || id.starts_with("ASIA"));
    let Some((id, presented)) = access_key else {
        // The root key: emergencies only, and never once disabled.
        return match &snapshot.root {
            Some(root) if secret::matches(token, &root.digest) && !root.disabled => {
                Ok(Caller::Root)
            }
            _ => Err(refuse("not the root key, or the root key is disabled")),
        };
    };
    let found = secret_of(directory, snapshot, store, id, now).await?;
    let expected = found.as_ref().map_or(NO_SECRET, |(s, _)| s.as_str());
    let fits = bool::from(expected.as_bytes().ct_eq(presented.as_bytes()));
    match found {
        Some((_, caller))
            if fits
                && token_fits(
                    directory,
                    &caller,
                    single(request.headers, "x-amz-security-token")?,
                ) =>
        {
            Ok(caller)
        }
        _ => Err(refuse("unknown key or wrong secret")),
    }
}
