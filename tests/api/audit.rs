//! The audit trail: every admin request once, with its fields, written with the change it
//! records; no secret in the table or the logs; the root key's every use; and the
//! `root-key` commands.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::iam::{Key, Signing, arn, pool_arn, sign_request};
use crate::helpers::{ADMIN_KEY, Backend, TestApp, spawn_app, spawn_app_with_clock};
use crate::on_both;
use crate::process::Process;

on_both!(
    every_request_is_recorded_once_with_its_fields,
    a_failed_write_is_not_recorded_as_a_success,
    the_root_key_can_be_disabled_enabled_and_rotated,
    audit_events_filter_and_page,
);

/// The events of the request with this `x-request-id`.
async fn events_of(app: &TestApp, request_id: &str) -> Vec<Value> {
    app.audit("")
        .await
        .into_iter()
        .filter(|e| e["request_id"] == request_id)
        .collect()
}

fn request_id(answer: &crate::helpers::Answer) -> String {
    answer.headers["x-request-id"].to_str().unwrap().to_string()
}

async fn every_request_is_recorded_once_with_its_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let key = app
        .iam_user_attached("reader", "AmazonCognitoReadOnly")
        .await;

    // Allowed read.
    let answer = app
        .send_signed_with_agent(&key, "GET", &format!("/pools/{pool}"), "audit-test/1.0")
        .await;
    assert_eq!(answer.status, 200);
    let rows = events_of(&app, &request_id(&answer)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["principal_arn"], arn("user", "reader"));
    assert_eq!(row["access_key_id"], key.id.as_str());
    assert_eq!(row["action"], "cognito-idp:DescribeUserPool");
    assert_eq!(row["resource"], pool_arn(&pool));
    assert_eq!(row["decision"], "allowed");
    assert_eq!(row["deciding_policy"], "AmazonCognitoReadOnly");
    assert_eq!(row["source_address"], "127.0.0.1");
    assert_eq!(row["user_agent"], "audit-test/1.0");
    assert_eq!(row["status"], 200);
    assert!(row["time"].is_string());

    // Denied write.
    let answer = app
        .signed(&key, "DELETE", &format!("/pools/{pool}"), None)
        .await;
    assert_eq!(answer.status, 403);
    let rows = events_of(&app, &request_id(&answer)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["decision"], "implicitly_denied");
    assert_eq!(rows[0]["action"], "cognito-idp:DeleteUserPool");
    assert_eq!(rows[0]["status"], 403);

    // A committed change: one row (written in the change's transaction), with its status.
    let answer = app
        .admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(json!({"username": "amy"})),
        )
        .await;
    assert_eq!(answer.status, 201);
    let rows = events_of(&app, &request_id(&answer)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["principal_arn"], "arn:aws:iam::000000000000:root");
    assert_eq!(rows[0]["deciding_policy"], "root");
    assert_eq!(rows[0]["status"], 201);
    assert!(rows[0]["access_key_id"].is_null());

    // Refused credentials.
    let answer = app
        .send(app.http.get(app.url("/admin/v1/pools")).bearer_auth("nope"))
        .await;
    assert_eq!(answer.status, 401);
    let rows = events_of(&app, &request_id(&answer)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["decision"], "unauthenticated");
    assert!(rows[0]["principal_arn"].is_null());

    // Many at once: each exactly once.
    let asks = (0..20).map(|_| app.signed(&key, "GET", "/pools", None));
    let answers = futures_util::future::join_all(asks).await;
    for answer in &answers {
        assert_eq!(answer.status, 200);
    }
    let all = app.audit("action=cognito-idp%3AListUserPools").await;
    for answer in &answers {
        let id = request_id(answer);
        assert_eq!(
            all.iter()
                .filter(|e| e["request_id"] == id.as_str())
                .count(),
            1
        );
    }
}

