//! High-entropy secrets (admin keys, client secrets) are stored as SHA-256 digests and
//! compared in constant time. A slow hash adds nothing for 256-bit random values.

use subtle::ConstantTimeEq;

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Hex SHA-256 of a secret, as stored.
pub fn digest(secret: &str) -> String {
    let out = sha256(secret.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in out {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Compares a presented secret against a stored digest without an early exit.
pub fn matches(presented: &str, stored_digest: &str) -> bool {
    digest(presented)
        .as_bytes()
        .ct_eq(stored_digest.as_bytes())
        .into()
}

/// True if any stored digest matches; every candidate is compared, whatever the outcome.
pub fn matches_any<'a>(presented: &str, stored: impl IntoIterator<Item = &'a str>) -> bool {
    let presented = digest(presented);
    let mut found = subtle::Choice::from(0u8);
    for candidate in stored {
        found |= presented.as_bytes().ct_eq(candidate.as_bytes());
    }
    found.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_round_trip() {
        let d = digest("s3cret");
        assert!(matches("s3cret", &d));
        assert!(!matches("s3cret ", &d));
        assert!(matches_any("s3cret", ["x", d.as_str()]));
        assert!(!matches_any("nope", ["x", d.as_str()]));
    }
}
