//! A pool's password policy: checked before any password is hashed, one clear message per
//! failed rule; and temporary passwords that satisfy it.

use crate::crypto::random;
use crate::error::{Error, Result};
use crate::pools::pool_config::PasswordPolicy;

/// Longer passwords are refused: hashing cost grows with length, and no human needs more.
pub const MAX_LENGTH: usize = 256;
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!@#$%^&*-_=+?";

fn is_symbol(c: char) -> bool {
    c.is_ascii_punctuation() || c == ' '
}

/// Every rule the password breaks, in a fixed order; empty when it passes.
pub fn failed_rules(policy: &PasswordPolicy, password: &str) -> Vec<String> {
    let mut failed = Vec::new();
    let length = password.chars().count();
    if length < policy.minimum_length as usize {
        failed.push(format!(
            "must be at least {} characters",
            policy.minimum_length
        ));
    }
    if length > MAX_LENGTH {
        failed.push(format!("must be at most {MAX_LENGTH} characters"));
    }
    if policy.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
        failed.push("must contain an uppercase letter".into());
    }
    if policy.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
        failed.push("must contain a lowercase letter".into());
    }
    if policy.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        failed.push("must contain a number".into());
    }
    if policy.require_symbols && !password.chars().any(is_symbol) {
        failed.push("must contain a symbol".into());
    }
    if password.chars().any(|c| c.is_control()) {
        failed.push("must not contain control characters".into());
    }
    if password.starts_with(' ') || password.ends_with(' ') {
        failed.push("must not start or end with a space".into());
    }
    failed
}

/// Checks the policy; the error names the field and every failed rule.
pub fn check(field: &str, policy: &PasswordPolicy, password: &str) -> Result<()> {
    let failed = failed_rules(policy, password);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Password {
            field: field.into(),
            message: failed.join("; "),
        })
    }
}

/// A random temporary password that satisfies `policy`.
pub fn generate_temporary(policy: &PasswordPolicy) -> String {
    let length = (policy.minimum_length as usize).max(14);
    let mut chars = vec![
        random::pick(UPPER),
        random::pick(LOWER),
        random::pick(DIGITS),
        random::pick(SYMBOLS),
    ];
    let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS].concat();
    while chars.len() < length {
        chars.push(random::pick(&all));
    }
    random::shuffle(&mut chars);
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy() {
        let p = PasswordPolicy::default();
        assert!(check("password", &p, "Correct-horse-1").is_ok());
        let err = check("password", &p, "short").unwrap_err().to_string();
        assert!(
            err.starts_with("password: must be at least 8 characters"),
            "{err}"
        );
        assert!(err.contains("uppercase") && err.contains("number") && err.contains("symbol"));
        assert!(check("password", &p, " Correct-horse-1").is_err());
        assert!(check("password", &p, &"Aa1!".repeat(100)).is_err());
    }

    #[test]
    fn generated_passwords_pass_their_policy() {
        let p = PasswordPolicy {
            minimum_length: 30,
            ..PasswordPolicy::default()
        };
        for _ in 0..50 {
            let pw = generate_temporary(&p);
            assert_eq!(pw.len(), 30);
            assert!(failed_rules(&p, &pw).is_empty(), "{pw}");
        }
    }
}
