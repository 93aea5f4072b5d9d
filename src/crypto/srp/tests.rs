//! The server's half against the published vectors (alexrudd/cognito-srp) and against a
//! client computed from the same formulas.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_bigint::U256;

use super::group::{GROUP, LIMBS, Monty, be_bytes, from_be, left_padded, pad, random, sha256};
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
