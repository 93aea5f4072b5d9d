//! Usernames prepared by RFC 8265 (finding 12 of the security-hardening issue): width,
//! normalisation and case variants of a name are that name, invisible code points and
//! confusable script mixes are refused, and sign-in finds the same account.

use serde_json::{Value, json};

use crate::browser::{Browser, CALLBACK, authorize_url, hidden_fields, web_app};
use crate::helpers::{Answer, Backend, PASSWORD, TestApp, path_segment, spawn_app};
use crate::on_both;

on_both!(
    look_alike_usernames_conflict_or_are_refused,
    international_usernames_are_accepted_and_found,
    case_sensitive_pools_map_width_but_keep_case,
    email_pools_prepare_the_address_like_a_username,
    sign_in_finds_the_account_under_any_width,
    users_stored_before_preparation_stay_reachable,
);

async fn create(app: &TestApp, pool: &str, username: &str) -> Answer {
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(json!({"username": username, "password": PASSWORD})),
    )
    .await
}

async fn get(app: &TestApp, pool: &str, login: &str) -> Answer {
    app.admin(
        "GET",
        &format!("/pools/{pool}/users/{}", path_segment(login)),
        None,
    )
    .await
}

#[track_caller]
fn refused(answer: &Answer, field: &str, wanted: &str) {
    answer.expect_error(422, "validation_failed");
    let message = answer.message();
    assert!(message.starts_with(field), "{message}");
    assert!(message.contains(wanted), "wanted {wanted:?}: {message}");
}

async fn usernames(app: &TestApp, pool: &str) -> Vec<String> {
    let mut names: Vec<String> = app
        .list_all(&format!("/pools/{pool}/users"), 60)
        .await
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

async fn look_alike_usernames_conflict_or_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let admin = create(&app, &pool, "admin").await.expect(201);
    create(&app, &pool, "café").await.expect(201);

    for same in [
        "ａｄｍｉｎ",
        "ＡＤＭＩＮ",
        "Ａdmin",
        "cafe\u{301}",
        "CAFE\u{301}",
    ] {
        create(&app, &pool, same)
            .await
            .expect_error(409, "conflict");
    }
    refused(
        &create(&app, &pool, "\u{430}dmin").await,
        "username",
        "Cyrillic and Latin",
    );
    for (hidden, code_point) in [
        ("ad\u{AD}min", "U+00AD"),
        ("admin\u{2060}", "U+2060"),
        ("ad\u{200B}min", "U+200B"),
        ("admin\u{7}", "U+0007"),
    ] {
        refused(&create(&app, &pool, hidden).await, "username", code_point);
    }
    refused(
        &create(&app, &pool, "ad min").await,
        "username",
        "whitespace",
    );

    let found = get(&app, &pool, "ＡＤＭＩＮ").await.expect(200);
    assert_eq!(found["sub"], admin["sub"]);
    assert_eq!(found["username"], "admin");
    let found = get(&app, &pool, "CAFE\u{301}").await.expect(200);
    assert_eq!(found["username"], "café");
    // A name that cannot be prepared is simply unknown.
    for unknown in ["ad\u{AD}min", "admin\u{2060}", "\u{430}dmin"] {
        get(&app, &pool, unknown)
            .await
            .expect_error(404, "not_found");
    }
    assert_eq!(usernames(&app, &pool).await, ["admin", "café"]);

    // The stored name is the prepared, case-preserved form.
    let other = app.create_pool("q", json!({})).await;
    let user = create(&app, &other, "ＪＯＳＥ\u{301}").await.expect(201);
    assert_eq!(user["username"], "JOSÉ");
    let filtered = app
        .list_all(
            &format!(
                "/pools/{other}/users?filter={}",
                crate::helpers::urlencode("username = \"jose\u{301}\"")
            ),
            60,
        )
        .await;
    assert_eq!(filtered.len(), 1, "the filter value is prepared too");
}

