//! Checks shared by every name, description and identifier an admin types in.

use crate::error::{Error, Result};

/// Characters that reorder or hide text: a name carrying them can look like another name.
pub(crate) fn is_deceptive(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Control (`Cc`) and text-direction characters, as a JSON Schema (ECMA-262) class body.
const CONTROL_OR_DECEPTIVE: &str =
    r"\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff";
/// The whitespace `trim` removes that is not a control character already.
const SPACES: &str = r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// What `free_text` refuses: controls but tab, CR and LF, and text-direction characters.
const NOT_FREE_TEXT: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff";

/// The JSON Schema `pattern` of what `name(_, _, max)` accepts.
pub fn name_pattern(max: usize) -> String {
    let (bad, space) = (CONTROL_OR_DECEPTIVE, SPACES);
    format!(
        "^[^{bad}{space}]([^{bad}]{{0,{}}}[^{bad}{space}])?$",
        max.saturating_sub(2)
    )
}

/// The `pattern` of a `name` that also has no whitespace at all (identifiers, usernames).
pub fn word_pattern(max: usize) -> String {
    format!("^[^{CONTROL_OR_DECEPTIVE}{SPACES}]{{1,{max}}}$")
}

/// The `pattern` of what `free_text(_, _, max)` accepts.
pub fn free_text_pattern(max: usize) -> String {
    format!("^[^{NOT_FREE_TEXT}]{{0,{max}}}$")
}

/// A human-readable name: 1..=max characters, no control or direction-changing characters,
/// no leading or trailing whitespace.
pub fn name(field: &str, value: &str, max: usize) -> Result<()> {
    let count = value.chars().count();
    if count == 0 {
        return Err(Error::validation(field, "must not be empty"));
    }
    if count > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() || is_deceptive(c)) {
        return Err(Error::validation(
            field,
            "must not contain control or text-direction characters",
        ));
    }
    if value.trim() != value {
        return Err(Error::validation(
            field,
            "must not start or end with whitespace",
        ));
    }
    Ok(())
}

/// Free text such as a description: may be empty, no control characters but line breaks.
pub fn free_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\r' && c != '\t') || is_deceptive(c))
    {
        return Err(Error::validation(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A single-line value that goes into a mail header: no CR or LF, ever.
pub fn header_line(field: &str, value: &str, max: usize) -> Result<()> {
    name(field, value, max)
}

/// A plausible email address: one `@`, a dotted domain, no whitespace or controls.
pub fn is_email(value: &str) -> bool {
    if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    // What the mailer cannot address is not an email address here either.
    value.parse::<lettre::Address>().is_ok()
        && !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !value.chars().any(is_deceptive)
        && !value.contains(['<', '>', '"', ',', ';', '(', ')', '[', ']', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(name("n", "Prod pool", 128).is_ok());
        assert!(name("n", "", 128).is_err());
        assert!(name("n", "a\0b", 128).is_err());
        assert!(name("n", "abc\u{202E}def", 128).is_err());
        assert!(name("n", " padded", 128).is_err());
        assert!(name("n", &"x".repeat(129), 128).is_err());
        assert!(name("n", "日本語", 3).is_ok());
    }

    #[test]
    fn emails() {
        assert!(is_email("a.b+c@example.com"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
        assert!(!is_email("a@example.com\r\nBcc: x@y.z"));
        assert!(!is_email("@example.com"));
        assert!(!is_email("a:b@example.com"));
        assert!(!is_email("user.@example.com"));
        assert!(!is_email("user@-example.com"));
    }
}
