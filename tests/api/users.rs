use serde_json::json;

use crate::helpers::{Backend, PASSWORD, spawn_app};
use crate::on_both;

on_both!(
    user_with_permanent_password_is_confirmed,
    user_without_password_gets_a_generated_temporary_one,
    password_policy_failures_name_the_rule,
    usernames_are_case_insensitive_by_default,
    email_as_username_pools_look_up_by_email,
    patch_attributes_and_email_verification,
    custom_attributes_follow_the_schema,
    user_actions_change_state,
    filters_find_users_by_attribute,
    duplicate_usernames_conflict,
);

async fn user_with_permanent_password_is_confirmed(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let answer = app
        .admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(json!({"username": "alice", "password": PASSWORD,
                        "attributes": {"email": "alice@example.com", "name": "Alice"}, "email_verified": true})),
        )
        .await;
    assert!(
        !answer.text.contains("argon2"),
        "hash leaked: {}",
        answer.text
    );
    assert!(!answer.text.contains(PASSWORD), "password echoed");
    let user = answer.expect(201);
    assert_eq!(user["username"], "alice");
    assert_eq!(user["status"], "CONFIRMED");
    assert_eq!(user["enabled"], true);
    assert_eq!(user["attributes"]["email"], "alice@example.com");
    assert_eq!(user["attributes"]["email_verified"], true);
    assert!(uuid::Uuid::parse_str(user["sub"].as_str().unwrap()).is_ok());
    assert!(user.get("temporary_password").is_none());
    let fetched = app
        .admin("GET", &format!("/pools/{pool}/users/alice"), None)
        .await
        .expect(200);
    assert_eq!(fetched["sub"], user["sub"]);
}

async fn user_without_password_gets_a_generated_temporary_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app
        .create_pool("p", json!({"password_policy": {"minimum_length": 20}}))
        .await;
    let user = app
        .admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(json!({"username": "bob"})),
        )
        .await
        .expect(201);
    assert_eq!(user["status"], "FORCE_CHANGE_PASSWORD");
    let temporary = user["temporary_password"].as_str().unwrap();
    assert!(temporary.chars().count() >= 20);
    assert!(temporary.chars().any(|c| c.is_ascii_uppercase()));
    assert!(temporary.chars().any(|c| c.is_ascii_lowercase()));
    assert!(temporary.chars().any(|c| c.is_ascii_digit()));
    assert!(temporary.chars().any(|c| c.is_ascii_punctuation()));
    let again = app
        .admin("GET", &format!("/pools/{pool}/users/bob"), None)
        .await
        .expect(200);
    assert!(again.get("temporary_password").is_none(), "shown only once");
    let with_temp = app
        .admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(json!({"username": "carol", "temporary_password": "Temporary-pass-12345"})),
        )
        .await
        .expect(201);
    assert_eq!(with_temp["status"], "FORCE_CHANGE_PASSWORD");
    assert!(with_temp.get("temporary_password").is_none());
}

async fn password_policy_failures_name_the_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    for (password, rule) in [
        ("Sh0rt!", "at least 8 characters"),
        ("alllowercase1!", "uppercase"),
        ("ALLUPPERCASE1!", "lowercase"),
        ("NoNumbers-here", "number"),
        ("NoSymbols123", "symbol"),
    ] {
        let answer = app
            .admin(
                "POST",
                &format!("/pools/{pool}/users"),
                Some(json!({"username": "dave", "password": password})),
            )
            .await;
        answer.expect_error(422, "validation_failed");
        assert!(
            answer.message().starts_with("password"),
            "{}",
            answer.message()
        );
        assert!(
            answer.message().contains(rule),
            "{password}: {}",
            answer.message()
        );
    }
    app.admin("GET", &format!("/pools/{pool}/users/dave"), None)
        .await
        .expect_error(404, "not_found");
}

async fn usernames_are_case_insensitive_by_default(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    app.create_user(&pool, "Alice").await;
    let fetched = app
        .admin("GET", &format!("/pools/{pool}/users/ALICE"), None)
        .await
        .expect(200);
    assert_eq!(fetched["username"], "Alice");
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(json!({"username": "alice", "password": PASSWORD})),
    )
    .await
    .expect_error(409, "conflict");

    let sensitive = app
        .create_pool("cs", json!({"case_sensitive_usernames": true}))
        .await;
    app.create_user(&sensitive, "Bob").await;
    app.create_user(&sensitive, "bob").await;
    app.admin("GET", &format!("/pools/{sensitive}/users/BOB"), None)
        .await
        .expect_error(404, "not_found");
}