async fn international_usernames_are_accepted_and_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    for (name, typed) in [
        ("Иван", "ИВАН"),
        ("Ωμέγα", "ΩΜΈΓΑ"),
        ("山田太郎", "山田太郎"),
        ("Tanaka太郎", "TANAKA太郎"),
        ("やまだタロウ", "やまだﾀﾛｳ"),
        ("김철수abc", "김철수ABC"),
        ("Zoë", "ZOE\u{308}"),
        ("שלום", "שלום"),
    ] {
        let user = create(&app, &pool, name).await.expect(201);
        assert_eq!(user["username"], name);
        let found = get(&app, &pool, typed).await.expect(200);
        assert_eq!(found["sub"], user["sub"], "{typed} finds {name}");
    }
}

async fn case_sensitive_pools_map_width_but_keep_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app
        .create_pool("cs", json!({"case_sensitive_usernames": true}))
        .await;
    let upper = create(&app, &pool, "Admin").await.expect(201);
    create(&app, &pool, "Ａｄｍｉｎ")
        .await
        .expect_error(409, "conflict");
    let lower = create(&app, &pool, "admin").await.expect(201);
    assert_ne!(upper["sub"], lower["sub"]);
    refused(
        &create(&app, &pool, "\u{430}dmin").await,
        "username",
        "Cyrillic",
    );
    assert_eq!(
        get(&app, &pool, "Ａｄｍｉｎ").await.expect(200)["sub"],
        upper["sub"]
    );
    get(&app, &pool, "ＡＤＭＩＮ")
        .await
        .expect_error(404, "not_found");
}

async fn email_pools_prepare_the_address_like_a_username(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app
        .create_pool("e", json!({"username_attributes": ["email"]}))
        .await;
    let admin = create(&app, &pool, "Admin@Example.com").await.expect(201);
    for same in [
        "admin@example.com",
        "ａｄｍｉｎ@example.com",
        "ＡＤＭＩＮ＠ＥＸＡＭＰＬＥ．ＣＯＭ",
    ] {
        let answer = create(&app, &pool, same).await;
        answer.expect_error(409, "conflict");
        assert!(answer.message().contains("email"), "{}", answer.message());
    }
    refused(
        &create(&app, &pool, "\u{430}dmin@example.com").await,
        "username",
        "Cyrillic and Latin",
    );
    refused(
        &create(&app, &pool, "admin@ex\u{430}mple.com").await,
        "username",
        "Cyrillic and Latin",
    );
    refused(
        &create(&app, &pool, "ad\u{AD}min@example.com").await,
        "username",
        "U+00AD",
    );
    refused(
        &create(&app, &pool, "admin\u{2060}@example.com").await,
        "username",
        "U+2060",
    );
    for typed in ["ＡＤＭＩＮ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ADMIN@EXAMPLE.COM"] {
        assert_eq!(
            get(&app, &pool, typed).await.expect(200)["sub"],
            admin["sub"]
        );
    }

    // The address is stored (and mailed) in its prepared form.
    let nfd = create(&app, &pool, "Rene\u{301}@example.com")
        .await
        .expect(201);
    assert_eq!(nfd["attributes"]["email"], "René@example.com");
    create(&app, &pool, "rené@example.com")
        .await
        .expect_error(409, "conflict");
    // Single-script local parts and IDN domains are addresses like any other.
    for fine in ["иван@example.com", "zoë@例え.jp"] {
        create(&app, &pool, fine).await.expect(201);
    }

    // A changed address is a new username, checked the same way.
    let path = format!("/pools/{pool}/users/{}", path_segment("иван@example.com"));
    let patch = |email: &str| Some(json!({"attributes": {"email": email}}));
    app.admin("PATCH", &path, patch("ａｄｍｉｎ@example.com"))
        .await
        .expect_error(409, "conflict");
    refused(
        &app.admin("PATCH", &path, patch("\u{430}dmin@example.com"))
            .await,
        "attributes.email",
        "Cyrillic and Latin",
    );
    let moved: Value = app
        .admin("PATCH", &path, patch("ＩＶＡＮ@example.com"))
        .await
        .expect(200);
    assert_eq!(moved["attributes"]["email"], "IVAN@example.com");
    get(&app, &pool, "ivan@example.com").await.expect(200);
}

