//! Admin bodies are read strictly at every depth: an array never stands for an object, a key
//! never appears twice, and an integral float is the integer it names.

use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app};
use crate::on_both;

on_both!(
    arrays_are_refused_where_objects_are_documented,
    duplicate_keys_are_refused_at_every_depth,
    integral_floats_are_accepted_as_integers,
);

async fn raw_json(app: &TestApp, method: &str, path: &str, body: &str) -> crate::helpers::Answer {
    app.admin_raw(method, path, "application/json", body.as_bytes().to_vec())
        .await
}

#[track_caller]
fn refused(answer: &crate::helpers::Answer, what: &str, needle: &str) {
    answer.expect_error(400, "invalid_request");
    assert!(
        answer.message().contains(needle),
        "{what}: the message should name `{needle}`: {}",
        answer.message()
    );
}

async fn arrays_are_refused_where_objects_are_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("shop", json!({})).await;
    let before = app
        .admin("GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);

    // Serde would read these arrays as positional fields: `email.from`, `display_name`.
    let answer = app
        .admin(
            "PATCH",
            &format!("/pools/{pool}"),
            Some(json!({"email": ["noreply@example.com"]})),
        )
        .await;
    refused(&answer, "PATCH email as array", "email");
    let answer = app
        .admin(
            "POST",
            "/pools",
            Some(json!({"name": "branded", "branding": ["Shop"]})),
        )
        .await;
    refused(&answer, "POST branding as array", "branding");

    for (method, path, body, field) in [
        (
            "PATCH",
            format!("/pools/{pool}"),
            json!({"password_policy": [12]}),
            "password_policy",
        ),
        (
            "POST",
            "/pools".to_string(),
            json!({"name": "s", "schema": [["tenant", "string"]]}),
            "schema[0]",
        ),
        (
            "POST",
            format!("/pools/{pool}/resource-servers"),
            json!({"identifier": "urn:api", "name": "API", "scopes": [["read", "Read"]]}),
            "scopes[0]",
        ),
        (
            "POST",
            format!("/pools/{pool}/users"),
            json!({"username": "ada", "password": PASSWORD, "attributes": [["email", "a@example.com"]]}),
            "attributes",
        ),
    ] {
        let answer = app.admin(method, &path, Some(body.clone())).await;
        refused(&answer, &format!("{method} {path} {body}"), field);
    }

    let after = app
        .admin("GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);
    assert_eq!(before, after, "a refused body changed the pool");
    let pools = app.list_all("/pools", 60).await;
    assert_eq!(pools.len(), 1, "a refused body created a pool: {pools:?}");
    let servers = app
        .list_all(&format!("/pools/{pool}/resource-servers"), 60)
        .await;
    assert!(servers.is_empty(), "{servers:?}");
}

async fn duplicate_keys_are_refused_at_every_depth(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("shop", json!({})).await;
    app.create_user(&pool, "ada").await;
    let users = format!("/pools/{pool}/users");

    let cases: Vec<(&str, String, String, &str)> = vec![
        (
            "POST",
            users.clone(),
            format!(
                r#"{{"username": "bob", "password": "{PASSWORD}",
                    "attributes": {{"email": "a@example.com", "email": "b@example.com"}}}}"#
            ),
            "duplicate key `email` in `attributes`",
        ),
        (
            "PATCH",
            format!("{users}/ada"),
            r#"{"attributes": {"given_name": "A", "given_name": "B"}}"#.into(),
            "duplicate key `given_name` in `attributes`",
        ),
        (
            "PATCH",
            format!("/pools/{pool}"),
            r#"{"password_policy": {"minimum_length": 10, "minimum_length": 6}}"#.into(),
            "duplicate key `minimum_length` in `password_policy`",
        ),
        (
            "POST",
            format!("/pools/{pool}/resource-servers"),
            r#"{"identifier": "urn:api", "name": "API",
                "scopes": [{"name": "read", "description": "R", "name": "write"}]}"#
                .into(),
            "duplicate key `name` in `scopes[0]`",
        ),
        (
            "POST",
            "/pools".into(),
            r#"{"name": "x", "email": {"from": "a@example.com", "from": "b@example.com"}}"#.into(),
            "duplicate key `from` in `email`",
        ),
    ];
    for (method, path, body, needle) in cases {
        let answer = raw_json(&app, method, &path, &body).await;
        refused(&answer, &format!("{method} {path}"), needle);
    }

    let ada = app
        .admin("GET", &format!("{users}/ada"), None)
        .await
        .expect(200);
    assert!(ada["attributes"].get("given_name").is_none(), "{ada}");
    let listed = app.list_all(&users, 60).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let pool_now = app
        .admin("GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);
    assert_eq!(pool_now["password_policy"]["minimum_length"], 8);
}

async fn integral_floats_are_accepted_as_integers(backend: Backend) {
    let app = spawn_app(backend).await;
    let answer = raw_json(
        &app,
        "POST",
        "/pools",
        r#"{"name": "floats", "password_policy": {"minimum_length": 1e1,
            "temporary_password_validity_days": 3.0}}"#,
    )
    .await;
    let pool = answer.expect(201);
    assert_eq!(pool["password_policy"]["minimum_length"], 10);
    assert_eq!(
        pool["password_policy"]["temporary_password_validity_days"],
        3
    );
    let id = pool["id"].as_str().expect("id").to_string();

    let group = raw_json(
        &app,
        "POST",
        &format!("/pools/{id}/groups"),
        r#"{"name": "ops", "precedence": 2E0}"#,
    )
    .await
    .expect(201);
    assert_eq!(group["precedence"], 2);
    let client = raw_json(
        &app,
        "POST",
        &format!("/pools/{id}/clients"),
        r#"{"name": "web", "access_token_validity": 6e2}"#,
    )
    .await
    .expect(201);
    assert_eq!(client["access_token_validity"], 600);

    // A fraction is still not an integer.
    for (path, body) in [
        (
            "/pools".to_string(),
            r#"{"name": "f", "password_policy": {"minimum_length": 8.5}}"#,
        ),
        (
            format!("/pools/{id}/groups"),
            r#"{"name": "g", "precedence": 0.5}"#,
        ),
    ] {
        let answer = raw_json(&app, "POST", &path, body).await;
        answer.expect_error(400, "invalid_request");
    }
    let _: Value = app
        .admin("GET", &format!("/pools/{id}"), None)
        .await
        .expect(200);
}
