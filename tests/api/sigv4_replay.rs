//! A signed request that changes state is accepted once: a captured copy sent again within
//! its signature's window is refused (401, as every refused credential), changes nothing
//! and is audited as `replayed`. Reads may repeat, Bearer keys carry no signature, and the
//! same operation signed again (a new signature) passes. Several processes sharing one
//! database refuse a copy the other accepted.

use std::time::{Duration, SystemTime};

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::cognito::{TARGET, env, expect_exception};
use crate::helpers::iam::{Key, Signed, Signing, arn, sign_request};
use crate::helpers::{Answer, Backend, TestApp, spawn_app, spawn_on};
use crate::on_both;

on_both!(
    a_signed_write_sent_again_is_refused_and_changes_nothing,
    of_parallel_copies_of_a_signed_write_exactly_one_passes,
    a_presigned_write_is_used_once,
    signed_reads_may_repeat,
    the_same_write_signed_again_passes,
    bearer_keys_are_not_affected,
    a_cognito_api_write_sent_again_is_refused,
    a_copy_sent_to_another_process_is_refused,
    used_signatures_are_swept_once_they_cannot_verify,
    a_cognito_signature_must_cover_the_operation,
);

const REPLAYED: &str = "this signed request was already used; sign the request again";

async fn admin_key(app: &TestApp) -> Key {
    app.iam_user_attached("admin", "AdministratorAccess").await
}

#[track_caller]
fn replayed(answer: &Answer) {
    answer.expect_error(401, "unauthorized");
    assert_eq!(answer.message(), REPLAYED);
}

/// `method /admin/v1{path}` (with a JSON body, if given) signed with `key`, captured to
/// send as often as a test likes.
fn capture(
    app: &TestApp,
    key: &Key,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (Signed, Vec<u8>) {
    capture_at(app, key, method, path, body, &Signing::default())
}

fn capture_at(
    app: &TestApp,
    key: &Key,
    method: &str,
    path: &str,
    body: Option<&Value>,
    signing: &Signing,
) -> (Signed, Vec<u8>) {
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let url = app.url(&format!("/admin/v1{path}"));
    let json = [("content-type", "application/json")];
    let headers: &[(&str, &str)] = if bytes.is_empty() { &[] } else { &json };
    (
        sign_request(key, method, &url, headers, &bytes, signing),
        bytes,
    )
}

async fn group_names(app: &TestApp) -> Vec<String> {
    app.admin("GET", "/iam/groups", None).await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect()
}

async fn a_signed_write_sent_again_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = admin_key(&app).await;
    let (signed, body) = capture(
        &app,
        &key,
        "POST",
        "/iam/groups",
        Some(&json!({"name": "ops"})),
    );
    app.send_signed("POST", signed.clone(), body.clone())
        .await
        .expect(201);
    // The attack as reported: the group is deleted, and the captured request creates it
    // again.
    app.admin("DELETE", "/iam/groups/ops", None)
        .await
        .expect(204);
    let again = app.send_signed("POST", signed, body).await;
    replayed(&again);
    assert!(
        !group_names(&app).await.contains(&"ops".to_string()),
        "the copy created nothing"
    );
    // Audited like every refusal, naming whose signature was sent again.
    let request_id = again.headers["x-request-id"].to_str().unwrap();
    let rows: Vec<Value> = app
        .audit("action=iam:CreateGroup")
        .await
        .into_iter()
        .filter(|e| e["request_id"] == request_id)
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["decision"], "replayed");
    assert_eq!(rows[0]["principal_arn"], arn("user", "admin"));
    assert_eq!(rows[0]["access_key_id"], key.id.as_str());
    assert_eq!(rows[0]["status"], 401);
}

