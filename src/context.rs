//! What every core rule is handed: the store, the clock, the password hasher and the
//! deployment-wide settings that shape ids and URLs. Built once in `startup`.

use std::sync::Arc;

use url::Url;

use crate::clock::Clock;
use crate::crypto::password::PasswordHasher;
use crate::store::Store;
use crate::tokens::keys::KeyRing;

#[derive(Clone)]
pub struct Context {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub keys: Arc<KeyRing>,
    pub region: String,
    pub public_url: Url,
}

impl Context {
    pub fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// `<public url>/<pool id>`, without a trailing slash.
    pub fn issuer(&self, pool_id: &str) -> String {
        format!(
            "{}/{}",
            self.public_url.as_str().trim_end_matches('/'),
            pool_id
        )
    }
}
