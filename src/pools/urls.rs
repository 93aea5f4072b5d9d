//! The URLs an admin configures: app clients' callback and sign-out URLs, and a pool's
//! logo. One rule for all of them, so a URL refused in one place is refused in each.

use crate::error::{Error, Result};
use crate::pools::text;

pub const URL_MAX_LENGTH: usize = 1024;

/// Callback and sign-out URLs: absolute; `https`, `http` only on loopback hosts, or an app's
/// own scheme; never a fragment. Stored exactly as given, since matching is exact.
pub fn validate_redirect_url(field: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > URL_MAX_LENGTH {
        return Err(Error::validation(
            field,
            format!("must be 1-{URL_MAX_LENGTH} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || text::is_deceptive(c))
    {
        return Err(Error::validation(
            field,
            "must not contain whitespace, control or invisible characters",
        ));
    }
    let url =
        url::Url::parse(value).map_err(|_| Error::validation(field, "must be an absolute URL"))?;
    if url.fragment().is_some() || value.contains('#') {
        return Err(Error::validation(field, "must not contain a fragment"));
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if !loopback {
                return Err(Error::validation(
                    field,
                    "http is allowed only for localhost and 127.0.0.1; use https",
                ));
            }
        }
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" | "ftp" | "ws" | "wss" => {
            return Err(Error::validation(
                field,
                format!("the `{}` scheme is not allowed", url.scheme()),
            ));
        }
        _ => {}
    }
    if matches!(url.scheme(), "http" | "https") && url.host().is_none() {
        return Err(Error::validation(field, "must name a host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_urls() {
        assert!(validate_redirect_url("u", "https://app.example.com/cb").is_ok());
        assert!(validate_redirect_url("u", "http://localhost:3000/cb").is_ok());
        assert!(validate_redirect_url("u", "http://127.0.0.1/cb").is_ok());
        assert!(validate_redirect_url("u", "myapp://callback").is_ok());
        assert!(validate_redirect_url("u", "http://example.com/cb").is_err());
        assert!(validate_redirect_url("u", "https://app.example.com/cb#x").is_err());
        assert!(validate_redirect_url("u", "javascript:alert(1)").is_err());
        assert!(validate_redirect_url("u", "/relative").is_err());
        assert!(validate_redirect_url("u", "https://a.example.com/\ncb").is_err());
    }
}
