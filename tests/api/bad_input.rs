//! Bad input on every admin route family: each test sends one class of bad input to pools,
//! clients, resource servers, users, user actions, groups and group membership, checks the
//! documented status and error code, that no answer is a 5xx, and that the database is
//! exactly as it was before.
//!
//! Each test records every failed expectation and reports them all at the end, so one run
//! shows every route that misbehaves, not only the first.

use std::fmt::Display;

use base64::Engine;
use openidconnect::reqwest;
use serde_json::{Map, Value, json};

use crate::helpers::{
    ADMIN_KEY, Answer, Backend, PASSWORD, TestApp, path_segment, spawn_app, urlencode,
};
use crate::on_both;

on_both!(
    malformed_bodies_are_invalid_requests,
    empty_and_oversized_strings_are_rejected,
    unicode_edge_cases_in_names,
    unknown_ids_are_not_found,
    malformed_path_ids_are_not_found,
    duplicate_names_conflict,
    missing_or_wrong_admin_key_is_unauthorized,
);

const RS: &str = "https://api.example.com";
const NEW_PASSWORD: &str = "Another-pass-42";

// ---------------------------------------------------------------------------------------------
// Collecting failures
// ---------------------------------------------------------------------------------------------

/// Failed expectations, reported together when the test ends.
#[derive(Default)]
struct Checks {
    failures: Vec<String>,
}

fn shorten(text: &str) -> String {
    const MAX: usize = 300;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!(
            "{}… ({} chars)",
            text.chars().take(MAX).collect::<String>(),
            text.chars().count()
        )
    }
}

fn got(answer: &Answer) -> String {
    let server_error = if answer.status >= 500 {
        "SERVER ERROR "
    } else {
        ""
    };
    format!("{server_error}{} {}", answer.status, shorten(&answer.text))
}

impl Checks {
    fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    /// One of the allowed `(status, code)` error answers, with a message; never a 5xx.
    fn error_in(&mut self, what: impl Display, answer: &Answer, allowed: &[(u16, &str)]) -> bool {
        let ok = answer.status < 500
            && allowed
                .iter()
                .any(|(s, c)| answer.status == *s && answer.code() == *c)
            && !answer.message().is_empty();
        if !ok {
            let expected: Vec<String> = allowed.iter().map(|(s, c)| format!("{s} {c}")).collect();
            self.fail(format!(
                "{what}: expected {}, got {}",
                expected.join(" or "),
                got(answer)
            ));
        }
        ok
    }

    fn error(&mut self, what: impl Display, answer: &Answer, status: u16, code: &str) -> bool {
        self.error_in(what, answer, &[(status, code)])
    }

    /// 422 `validation_failed` whose message starts with the field at fault.
    fn invalid(&mut self, what: impl Display, answer: &Answer, field: &str) {
        let what = what.to_string();
        if self.error(&what, answer, 422, "validation_failed")
            && !answer.message().starts_with(field)
        {
            self.fail(format!(
                "{what}: the message should start with `{field}`: {}",
                answer.message()
            ));
        }
    }

    /// 401 with the error shape and a `WWW-Authenticate: Bearer` challenge.
    fn unauthorized(&mut self, what: impl Display, answer: &Answer) {
        let what = what.to_string();
        if self.error(&what, answer, 401, "unauthorized") {
            let challenge = answer
                .headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !challenge.starts_with("Bearer") {
                self.fail(format!(
                    "{what}: 401 without a Bearer WWW-Authenticate header"
                ));
            }
        }
    }

    /// A success answer; returns its body (null when the status is wrong).
    fn success(&mut self, what: impl Display, answer: Answer, status: u16) -> Value {
        if answer.status == status {
            answer.body
        } else {
            self.fail(format!("{what}: expected {status}, got {}", got(&answer)));
            Value::Null
        }
    }

    fn equal(&mut self, what: impl Display, expected: &Value, actual: &Value) {
        let mut found = Vec::new();
        differences("", expected, actual, &mut found);
        if !found.is_empty() {
            self.fail(format!("{what} changed:\n      {}", found.join("\n      ")));
        }
    }

    #[track_caller]
    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} failed expectation(s):\n  - {}",
            self.failures.len(),
            self.failures.join("\n  - ")
        );
    }
}

/// Where two JSON documents differ, as `path: before -> after` (at most 20).
fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    if out.len() >= 20 || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let null = Value::Null;
                differences(
                    &format!("{path}/{key}"),
                    x.get(key).unwrap_or(&null),
                    y.get(key).unwrap_or(&null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ => out.push(format!(
            "{path}: {} -> {}",
            shorten(&a.to_string()),
            shorten(&b.to_string())
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The database as the API shows it
// ---------------------------------------------------------------------------------------------

/// Everything the admin API can show: every pool with its clients, resource servers, users
/// (with their groups) and groups (with their members), each also fetched on its own.
async fn snapshot(app: &TestApp) -> Value {
    let mut pools = Map::new();
    for pool in app.list_all("/pools", 60).await {
        let id = pool["id"].as_str().expect("pool id").to_string();
        let base = format!("/pools/{id}");
        let fetched = app.admin("GET", &base, None).await.expect(200);

        let mut clients = Map::new();
        for client in app.list_all(&format!("{base}/clients"), 60).await {
            let client_id = client["client_id"].as_str().expect("client id").to_string();
            let one = app
                .admin("GET", &format!("{base}/clients/{client_id}"), None)
                .await
                .expect(200);
            clients.insert(client_id, json!({"listed": client, "fetched": one}));
        }

        let mut resource_servers = Map::new();
        for server in app.list_all(&format!("{base}/resource-servers"), 60).await {
            let identifier = server["identifier"]
                .as_str()
                .expect("identifier")
                .to_string();
            let path = format!("{base}/resource-servers/{}", path_segment(&identifier));
            let one = app.admin("GET", &path, None).await.expect(200);
            resource_servers.insert(identifier, json!({"listed": server, "fetched": one}));
        }

        let mut users = Map::new();
        for user in app.list_all(&format!("{base}/users"), 60).await {
            let username = user["username"].as_str().expect("username").to_string();
            let path = format!("{base}/users/{}", path_segment(&username));
            let one = app.admin("GET", &path, None).await.expect(200);
            let groups = app.list_all(&format!("{path}/groups"), 60).await;
            users.insert(
                username,
                json!({"listed": user, "fetched": one, "groups": groups}),
            );
        }

        let mut groups = Map::new();
        for group in app.list_all(&format!("{base}/groups"), 60).await {
            let name = group["name"].as_str().expect("group name").to_string();
            let path = format!("{base}/groups/{}", path_segment(&name));
            let one = app.admin("GET", &path, None).await.expect(200);
            let members = app.list_all(&format!("{path}/members"), 60).await;
            groups.insert(
                name,
                json!({"listed": group, "fetched": one, "members": members}),
            );
        }

        pools.insert(
            id,
            json!({"listed": pool, "fetched": fetched, "clients": clients,
                   "resource_servers": resource_servers, "users": users, "groups": groups}),
        );
    }
    Value::Object(pools)
}

// ---------------------------------------------------------------------------------------------
// Fixture and routes
// ---------------------------------------------------------------------------------------------

/// One of everything: a pool with a confidential client, a resource server with a scope, a
/// user, and a group the user is in.
struct Fixture {
    pool: String,
    client: String,
    rs: String,
    user: String,
    group: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let pool = app.create_pool("main", json!({})).await;
    let client = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "web", "generate_secret": true})),
        )
        .await
        .expect(201);
    let client = client["client_id"].as_str().expect("client id").to_string();
    app.admin(
        "POST",
        &format!("/pools/{pool}/resource-servers"),
        Some(json!({"identifier": RS, "name": "API", "scopes": [{"name": "read", "description": "Read things"}]})),
    )
    .await
    .expect(201);
    app.create_user(&pool, "alice").await;
    app.admin(
        "POST",
        &format!("/pools/{pool}/groups"),
        Some(json!({"name": "admins", "description": "Admins", "precedence": 1})),
    )
    .await
    .expect(201);
    app.admin(
        "PUT",
        &format!("/pools/{pool}/groups/admins/members/alice"),
        None,
    )
    .await
    .expect(204);
    Fixture {
        pool,
        client,
        rs: RS.to_string(),
        user: "alice".into(),
        group: "admins".into(),
    }
}

