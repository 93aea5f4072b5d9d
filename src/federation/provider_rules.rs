//! What makes an identity provider's settings valid: its name, issuer, scopes, attribute
//! mapping and routing identifiers, and their limits.

use std::collections::BTreeMap;

use crate::accounts::attributes;
use crate::domain::COGNITO;
use crate::error::{Error, Result};

// The limits below are checked here and written into the OpenAPI document from here.
pub const NAME_MAX: usize = 32;
pub const MAX_PER_POOL: i64 = crate::domain::MAX_IDENTITY_PROVIDERS;
pub const MAX_IDENTIFIERS: usize = 50;
pub const IDENTIFIER_MAX: usize = 40;
pub const MAX_MAPPINGS: usize = 50;
pub const CLAIM_MAX: usize = 128;
pub const URL_MAX: usize = 2048;
pub const CLIENT_ID_MAX: usize = 256;
pub const SECRET_MAX: usize = 1024;
pub const DEFAULT_SCOPES: &str = "openid email profile";

pub(super) fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= NAME_MAX
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    // No `_`: a federated username is `<name>_<subject>`, which must split one way only.
    if !ok {
        return Err(Error::validation(
            "name",
            "must be 1-32 letters, digits, `.` or `-`, starting with a letter or digit",
        ));
    }
    if name.eq_ignore_ascii_case(COGNITO) {
        return Err(Error::validation(
            "name",
            "COGNITO is the pool's own sign-in",
        ));
    }
    Ok(())
}

pub(super) fn visible(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() || value.len() > max || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::validation(
            field,
            format!("must be 1-{max} visible ASCII characters"),
        ));
    }
    Ok(())
}

pub(super) fn validate_issuer(issuer: &str) -> Result<()> {
    let field = "details.issuer";
    visible(field, issuer, URL_MAX)?;
    let url = url::Url::parse(issuer)
        .map_err(|e| Error::validation(field, format!("is not a URL: {e}")))?;
    crate::federation::http::check_url(&url).map_err(|why| Error::validation(field, why))?;
    if url.query().is_some() {
        return Err(Error::validation(field, "must not have a query"));
    }
    Ok(())
}

pub(super) fn validate_scopes(scopes: &str) -> Result<()> {
    let field = "details.authorize_scopes";
    if scopes.len() > URL_MAX {
        return Err(Error::validation(field, "is too long"));
    }
    let list: Vec<&str> = scopes.split(' ').collect();
    let bad = |s: &&str| {
        s.is_empty()
            || !s
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    };
    if list.iter().any(bad) {
        return Err(Error::validation(
            field,
            "must be scopes separated by single spaces",
        ));
    }
    if !list.contains(&"openid") {
        return Err(Error::validation(field, "must include `openid`"));
    }
    Ok(())
}

pub(super) fn validate_method(method: &str) -> Result<()> {
    if method != "GET" && method != "POST" {
        return Err(Error::validation(
            "details.attributes_request_method",
            "must be GET or POST",
        ));
    }
    Ok(())
}

pub(super) fn validate_mapping(
    pool: &crate::pools::PoolConfig,
    mapping: &BTreeMap<String, String>,
) -> Result<()> {
    if mapping.len() > MAX_MAPPINGS {
        return Err(Error::validation(
            "attribute_mapping",
            format!("at most {MAX_MAPPINGS} attributes"),
        ));
    }
    for (attribute, claim) in mapping {
        let field = format!(
            "attribute_mapping.{}",
            attribute.chars().take(64).collect::<String>()
        );
        if attribute != "username" && !attributes::is_mappable(pool, attribute) {
            return Err(Error::validation(
                field,
                "is not an attribute of this pool that a provider may set",
            ));
        }
        visible(&field, claim, CLAIM_MAX)?;
    }
    Ok(())
}

/// Identifiers as stored: lowercase, each once.
pub(super) fn normalise_identifiers(given: &[String]) -> Result<Vec<String>> {
    if given.len() > MAX_IDENTIFIERS {
        return Err(Error::validation(
            "idp_identifiers",
            format!("at most {MAX_IDENTIFIERS} identifiers"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for (i, raw) in given.iter().enumerate() {
        let id = raw.to_ascii_lowercase();
        let ok = !id.is_empty()
            && id.len() <= IDENTIFIER_MAX
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-+=@".contains(&b));
        if !ok {
            return Err(Error::validation(
                format!("idp_identifiers[{i}]"),
                "must be 1-40 letters, digits or `._-+=@`",
            ));
        }
        if out.contains(&id) {
            return Err(Error::validation(
                format!("idp_identifiers[{i}]"),
                format!("`{id}` is listed twice"),
            ));
        }
        out.push(id);
    }
    Ok(out)
}
