//! The `scope` parameter (RFC 6749 §3.3): distinct scopes, in order.

use crate::tokens::OAuthError;

/// Splits a `scope` parameter into distinct scopes, in order.
pub fn parse_scopes(scope: &str) -> Result<Vec<String>, OAuthError> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if s.len() > 512
            || !s
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        {
            return Err(OAuthError::InvalidScope("malformed scope".into()));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// The scopes a request asks for (`scope`) out of `allowed`, or all of `allowed` when it
/// asks for none; `invalid_scope`, naming the first it may not have, with `refusal`.
pub fn narrowed(
    scope: Option<&str>,
    allowed: &[String],
    refusal: &str,
) -> Result<Vec<String>, OAuthError> {
    match scope.map(parse_scopes).transpose()? {
        Some(asked) if !asked.is_empty() => {
            if let Some(bad) = asked.iter().find(|s| !allowed.contains(s)) {
                return Err(OAuthError::InvalidScope(format!("`{bad}` {refusal}")));
            }
            Ok(asked)
        }
        _ => Ok(allowed.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_split_and_deduplicated() {
        assert_eq!(
            parse_scopes("openid  email openid").unwrap(),
            vec!["openid", "email"]
        );
        assert!(parse_scopes("a\"b").is_err());
    }
}
