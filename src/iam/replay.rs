//! A signed request that changes state is accepted once. AWS accepts a copy of a signed
//! request again for as long as its signature verifies (five minutes, or a presigned URL's
//! lifetime); here a captured `POST` cannot create again what was deleted since. Reads may
//! repeat: SDK retries and pagination send identical ones.
//!
//! The shared table is the only record: several processes may share one database, and the
//! first sighting of a signature must reach it anyway, so a per-process copy could only
//! shortcut a replay, the rare case.

use crate::clock::Millis;
use crate::crypto::secret::sha256;
use crate::store::{Store, StoreError, used_signatures};

/// How long past its expiry a used signature is kept, for clocks of processes that share the
/// database and disagree a little.
pub const CLOCK_MARGIN_MS: Millis = 60 * 1000;
/// Rows the sweeper deletes in one statement, and statements per sweep.
const SWEEP_BATCH: i64 = 5_000;
const SWEEP_BATCHES: usize = 20;

/// Whether an admin REST request with this method changes state.
pub fn method_changes_state(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Whether a Cognito API operation changes state: every one but Cognito's reads
/// (`Describe*`, `List*`, `Get*`, `AdminGet*`, `AdminList*`). An operation this does not
/// know counts as a change.
pub fn operation_changes_state(operation: &str) -> bool {
    !["Describe", "List", "Get", "AdminGet", "AdminList"]
        .iter()
        .any(|read| {
            operation
                .strip_prefix(read)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        })
}

/// What is stored of a signature: its digest, so the table holds nothing a request carried.
fn digest(signature: &str) -> String {
    sha256(format!("cognate sigv4 signature\n{signature}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Notes the first use of `signature` (lowercase hex), which verifies until `valid_until`;
/// false if it was used before.
pub async fn first_use(
    store: &Store,
    signature: &str,
    valid_until: Millis,
) -> Result<bool, StoreError> {
    used_signatures::first_use(store, &digest(signature), valid_until).await
}

/// Deletes used signatures that can no longer verify anywhere, a bounded number per call.
pub async fn sweep(store: &Store, now: Millis) -> Result<u64, StoreError> {
    let mut total = 0;
    for _ in 0..SWEEP_BATCHES {
        let n = used_signatures::sweep(store, now - CLOCK_MARGIN_MS, SWEEP_BATCH).await?;
        total += n;
        if n < SWEEP_BATCH as u64 {
            break;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_describe_list_and_get() {
        for read in [
            "DescribeUserPool",
            "ListUsers",
            "GetGroup",
            "GetUserPoolMfaConfig",
            "AdminGetUser",
            "AdminListGroupsForUser",
        ] {
            assert!(!operation_changes_state(read), "{read}");
        }
        for write in [
            "AdminCreateUser",
            "AdminInitiateAuth",
            "AdminDisableUser",
            "CreateGroup",
            "SetUserPoolMfaConfig",
            "DeleteUserPool",
            // Prefixes of other words are not reads.
            "Listen",
            "Getaway",
            "Describe",
            "",
        ] {
            assert!(operation_changes_state(write), "{write}");
        }
    }

    #[test]
    fn only_get_head_and_options_may_repeat() {
        for method in ["GET", "HEAD", "OPTIONS"] {
            assert!(!method_changes_state(method));
        }
        for method in ["POST", "PUT", "PATCH", "DELETE", "get", "PROPFIND"] {
            assert!(method_changes_state(method), "{method}");
        }
    }

    #[test]
    fn the_digest_is_not_the_signature() {
        let signature = "a".repeat(64);
        let d = digest(&signature);
        assert_eq!(d.len(), 64);
        assert_ne!(d, signature);
        assert_eq!(d, digest(&signature));
        assert_ne!(d, digest(&"b".repeat(64)));
    }
}
