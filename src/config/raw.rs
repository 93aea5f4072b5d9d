//! Every key the service understands, and its default: the raw shape read from the file
//! and the environment, before validation.

use serde::{Deserialize, Serialize};

use crate::config::settings::{LogFormat, Secret, string_like};
use crate::crypto::password::PasswordHashParams;

/// Every key the service understands; the environment variable is `COGNATE_` + the key in
/// upper case. Anything else in the TOML file is refused, so a typo never goes unnoticed.
pub const KEYS: &[&str] = &[
    "listen",
    "public_url",
    "data_dir",
    "database_url",
    "database_max_connections",
    "region",
    "admin_key",
    "master_key",
    "smtp_url",
    "email_from",
    "log_format",
    "password_hash_memory_kib",
    "password_hash_iterations",
    "password_hash_parallelism",
    "shutdown_timeout_secs",
    "trusted_proxies",
    "forwarded_header",
    "password_hash_queue_depth",
    "request_body_timeout_secs",
    "max_connections_per_address",
    "account_id",
    "audit_retention_days",
    "federation_allow_private_networks",
];

fn optional_string_like<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    struct Text(String);
    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            string_like(d).map(Text)
        }
    }
    Ok(Option::<Text>::deserialize(d)?.map(|t| t.0))
}

/// The raw shape read from the file and the environment, before validation.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    #[serde(deserialize_with = "string_like")]
    pub(super) listen: String,
    #[serde(default, deserialize_with = "optional_string_like")]
    pub(super) public_url: Option<String>,
    #[serde(deserialize_with = "string_like")]
    pub(super) data_dir: String,
    #[serde(default, deserialize_with = "optional_string_like")]
    pub(super) database_url: Option<String>,
    pub(super) database_max_connections: u32,
    #[serde(deserialize_with = "string_like")]
    pub(super) region: String,
    pub(super) admin_key: Option<Secret>,
    pub(super) master_key: Option<Secret>,
    pub(super) smtp_url: Option<Secret>,
    #[serde(deserialize_with = "string_like")]
    pub(super) email_from: String,
    pub(super) log_format: Option<LogFormat>,
    pub(super) password_hash_memory_kib: u32,
    pub(super) password_hash_iterations: u32,
    pub(super) password_hash_parallelism: u32,
    pub(super) shutdown_timeout_secs: u64,
    #[serde(default, deserialize_with = "optional_string_like")]
    pub(super) trusted_proxies: Option<String>,
    #[serde(default, deserialize_with = "optional_string_like")]
    pub(super) forwarded_header: Option<String>,
    pub(super) password_hash_queue_depth: u32,
    pub(super) request_body_timeout_secs: u64,
    pub(super) max_connections_per_address: u32,
    #[serde(deserialize_with = "string_like")]
    pub(super) account_id: String,
    pub(super) audit_retention_days: u32,
    pub(super) federation_allow_private_networks: bool,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            data_dir: "./data".into(),
            database_url: None,
            database_max_connections: 16,
            region: "local".into(),
            admin_key: None,
            master_key: None,
            smtp_url: None,
            email_from: "Cognate <no-reply@localhost>".into(),
            log_format: None,
            password_hash_memory_kib: PasswordHashParams::OWASP.memory_kib,
            password_hash_iterations: PasswordHashParams::OWASP.iterations,
            password_hash_parallelism: PasswordHashParams::OWASP.parallelism,
            shutdown_timeout_secs: 30,
            trusted_proxies: None,
            forwarded_header: None,
            password_hash_queue_depth: 64,
            request_body_timeout_secs: 10,
            max_connections_per_address: 128,
            account_id: "000000000000".into(),
            audit_retention_days: 365,
            federation_allow_private_networks: false,
        }
    }
}
