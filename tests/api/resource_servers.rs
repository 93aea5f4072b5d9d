use serde_json::json;

use crate::helpers::{Backend, path_segment, spawn_app};
use crate::on_both;

on_both!(
    resource_server_crud_with_encoded_identifier,
    scopes_in_use_cannot_be_removed,
    at_most_25_resource_servers_per_pool,
    scope_rules_are_enforced,
);

async fn resource_server_crud_with_encoded_identifier(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let identifier = "https://api.example.com/v1?x=1 2";
    let created = app
        .admin(
            "POST",
            &format!("/pools/{pool}/resource-servers"),
            Some(
                json!({"identifier": "https://api.example.com/v1", "name": "API",
                        "scopes": [{"name": "read", "description": "Read things"}]}),
            ),
        )
        .await
        .expect(201);
    assert_eq!(created["scopes"][0]["name"], "read");
    let _ = identifier;
    let path = format!(
        "/pools/{pool}/resource-servers/{}",
        path_segment("https://api.example.com/v1")
    );
    let got = app.admin("GET", &path, None).await.expect(200);
    assert_eq!(got["identifier"], "https://api.example.com/v1");
    let replaced = app
        .admin(
            "PUT",
            &path,
            Some(json!({"name": "API v1", "scopes": [{"name": "read", "description": "Read"}, {"name": "write", "description": "Write"}]})),
        )
        .await
        .expect(200);
    assert_eq!(replaced["name"], "API v1");
    assert_eq!(replaced["scopes"].as_array().unwrap().len(), 2);
    let list = app
        .admin("GET", &format!("/pools/{pool}/resource-servers"), None)
        .await
        .expect(200);
    assert_eq!(list["items"][0]["scopes"].as_array().unwrap().len(), 2);
    app.admin(
        "POST",
        &format!("/pools/{pool}/resource-servers"),
        Some(json!({"identifier": "https://api.example.com/v1", "name": "dup"})),
    )
    .await
    .expect_error(409, "conflict");
    app.admin("DELETE", &path, None).await.expect(204);
    app.admin("GET", &path, None)
        .await
        .expect_error(404, "not_found");
}

async fn scopes_in_use_cannot_be_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    app.admin(
        "POST",
        &format!("/pools/{pool}/resource-servers"),
        Some(json!({"identifier": "orders", "name": "Orders",
                    "scopes": [{"name": "read", "description": "Read"}, {"name": "write", "description": "Write"}]})),
    )
    .await
    .expect(201);
    app.admin(
        "POST",
        &format!("/pools/{pool}/clients"),
        Some(json!({"name": "billing-service", "generate_secret": true, "allowed_oauth_flows": ["client_credentials"],
                    "allowed_oauth_scopes": ["orders/write"]})),
    )
    .await
    .expect(201);
    let path = format!("/pools/{pool}/resource-servers/orders");
    let removal = app
        .admin(
            "PUT",
            &path,
            Some(json!({"name": "Orders", "scopes": [{"name": "read", "description": "Read"}]})),
        )
        .await;
    removal.expect_error(409, "conflict");
    assert!(
        removal.message().contains("billing-service"),
        "{}",
        removal.message()
    );
    let delete = app.admin("DELETE", &path, None).await;
    delete.expect_error(409, "conflict");
    assert!(delete.message().contains("billing-service"));
    let still = app.admin("GET", &path, None).await.expect(200);
    assert_eq!(
        still["scopes"].as_array().unwrap().len(),
        2,
        "nothing changed"
    );
    // Removing an unused scope is fine.
    app.admin(
        "PUT",
        &path,
        Some(json!({"name": "Orders", "scopes": [{"name": "write", "description": "Write"}]})),
    )
    .await
    .expect(200);
}

async fn at_most_25_resource_servers_per_pool(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    for i in 0..25 {
        app.admin(
            "POST",
            &format!("/pools/{pool}/resource-servers"),
            Some(json!({"identifier": format!("api-{i}"), "name": "API"})),
        )
        .await
        .expect(201);
    }
    let over = app
        .admin(
            "POST",
            &format!("/pools/{pool}/resource-servers"),
            Some(json!({"identifier": "api-25", "name": "API"})),
        )
        .await;
    over.expect_error(409, "conflict");
    assert!(over.message().contains("25"));
    assert_eq!(
        app.list_all(&format!("/pools/{pool}/resource-servers"), 10)
            .await
            .len(),
        25
    );
}

async fn scope_rules_are_enforced(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let path = format!("/pools/{pool}/resource-servers");
    let too_many: Vec<_> = (0..101)
        .map(|i| json!({"name": format!("s{i}"), "description": "d"}))
        .collect();
    for body in [
        json!({"identifier": "a", "name": "A", "scopes": [{"name": "has space", "description": "d"}]}),
        json!({"identifier": "a", "name": "A", "scopes": [{"name": "has/slash", "description": "d"}]}),
        json!({"identifier": "a", "name": "A", "scopes": [{"name": "", "description": "d"}]}),
        json!({"identifier": "a", "name": "A", "scopes": [{"name": "x".repeat(257), "description": "d"}]}),
        json!({"identifier": "a", "name": "A", "scopes": [{"name": "dup", "description": "d"}, {"name": "dup", "description": "d"}]}),
        json!({"identifier": "a", "name": "A", "scopes": too_many}),
        json!({"identifier": "", "name": "A"}),
        json!({"identifier": "x".repeat(257), "name": "A"}),
    ] {
        app.admin("POST", &path, Some(body))
            .await
            .expect_error(422, "validation_failed");
    }
    let list = app.admin("GET", &path, None).await.expect(200);
    assert_eq!(list["items"], json!([]));
}
