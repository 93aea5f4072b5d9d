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

use std::sync::LazyLock;

use aws_lc_rs::{digest, hkdf, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate};
use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{NonZero, Odd, U256, U3072, Word};
use subtle::ConstantTimeEq as _;

/// RFC 3526 §5, the 3072-bit MODP group (the `initN` of every Cognito client).
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

const LIMBS: usize = U3072::LIMBS;
/// N's length in bytes; every number here fits in it.
const N_BYTES: usize = 384;
/// b's length: twice the 128-bit strength of a 3072-bit group, as NIST SP 800-56A allows
/// for safe-prime groups; every further bit costs a squaring on the sign-in path.
const SECRET_BYTES: usize = 32;
/// g^e for 256-bit exponents (b and x) goes by a table: 4 bits of e per row.
const G_WINDOWS: usize = 64;
const SALT_BYTES: usize = 16;
/// `SRP_A` text allowed: N's 768 digits and a few leading zeros, no more (a longer one is
/// refused before any arithmetic).
const MAX_PUBLIC_HEX: usize = 2 * N_BYTES + 8;
const KEY_INFO: &[u8] = b"Caldera Derived Key";

type Monty = FixedMontyForm<LIMBS>;

struct Group {
    params: FixedMontyParams<LIMBS>,
    n: NonZero<U3072>,
    g: Monty,
    k: Monty,
}

/// Montgomery parameters and the constants in Montgomery form, computed once.
static GROUP: LazyLock<Group> = LazyLock::new(|| {
    let n = Odd::<U3072>::from_be_hex(N_HEX);
    // N is public, so the variable-time set-up leaks nothing.
    let params = FixedMontyParams::new_vartime(n);
    let n = *n.as_ref();
    let k = sha256(&[&pad(&be_bytes(&n)), &pad(&[2])]);
    Group {
        params,
        n: NonZero::<U3072>::new_unwrap(n),
        g: Monty::new(&U3072::from_u8(2), &params),
        k: Monty::new(&U256::from_be_slice(&k).resize(), &params),
    }
});

/// Row i holds g^(j·16^i) for j in 0..16, in Montgomery form: 384 KiB, built once (about
/// 1000 multiplications), after which g^e costs 64 multiplications instead of about 330.
static G_TABLE: LazyLock<Vec<[U3072; 16]>> = LazyLock::new(|| {
    let group = &*GROUP;
    let mut table = Vec::with_capacity(G_WINDOWS);
    let mut base = group.g;
    for _ in 0..G_WINDOWS {
        let mut row = [U3072::ZERO; 16];
        let mut power = Monty::one(&group.params);
        for entry in row.iter_mut() {
            *entry = *power.as_montgomery();
            power = power.mul(&base);
        }
        // power is now base^16, the next row's base.
        base = power;
        table.push(row);
    }
    table
});

/// g^e mod N for a 256-bit big-endian e, in constant time: every row is read whole.
fn pow_g(e: &[u8; 32]) -> Monty {
    let group = &*GROUP;
    let mut acc = Monty::one(&group.params);
    for (i, row) in G_TABLE.iter().enumerate() {
        let byte = e[31 - i / 2];
        let digit = if i.is_multiple_of(2) {
            byte & 0x0f
        } else {
            byte >> 4
        };
        let mut words = [0 as Word; LIMBS];
        for (j, entry) in row.iter().enumerate() {
            let hit = (j as u8).ct_eq(&digit).unwrap_u8();
            let mask = (0 as Word).wrapping_sub(Word::from(hit));
            for (word, &w) in words.iter_mut().zip(entry.as_words()) {
                *word |= w & mask;
            }
        }
        acc = acc.mul(&Monty::from_montgomery(
            U3072::from_words(words),
            &group.params,
        ));
    }
    acc
}

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