async fn sign_in_finds_the_account_under_any_width(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let (url, _) = authorize_url(&web, &[]);
    let signed_in = browser.sign_in(&url, "ＡＬＩＣＥ", PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let location = signed_in.location.unwrap_or_default();
    assert!(location.starts_with(CALLBACK), "{location}");

    // A name that cannot be prepared answers as an unknown one does.
    let answer = |name: &'static str| {
        let browser = Browser::new(&app);
        let (url, _) = authorize_url(&web, &[]);
        async move {
            let page = browser.sign_in(&url, name, PASSWORD).await;
            (page.status, anonymise(&page.body, name))
        }
    };
    let unknown = answer("nobody").await;
    assert_eq!(unknown.0, 200, "{}", unknown.1);
    for hidden in ["al\u{AD}ice", "alice\u{2060}", "\u{430}lice"] {
        let (status, body) = answer(hidden).await;
        assert_eq!(status, unknown.0, "{hidden:?}: {body}");
        assert_eq!(body, unknown.1, "{hidden:?} answers as an unknown name");
    }
}

/// Stores a user's name and key as releases before RFC 8265 preparation did (the text as
/// given, keyed by plain lowercase), which the API no longer does.
async fn store_as_before(app: &TestApp, backend: Backend, sub: &Value, name: &str) {
    use sqlx::Connection;
    let sql = "UPDATE users SET username = $1, username_key = $2 WHERE id = $3";
    let (key, sub) = (name.to_lowercase(), sub.as_str().unwrap());
    let updated = match backend {
        Backend::Sqlite => {
            let mut db = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            let query = sqlx::query(sql).bind(name).bind(&key).bind(sub);
            query.execute(&mut db).await.unwrap().rows_affected()
        }
        Backend::Postgres => {
            let mut db = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            let query = sqlx::query(sql).bind(name).bind(&key).bind(sub);
            query.execute(&mut db).await.unwrap().rows_affected()
        }
    };
    assert_eq!(updated, 1);
}

async fn users_stored_before_preparation_stay_reachable(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let pool = &web.pool;
    let nfd = create(&app, pool, "placeholder-1").await.expect(201);
    store_as_before(&app, backend, &nfd["sub"], "Jose\u{301}").await;
    let hidden = create(&app, pool, "placeholder-2").await.expect(201);
    store_as_before(&app, backend, &hidden["sub"], "bo\u{AD}b").await;
    let sign_in = |name: &'static str| {
        let browser = Browser::new(&app);
        let (url, _) = authorize_url(&web, &[]);
        async move { browser.sign_in(&url, name, PASSWORD).await.status }
    };

    // Typed as it was stored, the NFD name still finds its user, for admins and sign-in.
    assert_eq!(
        get(&app, pool, "JOSE\u{301}").await.expect(200)["sub"],
        nfd["sub"]
    );
    assert_eq!(sign_in("Jose\u{301}").await, 303);
    // A name that can no longer be prepared is unknown to sign-in, but an admin can still
    // see and delete its user.
    assert_eq!(sign_in("bo\u{AD}b").await, 200);
    assert_eq!(
        get(&app, pool, "bo\u{AD}b").await.expect(200)["sub"],
        hidden["sub"]
    );
    let path = format!("/pools/{pool}/users/{}", path_segment("bo\u{AD}b"));
    app.admin("DELETE", &path, None).await.expect(204);
    get(&app, pool, "bo\u{AD}b")
        .await
        .expect_error(404, "not_found");
}

/// A page without the name typed and its per-request values (CSRF token, request id).
fn anonymise(body: &str, name: &str) -> String {
    let mut out = body.replace(name, "NAME");
    for (_, value) in hidden_fields(body) {
        out = out.replace(&value, "VALUE");
    }
    out
}