async fn email_as_username_pools_look_up_by_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app
        .create_pool("p", json!({"username_attributes": ["email"]}))
        .await;
    let user = app
        .admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(json!({"username": "Erin@Example.com", "password": PASSWORD})),
        )
        .await
        .expect(201);
    assert_eq!(user["attributes"]["email"], "Erin@Example.com");
    assert_eq!(
        user["username"], user["sub"],
        "the sub is the username, as in Cognito"
    );
    let by_email = app
        .admin(
            "GET",
            &format!("/pools/{pool}/users/erin@example.com"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(by_email["sub"], user["sub"]);
    let by_sub = app
        .admin(
            "GET",
            &format!("/pools/{pool}/users/{}", user["sub"].as_str().unwrap()),
            None,
        )
        .await
        .expect(200);
    assert_eq!(by_sub["sub"], user["sub"]);
    let filtered = app
        .list_all(
            &format!(
                "/pools/{pool}/users?filter={}",
                crate::helpers::urlencode(r#"email = "ERIN@example.COM""#)
            ),
            60,
        )
        .await;
    assert_eq!(
        filtered.len(),
        1,
        "the email is matched like the username it is"
    );
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(json!({"username": "erin@EXAMPLE.com", "password": PASSWORD})),
    )
    .await
    .expect_error(409, "conflict");
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(json!({"username": "not-an-email", "password": PASSWORD})),
    )
    .await
    .expect_error(422, "validation_failed");
}

async fn patch_attributes_and_email_verification(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(
            json!({"username": "frank", "password": PASSWORD, "email_verified": true,
                    "attributes": {"email": "frank@example.com", "given_name": "Frank"}}),
        ),
    )
    .await
    .expect(201);
    let path = format!("/pools/{pool}/users/frank");
    let user = app
        .admin(
            "PATCH",
            &path,
            Some(json!({"attributes": {"family_name": "Castle"}})),
        )
        .await
        .expect(200);
    assert_eq!(user["attributes"]["family_name"], "Castle");
    assert_eq!(
        user["attributes"]["email_verified"], true,
        "unrelated change keeps verification"
    );
    let user = app
        .admin(
            "PATCH",
            &path,
            Some(json!({"attributes": {"email": "frank@new.example.com"}})),
        )
        .await
        .expect(200);
    assert_eq!(
        user["attributes"]["email_verified"], false,
        "a new email is unverified"
    );
    let user = app
        .admin(
            "PATCH",
            &path,
            Some(
                json!({"attributes": {"email": "frank@third.example.com"}, "email_verified": true}),
            ),
        )
        .await
        .expect(200);
    assert_eq!(user["attributes"]["email_verified"], true);
    let user = app
        .admin(
            "PATCH",
            &path,
            Some(json!({"attributes": {"given_name": null}})),
        )
        .await
        .expect(200);
    assert!(user["attributes"].get("given_name").is_none());
    for bad in [
        json!({"attributes": {"sub": "x"}}),
        json!({"attributes": {"favourite_colour": "blue"}}),
        json!({"attributes": {"email": "not an email"}}),
        json!({"attributes": {"phone_number": "555-1234"}}),
        json!({"attributes": {"custom:nope": "x"}}),
    ] {
        app.admin("PATCH", &path, Some(bad))
            .await
            .expect_error(422, "validation_failed");
    }
}

async fn custom_attributes_follow_the_schema(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app
        .create_pool(
            "p",
            json!({"schema": [
                {"name": "tenant", "type": "string", "mutable": false, "required": true, "max_length": 10},
                {"name": "seats", "type": "number"},
                {"name": "beta", "type": "boolean"}]}),
        )
        .await;
    let users = format!("/pools/{pool}/users");
    app.admin(
        "POST",
        &users,
        Some(json!({"username": "g", "password": PASSWORD})),
    )
    .await
    .expect_error(422, "validation_failed");
    let user = app
        .admin(
            "POST",
            &users,
            Some(json!({"username": "g", "password": PASSWORD,
                        "attributes": {"custom:tenant": "acme", "custom:seats": 5, "custom:beta": "true"}})),
        )
        .await
        .expect(201);
    assert_eq!(user["attributes"]["custom:tenant"], "acme");
    assert_eq!(user["attributes"]["custom:seats"], 5);
    assert_eq!(user["attributes"]["custom:beta"], true);
    let path = format!("{users}/g");
    let immutable = app
        .admin(
            "PATCH",
            &path,
            Some(json!({"attributes": {"custom:tenant": "other"}})),
        )
        .await;
    immutable.expect_error(422, "validation_failed");
    assert!(immutable.message().contains("custom:tenant"));
    app.admin(
        "PATCH",
        &path,
        Some(json!({"attributes": {"custom:seats": "many"}})),
    )
    .await
    .expect_error(422, "validation_failed");
    app.admin(
        "POST",
        &users,
        Some(json!({"username": "h", "password": PASSWORD, "attributes": {"custom:tenant": "far-too-long-value"}})),
    )
    .await
    .expect_error(422, "validation_failed");
}

