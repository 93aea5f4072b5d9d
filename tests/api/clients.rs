use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both;

on_both!(
    confidential_client_secret_is_shown_once,
    public_client_defaults_and_patch,
    client_rules_are_enforced,
    rotating_a_secret_returns_a_new_one_once,
    custom_scopes_must_exist,
);

async fn pool_with_api(app: &TestApp) -> String {
    let id = app.create_pool("p", json!({})).await;
    app.admin(
        "POST",
        &format!("/pools/{id}/resource-servers"),
        Some(json!({"identifier": "https://api.example.com", "name": "API",
                    "scopes": [{"name": "read", "description": "Read"}, {"name": "write", "description": "Write"}]})),
    )
    .await
    .expect(201);
    id
}

async fn confidential_client_secret_is_shown_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = pool_with_api(&app).await;
    let client = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "backend", "generate_secret": true,
                        "allowed_oauth_flows": ["client_credentials"],
                        "allowed_oauth_scopes": ["https://api.example.com/read"]})),
        )
        .await
        .expect(201);
    let client_id = client["client_id"].as_str().unwrap();
    assert_eq!(client_id.len(), 26);
    assert!(
        client_id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    );
    let secret = client["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 51, "secret too short: {}", secret.len());
    assert_eq!(client["has_secret"], true);

    let fetched = app
        .admin("GET", &format!("/pools/{pool}/clients/{client_id}"), None)
        .await;
    assert!(!fetched.text.contains(secret));
    let fetched = fetched.expect(200);
    assert!(fetched.get("client_secret").is_none());
    let listed = app
        .admin("GET", &format!("/pools/{pool}/clients"), None)
        .await;
    assert!(!listed.text.contains(secret));
    assert!(!listed.text.contains("secret_hash"));
}

async fn public_client_defaults_and_patch(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = pool_with_api(&app).await;
    let client = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "spa", "callback_urls": ["https://app.example.com/cb", "http://localhost:3000/cb", "myapp://cb"],
                        "default_redirect_uri": "https://app.example.com/cb",
                        "allowed_oauth_flows": ["code"], "allowed_oauth_scopes": ["openid", "email", "https://api.example.com/read"]})),
        )
        .await
        .expect(201);
    assert!(client.get("client_secret").is_none());
    assert_eq!(client["has_secret"], false);
    assert_eq!(client["access_token_validity"], 3600);
    assert_eq!(client["id_token_validity"], 3600);
    assert_eq!(client["refresh_token_validity"], 2_592_000);
    assert_eq!(client["prevent_user_existence_errors"], true);
    let id = client["client_id"].as_str().unwrap();

    let patched = app
        .admin(
            "PATCH",
            &format!("/pools/{pool}/clients/{id}"),
            Some(json!({"access_token_validity": 300, "allowed_oauth_scopes": ["openid"]})),
        )
        .await
        .expect(200);
    assert_eq!(patched["access_token_validity"], 300);
    assert_eq!(patched["allowed_oauth_scopes"], json!(["openid"]));
    assert_eq!(patched["callback_urls"].as_array().unwrap().len(), 3);

    app.admin("DELETE", &format!("/pools/{pool}/clients/{id}"), None)
        .await
        .expect(204);
    app.admin("GET", &format!("/pools/{pool}/clients/{id}"), None)
        .await
        .expect_error(404, "not_found");
}

