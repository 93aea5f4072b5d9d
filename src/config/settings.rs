//! The settings the service runs with, validated, and the values they are made of.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::crypto::password::PasswordHashParams;
use crate::crypto::sealed::MasterKey;
use crate::proxies::TrustedProxies;

/// A value that must never reach a log line or a `Debug` dump.
#[derive(Clone, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        string_like(d).map(Secret)
    }
}

/// The environment provider turns `COGNATE_ADMIN_KEY=1234...` into a number; text settings
/// take any scalar back as the text it was.
pub(super) fn string_like<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Unsigned(u64),
        Signed(i64),
        Float(f64),
        Bool(bool),
    }
    Ok(match Scalar::deserialize(d)? {
        Scalar::Text(s) => s,
        Scalar::Unsigned(n) => n.to_string(),
        Scalar::Signed(n) => n.to_string(),
        Scalar::Float(n) => n.to_string(),
        Scalar::Bool(b) => b.to_string(),
    })
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::Invalid {
            key: "database_url",
            message: format!("{why} (expected sqlite://PATH or postgres://...)"),
        };
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(url.to_string()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Url::parse(url).map_err(|e| bad(&format!("not a valid URL: {e}")))?;
            Ok(Self::Postgres(url.to_string()))
        } else {
            Err(bad("unsupported scheme"))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Sqlite(u) | Self::Postgres(u) => u,
        }
    }

    /// The URL with any password masked, for messages and logs.
    pub fn redacted(&self) -> String {
        match Url::parse(self.as_str()) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("****"));
                parsed.to_string()
            }
            _ => self.as_str().to_string(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Validated settings. Once built, every value is usable as is.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// `None` means `http://localhost:<bound port>`, decided once the socket is bound.
    pub public_url: Option<Url>,
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub database_max_connections: u32,
    pub region: String,
    pub admin_key: Option<Secret>,
    /// 32 bytes, base64: seals the signing keys at rest.
    pub master_key: Option<MasterKey>,
    /// `smtp://`, `smtps://` URL; `None` writes mail as files into `<data dir>/outbox/`.
    pub smtp_url: Option<Secret>,
    /// Default sender, `Name <address>` or `address`.
    pub email_from: String,
    pub log_format: Option<LogFormat>,
    pub password_hash: PasswordHashParams,
    pub shutdown_timeout_secs: u64,
    /// Peers whose `Forwarded` / `X-Forwarded-For` headers name the client address.
    pub trusted_proxies: TrustedProxies,
    /// Password hashes that may wait for a hashing thread; beyond it requests are refused
    /// at once as busy.
    pub password_hash_queue_depth: usize,
    /// How long a request body may take to arrive.
    pub request_body_timeout_secs: u64,
    /// Open connections one client address may hold (trusted proxies are not limited).
    pub max_connections_per_address: usize,
    /// Set by `--demo`: create the demo pool and client and serve the demo pages.
    pub demo: bool,
    /// The 12-digit account in every ARN (`arn:aws:iam::<account>:user/…`).
    pub account_id: String,
    /// Audit events older than this many days are deleted.
    pub audit_retention_days: u32,
    /// Whether providers elsewhere may be called at private addresses (RFC 1918, CGNAT,
    /// unique-local IPv6): an in-house provider. See `federation::address`.
    pub federation_allow_private_networks: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid setting `{key}` (COGNATE_{}): {message}", key.to_uppercase())]
    Invalid { key: &'static str, message: String },
    #[error("configuration: {0}")]
    Source(String),
}