async fn a_failed_write_is_not_recorded_as_a_success(backend: Backend) {
    let app = spawn_app(backend).await;
    app.admin("POST", "/iam/users", Some(json!({"name": "dup"})))
        .await
        .expect(201);
    let answer = app
        .admin("POST", "/iam/users", Some(json!({"name": "dup"})))
        .await;
    assert_eq!(answer.status, 409);
    let rows = events_of(&app, &request_id(&answer)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], 409);
    // A write refused by validation, and one on a missing pool.
    let answer = app
        .admin("POST", "/iam/users", Some(json!({"name": "bad name"})))
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(
        events_of(&app, &request_id(&answer)).await[0]["status"],
        422
    );
    let answer = app
        .admin(
            "POST",
            "/pools/local_nothere1/users",
            Some(json!({"username": "x"})),
        )
        .await;
    assert_eq!(answer.status, 404);
    let rows = events_of(&app, &request_id(&answer)).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], 404);
    // No row anywhere claims a success that left nothing behind.
    for event in app.audit("action=iam%3ACreateUser").await {
        if event["status"] == 201 {
            assert_eq!(event["resource"], arn("user", "dup"));
        }
    }
    assert_eq!(
        app.audit("action=iam%3ACreateUser")
            .await
            .iter()
            .filter(|e| e["status"] == 201)
            .count(),
        1
    );
}

/// Runs `cognate root-key <action>` against the app's database; its stdout.
fn root_key(app: &TestApp, action: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cognate"))
        .env_clear()
        .env("COGNATE_DATA_DIR", app.db.dir.path())
        .env("COGNATE_DATABASE_URL", &app.db.url)
        .args(["root-key", action])
        .output()
        .expect("cognate runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn the_root_key_can_be_disabled_enabled_and_rotated(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    let admin = app.iam_user_attached("admin", "AdministratorAccess").await;
    app.admin("GET", "/pools", None).await.expect(200);

    root_key(&app, "disable");
    // Another process changed it: seen within the cache's five seconds.
    clock.advance_secs(6);
    let refused = app.admin("GET", "/pools", None).await;
    refused.expect_error(401, "unauthorized");
    assert_eq!(
        refused.message(),
        "the request signature or credentials are invalid"
    );
    // Access keys are unaffected.
    app.with_key(&admin, "GET", "/pools", None)
        .await
        .expect(200);

    root_key(&app, "enable");
    clock.advance_secs(6);
    app.admin("GET", "/pools", None).await.expect(200);

    let new_key = root_key(&app, "rotate").trim().to_string();
    assert!(new_key.len() >= 32, "{new_key}");
    clock.advance_secs(6);
    app.admin("GET", "/pools", None)
        .await
        .expect_error(401, "unauthorized");
    let answer = app
        .send(
            app.http
                .get(app.url("/admin/v1/pools"))
                .bearer_auth(&new_key),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);

    // Every root use is audited as root; the root key cannot sign.
    let events = app
        .with_key(
            &admin,
            "GET",
            "/audit-events?principal=arn%3Aaws%3Aiam%3A%3A000000000000%3Aroot",
            None,
        )
        .await
        .expect(200);
    let items = events["items"].as_array().unwrap();
    assert!(items.len() >= 4, "{items:?}");
    assert!(
        items
            .iter()
            .all(|e| e["deciding_policy"] == "root" && e["access_key_id"].is_null())
    );
    let as_key = Key {
        id: new_key.clone(),
        secret: new_key.clone(),
        token: None,
    };
    let signing = Signing {
        time: std::time::UNIX_EPOCH + std::time::Duration::from_millis(app.ctx.now() as u64),
        ..Default::default()
    };
    app.signed_with(&as_key, "GET", "/pools", None, &signing)
        .await
        .expect_error(401, "unauthorized");
    let _ = ADMIN_KEY;
}

async fn audit_events_filter_and_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = app.iam_user_attached("a", "AmazonCognitoReadOnly").await;
    for _ in 0..5 {
        app.signed(&key, "GET", "/pools", None).await.expect(200);
    }
    let mine = app
        .audit(&format!(
            "principal={}",
            crate::helpers::urlencode(&arn("user", "a"))
        ))
        .await;
    assert_eq!(mine.len(), 5);
    let first = app
        .admin(
            "GET",
            "/audit-events?limit=2&action=cognito-idp%3AListUserPools",
            None,
        )
        .await
        .expect(200);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert!(first["next_token"].is_string());
    let later = app
        .admin("GET", "/audit-events?since=2999-01-01T00:00:00Z", None)
        .await
        .expect(200);
    assert_eq!(later["items"], json!([]));
    app.admin("GET", "/audit-events?since=yesterday", None)
        .await
        .expect_error(400, "invalid_request");
    app.admin("GET", "/audit-events?limit=0", None)
        .await
        .expect_error(422, "validation_failed");
    // There is no way to change or delete events.
    for method in ["DELETE", "PUT", "PATCH", "POST"] {
        app.admin(method, "/audit-events", None)
            .await
            .expect_error(405, "method_not_allowed");
    }
}