impl Fixture {
    fn pool_path(&self) -> String {
        format!("/pools/{}", self.pool)
    }
    fn client_path(&self) -> String {
        format!("/pools/{}/clients/{}", self.pool, self.client)
    }
    fn rs_path(&self) -> String {
        format!(
            "/pools/{}/resource-servers/{}",
            self.pool,
            path_segment(&self.rs)
        )
    }
    fn user_path(&self) -> String {
        format!("/pools/{}/users/{}", self.pool, self.user)
    }
    fn group_path(&self) -> String {
        format!("/pools/{}/groups/{}", self.pool, self.group)
    }

    /// Every route inside the fixture's pool, aimed at its records.
    fn calls(&self) -> Vec<Call> {
        in_pool(
            &self.pool,
            &self.client,
            &path_segment(&self.rs),
            &self.user,
            &self.group,
        )
    }

    /// Every route that takes a JSON body, with a body that would succeed.
    fn body_calls(&self) -> Vec<Call> {
        let mut calls = pool_collection();
        calls.extend(self.calls());
        calls.retain(|c| c.body.is_some());
        calls
    }
}

/// A request to `/admin/v1{path}`.
#[derive(Clone)]
struct Call {
    method: &'static str,
    path: String,
    body: Option<Value>,
}

impl Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, shorten(&self.path))
    }
}

fn call(method: &'static str, path: impl Into<String>, body: Option<Value>) -> Call {
    Call {
        method,
        path: path.into(),
        body,
    }
}

async fn send(app: &TestApp, call: &Call) -> Answer {
    app.admin(call.method, &call.path, call.body.clone()).await
}

/// Any request to any path, with exactly the given headers.
async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = app.http.request(method, app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    app.send(request).await
}

fn pool_collection() -> Vec<Call> {
    vec![
        call("GET", "/pools", None),
        call(
            "POST",
            "/pools",
            Some(json!({"name": "created-by-mistake"})),
        ),
    ]
}

fn pool_item(pool: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}");
    vec![
        call("GET", &p, None),
        call("PATCH", &p, Some(json!({"name": "renamed-by-mistake"}))),
        call("DELETE", &p, None),
    ]
}

fn client_collection(pool: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}/clients");
    vec![
        call("GET", &p, None),
        call("POST", &p, Some(json!({"name": "created-by-mistake"}))),
    ]
}

fn client_item(pool: &str, client: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}/clients/{client}");
    vec![
        call("GET", &p, None),
        call("PATCH", &p, Some(json!({"name": "renamed-by-mistake"}))),
        call("POST", format!("{p}/secret"), None),
        call("DELETE", &p, None),
    ]
}

fn rs_collection(pool: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}/resource-servers");
    vec![
        call("GET", &p, None),
        call(
            "POST",
            &p,
            Some(json!({"identifier": "urn:created-by-mistake", "name": "Mistake"})),
        ),
    ]
}

/// `rs` is the identifier as a path segment (already percent-encoded).
fn rs_item(pool: &str, rs: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}/resource-servers/{rs}");
    vec![
        call("GET", &p, None),
        call("PUT", &p, Some(json!({"name": "Renamed by mistake"}))),
        call("DELETE", &p, None),
    ]
}

fn user_collection(pool: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}/users");
    vec![
        call("GET", &p, None),
        call(
            "POST",
            &p,
            Some(json!({"username": "created-by-mistake", "password": PASSWORD})),
        ),
    ]
}

fn user_item(pool: &str, user: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}/users/{user}");
    vec![
        call("GET", &p, None),
        call(
            "PATCH",
            &p,
            Some(json!({"attributes": {"given_name": "Changed"}})),
        ),
        call("POST", format!("{p}/disable"), None),
        call("POST", format!("{p}/enable"), None),
        call("POST", format!("{p}/confirm"), None),
        call(
            "POST",
            format!("{p}/password"),
            Some(json!({"password": NEW_PASSWORD, "permanent": true})),
        ),
        call("POST", format!("{p}/reset-password"), None),
        call("POST", format!("{p}/sign-out"), None),
        call("GET", format!("{p}/groups"), None),
        call("DELETE", &p, None),
    ]
}

fn group_collection(pool: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}/groups");
    vec![
        call("GET", &p, None),
        call("POST", &p, Some(json!({"name": "created-by-mistake"}))),
    ]
}

fn group_item(pool: &str, group: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}/groups/{group}");
    vec![
        call("GET", &p, None),
        call(
            "PATCH",
            &p,
            Some(json!({"description": "changed by mistake"})),
        ),
        call("GET", format!("{p}/members"), None),
        call("DELETE", &p, None),
    ]
}

fn membership(pool: &str, group: &str, user: &str) -> Vec<Call> {
    let p = format!("/pools/{pool}/groups/{group}/members/{user}");
    vec![call("PUT", &p, None), call("DELETE", &p, None)]
}

/// Every route under one pool; deletions last, so a wrongly accepted one cannot hide
/// mistakes in the others.
fn in_pool(pool: &str, client: &str, rs: &str, user: &str, group: &str) -> Vec<Call> {
    let mut calls = pool_item(pool);
    calls.extend(client_collection(pool));
    calls.extend(client_item(pool, client));
    calls.extend(rs_collection(pool));
    calls.extend(rs_item(pool, rs));
    calls.extend(user_collection(pool));
    calls.extend(user_item(pool, user));
    calls.extend(group_collection(pool));
    calls.extend(group_item(pool, group));
    calls.extend(membership(pool, group, user));
    calls.sort_by_key(|c| c.method == "DELETE");
    calls
}

/// Every list route of the fixture.
fn list_paths(f: &Fixture) -> Vec<String> {
    let p = f.pool_path();
    vec![
        "/pools".to_string(),
        format!("{p}/clients"),
        format!("{p}/resource-servers"),
        format!("{p}/users"),
        format!("{p}/groups"),
        format!("{}/members", f.group_path()),
        format!("{}/groups", f.user_path()),
    ]
}

/// `template` with the string at JSON pointer `at` replaced by `value`.
fn with(template: &Value, at: &str, value: &str) -> Value {
    let mut body = template.clone();
    *body.pointer_mut(at).expect("pointer into template") = json!(value);
    body
}

// ---------------------------------------------------------------------------------------------
// 1. Malformed JSON, wrong types, unknown fields, wrong content type
// ---------------------------------------------------------------------------------------------

