//! Reading the settings: defaults, then the optional TOML file, then the environment, and
//! each value checked before the service may use it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use url::Url;

use crate::config::raw::{KEYS, RawSettings};
use crate::config::settings::{ConfigError, DatabaseUrl, Settings};
use crate::crypto::password::PasswordHashParams;
use crate::crypto::sealed::MasterKey;
use crate::proxies::TrustedProxies;

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