/// The whole flow in a real process with JSON logs: no secret, token or key appears in
/// any log line, and each admin request is one `audit` line (the root's at WARN).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let process = Process::start(&[("COGNATE_DATA_DIR", &data), ("RUST_LOG", "debug")]).await;
    let base = format!("http://127.0.0.1:{}/admin/v1", process.port);
    let http = openidconnect::reqwest::Client::new();
    let root = |method: &str, path: &str, body: Option<Value>| {
        let method = openidconnect::reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = http
            .request(method, format!("{base}{path}"))
            .bearer_auth(ADMIN_KEY);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        request.send()
    };
    let status = |r: openidconnect::reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(
            root("POST", "/iam/users", Some(json!({"name": "logger"})))
                .await
                .unwrap()
        ),
        201
    );
    assert_eq!(
        status(
            root(
                "PUT",
                "/iam/users/logger/attached-policies/AdministratorAccess",
                None
            )
            .await
            .unwrap()
        ),
        204
    );
    let made: Value = serde_json::from_str(
        &root("POST", "/iam/users/logger/access-keys", None)
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let key = Key {
        id: made["access_key_id"].as_str().unwrap().into(),
        secret: made["secret_access_key"].as_str().unwrap().into(),
        token: None,
    };
    let trust = json!({"name": "r", "trust_policy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Principal": {"AWS": arn("user", "logger")}, "Action": "sts:AssumeRole"}}});
    assert_eq!(
        status(root("POST", "/iam/roles", Some(trust)).await.unwrap()),
        201
    );
    let send = |signed: crate::helpers::iam::Signed, method: &str, body: Vec<u8>| {
        let method = openidconnect::reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = http.request(method, &signed.url).body(body);
        for (n, v) in &signed.headers {
            request = request.header(n.as_str(), v.as_str());
        }
        request.send()
    };
    let signed = sign_request(
        &key,
        "GET",
        &format!("{base}/pools"),
        &[],
        b"",
        &Signing::default(),
    );
    assert_eq!(status(send(signed, "GET", Vec::new()).await.unwrap()), 200);
    let body = json!({"role_name": "r", "session_name": "ses"})
        .to_string()
        .into_bytes();
    let signed = sign_request(
        &key,
        "POST",
        &format!("{base}/sts/assume-role"),
        &[("content-type", "application/json")],
        &body,
        &Signing::default(),
    );
    let creds: Value = serde_json::from_str(
        &send(signed, "POST", body)
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let token = creds["session_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{creds}"))
        .to_string();
    let session_secret = creds["secret_access_key"].as_str().unwrap().to_string();
    let guess = http
        .get(format!("{base}/pools"))
        .bearer_auth(format!("{}:{}", key.id, "guess".repeat(8)))
        .send()
        .await
        .unwrap();
    assert_eq!(guess.status().as_u16(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let log = process.all_lines();
    for secret in [
        key.secret.as_str(),
        token.as_str(),
        session_secret.as_str(),
        ADMIN_KEY,
        "guessguess",
    ] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
    let audit = process.lines_with_target("audit");
    assert!(audit.len() >= 7, "{audit:?}");
    assert!(
        audit
            .iter()
            .any(|l| l["level"] == "WARN" && l["principal"] == "arn:aws:iam::000000000000:root"),
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|l| l["level"] == "INFO" && l["principal"] == arn("user", "logger").as_str())
    );
}