async fn client_rules_are_enforced(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = pool_with_api(&app).await;
    let path = format!("/pools/{pool}/clients");
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"name": "c", "allowed_oauth_flows": ["client_credentials"]}),
            "allowed_oauth_flows",
        ),
        (
            json!({"name": "c", "generate_secret": true, "allowed_oauth_flows": ["client_credentials", "code"], "callback_urls": ["https://a.example.com/cb"]}),
            "allowed_oauth_flows",
        ),
        (
            json!({"name": "c", "allowed_oauth_flows": ["implicit"]}),
            "allowed_oauth_flows",
        ),
        (
            json!({"name": "c", "callback_urls": ["http://evil.example.com/cb"]}),
            "callback_urls[0]",
        ),
        (
            json!({"name": "c", "callback_urls": ["https://a.example.com/cb#frag"]}),
            "callback_urls[0]",
        ),
        (
            json!({"name": "c", "callback_urls": ["javascript:alert(1)"]}),
            "callback_urls[0]",
        ),
        (
            json!({"name": "c", "callback_urls": ["/relative"]}),
            "callback_urls[0]",
        ),
        (
            json!({"name": "c", "logout_urls": ["ftp://a.example.com/"]}),
            "logout_urls[0]",
        ),
        (
            json!({"name": "c", "callback_urls": ["https://a.example.com/cb"], "default_redirect_uri": "https://b.example.com/cb"}),
            "default_redirect_uri",
        ),
        (
            json!({"name": "c", "allowed_oauth_scopes": ["admin"]}),
            "allowed_oauth_scopes",
        ),
        (
            json!({"name": "c", "access_token_validity": 299}),
            "access_token_validity",
        ),
        (
            json!({"name": "c", "id_token_validity": 86401}),
            "id_token_validity",
        ),
        (
            json!({"name": "c", "refresh_token_validity": 3599}),
            "refresh_token_validity",
        ),
        (
            json!({"name": "c", "explicit_auth_flows": ["ALLOW_EVERYTHING"]}),
            "explicit_auth_flows",
        ),
        (
            json!({"name": "c", "read_attributes": ["custom:nope"]}),
            "read_attributes",
        ),
        (
            json!({"name": "c", "allowed_oauth_flows": ["code"]}),
            "callback_urls",
        ),
    ];
    let many: Vec<String> = (0..101)
        .map(|i| format!("https://a.example.com/{i}"))
        .collect();
    let mut cases = cases;
    cases.push((json!({"name": "c", "callback_urls": many}), "callback_urls"));
    for (body, field) in cases {
        let answer = app.admin("POST", &path, Some(body.clone())).await;
        answer.expect_error(422, "validation_failed");
        assert!(
            answer.message().starts_with(field),
            "{body}: {}",
            answer.message()
        );
    }
    let list = app.admin("GET", &path, None).await.expect(200);
    assert_eq!(
        list["items"],
        json!([]),
        "refused creates leave nothing behind"
    );
}

async fn rotating_a_secret_returns_a_new_one_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = pool_with_api(&app).await;
    let path = format!("/pools/{pool}/clients");
    let client = app
        .admin(
            "POST",
            &path,
            Some(json!({"name": "c", "generate_secret": true})),
        )
        .await
        .expect(201);
    let id = client["client_id"].as_str().unwrap();
    let rotated = app
        .admin("POST", &format!("{path}/{id}/secret"), None)
        .await
        .expect(200);
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, client["client_secret"].as_str().unwrap());
    let public = app
        .admin("POST", &path, Some(json!({"name": "pub"})))
        .await
        .expect(201);
    let public_id = public["client_id"].as_str().unwrap();
    app.admin("POST", &format!("{path}/{public_id}/secret"), None)
        .await
        .expect_error(409, "conflict");
}

async fn custom_scopes_must_exist(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = pool_with_api(&app).await;
    let answer = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "c", "generate_secret": true, "allowed_oauth_flows": ["client_credentials"],
                        "allowed_oauth_scopes": ["https://api.example.com/delete"]})),
        )
        .await;
    answer.expect_error(422, "validation_failed");
    assert!(answer.message().contains("https://api.example.com/delete"));
    let user_scope = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "c", "generate_secret": true, "allowed_oauth_flows": ["client_credentials"],
                        "allowed_oauth_scopes": ["openid"]})),
        )
        .await;
    user_scope.expect_error(422, "validation_failed");
}
