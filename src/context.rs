//! What every core rule is handed: the store, the clock, the password hasher and the
//! deployment-wide settings that shape ids and URLs. Built once in `startup`.

use std::sync::Arc;

use url::Url;

use crate::cache::Caches;
use crate::clock::Clock;
use crate::crypto::password::PasswordHasher;
use crate::in_flight::InFlight;
use crate::keyring::KeyRing;
use crate::mail::Outbox;
use crate::store::Store;
use crate::store::throttle::CounterKey;

#[derive(Clone)]
pub struct Context {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub keys: Arc<KeyRing>,
    pub outbox: Outbox,
    /// Keys the HMAC under which verification and reset codes are stored.
    pub code_key: Arc<aws_lc_rs::hmac::Key>,
    /// Signs the hosted forms' CSRF tokens.
    pub csrf_key: Arc<aws_lc_rs::hmac::Key>,
    /// Signs the device cookies of browsers that signed in before.
    pub device_key: Arc<aws_lc_rs::hmac::Key>,
    /// Sign-in and code attempts in flight in this process (see `accounts::factors::throttle`).
    pub in_flight: Arc<InFlight<(String, CounterKey)>>,
    pub region: String,
    pub public_url: Url,
    /// Pools, clients and key documents, kept for a few seconds (see `cache`).
    pub caches: Arc<Caches>,
    /// `COGNATE_ACCOUNT_ID`, the account in every ARN.
    pub account_id: String,
    /// Group-commits the audit rows of admin requests that changed nothing.
    pub audit: crate::store::audit::AuditWriter,
    /// `COGNATE_FEDERATION_ALLOW_PRIVATE_NETWORKS`: providers elsewhere may be called at
    /// private addresses.
    pub federation_allow_private_networks: bool,
}

impl Context {
    pub fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// The stored form of a code: HMAC over the user, the purpose, the address the code was
    /// sent to and the code. The same code typed for another address never matches.
    pub fn code_digest(
        &self,
        user_id: &str,
        purpose: &str,
        destination: &str,
        code: &str,
    ) -> String {
        let tag = aws_lc_rs::hmac::sign(
            &self.code_key,
            format!("{user_id}\n{purpose}\n{destination}\n{code}").as_bytes(),
        );
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
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