/// Builds what the first SRP call would otherwise build: call it at start-up.
pub fn warm_up() {
    LazyLock::force(&G_TABLE);
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

/// `Tue Dec 1 08:22:07 UTC 2026`: the JS SDK's `DateHelper` shape (Java's
/// `EEE MMM d HH:mm:ss z yyyy`), day not zero-padded.
pub fn format_timestamp(epoch_millis: i64) -> String {
    // Out of chrono's range only for a clock hundreds of millennia off: show the epoch.
    let at = DateTime::from_timestamp_millis(epoch_millis).unwrap_or_default();
    at.format("%a %b %-d %H:%M:%S UTC %Y").to_string()
}

/// A `TIMESTAMP` in exactly [`format_timestamp`]'s shape, as epoch milliseconds. A
/// zero-padded day, a weekday that is not the date's, or any other spelling is `None`, as
/// Cognito refuses them.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = s.split(' ');
    let (_weekday, month, day, time, zone, year) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || zone != "UTC" {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let day = number(day, 1, 2)?;
    let mut hms = time.split(':');
    let (hour, minute, second) = (
        number(hms.next()?, 2, 2)?,
        number(hms.next()?, 2, 2)?,
        number(hms.next()?, 2, 2)?,
    );
    if hms.next().is_some() {
        return None;
    }
    let year = i32::try_from(number(year, 4, 4)?).ok()?;
    let ms = NaiveDate::from_ymd_opt(year, month, day)?
        .and_hms_opt(hour, minute, second)?
        .and_utc()
        .timestamp_millis();
    // Writing it back must give the same text: that checks the weekday and the unpadded day.
    (format_timestamp(ms) == s).then_some(ms)
}

/// ASCII digits only (no sign), `min..=max` of them.
fn number(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
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

/// Cognito's `PAD`: minimal big-endian bytes, a `00` in front when the top bit is set.
fn pad(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = &bytes[first..];
    let mut out = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_none_or(|&b| b >= 0x80) {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// A big-endian number below 2^3072, leading zeros allowed; `None` when longer.
fn from_be(bytes: &[u8]) -> Option<U3072> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = &bytes[first..];
    (digits.len() <= N_BYTES).then(|| left_padded(digits))
}

/// `bytes` (at most 384 of them) as a number, without looking at their values.
fn left_padded(bytes: &[u8]) -> U3072 {
    let mut buf = [0u8; N_BYTES];
    buf[N_BYTES - bytes.len()..].copy_from_slice(bytes);
    U3072::from_be_slice(&buf)
}

fn be_bytes(x: &U3072) -> [u8; N_BYTES] {
    x.to_be_bytes().into()
}

fn random(buf: &mut [u8]) {
    aws_lc_rs::rand::fill(buf).expect("the system random number generator failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s = if s.len() % 2 == 1 {
            format!("0{s}")
        } else {
            s.to_owned()
        };
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The client's side, from the same formulas: S = (B - k·g^x)^(a + u·x).
    fn client_key(
        pool: &str,
        user: &str,
        password: &str,
        a: &[u8],
        big_b: &[u8],
        salt: &[u8],
    ) -> [u8; 16] {
        let group = &*GROUP;
        let a = from_be(a).unwrap();
        let big_a = group.g.pow(&a).retrieve();
        let u = sha256(&[&pad(&be_bytes(&big_a)), &pad(big_b)]);
        let x = U256::from_be_slice(&password_exponent(pool, user, password, salt));
        // The library's pow, not the table, so the table is checked against it.
        let kgx = group.k.mul(&group.g.pow_bounded_exp(&x, 256));
        let base = Monty::new(&from_be(big_b).unwrap(), &group.params).sub(&kgx);
        // a is at most 1024 bits in these tests, so a + u·x fits without reducing.
        let ux = U256::from_be_slice(&u).resize::<LIMBS>().wrapping_mul(&x);
        let s = base.pow(&a.wrapping_add(&ux)).retrieve();
        derive_key(&u, &be_bytes(&s)).unwrap()
    }

    #[test]
    fn pad_hex_follows_the_clients() {
        // padHex of 0, 1, 127, 128, 255, 256 (the JS SDK's table) and alexrudd/cognito-srp's cases.
        assert_eq!(hex(&[]), "00");
        assert_eq!(hex(&[0, 0]), "00");
        assert_eq!(hex(&[1]), "01");
        assert_eq!(hex(&[0x7f]), "7f");
        assert_eq!(hex(&[0x80]), "0080");
        assert_eq!(hex(&[0xff]), "00ff");
        assert_eq!(hex(&[1, 0]), "0100");
        assert_eq!(hex(&unhex("123abc")), "123abc");
        assert_eq!(hex(&unhex("123abcd")), "0123abcd");
        assert_eq!(hex(&unhex("8123abcd")), "008123abcd");
        // Leading zero bytes vanish: the salt is a number to the clients.
        assert_eq!(hex(&[0, 0, 0x12, 0x34]), "1234");
        assert_eq!(hex(&[0, 0x9a]), "009a");
        assert_eq!(pad(&[0, 0, 0xab]), vec![0, 0xab]);
    }

    #[test]
    fn k_is_the_published_value() {
        // alexrudd/cognito-srp's k, in hex.
        let group = &*GROUP;
        assert_eq!(
            hex(&be_bytes(&group.k.retrieve())),
            "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
        );
    }

    #[test]
    fn published_u_and_hkdf_vectors() {
        // alexrudd/cognito-srp: calculateU and computeHKDF.
        let u = sha256(&[
            &pad(&unhex("6D797365637265746861736841")),
            &pad(&unhex("6D797365637265746861736842")),
        ]);
        assert_eq!(
            hex(&u),
            "57de1dfc26cc0a40caecc217fbe9a38ee5a590be00a9fa76bb9b6f03271d3e03"
        );
        let ikm = unhex(concat!(
            "00cf724779a05d41df17a315d188ce565d0bc7a70e6bc4199ad3959a531c6b4ca4b9ac31f639b963",
            "91a2f8d28c7d47d9759fc7a23a59bfb95691147b212b050116cf53fa1a7876ef179003dea92b246b",
            "c9584240d3e5a294a158b12cc92642bbe5c7d854338233f54fd66f10384b3d3e740280017773feb1",
            "104696bfe6e0a82ec5ef2fc23fad663f5e945e8644c872d05f4ab7961436d0602c961d1619e91b70",
            "e451f0769e80b0d6ae80052ed47c3c89f4caae02ff01917f195b8cbea78f895da7145646e64b6360",
            "5a7ffd85de351c06a5a5ffb6eee8b392b4d137726468361bbcf7b4055600002ae7c8c1dd5c545862",
            "f1c4c725c01da795afab3221d322104aecd4d1ab74d5e81eb45cbdb52081b1413a9e8b08e76b961c",
            "74cdbdac017d8d22a24860a674a0cd526e8ff8403caac07c0c720636efd83291ae60ff15cbd0a881",
            "f8030495cae0327040855defba70625c78cf27ea50bcaf0322cac01cf753c5a34269e4e329c9cd38",
            "8aada7781cf1c552754a0d2d3ce5fe58198a31b7b0ddc515ad",
        ));
        let salt = unhex("0c98b195a479d1a7c70c99dd680f34f5805fe686d0bc716549ff2ed895aa9111");
        assert_eq!(
            derive_key(&salt, &ikm).unwrap().to_vec(),
            unhex("d96cde6c95dda17175c1293140c5a81f")
        );
    }

    #[test]
    fn published_key_and_claim_vectors() {
        // alexrudd/cognito-srp: a = B = salt = 1234567890, pool "myPool", user and password "test".
        let n = unhex("499602d2");
        let key = client_key("myPool", "test", "test", &n, &n, &n);
        assert_eq!(key.to_vec(), unhex("d96cde6c95dda17175c1293140c5a81f"));
        let signature = claim_signature(
            &key,
            "myPool",
            "test",
            b"secretssecrestssecrets",
            "Tue Jul 10 11:01:00 UTC 2018",
        );
        assert!(claim_matches(
            &signature,
            "tdvQu/Li/qWl8Nni0aFPs+MwY4rvKZm0kSMrGIMSUHk="
        ));
    }

    #[test]
    fn a_full_exchange_agrees_with_the_client() {
        let verifier = make_verifier("PoolName", "user-id", "pässword");
        assert_eq!(verifier.salt.len(), SALT_BYTES);
        for _ in 0..4 {
            let mut a = [0u8; 32];
            random(&mut a);
            let big_a = be_bytes(&GROUP.g.pow(&left_padded(&a)).retrieve());
            let parsed = parse_client_public(&hex(&big_a)).unwrap();
            let eph = server_ephemeral(&verifier.verifier);
            let server = session_key(&parsed, &eph, &verifier.verifier).unwrap();
            let client = client_key(
                "PoolName",
                "user-id",
                "pässword",
                &a,
                &eph.public,
                &verifier.salt,
            );
            assert_eq!(server, client);
            let wrong = client_key(
                "PoolName",
                "user-id",
                "password",
                &a,
                &eph.public,
                &verifier.salt,
            );
            assert_ne!(server, wrong);

            let timestamp = format_timestamp(1_796_113_327_000);
            let expected = claim_signature(&server, "PoolName", "user-id", b"block", &timestamp);
            let sent = STANDARD.encode(claim_signature(
                &client, "PoolName", "user-id", b"block", &timestamp,
            ));
            assert!(claim_matches(&expected, &sent));
            let sent = STANDARD.encode(claim_signature(
                &wrong, "PoolName", "user-id", b"block", &timestamp,
            ));
            assert!(!claim_matches(&expected, &sent));
        }
    }

    #[test]
    fn salts_with_leading_zeros_and_high_bits_hash_as_numbers() {
        for salt in [
            unhex("00112233445566778899aabbccddeeff"),
            unhex("0000ff2233445566778899aabbccddee"),
            unhex("f0112233445566778899aabbccddeeff"),
        ] {
            let verifier = verifier_with_salt("P", "u", "pw", &salt);
            // The client hashes the number that the SALT text denotes.
            let sent = unhex(&hex(&verifier.salt));
            let a = [7u8; 32];
            let big_a = be_bytes(&GROUP.g.pow(&left_padded(&a)).retrieve());
            let eph = server_ephemeral(&verifier.verifier);
            let server = session_key(&big_a, &eph, &verifier.verifier).unwrap();
            assert_eq!(server, client_key("P", "u", "pw", &a, &eph.public, &sent));
        }
    }

    #[test]
    fn client_public_values_are_checked() {
        let n = hex(&be_bytes(GROUP.n.as_ref()));
        assert_eq!(parse_client_public(""), None);
        assert_eq!(parse_client_public("0"), None);
        assert_eq!(parse_client_public("0000"), None);
        assert_eq!(parse_client_public(&n), None);
        assert_eq!(parse_client_public(&n.to_uppercase()), None);
        assert_eq!(parse_client_public("xyz"), None);
        assert_eq!(parse_client_public("+1"), None);
        assert_eq!(parse_client_public("0x12"), None);
        assert_eq!(parse_client_public(" 12"), None);
        assert_eq!(parse_client_public("12\n"), None);
        assert_eq!(parse_client_public(&"f".repeat(769)), None);
        assert_eq!(parse_client_public(&"1".repeat(MAX_PUBLIC_HEX + 1)), None);
        // Odd length (the JS SDK sends A.toString(16)), upper case, leading zeros: all fine.
        let three = parse_client_public("3").unwrap();
        assert_eq!(hex(&three), "03");
        assert_eq!(
            parse_client_public("00000000abc").unwrap(),
            parse_client_public("ABC").unwrap()
        );
        assert!(parse_client_public(&"f".repeat(768)).is_some());
        assert!(parse_client_public(&format!("0000{}", "f".repeat(768))).is_some());

        // session_key makes the same checks on bytes it is handed directly.
        let verifier = verifier_with_salt("P", "u", "pw", &[1; 16]);
        let eph = server_ephemeral(&verifier.verifier);
        assert_eq!(session_key(&[], &eph, &verifier.verifier), None);
        assert_eq!(
            session_key(&be_bytes(GROUP.n.as_ref()), &eph, &verifier.verifier),
            None
        );
        assert_eq!(session_key(&[1; 385], &eph, &verifier.verifier), None);
        assert!(session_key(&[5], &eph, &verifier.verifier).is_some());
        assert_eq!(session_key(&[5], &eph, &[1; 385]), None);
    }

    #[test]
    fn ephemerals_are_fresh_and_below_n() {
        let verifier = verifier_with_salt("P", "u", "pw", &[1; 16]);
        let one = server_ephemeral(&verifier.verifier);
        let two = server_ephemeral(&verifier.verifier);
        assert_ne!(one.secret, two.secret);
        assert_ne!(one.public, two.public);
        assert_eq!(one.secret.len(), SECRET_BYTES);
        let b = from_be(&one.public).unwrap();
        assert!(b < *GROUP.n.as_ref());
        assert!(!format!("{one:?}{verifier:?}").contains(&hex(&one.secret)));
    }

    #[test]
    fn the_table_agrees_with_plain_exponentiation() {
        let group = &*GROUP;
        let mut cases = vec![[0u8; 32], [0xff; 32], [0x0f; 32], [0xf0; 32]];
        let mut one = [0u8; 32];
        one[31] = 1;
        cases.push(one);
        for _ in 0..8 {
            let mut e = [0u8; 32];
            random(&mut e);
            cases.push(e);
        }
        for e in cases {
            let plain = group.g.pow_bounded_exp(&U256::from_be_slice(&e), 256);
            assert_eq!(pow_g(&e).retrieve(), plain.retrieve(), "{e:?}");
        }
    }

    #[test]
    fn claim_signatures_compare_exactly() {
        let expected = [9u8; 32];
        assert!(claim_matches(&expected, &STANDARD.encode(expected)));
        let mut other = expected;
        other[31] ^= 1;
        assert!(!claim_matches(&expected, &STANDARD.encode(other)));
        assert!(!claim_matches(&expected, &STANDARD.encode(&expected[..31])));
        assert!(!claim_matches(&expected, ""));
        assert!(!claim_matches(&expected, "not base64!"));
        assert!(!claim_matches(&expected, &"A".repeat(1000)));
    }

    #[test]
    fn timestamps_round_trip_in_the_sdk_shape() {
        // 2026-12-01 08:22:07 UTC.
        let ms = 1_796_113_327_000;
        assert_eq!(format_timestamp(ms), "Tue Dec 1 08:22:07 UTC 2026");
        assert_eq!(parse_timestamp("Tue Dec 1 08:22:07 UTC 2026"), Some(ms));
        assert_eq!(format_timestamp(ms + 999), "Tue Dec 1 08:22:07 UTC 2026");
        assert_eq!(
            format_timestamp(1_531_220_460_000),
            "Tue Jul 10 11:01:00 UTC 2018"
        );
        assert_eq!(format_timestamp(0), "Thu Jan 1 00:00:00 UTC 1970");
        let late = parse_timestamp("Sun Nov 29 23:59:59 UTC 2026").unwrap();
        assert_eq!(format_timestamp(late), "Sun Nov 29 23:59:59 UTC 2026");

        for bad in [
            "Tue Dec 01 08:22:07 UTC 2026",
            "Wed Dec 1 08:22:07 UTC 2026",
            "Tue Dec  1 08:22:07 UTC 2026",
            "Tue Dec 1 8:22:07 UTC 2026",
            "Tue Dec 1 08:22:07 GMT 2026",
            "Tue Dec 1 08:22:07 UTC 2026 ",
            "Tue dec 1 08:22:07 UTC 2026",
            "Tuesday Dec 1 08:22:07 UTC 2026",
            "Tue Dec 1 08:22:07:00 UTC 2026",
            "Tue Dec +1 08:22:07 UTC 2026",
            "Tue Dec 1 24:00:00 UTC 2026",
            "Tue Dec 1 23:59:60 UTC 2026",
            "Tue Feb 30 08:22:07 UTC 2026",
            "Tue Dec 1 08:22:07 UTC 26",
            "",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }
}
