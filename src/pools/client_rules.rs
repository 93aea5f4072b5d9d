//! What makes an app client's settings valid against its pool: URLs, flows, scopes,
//! attributes and token lifetimes, each refused with the field it names.

use crate::error::{Error, Result};
use crate::pools::client_config::{
    ACCESS_TOKEN_VALIDITY, ClientConfig, EXPLICIT_AUTH_FLOWS, ID_TOKEN_VALIDITY, MAX_URLS,
    OAUTH_FLOWS, REFRESH_TOKEN_VALIDITY, RETRY_GRACE_PERIOD_SECONDS, STANDARD_ATTRIBUTES,
    STANDARD_SCOPES,
};
use crate::pools::pool_config::PoolConfig;
use crate::pools::urls::validate_redirect_url;

impl ClientConfig {
    /// Checks every rule; returns the custom scopes as (resource server, scope name).
    pub(crate) fn validate(
        &self,
        pool: &PoolConfig,
        has_secret: bool,
        custom_scopes: &[(String, String)],
    ) -> Result<Vec<(String, String)>> {
        for (field, urls) in [
            ("callback_urls", &self.callback_urls),
            ("logout_urls", &self.logout_urls),
        ] {
            if urls.len() > MAX_URLS {
                return Err(Error::validation(field, format!("at most {MAX_URLS} URLs")));
            }
            for (i, url) in urls.iter().enumerate() {
                validate_redirect_url(&format!("{field}[{i}]"), url)?;
                if urls[..i].contains(url) {
                    return Err(Error::validation(
                        format!("{field}[{i}]"),
                        "is listed twice",
                    ));
                }
            }
        }
        if let Some(default) = &self.default_redirect_uri
            && !self.callback_urls.contains(default)
        {
            return Err(Error::validation(
                "default_redirect_uri",
                "must be one of callback_urls",
            ));
        }
        for flow in &self.allowed_oauth_flows {
            if !OAUTH_FLOWS.contains(&flow.as_str()) {
                return Err(Error::validation(
                    "allowed_oauth_flows",
                    format!("unknown flow `{flow}` (allowed: code, client_credentials)"),
                ));
            }
        }
        let has = |f: &str| self.allowed_oauth_flows.iter().any(|x| x == f);
        if has("client_credentials") && has("code") {
            return Err(Error::validation(
                "allowed_oauth_flows",
                "client_credentials cannot be combined with code",
            ));
        }
        if has("client_credentials") && !has_secret {
            return Err(Error::validation(
                "allowed_oauth_flows",
                "client_credentials requires a client secret (generate_secret: true)",
            ));
        }
        if has("code") && self.callback_urls.is_empty() {
            return Err(Error::validation(
                "callback_urls",
                "at least one callback URL is required for the code flow",
            ));
        }
        let mut custom = Vec::new();
        for scope in &self.allowed_oauth_scopes {
            if STANDARD_SCOPES.contains(&scope.as_str()) {
                if has("client_credentials") {
                    return Err(Error::validation(
                        "allowed_oauth_scopes",
                        format!(
                            "`{scope}` is a user scope; client_credentials clients take custom scopes only"
                        ),
                    ));
                }
                continue;
            }
            let parsed = scope.rsplit_once('/').filter(|(rs, name)| {
                custom_scopes
                    .iter()
                    .any(|(r, n)| r.as_str() == *rs && n.as_str() == *name)
            });
            match parsed {
                Some((rs, name)) => custom.push((rs.to_string(), name.to_string())),
                None => {
                    return Err(Error::validation(
                        "allowed_oauth_scopes",
                        format!(
                            "unknown scope `{}`",
                            scope.chars().take(300).collect::<String>()
                        ),
                    ));
                }
            }
        }
        custom.sort();
        if custom.windows(2).any(|w| w[0] == w[1])
            || self.allowed_oauth_scopes.len()
                != self
                    .allowed_oauth_scopes
                    .iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
        {
            return Err(Error::validation(
                "allowed_oauth_scopes",
                "a scope is listed twice",
            ));
        }
        if !RETRY_GRACE_PERIOD_SECONDS
            .contains(&self.refresh_token_rotation.retry_grace_period_seconds)
        {
            return Err(Error::validation(
                "refresh_token_rotation.retry_grace_period_seconds",
                "must be between 0 and 60",
            ));
        }
        for flow in &self.explicit_auth_flows {
            if !EXPLICIT_AUTH_FLOWS.contains(&flow.as_str()) {
                return Err(Error::validation(
                    "explicit_auth_flows",
                    format!("unknown flow `{flow}`"),
                ));
            }
        }
        for (field, value, range) in [
            (
                "access_token_validity",
                self.access_token_validity,
                ACCESS_TOKEN_VALIDITY,
            ),
            (
                "id_token_validity",
                self.id_token_validity,
                ID_TOKEN_VALIDITY,
            ),
            (
                "refresh_token_validity",
                self.refresh_token_validity,
                REFRESH_TOKEN_VALIDITY,
            ),
        ] {
            if !range.contains(&value) {
                return Err(Error::validation(
                    field,
                    format!(
                        "must be between {} and {} seconds",
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
        for (field, list) in [
            ("read_attributes", &self.read_attributes),
            ("write_attributes", &self.write_attributes),
        ] {
            for attr in list.iter().flatten() {
                let known = STANDARD_ATTRIBUTES.contains(&attr.as_str())
                    || attr
                        .strip_prefix("custom:")
                        .is_some_and(|n| pool.custom_attribute(n).is_some());
                if !known {
                    return Err(Error::validation(
                        field,
                        format!(
                            "unknown attribute `{}`",
                            attr.chars().take(300).collect::<String>()
                        ),
                    ));
                }
            }
        }
        Ok(custom)
    }
}

/// True when `id` has the shape of a client id; anything else cannot exist.
pub fn is_client_id(id: &str) -> bool {
    id.len() == 26
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}
