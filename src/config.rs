//! Typed settings: an optional TOML file, then `COGNATE_*` environment variables on top.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use url::Url;

pub use crate::crypto::password::PasswordHashParams;
use crate::crypto::sealed::MasterKey;
pub use crate::proxies::TrustedProxies;

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
fn string_like<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
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

/// The raw shape read from the file and the environment, before validation.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(deserialize_with = "string_like")]
    listen: String,
    #[serde(default, deserialize_with = "optional_string_like")]
    public_url: Option<String>,
    #[serde(deserialize_with = "string_like")]
    data_dir: String,
    #[serde(default, deserialize_with = "optional_string_like")]
    database_url: Option<String>,
    database_max_connections: u32,
    #[serde(deserialize_with = "string_like")]
    region: String,
    admin_key: Option<Secret>,
    master_key: Option<Secret>,
    smtp_url: Option<Secret>,
    #[serde(deserialize_with = "string_like")]
    email_from: String,
    log_format: Option<LogFormat>,
    password_hash_memory_kib: u32,
    password_hash_iterations: u32,
    password_hash_parallelism: u32,
    shutdown_timeout_secs: u64,
    #[serde(default, deserialize_with = "optional_string_like")]
    trusted_proxies: Option<String>,
    #[serde(default, deserialize_with = "optional_string_like")]
    forwarded_header: Option<String>,
    password_hash_queue_depth: u32,
    request_body_timeout_secs: u64,
    max_connections_per_address: u32,
    #[serde(deserialize_with = "string_like")]
    account_id: String,
    audit_retention_days: u32,
    federation_allow_private_networks: bool,
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

