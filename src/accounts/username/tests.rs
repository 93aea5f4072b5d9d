//! RFC 8265 preparation and UTS #39 script mixing, case by case: what shares a key, what is
//! refused and why, and what passes.

use super::*;

fn new_name(raw: &str) -> std::result::Result<String, String> {
    checked("username", raw, Shape::Name).map_err(|e| e.to_string())
}

fn name_key(raw: &str) -> Option<String> {
    prepared_key(raw, Case::Mapped, Shape::Name)
}

fn email_key(raw: &str) -> Option<String> {
    prepared_key(raw, Case::Mapped, Shape::Email)
}

#[track_caller]
fn refused(raw: &str, wanted: &str) {
    let message = new_name(raw).expect_err(raw);
    assert!(message.starts_with("username: "), "{message}");
    assert!(message.contains(wanted), "{raw:?}: {message}");
}

#[test]
fn width_variants_share_the_key() {
    assert_eq!(name_key("ａｄｍｉｎ").as_deref(), Some("admin"));
    assert_eq!(name_key("ＡＤＭＩＮ").as_deref(), Some("admin"));
    assert_eq!(new_name("ＡＤＭＩＮ").as_deref(), Ok("ADMIN"));
    assert_eq!(new_name("ｶﾀｶﾅ").as_deref(), Ok("カタカナ"));
}

#[test]
fn normalisation_forms_share_the_key() {
    let nfd = "cafe\u{301}";
    assert_eq!(new_name(nfd).as_deref(), Ok("café"));
    assert_eq!(name_key(nfd), name_key("café"));
    assert_eq!(name_key("CAFÉ").as_deref(), Some("café"));
    assert_eq!(name_key("Cafe\u{301}"), name_key("café"));
}

#[test]
fn invisible_and_control_characters_are_refused() {
    refused("ad\u{AD}min", "U+00AD");
    refused("admin\u{2060}", "U+2060");
    refused("ad\u{200B}min", "U+200B");
    refused("\u{FEFF}admin", "U+FEFF");
    refused("ad\u{0}min", "U+0000");
    refused("ad\u{1B}min", "U+001B");
    refused("ab\u{202E}cd", "U+202E");
    refused("a\u{200D}b", "U+200D");
    refused("ad min", "whitespace");
    refused("admin\u{3000}", "whitespace");
    refused("", "must not be empty");
    for hostile in ["ad\u{AD}min", "admin\u{2060}", "ad\u{200B}min", "x\u{0}"] {
        assert_eq!(name_key(hostile), None, "{hostile:?}");
    }
}

#[test]
fn compatibility_and_symbol_characters_are_refused() {
    refused("ﬁle", "U+FB01");
    refused("ℌello", "U+210C");
    refused("Ⅻ", "U+216B");
    refused("love❤", "U+2764");
    refused("a\u{FFFD}", "U+FFFD");
}

#[test]
fn confusable_script_mixes_are_refused() {
    refused("\u{430}dmin", "Cyrillic and Latin");
    refused("p\u{430}yp\u{430}l", "Cyrillic");
    refused("\u{3BF}mega", "Greek and Latin");
    refused("и\u{3B1}", "Cyrillic and Greek");
    // The lookup still prepares it: it finds nothing, as any unknown name.
    assert_eq!(name_key("\u{430}dmin").as_deref(), Some("\u{430}dmin"));
}

#[test]
fn mixed_directions_are_refused() {
    refused("abc\u{5E9}", "right-to-left");
}

#[test]
fn legitimate_names_pass() {
    for name in [
        "admin",
        "Jean-Luc_O'Neil.2",
        "user@example.com",
        "café",
        "Zoë",
        "иван",
        "Иван_Петров",
        "Ωμέγα",
        "山田太郎",
        "やまだタロウ山田",
        "Tanaka太郎",
        "ジョンSmith",
        "김철수abc",
        "שלום",
        "محمد",
        "Straße",
        "ΟΔΟΣ",
    ] {
        assert_eq!(new_name(name).as_deref(), Ok(name), "{name}");
    }
    assert_eq!(new_name(&"u".repeat(128)).map(|n| n.len()), Ok(128));
    refused(&"u".repeat(129), "at most 128 characters");
}

#[test]
fn case_folds_with_the_full_lowercase_mapping() {
    assert_eq!(name_key("ΟΔΟΣ"), name_key("οδος"));
    assert_eq!(name_key("ИВАН").as_deref(), Some("иван"));
    assert_eq!(name_key("ẞ"), name_key("ß"));
    assert_eq!(
        prepared_key("Alice", Case::Preserved, Shape::Name).as_deref(),
        Some("Alice")
    );
    assert_eq!(
        prepared_key("Ａlice", Case::Preserved, Shape::Name).as_deref(),
        Some("Alice")
    );
}

#[test]
fn ascii_keys_are_the_legacy_keys() {
    for name in ["admin", "Alice", "John.Doe+x@Example.com", "a_b-c.d"] {
        assert_eq!(name_key(name), Some(name.to_lowercase()));
    }
}

#[test]
fn emails_are_prepared_part_by_part() {
    let email = |raw: &str| checked("email", raw, Shape::Email).map_err(|e| e.to_string());
    assert_eq!(
        email_key("Erin@Example.COM").as_deref(),
        Some("erin@example.com")
    );
    assert_eq!(
        email_key("ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｃｏｍ").as_deref(),
        Some("admin@example.com")
    );
    assert_eq!(
        email_key("cafe\u{301}@example.com"),
        email_key("café@example.com")
    );
    assert_eq!(email_key("ad\u{AD}min@example.com"), None);
    // A sub is looked up in the same pools.
    let sub = "0f8fad5b-d9cb-469f-a165-70867728950e";
    assert_eq!(email_key(sub).as_deref(), Some(sub));
    assert_eq!(
        email("ＡＤＭＩＮ@example.com").as_deref(),
        Ok("ADMIN@example.com")
    );
    for fine in [
        "иван@example.com",
        "שלום@example.com",
        "zoë@例え.jp",
        "a.b+c@x.io",
    ] {
        assert_eq!(email(fine).as_deref(), Ok(fine));
    }
    let mixed = email("\u{430}dmin@example.com").unwrap_err();
    assert!(mixed.contains("Cyrillic and Latin"), "{mixed}");
    let mixed = email("admin@ex\u{430}mple.com").unwrap_err();
    assert!(mixed.contains("Cyrillic and Latin"), "{mixed}");
    let hidden = email("admin\u{2060}@example.com").unwrap_err();
    assert!(
        hidden.starts_with("email: must not contain U+2060"),
        "{hidden}"
    );
}

#[test]
fn unpreparable_input_has_no_key() {
    assert_eq!(name_key(""), None);
    assert_eq!(name_key(&"a".repeat(MAX_LOOKUP_BYTES + 1)), None);
    assert_eq!(name_key("\u{FFFD}"), None, "the unmatchable prefix");
}
