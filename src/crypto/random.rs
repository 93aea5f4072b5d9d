//! Identifiers and secrets from the operating system's CSPRNG.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::distributions::{Alphanumeric, Distribution, Uniform};
use rand::rngs::OsRng;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `n` characters of `[A-Za-z0-9]`.
pub fn alphanumeric(n: usize) -> String {
    Alphanumeric
        .sample_iter(OsRng)
        .take(n)
        .map(char::from)
        .collect()
}

/// `n` characters of `[a-z0-9]`.
pub fn lower_alphanumeric(n: usize) -> String {
    let dist = Uniform::from(0..LOWER_ALNUM.len());
    (0..n)
        .map(|_| char::from(LOWER_ALNUM[dist.sample(&mut OsRng)]))
        .collect()
}

/// `bytes` random bytes as unpadded base64url: secrets, keys and tokens.
pub fn token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut OsRng, &mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// One character drawn uniformly from `alphabet`.
pub fn pick(alphabet: &[u8]) -> char {
    let dist = Uniform::from(0..alphabet.len());
    char::from(alphabet[dist.sample(&mut OsRng)])
}

/// Shuffles in place with the CSPRNG.
pub fn shuffle<T>(items: &mut [T]) {
    rand::seq::SliceRandom::shuffle(items, &mut OsRng);
}