impl Settings {
    /// Reads the optional TOML file, then the environment (which wins).
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Source(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("COGNATE_").only(KEYS));
        let raw: RawSettings = figment
            .extract()
            .map_err(|e| ConfigError::Source(one_line(&e.to_string())))?;
        Self::validate(raw)
    }

    /// Settings from defaults plus the given overrides, ignoring the environment: what the
    /// tests and embedders use.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        for (key, value) in pairs {
            // Parsed as the environment provider parses values, so "5" is a number.
            let value: figment::value::Value = value
                .parse()
                .unwrap_or_else(|_| figment::value::Value::from(value.to_string()));
            figment = figment.merge(Serialized::default(key, value));
        }
        let raw: RawSettings = figment
            .extract()
            .map_err(|e| ConfigError::Source(one_line(&e.to_string())))?;
        Self::validate(raw)
    }

    fn validate(raw: RawSettings) -> Result<Self, ConfigError> {
        let listen: SocketAddr = raw.listen.parse().map_err(|_| ConfigError::Invalid {
            key: "listen",
            message: format!("`{}` is not an address like 127.0.0.1:8080", raw.listen),
        })?;
        let public_url = match raw.public_url.as_deref() {
            None | Some("") => None,
            Some(text) => {
                let url = Url::parse(text).map_err(|e| ConfigError::Invalid {
                    key: "public_url",
                    message: format!("`{text}` is not an absolute URL: {e}"),
                })?;
                if !matches!(url.scheme(), "http" | "https")
                    || url.host().is_none()
                    || url.query().is_some()
                    || url.fragment().is_some()
                {
                    return Err(ConfigError::Invalid {
                        key: "public_url",
                        message: format!(
                            "`{text}` must be an http(s) URL without query or fragment"
                        ),
                    });
                }
                Some(url)
            }
        };
        let database_url = match raw.database_url.as_deref() {
            None | Some("") => DatabaseUrl::Sqlite(format!(
                "sqlite://{}",
                Path::new(&raw.data_dir).join("cognate.db").display()
            )),
            Some(url) => DatabaseUrl::parse(url)?,
        };
        let region_ok = !raw.region.is_empty()
            && raw.region.len() <= 32
            && raw
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(ConfigError::Invalid {
                key: "region",
                message: "must be 1-32 characters of a-z, 0-9 and `-`".into(),
            });
        }
        if raw.account_id.len() != 12 || !raw.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::Invalid {
                key: "account_id",
                message: "must be 12 digits".into(),
            });
        }
        if let Some(key) = &raw.admin_key
            && key.expose().len() < 16
        {
            return Err(ConfigError::Invalid {
                key: "admin_key",
                message: "must be at least 16 characters".into(),
            });
        }
        let master_key = match &raw.master_key {
            None => None,
            Some(text) if text.expose().is_empty() => None,
            Some(text) => Some(MasterKey::from_base64(text.expose()).map_err(|_| {
                ConfigError::Invalid {
                    key: "master_key",
                    message:
                        "must be 32 bytes, base64-encoded (for example: openssl rand -base64 32)"
                            .into(),
                }
            })?),
        };
        let smtp_url = raw.smtp_url.filter(|u| !u.expose().is_empty());
        if let Some(url) = &smtp_url {
            let parsed = Url::parse(url.expose()).map_err(|_| ConfigError::Invalid {
                key: "smtp_url",
                message: "is not a URL like smtp://host:25 or smtps://user:pass@host:465".into(),
            })?;
            if !matches!(parsed.scheme(), "smtp" | "smtps") || parsed.host().is_none() {
                return Err(ConfigError::Invalid {
                    key: "smtp_url",
                    message: "must be smtp://host[:port][?tls=required] or smtps://host[:port]"
                        .into(),
                });
            }
        }
        if raw.email_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Invalid {
                key: "email_from",
                message: format!(
                    "`{}` is not an address like `Name <no-reply@example.com>`",
                    raw.email_from
                ),
            });
        }
        if raw.database_max_connections == 0 {
            return Err(ConfigError::Invalid {
                key: "database_max_connections",
                message: "must be at least 1".into(),
            });
        }
        let password_hash = PasswordHashParams {
            memory_kib: raw.password_hash_memory_kib,
            iterations: raw.password_hash_iterations,
            parallelism: raw.password_hash_parallelism,
        };
        if argon2::Params::new(
            password_hash.memory_kib,
            password_hash.iterations,
            password_hash.parallelism,
            None,
        )
        .is_err()
        {
            return Err(ConfigError::Invalid {
                key: "password_hash_memory_kib",
                message: "argon2 parameters out of range (memory >= 8 x parallelism KiB, iterations >= 1, parallelism >= 1)".into(),
            });
        }
        let header =
            crate::proxies::ForwardedHeader::parse(raw.forwarded_header.as_deref().unwrap_or(""))
                .map_err(|message| ConfigError::Invalid {
                key: "forwarded_header",
                message,
            })?;
        let trusted_proxies = TrustedProxies::parse(raw.trusted_proxies.as_deref().unwrap_or(""))
            .map_err(|message| ConfigError::Invalid {
                key: "trusted_proxies",
                message,
            })?
            .with_header(header);
        for (key, value) in [
            (
                "password_hash_queue_depth",
                u64::from(raw.password_hash_queue_depth),
            ),
            ("request_body_timeout_secs", raw.request_body_timeout_secs),
            ("audit_retention_days", u64::from(raw.audit_retention_days)),
            (
                "max_connections_per_address",
                u64::from(raw.max_connections_per_address),
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    key,
                    message: "must be at least 1".into(),
                });
            }
        }
        Ok(Self {
            listen,
            public_url,
            data_dir: PathBuf::from(raw.data_dir),
            database_url,
            database_max_connections: raw.database_max_connections,
            region: raw.region,
            admin_key: raw.admin_key,
            master_key,
            smtp_url,
            email_from: raw.email_from,
            log_format: raw.log_format,
            password_hash,
            shutdown_timeout_secs: raw.shutdown_timeout_secs,
            trusted_proxies,
            password_hash_queue_depth: raw.password_hash_queue_depth as usize,
            request_body_timeout_secs: raw.request_body_timeout_secs,
            max_connections_per_address: raw.max_connections_per_address as usize,
            demo: false,
            account_id: raw.account_id,
            audit_retention_days: raw.audit_retention_days,
            federation_allow_private_networks: raw.federation_allow_private_networks,
        })
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let s = Settings::from_pairs(&[]).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.region, "local");
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(
            s.database_url,
            DatabaseUrl::Sqlite("sqlite://./data/cognate.db".into())
        );
        assert_eq!(s.password_hash, PasswordHashParams::OWASP);
        assert!(!s.federation_allow_private_networks);
        let s = Settings::from_pairs(&[("federation_allow_private_networks", "true")]).unwrap();
        assert!(s.federation_allow_private_networks);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = Settings::from_pairs(&[("listen", "nope")]).unwrap_err();
        assert!(err.to_string().contains("COGNATE_LISTEN"), "{err}");
        let err = Settings::from_pairs(&[("database_url", "mysql://x")]).unwrap_err();
        assert!(err.to_string().contains("COGNATE_DATABASE_URL"), "{err}");
        let err = Settings::from_pairs(&[("public_url", "::")]).unwrap_err();
        assert!(err.to_string().contains("COGNATE_PUBLIC_URL"), "{err}");
        let err = Settings::from_pairs(&[("region", "us_east")]).unwrap_err();
        assert!(err.to_string().contains("COGNATE_REGION"), "{err}");
    }

    #[test]
    fn unknown_toml_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9\"\nlisten_adress = \"x\"\n").unwrap();
        let err = Settings::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("listen_adress"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn numeric_text_values_stay_text() {
        let s =
            Settings::from_pairs(&[("admin_key", "1234567890123456"), ("region", "42")]).unwrap();
        assert_eq!(s.admin_key.unwrap().expose(), "1234567890123456");
        assert_eq!(s.region, "42");
        let s = Settings::from_pairs(&[("database_url", "postgres://u:hunter2@db/x")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Settings::from_pairs(&[("admin_key", "0123456789abcdef-secret")]).unwrap();
        assert!(!format!("{s:?}").contains("0123456789abcdef-secret"));
    }
}
