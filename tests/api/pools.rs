use serde_json::json;

use crate::helpers::{Backend, spawn_app};
use crate::on_both;

on_both!(
    create_pool_applies_documented_defaults,
    get_list_patch_and_delete_a_pool,
    schema_attributes_can_be_added_but_not_removed,
    deletion_protection_blocks_delete,
    deleting_a_pool_removes_everything_in_it,
    paging_never_repeats_an_item_while_the_list_changes,
    concurrent_creates_of_one_name_give_one_conflict,
    stored_settings_with_fields_this_version_does_not_know_still_load,
);

async fn create_pool_applies_documented_defaults(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app
        .admin("POST", "/pools", Some(json!({"name": "prod"})))
        .await
        .expect(201);
    let id = pool["id"].as_str().unwrap();
    let (region, rest) = id.split_once('_').unwrap();
    assert_eq!(region, "local");
    assert_eq!(rest.len(), 9);
    assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        pool["issuer"],
        format!("http://localhost:{}/{id}", app.port)
    );
    assert_eq!(pool["username_attributes"], json!([]));
    assert_eq!(pool["case_sensitive_usernames"], false);
    assert_eq!(pool["auto_verified_attributes"], json!(["email"]));
    assert_eq!(
        pool["password_policy"],
        json!({"minimum_length": 8, "require_uppercase": true, "require_lowercase": true,
               "require_numbers": true, "require_symbols": true, "temporary_password_validity_days": 7})
    );
    assert_eq!(pool["mfa_configuration"], "OFF");
    assert_eq!(pool["deletion_protection"], false);
    assert!(pool["created_at"].is_string() && pool["updated_at"].is_string());
}

async fn get_list_patch_and_delete_a_pool(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create_pool(
            "staging",
            json!({"password_policy": {"minimum_length": 12, "require_symbols": false},
                   "email": {"verification_subject": "Your code", "verification_message": "Code: {####}"},
                   "schema": [{"name": "tenant", "type": "string", "mutable": false, "max_length": 40}]}),
        )
        .await;
    let pool = app
        .admin("GET", &format!("/pools/{id}"), None)
        .await
        .expect(200);
    assert_eq!(pool["password_policy"]["minimum_length"], 12);
    assert_eq!(pool["password_policy"]["require_symbols"], false);
    assert_eq!(pool["password_policy"]["require_numbers"], true);
    assert_eq!(pool["schema"][0]["name"], "tenant");

    let list = app.admin("GET", "/pools", None).await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["next_token"], json!(null));

    let patched = app
        .admin(
            "PATCH",
            &format!("/pools/{id}"),
            Some(json!({"name": "staging-2", "mfa_configuration": "OPTIONAL",
                        "password_policy": {"require_symbols": true}})),
        )
        .await
        .expect(200);
    assert_eq!(patched["name"], "staging-2");
    assert_eq!(patched["mfa_configuration"], "OPTIONAL");
    assert_eq!(
        patched["password_policy"]["minimum_length"], 12,
        "untouched fields stay"
    );
    assert_eq!(patched["password_policy"]["require_symbols"], true);

    let refused = app
        .admin(
            "PATCH",
            &format!("/pools/{id}"),
            Some(json!({"username_attributes": ["email"]})),
        )
        .await;
    refused.expect_error(422, "validation_failed");
    assert!(refused.message().contains("username_attributes"));

    app.admin("DELETE", &format!("/pools/{id}"), None)
        .await
        .expect(204);
    app.admin("GET", &format!("/pools/{id}"), None)
        .await
        .expect_error(404, "not_found");
    app.admin("DELETE", &format!("/pools/{id}"), None)
        .await
        .expect_error(404, "not_found");
}

