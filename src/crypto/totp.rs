//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 6 digits,
//! 30-second steps, one step of clock drift either way, as authenticator apps and Cognito
//! use them. The HMAC is aws-lc-rs's, so the service keeps one crypto library; the tests
//! check codes with the independent `totp-rs` crate and RFC 6238's own vectors.

use aws_lc_rs::hmac;
use subtle::ConstantTimeEq;

use crate::clock::Millis;

pub const STEP_SECS: i64 = 30;
pub const DIGITS: u32 = 6;
/// 160 bits, RFC 4226's recommended length.
pub const SECRET_BYTES: usize = 20;

/// The step a moment falls in.
pub fn step_at(now: Millis) -> i64 {
    now.div_euclid(1000).div_euclid(STEP_SECS)
}

/// The code of `step` (RFC 4226 §5.3's dynamic truncation), as a number below 10^6.
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = (u32::from(mac[offset]) & 0x7f) << 24
        | u32::from(mac[offset + 1]) << 16
        | u32::from(mac[offset + 2]) << 8
        | u32::from(mac[offset + 3]);
    binary % 10u32.pow(DIGITS)
}

/// The step `typed` is the code of, among the current step and one either side, if it is
/// later than `last_used` (a code is good once: a replay in its window is refused). Every
/// candidate is compared, in constant time, whatever matches.
pub fn accepted_step(
    secret: &[u8],
    typed: &str,
    now: Millis,
    last_used: Option<i64>,
) -> Option<i64> {
    let typed = typed.trim();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut found = None;
    for step in [current - 1, current, current + 1] {
        let expected = format!("{:06}", code_at(secret, step));
        let same: bool = expected.as_bytes().ct_eq(typed.as_bytes()).into();
        if same && last_used.is_none_or(|used| step > used) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// A fresh secret from the CSPRNG.
pub fn new_secret() -> [u8; SECRET_BYTES] {
    let mut secret = [0u8; SECRET_BYTES];
    crate::crypto::random::fill(&mut secret);
    secret
}

/// RFC 4648 base32 without padding, as authenticator apps take a typed secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..symbols {
            let index = (bits >> (35 - i * 5)) & 31;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// The `otpauth://` URI (Google Authenticator's key URI format) an app scans.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 Appendix B: the SHA-1 secret "12345678901234567890", 8-digit codes; the
    // last 6 digits are the 6-digit codes.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_vectors() {
        for (unix, eight) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(
                code_at(RFC_SECRET, unix / STEP_SECS),
                eight % 1_000_000,
                "{unix}"
            );
        }
    }

    #[test]
    fn one_step_either_way_once_each() {
        let now: Millis = 1_790_000_015_000;
        let step = step_at(now);
        let code = |s: i64| format!("{:06}", code_at(RFC_SECRET, s));
        assert_eq!(
            accepted_step(RFC_SECRET, &code(step), now, None),
            Some(step)
        );
        assert_eq!(
            accepted_step(RFC_SECRET, &code(step - 1), now, None),
            Some(step - 1)
        );
        assert_eq!(
            accepted_step(RFC_SECRET, &code(step + 1), now, None),
            Some(step + 1)
        );
        // Two steps off is too far.
        assert_eq!(accepted_step(RFC_SECRET, &code(step - 2), now, None), None);
        assert_eq!(accepted_step(RFC_SECRET, &code(step + 2), now, None), None);
        // A replay, or an older code after a newer one, is refused.
        assert_eq!(
            accepted_step(RFC_SECRET, &code(step), now, Some(step)),
            None
        );
        assert_eq!(
            accepted_step(RFC_SECRET, &code(step - 1), now, Some(step)),
            None
        );
        assert_eq!(
            accepted_step(RFC_SECRET, &code(step + 1), now, Some(step)),
            Some(step + 1)
        );
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "１２３４５６",
            "\0\0\0\0\0\0",
        ] {
            assert_eq!(accepted_step(RFC_SECRET, bad, now, None), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_and_the_key_uri() {
        // RFC 4648 §10.
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = otpauth_uri("My Shop", "ada@example.com", RFC_SECRET);
        assert!(uri.starts_with("otpauth://totp/My%20Shop:ada%40example%2Ecom?secret=GEZD"));
        assert!(uri.ends_with("&issuer=My%20Shop&algorithm=SHA1&digits=6&period=30"));
        assert_eq!(new_secret().len(), 20);
    }
}
