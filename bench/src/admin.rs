//! The admin scenarios' credentials: an IAM user whose one (customer-managed) policy has 10
//! statements, its access key, and a `GET /admin/v1/pools/{pool}` signed with SigV4 by
//! Cognate's own signing functions (the tests check them against AWS's signer).

use serde_json::{Value, json};

use cognate::iam::sigv4;

use crate::Fail;
use crate::seed::{Http, Seeded};

/// Nine statements that do not decide this request (other actions, other resources, a
/// condition that does not hold, a deny of something else), then the one that allows it.
fn ten_statements(pool_arn: &str) -> Value {
    let mut statements: Vec<Value> = (0..4)
        .map(|i| {
            json!({"Sid": format!("Other{i}"), "Effect": "Allow",
                   "Action": [format!("cognito-idp:AdminCreateUser{i}"), "iam:Get*"],
                   "Resource": format!("{pool_arn}-{i}")})
        })
        .collect();
    statements.extend((0..3).map(|i| {
        json!({"Sid": format!("Deny{i}"), "Effect": "Deny",
               "Action": format!("cognito-idp:Delete*{i}"), "Resource": "*"})
    }));
    statements.push(
        json!({"Sid": "Office", "Effect": "Allow", "Action": "cognito-idp:*",
        "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}),
    );
    statements.push(
        json!({"Sid": "NotHere", "Effect": "Allow", "NotAction": ["iam:*", "sts:*"],
        "NotResource": [pool_arn, "arn:aws:iam::*"]}),
    );
    statements.push(json!({"Sid": "Read", "Effect": "Allow",
        "Action": ["cognito-idp:Describe*", "cognito-idp:List*"], "Resource": pool_arn}));
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Creates the user, policy and key, and signs the request; the headers to send.
pub fn signed_reader(http: &Http, seeded: &Seeded) -> Result<Vec<(String, String)>, Fail> {
    let region = seeded
        .pool
        .split_once('_')
        .map(|(r, _)| r.to_string())
        .ok_or_else(|| Fail("a pool id without a region".into()))?;
    let pool_arn = format!(
        "arn:aws:cognito-idp:{region}:000000000000:userpool/{}",
        seeded.pool
    );
    http.admin("POST", "/iam/users", Some(json!({"name": "bench-reader"})))?;
    http.admin(
        "POST",
        "/iam/policies/bench-ten",
        Some(json!({"document": ten_statements(&pool_arn)})),
    )?;
    http.admin(
        "PUT",
        "/iam/users/bench-reader/attached-policies/bench-ten",
        None,
    )?;
    let key = http.admin("POST", "/iam/users/bench-reader/access-keys", None)?;
    let id = key["access_key_id"]
        .as_str()
        .ok_or_else(|| Fail("no access key id".into()))?;
    let secret = key["secret_access_key"]
        .as_str()
        .ok_or_else(|| Fail("no secret".into()))?;

    let host = http.base.trim_start_matches("http://").to_string();
    let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let date = &amz_date[..8];
    let path = format!("/admin/v1/pools/{}", seeded.pool);
    let headers = vec![
        ("host".to_string(), host.clone()),
        ("x-amz-date".to_string(), amz_date.clone()),
    ];
    let signed = vec!["host".to_string(), "x-amz-date".to_string()];
    let received = sigv4::Received {
        method: "GET",
        path: &path,
        query: "",
        headers: &headers,
        payload_hash: sigv4::EMPTY_PAYLOAD_SHA256,
    };
    let canonical = sigv4::canonical_request(&received, &signed);
    let scope = format!("{date}/{region}/cognito-idp/aws4_request");
    let to_sign = sigv4::string_to_sign(&amz_date, &scope, &canonical);
    let signature = sigv4::signature(
        &sigv4::signing_key(secret, date, &region, "cognito-idp"),
        &to_sign,
    );
    Ok(vec![
        ("Host".into(), host),
        ("X-Amz-Date".into(), amz_date),
        (
            "Authorization".into(),
            format!(
                "{} Credential={id}/{scope}, SignedHeaders=host;x-amz-date, Signature={signature}",
                sigv4::ALGORITHM
            ),
        ),
    ])
}
