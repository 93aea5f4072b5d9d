//! A Cognito SRP client for the tests, as amazon-cognito-identity-js and pycognito compute
//! `USER_SRP_AUTH`, written apart from `cognate::crypto::srp`: its own big integers
//! (num-bigint) and RustCrypto's SHA-256, HMAC and HKDF, so the server is checked against a
//! second reading of the protocol rather than against itself.
//!
//! `SrpClient::new()` gives `SRP_A`; `claim` turns the PASSWORD_VERIFIER challenge
//! parameters into `PASSWORD_CLAIM_SIGNATURE`; `timestamp_now()` is the `TIMESTAMP` to send
//! with it.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// RFC 3526 §5, the 3072-bit MODP prime, as the clients spell it.
pub const N_HEX: &str = "\
    FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B2251\
    4A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C\
    42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007C\
    B8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED52907\
    7096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC\
    07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAA\
    C42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4\
    C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64\
    521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B\
    82D120A93AD2CAFFFFFFFFFFFFFFFF";

static N: LazyLock<BigUint> =
    LazyLock::new(|| BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N is hex"));
static G: LazyLock<BigUint> = LazyLock::new(|| BigUint::from(2u32));
/// k = H(PAD(N) | PAD(g)).
static K: LazyLock<BigUint> = LazyLock::new(|| number(&sha256(&[&pad(&N), &pad(&G)])));

/// The JS SDK's `padHex` as bytes: minimal big-endian, a 0x00 in front when the top bit is
/// set (num-bigint writes zero as one 0x00 byte, as padHex does).
fn pad(x: &BigUint) -> Vec<u8> {
    let mut bytes = x.to_bytes_be();
    if bytes[0] >= 0x80 {
        bytes.insert(0, 0);
    }
    bytes
}

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

fn number(bytes: &[u8]) -> BigUint {
    BigUint::from_bytes_be(bytes)
}

fn parse_hex(text: &str, what: &str) -> BigUint {
    BigUint::parse_bytes(text.as_bytes(), 16)
        .unwrap_or_else(|| panic!("{what} is not hex: {text:?}"))
}

/// One sign-in's client values: the secret a and A = g^a mod N.
pub struct SrpClient {
    a: BigUint,
    big_a: BigUint,
}

impl Default for SrpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl SrpClient {
    /// A random 128-byte a, as the JS SDK draws it.
    pub fn new() -> Self {
        let mut a = [0u8; 128];
        rand::thread_rng().fill_bytes(&mut a);
        Self::with_secret(&a)
    }

    /// A given a (big-endian), for published vectors.
    pub fn with_secret(a: &[u8]) -> Self {
        let a = number(a);
        let big_a = G.modpow(&a, &N);
        assert!(big_a != BigUint::ZERO, "A mod N must not be 0");
        Self { a, big_a }
    }

    /// `SRP_A` as the JS SDK sends it: `A.toString(16)`, unpadded (so sometimes odd-length).
    pub fn public_hex(&self) -> String {
        self.big_a.to_str_radix(16)
    }

    /// The 16-byte password authentication key for `SALT` and `SRP_B` (the JS SDK's
    /// `getPasswordAuthenticationKey`).
    pub fn key(
        &self,
        pool_name: &str,
        user_id_for_srp: &str,
        password: &str,
        salt_hex: &str,
        srp_b_hex: &str,
    ) -> [u8; 16] {
        let big_b = parse_hex(srp_b_hex, "SRP_B");
        assert!(&big_b % &*N != BigUint::ZERO, "B mod N must not be 0");
        let u = number(&sha256(&[&pad(&self.big_a), &pad(&big_b)]));
        assert!(u != BigUint::ZERO, "u must not be 0");
        // The salt is a number: parsed from its hex, then padded again.
        let salt = parse_hex(salt_hex, "SALT");
        let inner = sha256(&[format!("{pool_name}{user_id_for_srp}:{password}").as_bytes()]);
        let x = number(&sha256(&[&pad(&salt), &inner]));
        // (B - k·g^x) mod N, kept non-negative.
        let kgx = (&*K * G.modpow(&x, &N)) % &*N;
        let base = ((&big_b % &*N) + &*N - kgx) % &*N;
        let s = base.modpow(&(&self.a + &u * &x), &N);
        let mut key = [0u8; 16];
        Hkdf::<Sha256>::new(Some(&pad(&u)), &pad(&s))
            .expand(b"Caldera Derived Key", &mut key)
            .expect("16 bytes is a valid HKDF length");
        key
    }

    /// `PASSWORD_CLAIM_SIGNATURE` (base64) from the PASSWORD_VERIFIER challenge parameters.
    #[allow(clippy::too_many_arguments)]
    pub fn claim(
        &self,
        pool_name: &str,
        user_id_for_srp: &str,
        password: &str,
        salt_hex: &str,
        srp_b_hex: &str,
        secret_block_b64: &str,
        timestamp: &str,
    ) -> String {
        let key = self.key(pool_name, user_id_for_srp, password, salt_hex, srp_b_hex);
        let secret_block = STANDARD
            .decode(secret_block_b64)
            .expect("SECRET_BLOCK is base64");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(pool_name.as_bytes());
        mac.update(user_id_for_srp.as_bytes());
        mac.update(&secret_block);
        mac.update(timestamp.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

/// `TIMESTAMP` for now, from the system clock: `Tue Dec 1 08:22:07 UTC 2026`.
pub fn timestamp_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    timestamp_at(now.as_secs())
}

/// The JS SDK's `DateHelper.getNowString()` for a given time: the day is not zero-padded,
/// the hours, minutes and seconds are. Computed here from the day count (Howard Hinnant's
/// `civil_from_days`), not with chrono, which the server uses.
pub fn timestamp_at(epoch_secs: u64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = epoch_secs / 86_400;
    let secs = epoch_secs % 86_400;
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(days % 7) as usize];
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{weekday} {} {day} {:02}:{:02}:{:02} UTC {year}",
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognate::crypto::srp;

    fn dec(text: &str) -> BigUint {
        BigUint::parse_bytes(text.as_bytes(), 10).unwrap()
    }

    fn unhex(text: &str) -> Vec<u8> {
        parse_hex(text, "test vector").to_bytes_be()
    }

    #[test]
    fn k_and_pad_match_published_values() {
        // k from alexrudd/cognito-srp.
        assert_eq!(
            *K,
            dec("37772559067617796309459009502931177628717927509759535181635788491848250400486")
        );
        // padHex table of the JS SDK's tests (generated with Java's toByteArray).
        for (i, expected) in [
            (0u32, "00"),
            (1, "01"),
            (127, "7f"),
            (128, "0080"),
            (200, "00c8"),
            (255, "00ff"),
            (256, "0100"),
        ] {
            assert_eq!(pad(&BigUint::from(i)), unhex_exact(expected), "{i}");
        }
        // alexrudd/cognito-srp's padHex cases.
        assert_eq!(pad(&parse_hex("123abc", "")), unhex_exact("123abc"));
        assert_eq!(pad(&parse_hex("123abcd", "")), unhex_exact("0123abcd"));
        assert_eq!(pad(&parse_hex("8123abcd", "")), unhex_exact("008123abcd"));
    }

    /// Hex to bytes, keeping every digit pair (leading zeros included).
    fn unhex_exact(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// alexrudd/cognito-srp (Go, cognitosrp_test.go): a = 1234567890, pool "myPool".
    #[test]
    fn go_port_vectors() {
        let client = SrpClient::with_secret(&1_234_567_890u32.to_be_bytes());
        assert_eq!(
            client.big_a,
            dec(concat!(
                "2012821450179237266067414751941060928019817287314017835667297413615441680042",
                "0156488936195120745748015518169080488750393105561086505958691457684323243767",
                "7406055538577507370856912168890215889564238321973685221636614452915674402815",
                "1458424436810791218362729260005923018973559621869173270335133101064964177433",
                "1617710744659944012259466028234893278098696501033149187497191450763805359763",
                "2500925349397263419152307903552534159836646273353213759758606928834059456332",
                "7421244726332307232609401008335819089778907622323610696065668900966210610871",
                "8086108842242700171498576477888220433863419472757016124941626301913896156606",
                "1956165548139957372331137757779226058117499761895615248950732521869955509523",
                "3121100546572188701563979417701865276739418278601329844176326814813849675127",
                "8876445231817513594703511431690660917841034045443667112871458042386139665472",
                "6091832872812601776911426105744500577640344769129700165939361255141920765891",
                "3838531096191",
            ))
        );

        // calculateU.
        let u = number(&sha256(&[
            &pad(&parse_hex("6D797365637265746861736841", "")),
            &pad(&parse_hex("6D797365637265746861736842", "")),
        ]));
        assert_eq!(
            u,
            dec("39743664823761398449876968619416475559594078623923024211668626611155104513539")
        );

        // computeHKDF, inputs already padHex'd.
        let ikm = unhex_exact(concat!(
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
        let salt = unhex_exact("0c98b195a479d1a7c70c99dd680f34f5805fe686d0bc716549ff2ed895aa9111");
        let mut okm = [0u8; 16];
        Hkdf::<Sha256>::new(Some(&salt), &ikm)
            .expand(b"Caldera Derived Key", &mut okm)
            .unwrap();
        assert_eq!(okm.to_vec(), unhex("d96cde6c95dda17175c1293140c5a81f"));

        // getPasswordAuthenticationKey: B = salt = 1234567890, user and password "test".
        let key = client.key("myPool", "test", "test", "499602d2", "499602d2");
        assert_eq!(key.to_vec(), unhex("d96cde6c95dda17175c1293140c5a81f"));

        // PasswordVerifierChallenge at 2018-07-10 11:01:00 UTC.
        let claim = client.claim(
            "myPool",
            "test",
            "test",
            "499602d2",
            "499602d2",
            &STANDARD.encode("secretssecrestssecrets"),
            &timestamp_at(1_531_220_460),
        );
        assert_eq!(claim, "tdvQu/Li/qWl8Nni0aFPs+MwY4rvKZm0kSMrGIMSUHk=");
    }

    /// aws/aws-sdk-net-extensions-cognito (AuthenticationCryptoTests.cs): "a known working
    /// claim" with SALT and SRP_B from a real user pool. a is 1023 bytes of 0x02 then 0x00.
    fn dotnet_client() -> SrpClient {
        let mut a = vec![2u8; 1024];
        a[1023] = 0;
        SrpClient::with_secret(&a)
    }

    #[test]
    fn dotnet_sdk_vectors() {
        let client = dotnet_client();
        let srp_b = concat!(
            "8d340308265ada665b1b2c730fb65ff0b6dc746b63c2d7e9f08b8aa9306d4848268bc0c17ee4a2",
            "999173ca62af59fd74ba5d00f16c96bea082b163f2c3a0b745455d62cb9577425b4b5d4dadba16",
            "3a8e7759a7c0256795f464682770588c84e82f2c63d4701751476da8e8a7b1a131e78560fe7b56",
            "b6761fcef88dcc486f403369a0cac2f04c25ed6d5e08b5a2f488500a0d5af4972cfa1213bfca37",
            "bbae189c8d58465b13193204f21ea01d267c7688e6e6cb5d3f5a8005db680d272308ee82381603",
            "2dd2c8fc3b95b6fd0a742feb127e3d094cd002a5e6b209415ff82f6abf50d5da43910a0336e9a6",
            "fc33dd101bf13f22f13fcb3ea3809aae4917d7c426fb8c0a894030c75d3e15f0e1078a9d89e515",
            "4391cde6111ac14fab9fa3b3a880da7dbd47fd5a055937581d26b5d225c076e82f980dcbd77b39",
            "50d270d8b622dca9c9bcd8fd6435a59b9690b3c9e2bdabf58cae3420c19066abc420145b1b66f2",
            "26a6493c96588c2d53b637798fcaa573379f2251848065fe1fafb68ed5e79135e9",
        );
        let key = client.key(
            "Pj8nlkpKR",
            "User5",
            "Password1!",
            "b704a27deb8cf5efec43a40eac5b60d2",
            srp_b,
        );
        assert_eq!(STANDARD.encode(key), "LmbBsy/4chqMRYOhmtmCrA==");
    }

    #[test]
    fn dotnet_sdk_claim_vector() {
        let srp_b = concat!(
            "f6c76f03232c3a93a634f5e49a74efbfffcd2b81f0dacb2bce0274ae68601b3d42a98feb96ba6a",
            "310cc2d4183edac62d571d0d220258d8753a80c4f8815a10953a21964f19c824916f46417f46d9",
            "21d7956bf5c10c63e7b1c84ce6e2bc407b4e0a103a529313f439182c6450ed434d049e0d9dd5da",
            "8cf3a1d1f6f2839f55754a7b17444b8c55ff6b13bf63f61e473ad6fad9f4a1a0b2541b200de07c",
            "10296d679b36bf683245cee039842ad9579031e26cb0931ac202fe713fa2c64f920a9830722f70",
            "8d5ede7ab0521363e45fb2ad0afefbd65264c39f46d0c4011e2e8dbf8d6c53764719599a359b17",
            "bcd4d7e37c76e9e68adde0dc586a29f835a2decab335a49408fbc8452d2696743f4465d1274885",
            "1889d405d7287296e93f9abfb9f11806235bb588e8381a0060a174f5b0959eedba81b94eb383e8",
            "0465323b1fc85478edcca4b67403a45b73ccbdcd9eaeacebd5f2ca32c7344fdbbc15a2a3d060c2",
            "b822851a282370a8dacbbfedbc511376a6e8ad95a5ce28fc2b9c37751c8d4314b9",
        );
        let secret_block = concat!(
            "iZY+s7lYj4/5me1dgBZ9QR0vYOoatfBhec3Rc3kqPFAGIWAwxmaoXkOR1+kEvm0Aic/CxgXe0KHTTZuy",
            "KpsMfjbo2J2YweeAtj47z6HCgVScBHeJ5il4NUhGJ6ehqWPls5ub233161UU/SxKAZYySbB8NNHIQidP",
            "NxEvBycU5gOeO9cOv4dlm3dwSRNFlg8OWJysI7+ZXUgSWdfUBqog90wkIfLr7HirXnd3axiqpHqAApu4",
            "Ls7JFvgXxJa74ZJLtFobED/qSc4ALtRiAPwhKkomxhSXDF1S3dD+LcTQaR0/gJY1+p1CuyTCQNBTVz5i",
            "dOq8NhG/mMupKow7i54xWJp3gWCeRLMRYD5Od/b7QSgtBYZeLT2rDPb6T8oy8qScK4gq+1Ye6KmXTtmd",
            "c7XBhwtyCk4xA8YBjeXO/Gq3G+rzpqMOS9e8P/EZ1xldkcme0qYesbUiKSVO30N2lPKo3qzWyq6zFi0p",
            "INpCiWLD+qdWa9Arofsml2IYgCxZwmoIRVk8vd/+UdhErVRFdOmMZWQVLki0K09UgrnvLLBcMxc4wq8m",
            "yUmMivVpxg8vSaexrxGxDVnKZHgfl0jFCEWIYyMvPAspOo9bBT1l+oQlVpf6RPKWlxgE4JSiWd9LD3PM",
            "dtETsyrWv1IxtktyzGI27UVanj0gGfesM56/FNImaxh+eoTBq4fJWxvfN0FvB90Ib/ZV+oJZ3jj8pKrZ",
            "mDohutOQZqEIP5mme3UMGbkeF1zVnBuPT/Ujyb94RayMB4qvqnZap87o8gJ4iv0yp+HMAAxvPSvYJSr/",
            "dny/jEdsWM8aKU+a9+n3aMPo/97DSIyiw2E3jcorR2emlichUHqdwDg/GAACUMTmV6peecDdhuF/KNZX",
            "BF4GEsoutDzPSsaXnQ11qKejULZt//fQ/e5JzWbUVhWXBOiRr4JmbPdmWo9WIORrg/yrAlSe9RNnJOW+",
            "OCsAKLZYEHfuueUQYaxOpBTst+YQXzbwNYyX47H8nUDVXRLiA0zAoQHeTMXN8lL688MTICEUNaJW9QWj",
            "rNIaTPic0oJ6CxVM/ayd8qv28EQ9BhyyE5yEreC9y+bpUQjTwxe62H/j0NiMsE5806dhx2RzxBlEYl51",
            "hs1aqwpQ6NGn51bwZPZ5O7YitLyYdAoEdTo0hCXTKF2ITbSy8ZDv5cxQSv5zyXeHRfa/o1GSHWPawy3l",
            "YjHChVVj/ALBjpFVPJJwByQZqgXsrvuknWk7QFAi21acQxm/4pqPVtFNVW7yZ51FawlQu6rKKfu1kyTJ",
            "6CKlcdXuJFv/NxQLPLq/to4b0UHNaD/mymwr0GSEn9GxpVB4fjhL4L2BRxCpt4lfLtx1KMiTivUMIhrV",
            "ShnrgUy2mpd/jooMsSf17GSvCYReg9dsaqvZXqbEMv6P2BX+RNXicLSfeDO9NyZhtuWZxyLJ5IlagOpV",
            "NbtGb/HCEQy+zF8ySzho6e8vHxNodJX+xwCxRyKl6wbEdSEulWgm5WaUmsfySrNqLKassfrTdKLHyWUv",
            "jbWucEFzS0ddu+Q7j5RGaZ4MO7Qf1hN57WUE7irwXBc9UoAWI3Sggb+oDDuVKN5PMF6cL+3/yfetGX0W",
            "rh9tk34z5pizLmOgqOqkMW5yFDqw8/pRqQA4Qo+VrpHL1a4vANgmOHw98918pFiCG5lacOQn4FmA2QGW",
            "fNxU72qy6MLPnTgN/olShAFNFgckIn2F",
        );
        // The test formats local midnight of 2017-06-15 converted to UTC; the published
        // signature is for a machine seven hours behind UTC.
        let claim = dotnet_client().claim(
            "Pj8nlkpKR",
            "User5",
            "Password1!",
            "b704a27deb8cf5efec43a40eac5b60d2",
            srp_b,
            secret_block,
            "Thu Jun 15 07:00:00 UTC 2017",
        );
        assert_eq!(claim, "QwHbbUqF6DSSepJh2QqTWDCb1XjmqaxnnW5kDn5dz7E=");
    }

    #[test]
    fn timestamps_have_the_sdk_shape() {
        assert_eq!(timestamp_at(1_796_113_327), "Tue Dec 1 08:22:07 UTC 2026");
        assert_eq!(timestamp_at(0), "Thu Jan 1 00:00:00 UTC 1970");
        assert_eq!(timestamp_at(1_709_208_000), "Thu Feb 29 12:00:00 UTC 2024");
        assert_eq!(timestamp_at(1_531_220_460), "Tue Jul 10 11:01:00 UTC 2018");
        assert_eq!(timestamp_at(1_767_225_599), "Wed Dec 31 23:59:59 UTC 2025");
        // The server reads the client's clock text back to the same second.
        let now = timestamp_now();
        let parsed = srp::parse_timestamp(&now).expect("the server parses timestamp_now()");
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(secs.abs_diff((parsed / 1000) as u64) < 5, "{now}");
        for day in 0..800u64 {
            let at = 1_700_000_000 + day * 86_400 + day * 37;
            let text = timestamp_at(at);
            assert_eq!(
                srp::parse_timestamp(&text),
                Some(at as i64 * 1000),
                "{text}"
            );
            assert_eq!(srp::format_timestamp(at as i64 * 1000), text);
        }
    }

    /// Verifier → B → client claim → server check, for the given salt.
    fn exchange(salt: Option<&[u8]>, password: &str, attempt: &str) -> bool {
        let (pool, user) = ("eu-west-1_Pool", "3f1c6a52-7e0b-4f0e-9d61-1f5b8c2e7a90");
        let pool = &pool[pool.find('_').unwrap() + 1..];
        let verifier = match salt {
            Some(salt) => srp::verifier_with_salt(pool, user, password, salt),
            None => srp::make_verifier(pool, user, password),
        };
        let eph = srp::server_ephemeral(&verifier.verifier);
        let client = SrpClient::new();
        let a = srp::parse_client_public(&client.public_hex()).expect("the server takes SRP_A");
        let key = srp::session_key(&a, &eph, &verifier.verifier).expect("u is not 0");
        let mut secret_block = [0u8; 64];
        rand::thread_rng().fill_bytes(&mut secret_block);
        let timestamp = timestamp_now();
        let signature = client.claim(
            pool,
            user,
            attempt,
            &srp::hex(&verifier.salt),
            &srp::hex(&eph.public),
            &STANDARD.encode(secret_block),
            &timestamp,
        );
        let expected = srp::claim_signature(&key, pool, user, &secret_block, &timestamp);
        srp::claim_matches(&expected, &signature)
    }

    #[test]
    fn the_server_accepts_this_client_and_only_the_right_password() {
        assert!(exchange(None, "Correct-horse-9", "Correct-horse-9"));
        assert!(!exchange(None, "Correct-horse-9", "Correct-horse-8"));
        assert!(exchange(None, "pässwörd ünïcode", "pässwörd ünïcode"));
        // Salts whose text differs from their bytes: a leading zero byte (dropped), a high
        // first byte (gains 00), and both.
        for salt in [
            "00a1b2c3d4e5f60718293a4b5c6d7e8f",
            "0000000102030405060708090a0b0c0d",
            "f1b2c3d4e5f60718293a4b5c6d7e8f90",
            "0091b2c3d4e5f60718293a4b5c6d7e8f",
        ] {
            let salt = unhex_exact(salt);
            assert!(exchange(Some(&salt), "pw", "pw"), "{salt:?}");
            assert!(!exchange(Some(&salt), "pw", "pW"), "{salt:?}");
        }
    }
}