async fn schema_attributes_can_be_added_but_not_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create_pool("p", json!({"schema": [{"name": "plan", "type": "string"}]}))
        .await;
    let both = json!([{"name": "plan", "type": "string"}, {"name": "seats", "type": "number"}]);
    let pool = app
        .admin(
            "PATCH",
            &format!("/pools/{id}"),
            Some(json!({"schema": both})),
        )
        .await
        .expect(200);
    assert_eq!(pool["schema"].as_array().unwrap().len(), 2);
    let removed = app
        .admin(
            "PATCH",
            &format!("/pools/{id}"),
            Some(json!({"schema": [{"name": "seats", "type": "number"}]})),
        )
        .await;
    removed.expect_error(422, "validation_failed");
    assert!(removed.message().contains("plan"), "{}", removed.message());
    let changed = app
        .admin(
            "PATCH",
            &format!("/pools/{id}"),
            Some(json!({"schema": [{"name": "plan", "type": "number"}, {"name": "seats", "type": "number"}]})),
        )
        .await;
    changed.expect_error(422, "validation_failed");
    let pool = app
        .admin("GET", &format!("/pools/{id}"), None)
        .await
        .expect(200);
    assert_eq!(
        pool["schema"].as_array().unwrap().len(),
        2,
        "refused patches change nothing"
    );
}

async fn deletion_protection_blocks_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create_pool("guarded", json!({"deletion_protection": true}))
        .await;
    app.admin("DELETE", &format!("/pools/{id}"), None)
        .await
        .expect_error(409, "conflict");
    app.admin("GET", &format!("/pools/{id}"), None)
        .await
        .expect(200);
    app.admin(
        "PATCH",
        &format!("/pools/{id}"),
        Some(json!({"deletion_protection": false})),
    )
    .await
    .expect(200);
    app.admin("DELETE", &format!("/pools/{id}"), None)
        .await
        .expect(204);
}

async fn deleting_a_pool_removes_everything_in_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.create_pool("full", json!({})).await;
    app.admin(
        "POST",
        &format!("/pools/{id}/resource-servers"),
        Some(
            json!({"identifier": "https://api.example.com", "name": "API",
                    "scopes": [{"name": "read", "description": "Read"}]}),
        ),
    )
    .await
    .expect(201);
    app.admin(
        "POST",
        &format!("/pools/{id}/clients"),
        Some(json!({"name": "m2m", "generate_secret": true, "allowed_oauth_flows": ["client_credentials"],
                    "allowed_oauth_scopes": ["https://api.example.com/read"]})),
    )
    .await
    .expect(201);
    app.create_user(&id, "alice").await;
    app.admin(
        "POST",
        &format!("/pools/{id}/groups"),
        Some(json!({"name": "admins"})),
    )
    .await
    .expect(201);
    app.admin(
        "PUT",
        &format!("/pools/{id}/groups/admins/members/alice"),
        None,
    )
    .await
    .expect(204);

    app.admin("DELETE", &format!("/pools/{id}"), None)
        .await
        .expect(204);
    app.admin("GET", &format!("/pools/{id}/users/alice"), None)
        .await
        .expect_error(404, "not_found");
    // A new pool with the same name starts empty.
    let again = app.create_pool("full", json!({})).await;
    let users = app
        .admin("GET", &format!("/pools/{again}/users"), None)
        .await
        .expect(200);
    assert_eq!(users["items"], json!([]));
}

async fn paging_never_repeats_an_item_while_the_list_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(app.create_pool(&format!("pool-{i}"), json!({})).await);
    }
    let all = app.list_all("/pools", 3).await;
    assert_eq!(all.len(), 7);

    // Page through while adding and deleting pools between pages.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut round = 0;
    loop {
        let mut url = "/pools?limit=2".to_string();
        if let Some(t) = &token {
            url.push_str(&format!("&next_token={}", crate::helpers::urlencode(t)));
        }
        let page = app.admin("GET", &url, None).await.expect(200);
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        app.create_pool(&format!("added-{round}"), json!({})).await;
        if round < ids.len() {
            app.admin("DELETE", &format!("/pools/{}", ids[round]), None)
                .await
                .expect(204);
        }
        round += 1;
        match page["next_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "an item appeared twice: {seen:?}");
    let bad_limit = app.admin("GET", "/pools?limit=61", None).await;
    bad_limit.expect_error(422, "validation_failed");
    app.admin("GET", "/pools?limit=0", None)
        .await
        .expect_error(422, "validation_failed");
    app.admin("GET", "/pools?limit=abc", None)
        .await
        .expect_error(400, "invalid_request");
    app.admin("GET", "/pools?next_token=forged", None)
        .await
        .expect_error(422, "validation_failed");
}

async fn concurrent_creates_of_one_name_give_one_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"name": "race"});
    let (a, b) = tokio::join!(
        app.admin("POST", "/pools", Some(body.clone())),
        app.admin("POST", "/pools", Some(body.clone()))
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "a: {} b: {}", a.text, b.text);
    let list = app.admin("GET", "/pools", None).await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