async fn of_parallel_copies_of_a_signed_write_exactly_one_passes(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = admin_key(&app).await;
    app.admin("POST", "/iam/groups", Some(json!({"name": "crew"})))
        .await
        .expect(201);
    app.admin("POST", "/iam/users", Some(json!({"name": "bob"})))
        .await
        .expect(201);
    // Adding a member is idempotent, so without the check every copy would pass.
    let (signed, body) = capture(&app, &key, "PUT", "/iam/groups/crew/members/bob", None);
    let copies = (0..10).map(|_| app.send_signed("PUT", signed.clone(), body.clone()));
    let answers = join_all(copies).await;
    let passed = answers.iter().filter(|a| a.status == 204).count();
    assert_eq!(
        passed,
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for answer in answers.iter().filter(|a| a.status != 204) {
        replayed(answer);
    }
    // The same with a create: one group, nine refusals (not nine conflicts).
    let (signed, body) = capture(
        &app,
        &key,
        "POST",
        "/iam/groups",
        Some(&json!({"name": "race"})),
    );
    let copies = (0..10).map(|_| app.send_signed("POST", signed.clone(), body.clone()));
    let answers = join_all(copies).await;
    assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 1);
    for answer in answers.iter().filter(|a| a.status != 201) {
        replayed(answer);
    }
}

async fn a_presigned_write_is_used_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = admin_key(&app).await;
    app.admin("POST", "/iam/groups", Some(json!({"name": "temp"})))
        .await
        .expect(201);
    let presigned = Signing {
        presign: Some(Duration::from_secs(3600)),
        ..Default::default()
    };
    let url = app.url("/admin/v1/iam/groups/temp");
    let signed = sign_request(&key, "DELETE", &url, &[], b"", &presigned);
    app.send_signed("DELETE", signed.clone(), Vec::new())
        .await
        .expect(204);
    app.admin("POST", "/iam/groups", Some(json!({"name": "temp"})))
        .await
        .expect(201);
    replayed(&app.send_signed("DELETE", signed, Vec::new()).await);
    assert!(group_names(&app).await.contains(&"temp".to_string()));
}

async fn signed_reads_may_repeat(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = admin_key(&app).await;
    let url = app.url("/admin/v1/iam/groups");
    let signed = sign_request(&key, "GET", &url, &[], b"", &Signing::default());
    for _ in 0..3 {
        app.send_signed("GET", signed.clone(), Vec::new())
            .await
            .expect(200);
    }
    let presigned = Signing {
        presign: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let signed = sign_request(&key, "GET", &url, &[], b"", &presigned);
    for _ in 0..3 {
        app.send_signed("GET", signed.clone(), Vec::new())
            .await
            .expect(200);
    }
}

async fn the_same_write_signed_again_passes(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = admin_key(&app).await;
    let body = json!({"name": "twice"});
    let now = SystemTime::now();
    let first = Signing {
        time: now - Duration::from_secs(2),
        ..Default::default()
    };
    let second = Signing {
        time: now,
        ..Default::default()
    };
    let (signed, bytes) = capture_at(&app, &key, "POST", "/iam/groups", Some(&body), &first);
    app.send_signed("POST", signed, bytes).await.expect(201);
    app.admin("DELETE", "/iam/groups/twice", None)
        .await
        .expect(204);
    let (signed, bytes) = capture_at(&app, &key, "POST", "/iam/groups", Some(&body), &second);
    app.send_signed("POST", signed, bytes).await.expect(201);
}

async fn bearer_keys_are_not_affected(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = admin_key(&app).await;
    app.with_key(&key, "POST", "/iam/groups", Some(json!({"name": "b"})))
        .await
        .expect(201);
    app.with_key(&key, "POST", "/iam/users", Some(json!({"name": "u"})))
        .await
        .expect(201);
    for _ in 0..2 {
        app.with_key(&key, "PUT", "/iam/groups/b/members/u", None)
            .await
            .expect(204);
    }
}

async fn a_cognito_api_write_sent_again_is_refused(backend: Backend) {
    let env = env(backend).await;
    let url = env.app.url("/");
    let sign_op = |operation: &str, body: Value| {
        let target = format!("{TARGET}{operation}");
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ];
        let bytes = serde_json::to_vec(&body).unwrap();
        let signed = sign_request(
            &env.key,
            "POST",
            &url,
            &headers,
            &bytes,
            &Signing::default(),
        );
        (signed, bytes)
    };
    let create = json!({"UserPoolId": env.pool, "Username": "carol", "MessageAction": "SUPPRESS"});
    let (signed, bytes) = sign_op("AdminCreateUser", create);
    let made = env
        .app
        .send_signed("POST", signed.clone(), bytes.clone())
        .await;
    assert_eq!(made.status, 200, "{}", made.text);
    env.admin
        .admin_delete_user()
        .user_pool_id(&env.pool)
        .username("carol")
        .send()
        .await
        .expect("AdminDeleteUser");
    let again = env.app.send_signed("POST", signed, bytes).await;
    expect_exception(&again, "UnrecognizedClientException");
    assert_eq!(
        again.body["message"],
        "This signed request was already used; sign the request again."
    );
    let gone = env
        .admin
        .admin_get_user()
        .user_pool_id(&env.pool)
        .username("carol")
        .send()
        .await;
    assert!(gone.is_err(), "the copy created nothing");
    let rows = env.app.audit("action=cognito-idp:AdminCreateUser").await;
    assert!(
        rows.iter()
            .any(|r| r["decision"] == "replayed" && r["principal_arn"] == arn("user", "backend")),
        "{rows:?}"
    );
    // A read through the same door may repeat.
    let list = json!({"UserPoolId": env.pool});
    let (signed, bytes) = sign_op("ListUsers", list);
    for _ in 0..2 {
        let answer = env
            .app
            .send_signed("POST", signed.clone(), bytes.clone())
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
}

async fn a_copy_sent_to_another_process_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = spawn_on(app.db.clone(), &[], None).await;
    let key = admin_key(&app).await;
    let (signed, body) = capture(
        &app,
        &key,
        "POST",
        "/iam/groups",
        Some(&json!({"name": "shared"})),
    );
    app.send_signed("POST", signed.clone(), body.clone())
        .await
        .expect(201);
    app.admin("DELETE", "/iam/groups/shared", None)
        .await
        .expect(204);
    // The same bytes, host header included, to the second process.
    let mut copy = signed.clone();
    copy.url = copy.url.replace(&app.address, &other.address);
    copy.headers
        .retain(|(name, _)| !name.eq_ignore_ascii_case("host"));
    copy.headers.push((
        "host".into(),
        app.address.trim_start_matches("http://").into(),
    ));
    replayed(&other.send_signed("POST", copy, body).await);
    assert!(!group_names(&app).await.contains(&"shared".to_string()));
}

