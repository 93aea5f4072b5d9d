//! An access key's secret is kept sealed under the master key, bound to its key id, so a
//! sealed value copied to another key's row opens as nothing.

use crate::crypto::sealed::MasterKey;

/// The sealing context of a secret: a sealed value copied to another key's row opens as
/// nothing.
pub fn seal_context(access_key_id: &str) -> String {
    format!("cognate iam secret v1 {access_key_id}")
}

/// The secret sealed in `sealed` for the key `access_key_id`, if it opens.
pub fn open_secret(master: &MasterKey, sealed: &str, access_key_id: &str) -> Option<String> {
    master
        .open(sealed, &seal_context(access_key_id))
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}
