//! The OpenAPI document describes what the server does: every answer, the limits the
//! validators enforce, and integer formats that match what the server parses.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both;

on_both!(
    every_operation_is_named_and_every_answer_described,
    limits_in_the_document_are_the_ones_the_server_enforces,
);

async fn document(app: &TestApp) -> Value {
    app.get("/admin/v1/openapi.json").await.expect(200)
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

/// Every `format` in the document.
fn formats(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(f)) = map.get("format") {
                out.push(f.clone());
            }
            map.values().for_each(|v| formats(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| formats(v, out)),
        _ => {}
    }
}

async fn every_operation_is_named_and_every_answer_described(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    assert_eq!(
        ops.len(),
        cognate::iam::actions::ROUTES.len(),
        "one operation per route"
    );
    // Every route is one IAM action (the table the coming IAM layer authorises by), and
    // the table names no route the server does not have.
    for (method, path, _) in &ops {
        let route = path.strip_prefix("/admin/v1").unwrap_or(path);
        let action = cognate::iam::actions::action_for(method, route);
        assert!(action.is_some(), "{method} {path} has no IAM action");
        assert_eq!(
            doc["paths"][path][method.to_lowercase()]["x-iam-action"].as_str(),
            action,
            "{method} {path}"
        );
    }
    assert_eq!(cognate::iam::actions::ROUTES.len(), ops.len());

    let mut ids: Vec<&str> = ops
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().expect("operationId"))
        .collect();
    ids.sort();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids repeat: {ids:?}");
    for id in [
        "listPools",
        "createPool",
        "createClient",
        "listUserGroups",
        "setUserMfaPreference",
        "removeUserTotp",
        "rotatePoolKeys",
    ] {
        assert!(ids.contains(&id), "missing operation {id}");
    }

    for (method, path, op) in &ops {
        let what = format!("{method} {path}");
        let responses = op["responses"].as_object().expect("responses");
        for (status, response) in responses {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{what}: {status} has no description"
            );
        }
        let has = |s: &str| responses.contains_key(s);
        assert!(has("401"), "{what}: no 401");
        if path.contains("{pool_id}") {
            assert!(has("404"), "{what}: no 404");
        }
        if op.get("requestBody").is_some() {
            for s in ["400", "413", "422"] {
                assert!(has(s), "{what}: has a body but no {s}");
            }
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if let Some(limit) = params.iter().find(|p| p["name"] == "limit") {
            assert!(
                has("400") && has("422"),
                "{what}: a list without 400 and 422"
            );
            assert_eq!(limit["schema"]["minimum"], 1, "{what}");
            assert_eq!(limit["schema"]["maximum"], 60, "{what}");
        }
    }

    // A route asked with a method it does not take: 405 with the methods it does take.
    for (method, path, allow) in [
        ("TRACE", "/pools", "GET, POST"),
        ("DELETE", "/pools", "GET, POST"),
        ("PUT", "/pools/local_aaaaaaaaa/keys/rotate", "POST"),
    ] {
        let answer = app.admin(method, path, None).await;
        answer.expect_error(405, "method_not_allowed");
        let header = answer.headers.get("allow").and_then(|v| v.to_str().ok());
        assert_eq!(header, Some(allow), "{method} {path}");
    }
    app.admin("GET", "/no-such-route", None)
        .await
        .expect_error(404, "not_found");

    let mut found = Vec::new();
    formats(&doc, &mut found);
    assert!(
        !found.iter().any(|f| f == "int32"),
        "the server reads u32 and i64, not int32"
    );

    let schemas = &doc["components"]["schemas"];
    assert!(schemas.get("ClientInput").is_none());
    assert_eq!(schemas["NewClient"]["required"], json!(["name"]));
    assert!(
        schemas["ClientPatch"]["properties"]
            .get("generate_secret")
            .is_none()
    );
    let patch = &schemas["PoolPatch"]["properties"];
    assert!(patch.get("username_attributes").is_none(), "{patch}");
    assert!(patch.get("case_sensitive_usernames").is_none(), "{patch}");
    let name = &schemas["NewPool"]["properties"]["name"];
    assert_eq!(
        (&name["minLength"], &name["maxLength"]),
        (&json!(1), &json!(128))
    );
    assert!(name["pattern"].is_string(), "{name}");
    assert!(schemas["CustomScope"]["properties"]["name"]["pattern"].is_string());
}