async fn used_signatures_are_swept_once_they_cannot_verify(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = &app.ctx.store;
    let now = app.ctx.now();
    let margin = cognate::iam::replay::CLOCK_MARGIN_MS;
    let old = "1".repeat(64);
    let fresh = "2".repeat(64);
    assert!(
        cognate::iam::replay::first_use(store, &old, now - margin - 1)
            .await
            .unwrap()
    );
    assert!(
        cognate::iam::replay::first_use(store, &fresh, now)
            .await
            .unwrap()
    );
    assert!(
        !cognate::iam::replay::first_use(store, &fresh, now)
            .await
            .unwrap()
    );
    assert_eq!(cognate::iam::replay::sweep(store, now).await.unwrap(), 1);
    // The fresh one is still there; the swept one could be noted again.
    assert!(
        !cognate::iam::replay::first_use(store, &fresh, now)
            .await
            .unwrap()
    );
    assert!(
        cognate::iam::replay::first_use(store, &old, now - margin - 1)
            .await
            .unwrap()
    );
}

/// A signature that does not cover `X-Amz-Target` does not say which operation it allows: a
/// captured `DescribeUserPool` sent again as `DeleteUserPool` over the same signed body.
async fn a_cognito_signature_must_cover_the_operation(backend: Backend) {
    let env = env(backend).await;
    let url = env.app.url("/");
    let body = serde_json::to_vec(&json!({"UserPoolId": env.pool})).unwrap();
    // Signed without the target; the target is added after signing.
    let mut signed = sign_request(
        &env.key,
        "POST",
        &url,
        &[("content-type", "application/x-amz-json-1.1")],
        &body,
        &Signing::default(),
    );
    signed
        .headers
        .push(("x-amz-target".into(), format!("{TARGET}DeleteUserPool")));
    let answer = env.app.send_signed("POST", signed, body.clone()).await;
    expect_exception(&answer, "UnrecognizedClientException");
    env.admin
        .describe_user_pool()
        .user_pool_id(&env.pool)
        .send()
        .await
        .expect("the pool is still there");
}