async fn user_actions_change_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    app.create_user(&pool, "ivy").await;
    let path = format!("/pools/{pool}/users/ivy");
    let user = app
        .admin("POST", &format!("{path}/disable"), None)
        .await
        .expect(200);
    assert_eq!(user["enabled"], false);
    let user = app
        .admin("POST", &format!("{path}/enable"), None)
        .await
        .expect(200);
    assert_eq!(user["enabled"], true);
    app.admin("POST", &format!("{path}/confirm"), None)
        .await
        .expect_error(409, "conflict");
    let user = app
        .admin("POST", &format!("{path}/reset-password"), None)
        .await
        .expect(200);
    assert_eq!(user["status"], "RESET_REQUIRED");
    let user = app
        .admin(
            "POST",
            &format!("{path}/password"),
            Some(json!({"password": "Another-pass-42", "permanent": false})),
        )
        .await
        .expect(200);
    assert_eq!(user["status"], "FORCE_CHANGE_PASSWORD");
    let user = app
        .admin(
            "POST",
            &format!("{path}/password"),
            Some(json!({"password": "Another-pass-42", "permanent": true})),
        )
        .await
        .expect(200);
    assert_eq!(user["status"], "CONFIRMED");
    app.admin(
        "POST",
        &format!("{path}/password"),
        Some(json!({"password": "weak", "permanent": true})),
    )
    .await
    .expect_error(422, "validation_failed");
    let before = app.admin("GET", &path, None).await.expect(200);
    let after = app
        .admin("POST", &format!("{path}/sign-out"), None)
        .await
        .expect(200);
    assert!(after["updated_at"].as_str() >= before["updated_at"].as_str());
    app.admin("DELETE", &path, None).await.expect(204);
    app.admin("GET", &path, None)
        .await
        .expect_error(404, "not_found");
    app.admin("POST", &format!("{path}/disable"), None)
        .await
        .expect_error(404, "not_found");
}

async fn filters_find_users_by_attribute(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    for (name, family) in [("jack", "Smith"), ("jill", "Smithers"), ("kate", "Jones")] {
        app.admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(json!({"username": name, "password": PASSWORD,
                        "attributes": {"email": format!("{name}@example.com"), "family_name": family}})),
        )
        .await
        .expect(201);
    }
    let query = |filter: &str| {
        format!(
            "/pools/{pool}/users?filter={}",
            crate::helpers::urlencode(filter)
        )
    };
    let names = |items: Vec<serde_json::Value>| -> Vec<String> {
        items
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(
            app.list_all(&query(r#"email = "jill@example.com""#), 60)
                .await
        ),
        ["jill"]
    );
    assert_eq!(
        names(app.list_all(&query(r#"family_name ^= "Smith""#), 1).await),
        ["jack", "jill"]
    );
    assert_eq!(
        names(app.list_all(&query(r#"username ^= "J""#), 60).await),
        ["jack", "jill"]
    );
    assert_eq!(
        names(app.list_all(&query(r#"status = "CONFIRMED""#), 2).await).len(),
        3
    );
    assert!(
        app.list_all(&query(r#"email = "nobody@example.com""#), 60)
            .await
            .is_empty()
    );
    for bad in [
        r#"password = "x""#,
        r#"email = x"#,
        r#"email = "x" or 1=1"#,
        r#"email "x""#,
    ] {
        app.admin("GET", &query(bad), None)
            .await
            .expect_error(422, "validation_failed");
    }
}

async fn duplicate_usernames_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let body = json!({"username": "race", "password": PASSWORD});
    let path = format!("/pools/{pool}/users");
    let (a, b) = tokio::join!(
        app.admin("POST", &path, Some(body.clone())),
        app.admin("POST", &path, Some(body.clone()))
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
}
