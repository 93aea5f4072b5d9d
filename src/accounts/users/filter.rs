//! Cognito's user-list filter: `attr = "value"` (exact) or `attr ^= "value"` (prefix).

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Username,
    Email,
    PhoneNumber,
    Name,
    GivenName,
    FamilyName,
    PreferredUsername,
    Status,
    /// Cognito's `status = "Enabled"` / `"Disabled"`: the enabled flag, not the state.
    Enabled,
    Sub,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Exact(String),
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub attribute: Attribute,
    pub matches: Match,
}

impl Attribute {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "username" => Self::Username,
            "email" => Self::Email,
            "phone_number" => Self::PhoneNumber,
            "name" => Self::Name,
            "given_name" => Self::GivenName,
            "family_name" => Self::FamilyName,
            "preferred_username" => Self::PreferredUsername,
            "status" | "cognito:user_status" => Self::Status,
            "sub" => Self::Sub,
            _ => return None,
        })
    }
}

fn invalid(message: &str) -> Error {
    Error::validation("filter", message)
}

/// Parses `attr = "value"` or `attr ^= "value"`; inside the quotes `\"` and `\\` escape.
pub fn parse(input: &str) -> Result<Filter> {
    if input.len() > 1024 {
        return Err(invalid("must be at most 1024 characters"));
    }
    let input = input.trim();
    let name_end = input
        .find(|c: char| c.is_whitespace() || c == '=' || c == '^')
        .ok_or_else(|| invalid("expected attr = \"value\" or attr ^= \"value\""))?;
    let attribute = Attribute::parse(&input[..name_end]).ok_or_else(|| {
        invalid("attribute must be one of username, email, phone_number, name, given_name, family_name, preferred_username, status, sub")
    })?;
    let rest = input[name_end..].trim_start();
    let (prefix, rest) = if let Some(r) = rest.strip_prefix("^=") {
        (true, r)
    } else if let Some(r) = rest.strip_prefix('=') {
        (false, r)
    } else {
        return Err(invalid("operator must be = or ^="));
    };
    let rest = rest.trim_start();
    let body = rest
        .strip_prefix('"')
        .ok_or_else(|| invalid("the value must be in double quotes"))?;
    let mut value = String::new();
    let mut chars = body.chars();
    loop {
        match chars.next() {
            None => return Err(invalid("unterminated quoted value")),
            Some('"') => break,
            Some('\\') => match chars.next() {
                Some(c @ ('"' | '\\')) => value.push(c),
                _ => return Err(invalid("only \\\" and \\\\ may be escaped")),
            },
            Some(c) if c.is_control() => return Err(invalid("control characters are not allowed")),
            Some(c) => value.push(c),
        }
    }
    if !chars.as_str().trim().is_empty() {
        return Err(invalid("unexpected text after the value"));
    }
    // `status` is the enabled flag in Cognito's spelling (`Enabled`, `Disabled`), and the
    // user's state otherwise, as `cognito:user_status` always is.
    let attribute =
        if &input[..name_end] == "status" && matches!(value.as_str(), "Enabled" | "Disabled") {
            if prefix {
                return Err(invalid("status takes = \"Enabled\" or = \"Disabled\""));
            }
            Attribute::Enabled
        } else {
            attribute
        };
    Ok(Filter {
        attribute,
        matches: if prefix {
            Match::Prefix(value)
        } else {
            Match::Exact(value)
        },
    })
}

/// The smallest string greater than every string starting with `prefix` (bytewise), or
/// `None` when no such bound exists. Turns a prefix match into an index range.
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cognito_filters() {
        let f = parse(r#"email = "a@example.com""#).unwrap();
        assert_eq!(f.attribute, Attribute::Email);
        assert_eq!(f.matches, Match::Exact("a@example.com".into()));
        let f = parse(r#"  family_name^="O\"Br" "#).unwrap();
        assert_eq!(f.matches, Match::Prefix("O\"Br".into()));
        assert!(parse("email = a").is_err());
        assert!(parse(r#"password = "x""#).is_err());
        assert!(parse(r#"email = "x" or 1=1"#).is_err());
        assert!(parse(r#"email = "x"#).is_err());
    }

    #[test]
    fn prefix_bounds() {
        assert_eq!(prefix_upper_bound("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound(""), None);
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
    }
}
