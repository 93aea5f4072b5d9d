//! Cognito's SRP (`USER_SRP_AUTH`), the server's half: the arithmetic and hashing that
//! amazon-cognito-identity-js, pycognito and AWS's Java and .NET helpers do on the client,
//! mirrored so that the `PASSWORD_CLAIM_SIGNATURE` they compute can be checked here. Pure
//! math: no HTTP, no storage.
//!
//! # The computation
//!
//! SRP-6a over the 3072-bit MODP group of RFC 3526 §5, g = 2, H = SHA-256, with Cognito's
//! encoding of numbers for hashing:
//!
//! - `PAD(x)`: the minimal big-endian bytes of x, with one `00` byte in front when the top
//!   bit is set (the JS SDK's `padHex`, Java's `BigInteger.toByteArray()`); zero is one `00`
//!   byte. Never padded to N's length. Hashes are over these bytes, not over hex text.
//! - `k = H(PAD(N) | PAD(g))`
//! - `x = H(PAD(salt) | H(poolName | userIdForSrp | ":" | password))`, `v = g^x mod N`
//! - `B = (k·v + g^b) mod N`, b a fresh 256-bit secret
//! - `u = H(PAD(A) | PAD(B))`, refused when 0; `S = (A · v^u)^b mod N`
//! - `key = HKDF-SHA256(salt = PAD(u), ikm = PAD(S), info = "Caldera Derived Key")`, 16 bytes
//! - `PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(key, poolName | userIdForSrp |
//!   secretBlock | TIMESTAMP))`
//!
//! The salt is a number to the clients: they parse the `SALT` hex into a big integer and
//! `PAD` it, so a salt's leading zero bytes do not count and a high first byte gains a `00`.
//! `x` here hashes `PAD(salt)` the same way, and [`hex`] sends the salt in that form.
//!
//! # API
//!
//! All numbers are big-endian bytes; leading zero bytes are allowed on input.
//!
//! - [`make_verifier`]`(pool_name, user_id, password) -> Verifier`: a random 16-byte salt and
//!   v (384 bytes). [`verifier_with_salt`] is the same with a given salt.
//! - [`server_ephemeral`]`(verifier) -> ServerEphemeral`: b and B for one challenge. A
//!   verifier that is not a number below 2^3072 still gets a challenge, but
//!   [`session_key`] refuses it, so the sign-in fails like a wrong password.
//! - [`parse_client_public`]`(SRP_A) -> Option<Vec<u8>>`: `None` for empty, non-hex or
//!   over-long text, and for A ≡ 0 (mod N). The value is A as sent (384 bytes), not reduced.
//! - [`session_key`]`(a, ephemeral, verifier) -> Option<[u8; 16]>`: `None` when u = 0 or an
//!   input is malformed.
//! - [`claim_signature`]`(key, pool_name, user_id, secret_block, timestamp) -> [u8; 32]` and
//!   [`claim_matches`]`(expected, PASSWORD_CLAIM_SIGNATURE) -> bool` (constant time).
//! - [`hex`]`(bytes) -> String`: the lowercase `padHex` text that `SALT` and `SRP_B` are sent as.
//! - [`format_timestamp`]`(epoch_millis)` and [`parse_timestamp`]`(TIMESTAMP)`: the
//!   `Tue Dec 1 08:22:07 UTC 2026` shape, day not zero-padded. Parsing takes that shape
//!   only: Cognito refuses a zero-padded day and a wrong weekday, and no client sends them.
//! - [`warm_up`]`()`: builds the group constants and the 384 KiB table for powers of g
//!   (tens of milliseconds, once) so that the first sign-in does not pay for them.
//!
//! `group` holds the group and its number encoding, `timestamp` the `TIMESTAMP` shape.

mod group;
#[cfg(test)]
mod tests;
mod timestamp;