/// Runs one statement on the test's database.
async fn execute(db: &crate::helpers::TestDatabase, sql: &str) {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}

/// A row written by a later version (a setting added since, at the top and nested) is read
/// by this one: the stored document is tolerant, while the admin API still refuses the
/// same unknown fields in a body.
async fn stored_settings_with_fields_this_version_does_not_know_still_load(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool_id = app
        .create_pool("later", json!({"branding": {"display_name": "Later"}}))
        .await;
    let client = app
        .admin(
            "POST",
            &format!("/pools/{pool_id}/clients"),
            Some(
                json!({"name": "web", "callback_urls": ["https://app.example/cb"],
                        "allowed_oauth_flows": ["code"], "allowed_oauth_scopes": ["openid"]}),
            ),
        )
        .await
        .expect(201);
    let client_id = client["client_id"].as_str().unwrap();

    let mut pool = app
        .admin("GET", &format!("/pools/{pool_id}"), None)
        .await
        .expect(200);
    let config = pool.as_object_mut().unwrap();
    for field in ["id", "name", "issuer", "created_at", "updated_at"] {
        config.remove(field);
    }
    config.insert("added_later".into(), json!({"on": true}));
    config["branding"]["favicon_url"] = json!("https://later.example/icon.png");
    config["sign_in_policy"]["passkey_relying_party"] = json!("later.example");
    let config = serde_json::to_string(config).unwrap().replace('\'', "''");
    execute(
        &app.db,
        &format!("UPDATE pools SET config = '{config}' WHERE id = '{pool_id}'"),
    )
    .await;

    let mut client = app
        .admin(
            "GET",
            &format!("/pools/{pool_id}/clients/{client_id}"),
            None,
        )
        .await
        .expect(200);
    let settings = client.as_object_mut().unwrap();
    for field in [
        "client_id",
        "pool_id",
        "name",
        "has_secret",
        "created_at",
        "updated_at",
    ] {
        settings.remove(field);
    }
    settings["refresh_token_rotation"]["added_later"] = json!(1);
    settings.insert("added_later".into(), json!([1, 2]));
    let settings = serde_json::to_string(settings).unwrap().replace('\'', "''");
    execute(
        &app.db,
        &format!("UPDATE app_clients SET config = '{settings}' WHERE client_id = '{client_id}'"),
    )
    .await;

    let pool = app
        .admin("GET", &format!("/pools/{pool_id}"), None)
        .await
        .expect(200);
    assert_eq!(pool["branding"]["display_name"], "Later");
    assert!(pool.get("added_later").is_none());
    let client = app
        .admin(
            "GET",
            &format!("/pools/{pool_id}/clients/{client_id}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(client["callback_urls"], json!(["https://app.example/cb"]));
    assert_eq!(client["refresh_token_rotation"]["enabled"], true);
    // The OAuth endpoints read the same row.
    app.get(&format!("/{pool_id}/.well-known/openid-configuration"))
        .await
        .expect(200);

    // A body is still strict, nested fields included.
    let refused = app
        .admin(
            "PATCH",
            &format!("/pools/{pool_id}"),
            Some(json!({"branding": {"favicon_url": "https://later.example/icon.png"}})),
        )
        .await
        .expect(400);
    assert!(refused.to_string().contains("favicon_url"), "{refused}");
}