async fn malformed_bodies_are_invalid_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let before = snapshot(&app).await;
    let mut checks = Checks::default();

    // Bytes that are not one JSON object.
    let malformed: &[(&str, &[u8])] = &[
        ("a truncated object", br#"{"name": "x""#),
        ("a truncated string", br#"{"name": "x"#),
        ("text that is not JSON", b"name=x&password=y"),
        ("an empty body", b""),
        ("whitespace only", b"  \n "),
        ("null", b"null"),
        ("a bare string", br#""x""#),
        ("a number", b"42"),
        ("an array of objects", br#"[{"name": "x"}]"#),
        ("an empty array", b"[]"),
        (
            "an object with trailing garbage",
            br#"{"name": "x"} trailing"#,
        ),
        ("two objects", br#"{"name": "x"}{"name": "y"}"#),
        ("a trailing comma", br#"{"name": "x",}"#),
        ("single quotes", b"{'name': 'x'}"),
        ("a duplicate key", br#"{"name": "x", "name": "y"}"#),
        ("invalid UTF-8", b"{\"name\": \"\xff\xfe\"}"),
        ("a lone surrogate escape", br#"{"name": "\ud800"}"#),
    ];
    for c in f.body_calls() {
        for (label, bytes) in malformed {
            let answer = app
                .admin_raw(c.method, &c.path, "application/json", bytes.to_vec())
                .await;
            checks.error(format!("{c} with {label}"), &answer, 400, "invalid_request");
        }
    }

    // A JSON array that lists the fields in declaration order: serde can read a struct from
    // one, but the API takes objects only.
    let nulls = |n: usize| vec![Value::Null; n];
    let positional = |first: Value, rest: usize| {
        let mut items = vec![first];
        items.extend(nulls(rest));
        Value::Array(items)
    };
    for c in [
        call("POST", "/pools", Some(json!(["array-pool"]))),
        call(
            "PATCH",
            f.pool_path(),
            Some(positional(json!("array-pool-renamed"), 8)),
        ),
        call(
            "POST",
            format!("{}/clients", f.pool_path()),
            Some(positional(json!("array-client"), 13)),
        ),
        call(
            "PATCH",
            f.client_path(),
            Some(positional(json!("array-client-renamed"), 13)),
        ),
        call(
            "POST",
            format!("{}/resource-servers", f.pool_path()),
            Some(json!(["urn:array", "Array"])),
        ),
        call("PUT", f.rs_path(), Some(json!([null, "Array"]))),
        call(
            "POST",
            format!("{}/users", f.pool_path()),
            Some(json!(["arrayuser", {}, PASSWORD, null, null])),
        ),
        call(
            "PATCH",
            f.user_path(),
            Some(json!([{"given_name": "Array"}, null])),
        ),
        call(
            "POST",
            format!("{}/password", f.user_path()),
            Some(json!([NEW_PASSWORD, true])),
        ),
        call(
            "POST",
            format!("{}/groups", f.pool_path()),
            Some(json!(["arraygroup", null, null])),
        ),
        call(
            "PATCH",
            f.group_path(),
            Some(json!(["array description", null])),
        ),
    ] {
        let answer = send(&app, &c).await;
        let body = c.body.as_ref().expect("body");
        checks.error(
            format!("{c} with the JSON array {body}"),
            &answer,
            400,
            "invalid_request",
        );
    }

    // Wrong types, and unknown fields at the top level and nested.
    let wrong_types: Vec<(&str, String, Vec<Value>)> = vec![
        (
            "POST",
            "/pools".into(),
            vec![
                json!({"name": 5}),
                json!({"name": null}),
                json!({"name": ["a"]}),
                json!({"name": "t", "deletion_protection": "yes"}),
                json!({"name": "t", "case_sensitive_usernames": 1}),
                json!({"name": "t", "username_attributes": "email"}),
                json!({"name": "t", "password_policy": {"minimum_length": "ten"}}),
                json!({"name": "t", "password_policy": {"minimum_length": -1}}),
                json!({"name": "t", "password_policy": {"minimum_length": 8.5}}),
                json!({"name": "t", "password_policy": {"minimum_length": 4_294_967_296_u64}}),
                json!({"name": "t", "password_policy": "strict"}),
                json!({"name": "t", "schema": "tenant"}),
                json!({"name": "t", "schema": [{"name": "a", "type": "string", "mutable": "no"}]}),
                json!({"name": "t", "email": {"from": 7}}),
            ],
        ),
        (
            "PATCH",
            f.pool_path(),
            vec![
                json!({"name": 5}),
                json!({"deletion_protection": "yes"}),
                json!({"password_policy": {"require_symbols": "no"}}),
                json!({"mfa_configuration": false}),
            ],
        ),
        (
            "POST",
            format!("{}/clients", f.pool_path()),
            vec![
                json!({"name": 5}),
                json!({"name": "t", "generate_secret": "yes"}),
                json!({"name": "t", "callback_urls": "https://app.example.com/cb"}),
                json!({"name": "t", "access_token_validity": "1h"}),
                json!({"name": "t", "access_token_validity": -60}),
                json!({"name": "t", "allowed_oauth_scopes": [1, 2]}),
            ],
        ),
        (
            "PATCH",
            f.client_path(),
            vec![
                json!({"name": 5}),
                json!({"generate_secret": "yes"}),
                json!({"prevent_user_existence_errors": "true"}),
            ],
        ),
        (
            "POST",
            format!("{}/resource-servers", f.pool_path()),
            vec![
                json!({"identifier": 5, "name": "t"}),
                json!({"identifier": "urn:t", "name": false}),
                json!({"identifier": "urn:t", "name": "t", "scopes": "read"}),
                json!({"identifier": "urn:t", "name": "t", "scopes": [{"name": 1, "description": "d"}]}),
            ],
        ),
        (
            "PUT",
            f.rs_path(),
            vec![
                json!({"name": 5}),
                json!({"name": "t", "scopes": {}}),
                json!({"identifier": 5, "name": "t"}),
            ],
        ),
        (
            "POST",
            format!("{}/users", f.pool_path()),
            vec![
                json!({"username": 5, "password": PASSWORD}),
                json!({"username": "t", "password": 12345678}),
                json!({"username": "t", "password": PASSWORD, "attributes": "email=t@example.com"}),
                json!({"username": "t", "password": PASSWORD, "attributes": ["email"]}),
                json!({"username": "t", "password": PASSWORD, "email_verified": "yes"}),
            ],
        ),
        (
            "PATCH",
            f.user_path(),
            vec![
                json!({"attributes": "given_name=x"}),
                json!({"attributes": null}),
                json!({"attributes": {}, "email_verified": "yes"}),
            ],
        ),
        (
            "POST",
            format!("{}/password", f.user_path()),
            vec![
                json!({"password": 123}),
                json!({"password": NEW_PASSWORD, "permanent": "yes"}),
            ],
        ),
        (
            "POST",
            format!("{}/groups", f.pool_path()),
            vec![
                json!({"name": 5}),
                json!({"name": "t", "precedence": "high"}),
                json!({"name": "t", "precedence": 1.5}),
                json!({"name": "t", "description": ["d"]}),
            ],
        ),
        (
            "PATCH",
            f.group_path(),
            vec![json!({"precedence": "1"}), json!({"description": 5})],
        ),
    ];
    let unknown_fields: Vec<(&str, String, Vec<Value>)> = vec![
        (
            "POST",
            "/pools".into(),
            vec![
                json!({"name": "t", "foo": 1}),
                json!({"name": "t", "Name": "t2"}),
                json!({"name": "t", "password_policy": {"foo": 1}}),
                json!({"name": "t", "email": {"foo": "x"}}),
                json!({"name": "t", "schema": [{"name": "a", "type": "string", "foo": 1}]}),
            ],
        ),
        (
            "PATCH",
            f.pool_path(),
            vec![
                json!({"foo": 1}),
                json!({"id": "local_AAAAAAAAA"}),
                json!({"password_policy": {"minimum_length": 10, "foo": 1}}),
            ],
        ),
        (
            "POST",
            format!("{}/clients", f.pool_path()),
            vec![
                json!({"name": "t", "foo": 1}),
                json!({"name": "t", "client_secret": "chosen"}),
            ],
        ),
        (
            "PATCH",
            f.client_path(),
            vec![json!({"client_id": "aaaaaaaaaaaaaaaaaaaaaaaaaa"})],
        ),
        (
            "POST",
            format!("{}/resource-servers", f.pool_path()),
            vec![
                json!({"identifier": "urn:t", "name": "t", "foo": 1}),
                json!({"identifier": "urn:t", "name": "t",
                   "scopes": [{"name": "r", "description": "d", "foo": 1}]}),
            ],
        ),
        ("PUT", f.rs_path(), vec![json!({"name": "t", "foo": 1})]),
        (
            "POST",
            format!("{}/users", f.pool_path()),
            vec![
                json!({"username": "t", "password": PASSWORD, "foo": 1}),
                json!({"username": "t", "password": PASSWORD, "status": "CONFIRMED"}),
            ],
        ),
        (
            "PATCH",
            f.user_path(),
            vec![
                json!({"attributes": {}, "foo": 1}),
                json!({"attributes": {}, "enabled": false}),
            ],
        ),
        (
            "POST",
            format!("{}/password", f.user_path()),
            vec![json!({"password": NEW_PASSWORD, "foo": 1})],
        ),
        (
            "POST",
            format!("{}/groups", f.pool_path()),
            vec![json!({"name": "t", "foo": 1})],
        ),
        (
            "PATCH",
            f.group_path(),
            vec![
                json!({"name": "renamed"}),
                json!({"description": "d", "foo": 1}),
            ],
        ),
    ];
    for (method, path, bodies) in wrong_types.into_iter().chain(unknown_fields) {
        for body in bodies {
            let answer = app.admin(method, &path, Some(body.clone())).await;
            let what = format!("{method} {path} with {body}");
            checks.error(what, &answer, 400, "invalid_request");
        }
    }

    // A body that would succeed, under a Content-Type that is not JSON, or none.
    let content_types: &[Option<&str>] = &[
        None,
        Some(""),
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/xml"),
        Some("application/octet-stream"),
        Some("application/jsonp"),
        Some("json"),
    ];
    for c in f.body_calls() {
        let bytes = serde_json::to_vec(c.body.as_ref().expect("body")).expect("json");
        for content_type in content_types {
            let auth = format!("Bearer {ADMIN_KEY}");
            let mut headers = vec![("authorization", auth.as_str())];
            if let Some(ct) = content_type {
                headers.push(("content-type", ct));
            }
            let answer = raw(
                &app,
                c.method,
                &format!("/admin/v1{}", c.path),
                &headers,
                Some(bytes.clone()),
            )
            .await;
            checks.error(
                format!("{c} with Content-Type {content_type:?}"),
                &answer,
                400,
                "invalid_request",
            );
        }
    }

    // `limit` that is not a number; numbers out of range are 422.
    for path in list_paths(&f) {
        for limit in ["ten", "1.5", "1e3", "0x10", "99999999999999999999", "%00"] {
            let answer = app
                .admin("GET", &format!("{path}?limit={limit}"), None)
                .await;
            checks.error(
                format!("GET {path}?limit={limit}"),
                &answer,
                400,
                "invalid_request",
            );
        }
        for limit in ["0", "-1", "61"] {
            let answer = app
                .admin("GET", &format!("{path}?limit={limit}"), None)
                .await;
            checks.invalid(format!("GET {path}?limit={limit}"), &answer, "limit");
        }
    }

    checks.equal("the database", &before, &snapshot(&app).await);

    // The same body with a JSON Content-Type is accepted: the type was the only fault.
    let answer = app
        .admin_raw(
            "POST",
            "/pools",
            "application/json; charset=utf-8",
            br#"{"name": "accepted"}"#.to_vec(),
        )
        .await;
    checks.success(
        "POST /pools with application/json; charset=utf-8",
        answer,
        201,
    );
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// 2. Empty and oversized strings, oversized bodies
// ---------------------------------------------------------------------------------------------

async fn empty_and_oversized_strings_are_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let before = snapshot(&app).await;
    let mut checks = Checks::default();

    let pools = "/pools".to_string();
    let clients = format!("{}/clients", f.pool_path());
    let servers = format!("{}/resource-servers", f.pool_path());
    let users = format!("{}/users", f.pool_path());
    let password = format!("{}/password", f.user_path());
    let groups = format!("{}/groups", f.pool_path());

    // (method, path, template, pointer to the string, field named in the message, max chars)
    let fields: Vec<(&'static str, String, Value, &str, &str, usize)> = vec![
        (
            "POST",
            pools.clone(),
            json!({"name": ""}),
            "/name",
            "name",
            128,
        ),
        (
            "PATCH",
            f.pool_path(),
            json!({"name": ""}),
            "/name",
            "name",
            128,
        ),
        (
            "POST",
            clients.clone(),
            json!({"name": ""}),
            "/name",
            "name",
            128,
        ),
        (
            "PATCH",
            f.client_path(),
            json!({"name": ""}),
            "/name",
            "name",
            128,
        ),
        (
            "POST",
            servers.clone(),
            json!({"identifier": "", "name": "Other"}),
            "/identifier",
            "identifier",
            256,
        ),
        (
            "POST",
            servers.clone(),
            json!({"identifier": "urn:other", "name": ""}),
            "/name",
            "name",
            256,
        ),
        (
            "POST",
            servers.clone(),
            json!({"identifier": "urn:other", "name": "Other", "scopes": [{"name": "", "description": "d"}]}),
            "/scopes/0/name",
            "scopes[0].name",
            256,
        ),
        (
            "POST",
            servers.clone(),
            json!({"identifier": "urn:other", "name": "Other", "scopes": [{"name": "r", "description": ""}]}),
            "/scopes/0/description",
            "scopes[0].description",
            256,
        ),
        (
            "PUT",
            f.rs_path(),
            json!({"name": ""}),
            "/name",
            "name",
            256,
        ),
        (
            "PUT",
            f.rs_path(),
            json!({"name": "API", "scopes": [{"name": "read", "description": ""}]}),
            "/scopes/0/description",
            "scopes[0].description",
            256,
        ),
        (
            "POST",
            users.clone(),
            json!({"username": "", "password": PASSWORD}),
            "/username",
            "username",
            128,
        ),
        (
            "POST",
            groups.clone(),
            json!({"name": ""}),
            "/name",
            "name",
            128,
        ),
        (
            "POST",
            pools.clone(),
            json!({"name": "other", "email": {"verification_subject": ""}}),
            "/email/verification_subject",
            "email.verification_subject",
            140,
        ),
        (
            "PATCH",
            f.pool_path(),
            json!({"email": {"verification_subject": ""}}),
            "/email/verification_subject",
            "email.verification_subject",
            140,
        ),
        (
            "POST",
            pools.clone(),
            json!({"name": "other", "schema": [{"name": "", "type": "string"}]}),
            "/schema/0/name",
            "schema[0].name",
            20,
        ),
        (
            "PATCH",
            f.user_path(),
            json!({"attributes": {"given_name": ""}}),
            "/attributes/given_name",
            "attributes.given_name",
            2048,
        ),
        (
            "POST",
            users.clone(),
            json!({"username": "bob", "password": PASSWORD, "attributes": {"family_name": ""}}),
            "/attributes/family_name",
            "attributes.family_name",
            2048,
        ),
    ];
    for (method, path, template, at, field, max) in &fields {
        let answer = app.admin(method, path, Some(template.clone())).await;
        checks.invalid(
            format!("{method} {path} with an empty {at}"),
            &answer,
            field,
        );
        for len in [max + 1, 10_000] {
            let body = with(template, at, &"x".repeat(len));
            let answer = app.admin(method, path, Some(body)).await;
            checks.invalid(
                format!("{method} {path} with {len} chars at {at}"),
                &answer,
                field,
            );
        }
        // Multi-byte characters count as one each, and are still too many.
        let body = with(template, at, &"日".repeat(max + 1));
        let answer = app.admin(method, path, Some(body)).await;
        checks.invalid(
            format!("{method} {path} with {} CJK chars at {at}", max + 1),
            &answer,
            field,
        );
    }

    // Passwords and free text that may not be empty or huge.
    for (method, path, body, field) in [
        (
            "POST",
            password.clone(),
            json!({"password": "", "permanent": true}),
            "password",
        ),
        (
            "POST",
            password.clone(),
            json!({"password": "Aa1!".repeat(2_500), "permanent": true}),
            "password",
        ),
        (
            "POST",
            users.clone(),
            json!({"username": "bob", "password": ""}),
            "password",
        ),
        (
            "POST",
            users.clone(),
            json!({"username": "bob", "temporary_password": ""}),
            "temporary_password",
        ),
        (
            "POST",
            groups.clone(),
            json!({"name": "other", "description": "d".repeat(2049)}),
            "description",
        ),
        (
            "PATCH",
            f.group_path(),
            json!({"description": "d".repeat(10_000)}),
            "description",
        ),
        (
            "POST",
            pools.clone(),
            json!({"name": "other", "email": {"verification_message": format!("{{####}}{}", "m".repeat(20_000))}}),
            "email.verification_message",
        ),
        ("POST", clients.clone(), json!({}), "name"),
        (
            "POST",
            clients.clone(),
            json!({"name": "other", "callback_urls": [""]}),
            "callback_urls[0]",
        ),
    ] {
        let answer = app.admin(method, &path, Some(body)).await;
        checks.invalid(
            format!("{method} {path} with an empty or oversized {field}"),
            &answer,
            field,
        );
    }

    // Bodies over 64 KiB: 413 whatever they hold, even valid JSON padded with whitespace.
    let padding = " ".repeat(70 * 1024);
    let big_name = "x".repeat(70 * 1024);
    for c in f.body_calls() {
        let valid = serde_json::to_string(c.body.as_ref().expect("body")).expect("json");
        let padded = format!(
            "{}{padding}{}",
            &valid[..valid.len() - 1],
            &valid[valid.len() - 1..]
        );
        assert!(
            serde_json::from_str::<Value>(&padded).is_ok(),
            "padded body is JSON"
        );
        let answer = app
            .admin_raw(c.method, &c.path, "application/json", padded.into_bytes())
            .await;
        checks.error(
            format!("{c} with a 70 KiB whitespace-padded body"),
            &answer,
            413,
            "payload_too_large",
        );

        let mut huge = c.body.clone().expect("body");
        let key = huge
            .as_object()
            .expect("object")
            .keys()
            .next()
            .expect("a field")
            .clone();
        huge[key.as_str()] = json!(big_name);
        let answer = app.admin(c.method, &c.path, Some(huge)).await;
        checks.error(
            format!("{c} with a 70 KiB `{key}`"),
            &answer,
            413,
            "payload_too_large",
        );
    }
    // Just under the limit, a too-long name is a validation failure, not a size one.
    let answer = app
        .admin(
            "POST",
            "/pools",
            Some(json!({"name": "x".repeat(60 * 1024)})),
        )
        .await;
    checks.invalid("POST /pools with a 60 KiB name", &answer, "name");

    checks.equal("the database", &before, &snapshot(&app).await);

    // The limits are exact: the longest allowed values are accepted.
    let longest = [
        ("POST", pools.clone(), json!({"name": "p".repeat(128)})),
        ("POST", clients.clone(), json!({"name": "c".repeat(128)})),
        (
            "POST",
            servers.clone(),
            json!({"identifier": "i".repeat(256), "name": "n".repeat(256)}),
        ),
        (
            "POST",
            users.clone(),
            json!({"username": "u".repeat(128), "password": PASSWORD}),
        ),
        (
            "POST",
            groups.clone(),
            json!({"name": "g".repeat(128), "description": "d".repeat(2048)}),
        ),
    ];
    for (method, path, body) in longest {
        let answer = app.admin(method, &path, Some(body)).await;
        checks.success(
            format!("{method} {path} with the longest allowed values"),
            answer,
            201,
        );
    }
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// 3. Unicode edge cases in names
// ---------------------------------------------------------------------------------------------

async fn unicode_edge_cases_in_names(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let email_pool = app
        .create_pool("by-email", json!({"username_attributes": ["email"]}))
        .await;
    let before = snapshot(&app).await;
    let mut checks = Checks::default();

    let servers = format!("{}/resource-servers", f.pool_path());
    let targets: Vec<(&'static str, String, Value, &str, &str)> = vec![
        (
            "POST",
            "/pools".into(),
            json!({"name": ""}),
            "/name",
            "name",
        ),
        ("PATCH", f.pool_path(), json!({"name": ""}), "/name", "name"),
        (
            "POST",
            format!("{}/clients", f.pool_path()),
            json!({"name": ""}),
            "/name",
            "name",
        ),
        (
            "PATCH",
            f.client_path(),
            json!({"name": ""}),
            "/name",
            "name",
        ),
        (
            "POST",
            format!("{}/groups", f.pool_path()),
            json!({"name": ""}),
            "/name",
            "name",
        ),
        (
            "POST",
            format!("{}/users", f.pool_path()),
            json!({"username": "", "password": PASSWORD}),
            "/username",
            "username",
        ),
        (
            "POST",
            servers.clone(),
            json!({"identifier": "", "name": "Other"}),
            "/identifier",
            "identifier",
        ),
        (
            "POST",
            servers.clone(),
            json!({"identifier": "urn:other", "name": ""}),
            "/name",
            "name",
        ),
        ("PUT", f.rs_path(), json!({"name": ""}), "/name", "name"),
        (
            "POST",
            servers.clone(),
            json!({"identifier": "urn:other", "name": "Other", "scopes": [{"name": "r", "description": ""}]}),
            "/scopes/0/description",
            "scopes[0].description",
        ),
    ];
    let long_cjk = "名".repeat(10_000);
    let long_accented = "é".repeat(10_000);
    let bad: Vec<(&str, &str)> = vec![
        ("NUL", "a\u{0}b"),
        ("a leading NUL", "\u{0}ab"),
        ("a right-to-left override", "abc\u{202E}fed"),
        ("a left-to-right embedding", "a\u{202A}b"),
        ("a first-strong isolate", "a\u{2068}b"),
        ("a zero-width space", "ab\u{200B}cd"),
        ("a zero-width joiner", "a\u{200D}b"),
        ("a right-to-left mark", "a\u{200F}b"),
        ("a byte-order mark", "\u{FEFF}abc"),
        ("a newline", "a\nb"),
        ("a carriage return", "a\rb"),
        ("a tab", "a\tb"),
        ("an escape", "a\u{1B}[31mb"),
        ("DEL", "a\u{7F}b"),
        ("a C1 control", "a\u{85}b"),
        ("a leading space", " abc"),
        ("a trailing space", "abc "),
        ("spaces only", "   "),
        ("a trailing no-break space", "abc\u{A0}"),
        ("a leading ideographic space", "\u{3000}abc"),
        ("10,000 CJK chars", &long_cjk),
        ("10,000 accented chars", &long_accented),
    ];
    for (method, path, template, at, field) in &targets {
        for (label, value) in &bad {
            let answer = app
                .admin(method, path, Some(with(template, at, value)))
                .await;
            checks.invalid(
                format!("{method} {path} with {label} at {at}"),
                &answer,
                field,
            );
        }
    }
    // Where the email is the username, the address is checked as an email.
    for value in [
        "a\u{202E}@example.com",
        "a\u{0}@example.com",
        "a@exa\u{200B}mple.com",
        " a@example.com",
    ] {
        let answer = app
            .admin(
                "POST",
                &format!("/pools/{email_pool}/users"),
                Some(json!({"username": value, "password": PASSWORD})),
            )
            .await;
        checks.invalid(
            format!("POST /pools/{{email pool}}/users with {value:?}"),
            &answer,
            "username",
        );
    }
    // Other text that is stored or mailed refuses hidden and control characters too.
    let p = f.pool_path();
    for (label, value) in [
        ("NUL", "a\u{0}b"),
        ("a right-to-left override", "a\u{202E}b"),
        ("a zero-width space", "a\u{200B}b"),
    ] {
        for (method, path, body, field) in [
            (
                "POST",
                format!("{p}/groups"),
                json!({"name": "other", "description": value}),
                "description",
            ),
            (
                "PATCH",
                f.group_path(),
                json!({"description": value}),
                "description",
            ),
            (
                "PATCH",
                f.user_path(),
                json!({"attributes": {"given_name": value}}),
                "attributes.given_name",
            ),
            (
                "PATCH",
                p.clone(),
                json!({"email": {"verification_subject": value}}),
                "email.verification_subject",
            ),
        ] {
            let answer = app.admin(method, &path, Some(body)).await;
            checks.invalid(
                format!("{method} {path} with {label} in {field}"),
                &answer,
                field,
            );
        }
    }
    // Redirect URLs refuse control characters (each try under its own client name, so one
    // wrongly accepted URL cannot turn the next try into a name conflict).
    for (i, (label, value)) in [("NUL", "\u{0}"), ("DEL", "\u{7F}"), ("a newline", "\n")]
        .into_iter()
        .enumerate()
    {
        let answer = app
            .admin(
                "POST",
                &format!("{p}/clients"),
                Some(json!({"name": format!("other-{i}"),
                            "callback_urls": [format!("https://app.example.com/a{value}b")]})),
            )
            .await;
        checks.invalid(
            format!("POST {p}/clients with {label} in callback_urls[0]"),
            &answer,
            "callback_urls[0]",
        );
    }

    checks.equal("the database", &before, &snapshot(&app).await);

    // A password is only hashed, never shown: odd characters may be refused or accepted
    // (this may change the user, so it runs after the comparison), never a 5xx.
    for (label, password) in [
        ("NUL", "Correct-horse-9\u{0}"),
        ("a right-to-left override", "Correct-\u{202E}horse-9"),
    ] {
        let answer = app
            .admin(
                "POST",
                &format!("{}/password", f.user_path()),
                Some(json!({"password": password, "permanent": true})),
            )
            .await;
        if answer.status != 200 {
            checks.invalid(format!("set a password with {label}"), &answer, "password");
        }
    }

    // Legitimate non-ASCII names are accepted and round-trip exactly.
    let pool = app
        .admin("POST", "/pools", Some(json!({"name": "Équipe 日本"})))
        .await;
    let pool = checks.success("POST /pools named Équipe 日本", pool, 201);
    if pool["name"] != "Équipe 日本" {
        checks.fail(format!("pool name did not round-trip: {}", pool["name"]));
    }
    let answer = app
        .admin(
            "PATCH",
            &f.pool_path(),
            Some(json!({"name": "Ünïcødé ✓ 🚀"})),
        )
        .await;
    checks.success("PATCH pool to Ünïcødé ✓ 🚀", answer, 200);
    let p = f.pool_path();
    let accepted: Vec<(&str, String, Value, &str, String)> = vec![
        // (method, collection, body, field, path segment of the new record or "")
        (
            "POST",
            format!("{p}/clients"),
            json!({"name": "Équipe 日本"}),
            "name",
            String::new(),
        ),
        (
            "POST",
            format!("{p}/resource-servers"),
            json!({"identifier": "urn:équipe:日本", "name": "Équipe 日本 🚀",
                   "scopes": [{"name": "read", "description": "Lire les données ✓"}]}),
            "identifier",
            format!("{p}/resource-servers/{}", path_segment("urn:équipe:日本")),
        ),
        (
            "POST",
            format!("{p}/users"),
            json!({"username": "équipe日本", "password": PASSWORD, "attributes": {"name": "Zoë 日本"}}),
            "username",
            format!("{p}/users/{}", path_segment("ÉQUIPE日本")),
        ),
        (
            "POST",
            format!("{p}/groups"),
            json!({"name": "Équipe_日本", "description": "Ünïcødé ✓"}),
            "name",
            format!("{p}/groups/{}", path_segment("Équipe_日本")),
        ),
        (
            "POST",
            format!("{p}/groups"),
            json!({"name": "Cafe\u{301}"}),
            "name",
            format!("{p}/groups/{}", path_segment("Cafe\u{301}")),
        ),
    ];
    for (method, path, body, field, item) in accepted {
        let answer = app.admin(method, &path, Some(body.clone())).await;
        let created = checks.success(format!("{method} {path} with {body}"), answer, 201);
        if created[field] != body[field] {
            checks.fail(format!(
                "{path}: {field} did not round-trip: {} vs {}",
                created[field], body[field]
            ));
        }
        if !item.is_empty() {
            let answer = app.admin("GET", &item, None).await;
            let fetched = checks.success(format!("GET {item}"), answer, 200);
            if fetched[field] != body[field] {
                checks.fail(format!(
                    "GET {item}: {field} is {} not {}",
                    fetched[field], body[field]
                ));
            }
        }
    }
    let answer = app
        .admin(
            "PUT",
            &format!(
                "{}/groups/{}/members/{}",
                p,
                path_segment("Équipe_日本"),
                path_segment("équipe日本")
            ),
            None,
        )
        .await;
    checks.success("PUT a non-ASCII user into a non-ASCII group", answer, 204);
    let answer = app
        .admin(
            "POST",
            &format!("/pools/{email_pool}/users"),
            Some(json!({"username": "zoë@例え.jp", "password": PASSWORD})),
        )
        .await;
    checks.success(
        "POST a user with a non-ASCII email in an email pool",
        answer,
        201,
    );
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// 4. Well-formed ids that do not exist
// ---------------------------------------------------------------------------------------------

async fn unknown_ids_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let other = app.create_pool("other", json!({})).await;
    let doomed = app.create_pool("doomed", json!({})).await;
    app.admin("DELETE", &format!("/pools/{doomed}"), None)
        .await
        .expect(204);
    app.create_user(&f.pool, "gone").await;
    app.admin("DELETE", &format!("{}/users/gone", f.pool_path()), None)
        .await
        .expect(204);
    let before = snapshot(&app).await;
    let mut checks = Checks::default();

    let rs = path_segment(&f.rs);
    let absent_pool = "local_Zz0Zz0Zz0";
    let absent_client = "abcdefghijklmnopqrstuvwxyz";
    let absent_rs = path_segment("https://absent.example.com");
    let mut calls = Vec::new();
    // Everything under a pool that never existed, one in another region, and a deleted one,
    // even when the rest of the path names records of an existing pool.
    for pool in [absent_pool, "eu-west-1_abcdefghi", doomed.as_str()] {
        calls.extend(in_pool(pool, &f.client, &rs, &f.user, &f.group));
    }
    // Records that do not exist in the fixture's pool.
    calls.extend(client_item(&f.pool, absent_client));
    calls.extend(rs_item(&f.pool, &absent_rs));
    calls.extend(user_item(&f.pool, "nobody"));
    calls.extend(user_item(&f.pool, "gone"));
    calls.extend(group_item(&f.pool, "nogroup"));
    calls.extend(membership(&f.pool, &f.group, "nobody"));
    calls.extend(membership(&f.pool, "nogroup", &f.user));
    calls.extend(membership(&f.pool, "nogroup", "nobody"));
    // Records of the fixture's pool asked for under another pool.
    calls.extend(client_item(&other, &f.client));
    calls.extend(rs_item(&other, &rs));
    calls.extend(user_item(&other, &f.user));
    calls.extend(group_item(&other, &f.group));
    calls.extend(membership(&other, &f.group, &f.user));
    calls.sort_by_key(|c| c.method == "DELETE");
    for c in &calls {
        let answer = send(&app, c).await;
        checks.error(c, &answer, 404, "not_found");
    }

    // An unknown id with a malformed body: either fault may be reported, never a 5xx.
    for c in in_pool(absent_pool, absent_client, &absent_rs, "nobody", "nogroup") {
        if c.body.is_some() {
            let answer = app
                .admin_raw(c.method, &c.path, "application/json", b"{".to_vec())
                .await;
            checks.error_in(
                format!("{c} with a malformed body"),
                &answer,
                &[(400, "invalid_request"), (404, "not_found")],
            );
        }
    }

    checks.equal("the database", &before, &snapshot(&app).await);
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// 5. Path ids of the wrong format
// ---------------------------------------------------------------------------------------------

async fn malformed_path_ids_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let before = snapshot(&app).await;
    let mut checks = Checks::default();
    let not_found_or_invalid = [(404, "not_found"), (400, "invalid_request")];
    let rs = path_segment(&f.rs);
    let long = "x".repeat(10_000);

    let mut calls = Vec::new();
    // Pool ids (already percent-encoded path segments).
    let lowercase_pool = f.pool.to_lowercase();
    let mut pool_ids = vec![
        "not_a_pool".to_string(),
        "local_abc".into(),
        "local_abcdefghij".into(),
        "LOCAL_abcdefghi".into(),
        "_abcdefghi".into(),
        "local_abcdefg%21h".into(),
        "local__abcdefgh".into(),
        "%00".into(),
        format!("{}%00", f.pool),
        format!("%00{}", f.pool),
        format!("{}%2F", f.pool),
        format!("{}%20", f.pool),
        "%2F".into(),
        "%FF".into(),
        "%C3%28".into(),
        path_segment("lõcal_abcdefghi"),
        format!("{}_abcdefghi", "r".repeat(33)),
        long.clone(),
        "'%20OR%20'1'='1".into(),
    ];
    if lowercase_pool != f.pool {
        pool_ids.push(lowercase_pool);
    }
    for pool in &pool_ids {
        calls.extend(in_pool(pool, &f.client, &rs, &f.user, &f.group));
    }
    // Client ids.
    let mut client_ids = vec![
        f.client.to_uppercase(),
        format!("{}a", f.client),
        f.client[..25].to_string(),
        "A".repeat(26),
        "%00".into(),
        format!("{}%00", &f.client[..25]),
        format!("{}%2F", &f.client[..25]),
        "%FF".into(),
        "-".repeat(26),
        long.clone(),
    ];
    client_ids.dedup();
    for client in &client_ids {
        calls.extend(client_item(&f.pool, client));
    }
    // Usernames.
    let usernames = [
        "%2F".to_string(),
        "alice%2F".into(),
        "alice%2Fgroups".into(),
        "%00".into(),
        "alice%00".into(),
        "ali%00ce".into(),
        "%FF".into(),
        "alice%FF".into(),
        "%C3%28".into(),
        "%20alice".into(),
        "x".repeat(600),
        long.clone(),
    ];
    for user in &usernames {
        calls.extend(user_item(&f.pool, user));
        calls.extend(membership(&f.pool, &f.group, user));
    }
    // Group names.
    let group_names = [
        "%00".to_string(),
        "admins%00".into(),
        "%2F".into(),
        "admins%2F".into(),
        "%FF".into(),
        "admins%20".into(),
        long.clone(),
    ];
    for group in &group_names {
        calls.extend(group_item(&f.pool, group));
        calls.extend(membership(&f.pool, group, &f.user));
    }
    // Resource server identifiers.
    let identifiers = [
        "%00".to_string(),
        format!("{rs}%00"),
        "%2F".into(),
        "%FF".into(),
        format!("{rs}%20"),
        long.clone(),
    ];
    for identifier in &identifiers {
        calls.extend(rs_item(&f.pool, identifier));
    }
    calls.sort_by_key(|c| c.method == "DELETE");
    for c in &calls {
        let answer = send(&app, c).await;
        checks.error_in(c, &answer, &not_found_or_invalid);
    }

    // Paging tokens and filters with bytes no id can hold: refused or empty, never a 5xx.
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let tokens = [
        ("garbage", "garbage".to_string()),
        ("a NUL key", format!("k1.{}", engine.encode("\0"))),
        ("a key with NUL", format!("k1.{}", engine.encode("alice\0"))),
        (
            "a non-UTF-8 key",
            format!("k1.{}", engine.encode([0xff_u8, 0xfe])),
        ),
        (
            "a 5,000-char key",
            format!("k1.{}", engine.encode("z".repeat(5_000))),
        ),
    ];
    for path in list_paths(&f) {
        for (label, token) in &tokens {
            let answer = app
                .admin(
                    "GET",
                    &format!("{path}?next_token={}", urlencode(token)),
                    None,
                )
                .await;
            let what = format!("GET {path} with a next_token of {label}");
            if answer.status == 200 {
                continue;
            }
            checks.invalid(what, &answer, "next_token");
        }
    }
    for filter in [
        "username = \"a\u{0}\"",
        "email ^= \"\u{0}\"",
        "sub = \"\u{202E}\"",
    ] {
        let path = format!("{}/users?filter={}", f.pool_path(), urlencode(filter));
        let answer = app.admin("GET", &path, None).await;
        if answer.status == 200 {
            if answer.body["items"]
                .as_array()
                .is_none_or(|items| !items.is_empty())
            {
                checks.fail(format!(
                    "GET users with filter {filter:?}: expected no users, got {}",
                    got(&answer)
                ));
            }
        } else {
            checks.invalid(
                format!("GET users with filter {filter:?}"),
                &answer,
                "filter",
            );
        }
    }

    checks.equal("the database", &before, &snapshot(&app).await);
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// 6. Duplicate names
// ---------------------------------------------------------------------------------------------

async fn duplicate_names_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let second_pool = app.create_pool("second", json!({})).await;
    let second_client = app
        .admin(
            "POST",
            &format!("{}/clients", f.pool_path()),
            Some(json!({"name": "mobile"})),
        )
        .await
        .expect(201);
    let second_client = second_client["client_id"]
        .as_str()
        .expect("client id")
        .to_string();
    let email_pool = app
        .create_pool("by-email", json!({"username_attributes": ["email"]}))
        .await;
    for email in ["dana@example.com", "erin@example.com"] {
        app.admin(
            "POST",
            &format!("/pools/{email_pool}/users"),
            Some(json!({"username": email, "password": PASSWORD})),
        )
        .await
        .expect(201);
    }
    let before = snapshot(&app).await;
    let mut checks = Checks::default();
    let p = f.pool_path();

    let duplicates: Vec<(&'static str, String, Value)> = vec![
        ("POST", "/pools".into(), json!({"name": "main"})),
        (
            "POST",
            "/pools".into(),
            json!({"name": "main", "deletion_protection": true, "mfa_configuration": "ON"}),
        ),
        (
            "PATCH",
            format!("/pools/{second_pool}"),
            json!({"name": "main"}),
        ),
        (
            "PATCH",
            format!("/pools/{second_pool}"),
            json!({"name": "main", "mfa_configuration": "ON"}),
        ),
        ("POST", format!("{p}/clients"), json!({"name": "web"})),
        (
            "POST",
            format!("{p}/clients"),
            json!({"name": "web", "generate_secret": false, "access_token_validity": 600}),
        ),
        (
            "PATCH",
            format!("{p}/clients/{second_client}"),
            json!({"name": "web"}),
        ),
        (
            "PATCH",
            format!("{p}/clients/{second_client}"),
            json!({"name": "web", "access_token_validity": 600}),
        ),
        (
            "POST",
            format!("{p}/resource-servers"),
            json!({"identifier": RS, "name": "API"}),
        ),
        (
            "POST",
            format!("{p}/resource-servers"),
            json!({"identifier": RS, "name": "Other", "scopes": [{"name": "write", "description": "Write"}]}),
        ),
        ("POST", format!("{p}/groups"), json!({"name": "admins"})),
        (
            "POST",
            format!("{p}/groups"),
            json!({"name": "admins", "description": "Other", "precedence": 9}),
        ),
        (
            "POST",
            format!("{p}/users"),
            json!({"username": "alice", "password": PASSWORD}),
        ),
        (
            "POST",
            format!("{p}/users"),
            json!({"username": "alice", "password": NEW_PASSWORD, "attributes": {"email": "other@example.com"}}),
        ),
        ("POST", format!("{p}/users"), json!({"username": "ALICE"})),
        (
            "POST",
            format!("{p}/users"),
            json!({"username": "Alice", "temporary_password": NEW_PASSWORD}),
        ),
        (
            "POST",
            format!("/pools/{email_pool}/users"),
            json!({"username": "dana@example.com", "password": PASSWORD}),
        ),
        (
            "POST",
            format!("/pools/{email_pool}/users"),
            json!({"username": "DANA@Example.COM", "password": NEW_PASSWORD}),
        ),
        (
            "POST",
            format!("/pools/{email_pool}/users"),
            json!({"attributes": {"email": "dana@example.com"}, "password": PASSWORD}),
        ),
    ];
    for (method, path, body) in duplicates {
        let answer = app.admin(method, &path, Some(body.clone())).await;
        checks.error(
            format!("{method} {path} with {body}"),
            &answer,
            409,
            "conflict",
        );
    }
    // A user in the email pool may not take another user's address either.
    let erin = app
        .admin(
            "GET",
            &format!("/pools/{email_pool}/users/erin@example.com"),
            None,
        )
        .await
        .expect(200);
    let erin_path = format!(
        "/pools/{email_pool}/users/{}",
        erin["username"].as_str().expect("username")
    );
    let answer = app
        .admin(
            "PATCH",
            &erin_path,
            Some(json!({"attributes": {"email": "dana@example.com"}})),
        )
        .await;
    checks.error(
        "PATCH a user's email to another user's in an email pool",
        &answer,
        409,
        "conflict",
    );

    checks.equal("the database", &before, &snapshot(&app).await);

    // The same names are fine in another pool.
    let s = format!("/pools/{second_pool}");
    for (path, body) in [
        (format!("{s}/clients"), json!({"name": "web"})),
        (
            format!("{s}/resource-servers"),
            json!({"identifier": RS, "name": "API"}),
        ),
        (format!("{s}/groups"), json!({"name": "admins"})),
        (
            format!("{s}/users"),
            json!({"username": "alice", "password": PASSWORD}),
        ),
    ] {
        let answer = app.admin("POST", &path, Some(body.clone())).await;
        checks.success(
            format!("POST {path} with {body} (another pool)"),
            answer,
            201,
        );
    }

    // Two creates of one name at once: one wins, the other conflicts, one record exists.
    for (path, body, list, key) in [
        (
            "/pools".to_string(),
            json!({"name": "race"}),
            "/pools".to_string(),
            "name",
        ),
        (
            format!("{p}/clients"),
            json!({"name": "race"}),
            format!("{p}/clients"),
            "name",
        ),
        (
            format!("{p}/resource-servers"),
            json!({"identifier": "urn:race", "name": "Race"}),
            format!("{p}/resource-servers"),
            "identifier",
        ),
        (
            format!("{p}/groups"),
            json!({"name": "race"}),
            format!("{p}/groups"),
            "name",
        ),
        (
            format!("{p}/users"),
            json!({"username": "race", "password": PASSWORD}),
            format!("{p}/users"),
            "username",
        ),
    ] {
        let (a, b) = tokio::join!(
            app.admin("POST", &path, Some(body.clone())),
            app.admin("POST", &path, Some(body.clone()))
        );
        let [first, second] = if a.status <= b.status { [a, b] } else { [b, a] };
        checks.error(
            format!("POST {path} racing with itself (loser)"),
            &second,
            409,
            "conflict",
        );
        checks.success(
            format!("POST {path} racing with itself (winner)"),
            first,
            201,
        );
        let count = app
            .list_all(&list, 60)
            .await
            .iter()
            .filter(|item| item[key] == body[key])
            .count();
        if count != 1 {
            checks.fail(format!(
                "POST {path} racing with itself left {count} records"
            ));
        }
    }
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// 7. Missing or wrong admin key
// ---------------------------------------------------------------------------------------------

async fn missing_or_wrong_admin_key_is_unauthorized(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let before = snapshot(&app).await;
    let mut checks = Checks::default();

    let long = "k".repeat(64 * 1024);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_KEY}"));
    let credentials: Vec<(&str, Option<String>)> = vec![
        ("no Authorization header", None),
        ("a wrong key", Some("Bearer not-the-admin-key".into())),
        (
            "the key with a suffix",
            Some(format!("Bearer {ADMIN_KEY}x")),
        ),
        (
            "the key without its last character",
            Some(format!("Bearer {}", &ADMIN_KEY[..ADMIN_KEY.len() - 1])),
        ),
        (
            "the key in upper case",
            Some(format!("Bearer {}", ADMIN_KEY.to_uppercase())),
        ),
        (
            "the key under the Basic scheme",
            Some(format!("Basic {ADMIN_KEY}")),
        ),
        (
            "Basic credentials holding the key",
            Some(format!("Basic {basic}")),
        ),
        (
            "the key under another scheme",
            Some(format!("Token {ADMIN_KEY}")),
        ),
        ("the key without a scheme", Some(ADMIN_KEY.into())),
        ("Bearer with an empty token", Some("Bearer ".into())),
        ("Bearer alone", Some("Bearer".into())),
        ("an empty header", Some(String::new())),
        ("an extremely long token", Some(format!("Bearer {long}"))),
        (
            "an extremely long token starting with the key",
            Some(format!("Bearer {ADMIN_KEY}{long}")),
        ),
    ];

    let mut calls = pool_collection();
    calls.extend(f.calls());
    calls.extend([
        call("GET", "/nope", None),
        call("POST", "/nope", Some(json!({"name": "x"}))),
        call("GET", format!("{}/nope", f.pool_path()), None),
        call(
            "DELETE",
            format!("{}/clients/{}/secret/extra", f.pool_path(), f.client),
            None,
        ),
        call("PUT", "/pools", Some(json!({"name": "x"}))),
        call("GET", "", None),
        call("GET", "/", None),
    ]);
    calls.sort_by_key(|c| c.method == "DELETE");
    for c in &calls {
        for (label, authorization) in &credentials {
            let mut headers = Vec::new();
            if let Some(value) = authorization {
                headers.push(("authorization", value.as_str()));
            }
            let body = c
                .body
                .as_ref()
                .map(|b| serde_json::to_vec(b).expect("json"));
            if body.is_some() {
                headers.push(("content-type", "application/json"));
            }
            let answer = raw(
                &app,
                c.method,
                &format!("/admin/v1{}", c.path),
                &headers,
                body,
            )
            .await;
            checks.unauthorized(format!("{c} with {label}"), &answer);
        }
    }

    // The key anywhere but the Authorization header does not count.
    for (label, path, headers) in [
        (
            "the key in the query",
            format!("/admin/v1/pools?access_token={ADMIN_KEY}"),
            vec![],
        ),
        (
            "the key in X-Api-Key",
            "/admin/v1/pools".to_string(),
            vec![("x-api-key", ADMIN_KEY)],
        ),
        (
            "the key in a cookie",
            "/admin/v1/pools".to_string(),
            vec![("cookie", "admin_key=test-admin-key-0123456789abcdef")],
        ),
    ] {
        let answer = raw(&app, "GET", &path, &headers, None).await;
        checks.unauthorized(format!("GET {path} with {label}"), &answer);
    }
    // Without a key, even a malformed or wrongly typed body is answered 401 first.
    for c in f.body_calls() {
        let answer = raw(
            &app,
            c.method,
            &format!("/admin/v1{}", c.path),
            &[("content-type", "text/plain")],
            Some(b"{".to_vec()),
        )
        .await;
        checks.unauthorized(format!("{c} with a malformed body and no key"), &answer);
    }

    checks.equal("the database", &before, &snapshot(&app).await);

    // With the key, unknown routes under /admin/v1 are 404 in the error shape.
    for path in ["/nope", "/pools/x/y/z/w"] {
        let answer = app.admin("GET", path, None).await;
        checks.error(
            format!("GET {path} with the key"),
            &answer,
            404,
            "not_found",
        );
    }
    checks.finish();
}