use aws_lc_rs::{hkdf, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_bigint::{U256, U3072};
use subtle::ConstantTimeEq as _;

pub use group::warm_up;
use group::{GROUP, Monty, N_BYTES, be_bytes, from_be, left_padded, pad, pow_g, random, sha256};
pub use timestamp::{format_timestamp, parse_timestamp};

/// b's length: twice the 128-bit strength of a 3072-bit group, as NIST SP 800-56A allows
/// for safe-prime groups; every further bit costs a squaring on the sign-in path.
const SECRET_BYTES: usize = 32;
const SALT_BYTES: usize = 16;
/// `SRP_A` text allowed: N's 768 digits and a few leading zeros, no more (a longer one is
/// refused before any arithmetic).
const MAX_PUBLIC_HEX: usize = 2 * N_BYTES + 8;
const KEY_INFO: &[u8] = b"Caldera Derived Key";

/// The SRP record kept for a user: the salt and v = g^x mod N.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub salt: Vec<u8>,
    pub verifier: Vec<u8>,
}

impl std::fmt::Debug for Verifier {
    // v is as good as a password hash to an offline guesser: keep it out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("salt", &hex(&self.salt))
            .finish_non_exhaustive()
    }
}

/// The server's values for one challenge: the secret b and the public B.
#[derive(Clone)]
pub struct ServerEphemeral {
    pub secret: Vec<u8>,
    pub public: Vec<u8>,
}

impl std::fmt::Debug for ServerEphemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerEphemeral")
            .field("public", &hex(&self.public))
            .finish_non_exhaustive()
    }
}

/// A fresh verifier with a random 16-byte salt (what the JS SDK uses for device verifiers).
pub fn make_verifier(pool_name: &str, user_id: &str, password: &str) -> Verifier {
    let mut salt = [0u8; SALT_BYTES];
    random(&mut salt);
    verifier_with_salt(pool_name, user_id, password, &salt)
}

/// The verifier for a given salt, as stored bytes.
pub fn verifier_with_salt(pool_name: &str, user_id: &str, password: &str, salt: &[u8]) -> Verifier {
    let v = pow_g(&password_exponent(pool_name, user_id, password, salt)).retrieve();
    Verifier {
        salt: salt.to_vec(),
        verifier: be_bytes(&v).to_vec(),
    }
}

/// A fresh b and B = (k·v + g^b) mod N for a PASSWORD_VERIFIER challenge.
pub fn server_ephemeral(verifier: &[u8]) -> ServerEphemeral {
    let group = &*GROUP;
    // A malformed verifier gets a B that no password answers; `session_key` refuses it.
    let v = from_be(verifier).unwrap_or(U3072::ZERO);
    let kv = group.k.mul(&Monty::new(&v, &group.params));
    loop {
        let mut secret = [0u8; SECRET_BYTES];
        random(&mut secret);
        let public = kv.add(&pow_g(&secret)).retrieve();
        // B ≡ 0 would let anyone answer; the odds are 2^-3072 but the check is free.
        if !public.is_zero_vartime() {
            return ServerEphemeral {
                secret: secret.to_vec(),
                public: be_bytes(&public).to_vec(),
            };
        }
    }
}

/// `SRP_A` as the client sent it (hex, any case, odd length allowed: the JS SDK sends
/// `A.toString(16)`). `None` when it is not a number below 2^3072 or when A ≡ 0 (mod N),
/// which would make S = 0 whatever the password.
pub fn parse_client_public(a_hex: &str) -> Option<Vec<u8>> {
    if a_hex.is_empty() || a_hex.len() > MAX_PUBLIC_HEX {
        return None;
    }
    let digits = a_hex.trim_start_matches('0');
    if digits.len() > 2 * N_BYTES {
        return None;
    }
    let mut bytes = vec![0u8; N_BYTES];
    let start = N_BYTES * 2 - digits.len();
    for (i, c) in digits.bytes().enumerate() {
        let nibble = char::from(c).to_digit(16)? as u8;
        let at = start + i;
        bytes[at / 2] |= if at.is_multiple_of(2) {
            nibble << 4
        } else {
            nibble
        };
    }
    let a = U3072::from_be_slice(&bytes);
    if a.rem_vartime(&GROUP.n).is_zero_vartime() {
        return None;
    }
    Some(bytes)
}

