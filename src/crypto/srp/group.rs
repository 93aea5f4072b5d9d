//! The group SRP works in (RFC 3526 §5, g = 2) and its numbers: Montgomery constants and
//! a table for powers of g, each built once, and Cognito's `PAD` encoding for hashing.

use std::sync::LazyLock;

use aws_lc_rs::digest;
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

pub(super) const LIMBS: usize = U3072::LIMBS;
/// N's length in bytes; every number here fits in it.
pub(super) const N_BYTES: usize = 384;

/// g^e for 256-bit exponents (b and x) goes by a table: 4 bits of e per row.
const G_WINDOWS: usize = 64;

pub(super) type Monty = FixedMontyForm<LIMBS>;

pub(super) struct Group {
    pub(super) params: FixedMontyParams<LIMBS>,
    pub(super) n: NonZero<U3072>,
    pub(super) g: Monty,
    pub(super) k: Monty,
}

/// Montgomery parameters and the constants in Montgomery form, computed once.
pub(super) static GROUP: LazyLock<Group> = LazyLock::new(|| {
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
pub(super) fn pow_g(e: &[u8; 32]) -> Monty {
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

/// Builds what the first SRP call would otherwise build: call it at start-up.
pub fn warm_up() {
    LazyLock::force(&G_TABLE);
}

/// Cognito's `PAD`: minimal big-endian bytes, a `00` in front when the top bit is set.
pub(super) fn pad(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = &bytes[first..];
    let mut out = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_none_or(|&b| b >= 0x80) {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

pub(super) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// A big-endian number below 2^3072, leading zeros allowed; `None` when longer.
pub(super) fn from_be(bytes: &[u8]) -> Option<U3072> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = &bytes[first..];
    (digits.len() <= N_BYTES).then(|| left_padded(digits))
}

/// `bytes` (at most 384 of them) as a number, without looking at their values.
pub(super) fn left_padded(bytes: &[u8]) -> U3072 {
    let mut buf = [0u8; N_BYTES];
    buf[N_BYTES - bytes.len()..].copy_from_slice(bytes);
    U3072::from_be_slice(&buf)
}

pub(super) fn be_bytes(x: &U3072) -> [u8; N_BYTES] {
    x.to_be_bytes().into()
}

pub(super) fn random(buf: &mut [u8]) {
    aws_lc_rs::rand::fill(buf).expect("the system random number generator failed");
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
