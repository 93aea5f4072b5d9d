//! Identifiers and secrets from the operating system's CSPRNG, through aws-lc-rs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Fills `buf` from the CSPRNG. The system generator does not fail once the process has
/// started (aws-lc-rs seeds it at first use); if it ever did, nothing secret could be
/// made, so this stops the request rather than hand out a predictable value.
pub fn fill(buf: &mut [u8]) {
    aws_lc_rs::rand::fill(buf).expect("the system random number generator failed");
}

/// A uniform index below `n` (`n` ≤ 256), by rejection sampling: no modulo bias.
fn index(n: usize) -> usize {
    let limit = 256 - (256 % n);
    loop {
        let mut byte = [0u8; 1];
        fill(&mut byte);
        if usize::from(byte[0]) < limit {
            return usize::from(byte[0]) % n;
        }
    }
}

/// One character drawn uniformly from `alphabet` (at most 256 symbols).
pub fn pick(alphabet: &[u8]) -> char {
    char::from(alphabet[index(alphabet.len())])
}

/// `n` characters of `[A-Za-z0-9]`.
pub fn alphanumeric(n: usize) -> String {
    (0..n).map(|_| pick(ALNUM)).collect()
}

/// `n` characters of `[a-z0-9]`.
pub fn lower_alphanumeric(n: usize) -> String {
    (0..n).map(|_| pick(LOWER_ALNUM)).collect()
}

/// `bytes` random bytes as unpadded base64url: secrets, keys and tokens.
pub fn token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A uniform number below `n`, for codes (`n` ≤ 2³²).
pub fn below(n: u32) -> u32 {
    let n = u64::from(n);
    let limit = (1u64 << 32) - ((1u64 << 32) % n);
    loop {
        let mut bytes = [0u8; 4];
        fill(&mut bytes);
        let value = u64::from(u32::from_le_bytes(bytes));
        if value < limit {
            return (value % n) as u32;
        }
    }
}

/// Shuffles in place with the CSPRNG (Fisher–Yates).
pub fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(u32::try_from(i + 1).unwrap_or(u32::MAX)) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_their_alphabets_and_ranges() {
        assert!(alphanumeric(64).bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(
            lower_alphanumeric(64)
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert!((0..1000).all(|_| below(10) < 10));
        assert_eq!(token(32).len(), 43);
        let mut items: Vec<u32> = (0..50).collect();
        shuffle(&mut items);
        items.sort();
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }
}