/// The 16-byte key both sides derive, or `None` when u = 0 (the client's A was chosen
/// against B), when A ≡ 0 (mod N), or when a value is longer than N.
pub fn session_key(a: &[u8], eph: &ServerEphemeral, verifier: &[u8]) -> Option<[u8; 16]> {
    let group = &*GROUP;
    let big_a = from_be(a)?.rem_vartime(&group.n);
    if big_a.is_zero_vartime() {
        return None;
    }
    // B as stored must be a number below 2^3072, as the client read it.
    from_be(&eph.public)?;
    let u = sha256(&[&pad(a), &pad(&eph.public)]);
    let u_int = U256::from_be_slice(&u);
    if u_int.is_zero_vartime() {
        return None;
    }
    if eph.secret.len() > N_BYTES {
        return None;
    }
    // The exponent's length is the secret's byte length, never its value.
    let b = left_padded(&eph.secret);
    let v = Monty::new(&from_be(verifier)?, &group.params);
    let base = Monty::new(&big_a, &group.params).mul(&v.pow_bounded_exp(&u_int, 256));
    let s = base
        .pow_bounded_exp(&b, 8 * eph.secret.len() as u32)
        .retrieve();
    derive_key(&u, &be_bytes(&s))
}

/// The `PASSWORD_CLAIM_SIGNATURE` bytes expected for this challenge and `TIMESTAMP`.
pub fn claim_signature(
    key: &[u8; 16],
    pool_name: &str,
    user_id: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(pool_name.as_bytes());
    ctx.update(user_id.as_bytes());
    ctx.update(secret_block);
    ctx.update(timestamp.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// Whether the client's base64 `PASSWORD_CLAIM_SIGNATURE` is `expected`, compared in
/// constant time. Standard base64 with padding, as every client sends it.
pub fn claim_matches(expected: &[u8; 32], presented_base64: &str) -> bool {
    // 32 bytes are 44 characters; anything much longer is not worth decoding.
    if presented_base64.len() > 64 {
        return false;
    }
    let Ok(presented) = STANDARD.decode(presented_base64) else {
        return false;
    };
    expected[..].ct_eq(&presented[..]).into()
}

/// `padHex` of a big-endian number, lowercase: how `SALT` and `SRP_B` are sent. Every
/// client reads this text to the same bytes (pycognito keeps the text as it is, the others
/// parse a number and pad it again; both give `PAD`).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let padded = pad(bytes);
    let mut out = String::with_capacity(2 * padded.len());
    for b in padded {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// x as a 256-bit big-endian exponent: H(PAD(salt) | H(poolName | userId | ":" | password)).
fn password_exponent(pool_name: &str, user_id: &str, password: &str, salt: &[u8]) -> [u8; 32] {
    let inner = sha256(&[
        pool_name.as_bytes(),
        user_id.as_bytes(),
        b":",
        password.as_bytes(),
    ]);
    sha256(&[&pad(salt), &inner])
}

/// HKDF-SHA256(salt = PAD(u), ikm = PAD(S), info = "Caldera Derived Key"), first 16 bytes.
fn derive_key(u: &[u8], s: &[u8]) -> Option<[u8; 16]> {
    struct Len16;
    impl hkdf::KeyType for Len16 {
        fn len(&self) -> usize {
            16
        }
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &pad(u)).extract(&pad(s));
    let mut key = [0u8; 16];
    prk.expand(&[KEY_INFO], Len16).ok()?.fill(&mut key).ok()?;
    Some(key)
}