/// Each limit the document states, tried at its bound and one past it: the document and
/// the validators come from the same constants.
async fn limits_in_the_document_are_the_ones_the_server_enforces(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    let pool = app.create_pool("limits", json!({})).await;
    let prop = |schema: &str, field: &str, key: &str| -> i64 {
        schemas[schema]["properties"][field][key]
            .as_i64()
            .unwrap_or_else(|| panic!("{schema}.{field} has no {key}"))
    };

    let mut n = 0;
    for (field, min, max) in [
        (
            "access_token_validity",
            prop("NewClient", "access_token_validity", "minimum"),
            prop("NewClient", "access_token_validity", "maximum"),
        ),
        (
            "refresh_token_validity",
            prop("NewClient", "refresh_token_validity", "minimum"),
            prop("NewClient", "refresh_token_validity", "maximum"),
        ),
    ] {
        for (value, ok) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
            n += 1;
            let answer = app
                .admin(
                    "POST",
                    &format!("/pools/{pool}/clients"),
                    Some(json!({"name": format!("c{n}"), field: value})),
                )
                .await;
            if ok {
                answer.expect(201);
            } else {
                answer.expect_error(422, "validation_failed");
            }
        }
    }
    assert_eq!(
        (
            prop("NewClient", "id_token_validity", "minimum"),
            prop("NewClient", "id_token_validity", "maximum")
        ),
        (300, 86_400)
    );
    assert_eq!(
        (
            prop("NewClient", "refresh_token_validity", "minimum"),
            prop("NewClient", "refresh_token_validity", "maximum")
        ),
        (3_600, 315_360_000)
    );

    let precedence = prop("NewGroup", "precedence", "minimum");
    assert_eq!(precedence, 0);
    app.admin(
        "POST",
        &format!("/pools/{pool}/groups"),
        Some(json!({"name": "lowest", "precedence": precedence})),
    )
    .await
    .expect(201);
    app.admin(
        "POST",
        &format!("/pools/{pool}/groups"),
        Some(json!({"name": "below", "precedence": precedence - 1})),
    )
    .await
    .expect_error(422, "validation_failed");

    let max_name = prop("NewPool", "name", "maxLength") as usize;
    app.create_pool(&"n".repeat(max_name), json!({})).await;
    app.admin(
        "POST",
        "/pools",
        Some(json!({"name": "n".repeat(max_name + 1)})),
    )
    .await
    .expect_error(422, "validation_failed");

    let min_length = prop("PasswordPolicyPatch", "minimum_length", "minimum");
    let max_length = prop("PasswordPolicyPatch", "minimum_length", "maximum");
    for (value, ok) in [
        (min_length, true),
        (max_length, true),
        (min_length - 1, false),
        (max_length + 1, false),
    ] {
        let answer = app
            .admin(
                "PATCH",
                &format!("/pools/{pool}"),
                Some(json!({"password_policy": {"minimum_length": value}})),
            )
            .await;
        if ok {
            answer.expect(200);
        } else {
            answer.expect_error(422, "validation_failed");
        }
    }

    let list = doc["paths"]["/admin/v1/pools"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("limit")
        .clone();
    let max_limit = list["schema"]["maximum"].as_i64().expect("maximum");
    app.admin("GET", &format!("/pools?limit={max_limit}"), None)
        .await
        .expect(200);
    app.admin("GET", &format!("/pools?limit={}", max_limit + 1), None)
        .await
        .expect_error(422, "validation_failed");
    app.admin("GET", "/pools?limit=ten", None)
        .await
        .expect_error(400, "invalid_request");

    // The patch schema does not offer the fields fixed at creation; the server refuses them
    // even when they repeat the current value.
    for body in [
        json!({"username_attributes": []}),
        json!({"case_sensitive_usernames": false}),
    ] {
        app.admin("PATCH", &format!("/pools/{pool}"), Some(body))
            .await
            .expect_error(422, "validation_failed");
    }
}
