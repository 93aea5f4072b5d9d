//! AWS's published examples (the IAM `ListUsers` walk-through and the SigV4 test suite's
//! `get-vanilla`), and what a verifier must refuse.

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_iam_list_users_example() {
    let headers = headers(&[
        ("Host", "iam.amazonaws.com"),
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("X-Amz-Date", "20150830T123600Z"),
    ]);
    let auth = Authorization::parse(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, \
         Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    )
    .unwrap();
    assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
    assert_eq!(auth.scope(), "20150830/us-east-1/iam/aws4_request");
    let request = Received {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers: &headers,
        payload_hash: EMPTY_PAYLOAD_SHA256,
    };
    let canonical = canonical_request(&request, &auth.signed_headers);
    let to_sign = string_to_sign("20150830T123600Z", &auth.scope(), &canonical);
    assert!(to_sign.ends_with("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"));
    let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
    assert_eq!(
        hex(&key),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
    assert!(signatures_match(
        &signature(&key, &to_sign),
        &auth.signature
    ));
}

#[test]
fn the_test_suites_get_vanilla() {
    let headers = headers(&[
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
    ]);
    let request = Received {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload_hash: EMPTY_PAYLOAD_SHA256,
    };
    let signed = ["host".to_string(), "x-amz-date".to_string()];
    let canonical = canonical_request(&request, &signed);
    assert_eq!(
        canonical,
        format!(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY_PAYLOAD_SHA256}"
        )
    );
    let to_sign = string_to_sign(
        "20150830T123600Z",
        "20150830/us-east-1/service/aws4_request",
        &canonical,
    );
    let key = signing_key(SECRET, "20150830", "us-east-1", "service");
    assert_eq!(
        signature(&key, &to_sign),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn another_secret_or_any_changed_part_signs_otherwise() {
    let headers = headers(&[
        ("host", "idp.example.com"),
        ("x-amz-date", "20261201T120000Z"),
    ]);
    let signed = ["host".to_string(), "x-amz-date".to_string()];
    let base = Received {
        method: "GET",
        path: "/admin/v1/pools",
        query: "limit=10",
        headers: &headers,
        payload_hash: EMPTY_PAYLOAD_SHA256,
    };
    let sign = |request: &Received, secret: &str| {
        let to_sign = string_to_sign(
            "20261201T120000Z",
            "20261201/eu-west-1/cognito-idp/aws4_request",
            &canonical_request(request, &signed),
        );
        signature(
            &signing_key(secret, "20261201", "eu-west-1", "cognito-idp"),
            &to_sign,
        )
    };
    let good = sign(&base, SECRET);
    assert_ne!(good, sign(&base, "another-secret"));
    assert_ne!(
        good,
        sign(
            &Received {
                method: "DELETE",
                ..base
            },
            SECRET
        )
    );
    assert_ne!(
        good,
        sign(
            &Received {
                path: "/admin/v1/pools/x",
                ..base
            },
            SECRET
        )
    );
    assert_ne!(
        good,
        sign(
            &Received {
                query: "limit=11",
                ..base
            },
            SECRET
        )
    );
    assert_ne!(
        good,
        sign(
            &Received {
                payload_hash: &"0".repeat(64),
                ..base
            },
            SECRET
        )
    );
    assert!(!signatures_match(&good, &sign(&base, "another-secret")));
}

#[test]
fn the_query_is_sorted_and_encoded_canonically() {
    assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
    assert_eq!(canonical_query("q=a b&r=%7e&s=%2F"), "q=a%20b&r=~&s=%2F");
    assert_eq!(canonical_query("flag&x="), "flag=&x=");
    assert_eq!(
        canonical_query("X-Amz-Date=1&X-Amz-Signature=abc"),
        "X-Amz-Date=1"
    );
}

#[test]
fn the_path_is_normalised_and_encoded_again() {
    assert_eq!(canonical_uri("/"), "/");
    assert_eq!(canonical_uri("/admin/v1/pools"), "/admin/v1/pools");
    assert_eq!(canonical_uri("/a/./b/../c"), "/a/c");
    assert_eq!(canonical_uri("/a%20b"), "/a%2520b");
}

#[test]
fn header_values_are_trimmed_and_repeats_joined() {
    let h = headers(&[
        ("Host", "x"),
        ("My-Header", "  a   b  "),
        ("my-header", "c"),
        ("Unsigned", "ignored"),
    ]);
    let (lines, names) = canonical_headers(&h, &["my-header".to_string(), "host".to_string()]);
    assert_eq!(lines, "host:x\nmy-header:a b,c\n");
    assert_eq!(names, "host;my-header");
}

#[test]
fn malformed_authorization_headers_are_refused() {
    let sig = "a".repeat(64);
    for header in [
        "Bearer abc".to_string(),
        "AWS4-HMAC-SHA256".to_string(),
        format!("AWS4-HMAC-SHA256 Credential=K/20261201/r/s/aws4_request, Signature={sig}"),
        format!("AWS4-HMAC-SHA256 Credential=K/20261201/r/s, SignedHeaders=host, Signature={sig}"),
        format!("AWS4-HMAC-SHA256 Credential=K/2026-12-01/r/s/aws4_request, SignedHeaders=host, Signature={sig}"),
        format!("AWS4-HMAC-SHA256 Credential=/20261201/r/s/aws4_request, SignedHeaders=host, Signature={sig}"),
        format!("AWS4-HMAC-SHA256 Credential=K/20261201/r/s/aws4_request, SignedHeaders=x-amz-date, Signature={sig}"),
        format!("AWS4-HMAC-SHA256 Credential=K/20261201/r/s/aws4_request, SignedHeaders=Host, Signature={sig}"),
        "AWS4-HMAC-SHA256 Credential=K/20261201/r/s/aws4_request, SignedHeaders=host, Signature=xyz".to_string(),
        format!("AWS4-HMAC-SHA256 Credential=K/20261201/r/s/aws4_request, SignedHeaders=host, Signature={sig}, Signature={sig}"),
        format!("AWS4-HMAC-SHA256 Credential=K/20261201/r/s/aws4_request, SignedHeaders=host, Signature={sig}, Extra=1"),
    ] {
        assert!(Authorization::parse(&header).is_err(), "{header}");
    }
    assert!(
        Authorization::parse(&format!(
            "AWS4-HMAC-SHA256 Credential=K/20261201/r/s/aws4_request,SignedHeaders=host,Signature={sig}"
        ))
        .is_ok()
    );
}
