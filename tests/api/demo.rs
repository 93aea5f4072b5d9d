//! `--demo`: the whole journey on the embedded defaults — sign up on the hosted page, find
//! the code in the file outbox, confirm, and land on the demo callback page with tokens.

use std::sync::Arc;
use std::time::Duration;

use crate::browser::Browser;
use crate::helpers::{Backend, TestApp, TestDatabase, test_settings};

async fn spawn_demo(db: Arc<TestDatabase>) -> TestApp {
    let mut settings = test_settings(&db, &[]);
    settings.demo = true;
    let app = cognate::startup::Application::build(settings)
        .await
        .expect("the demo starts");
    crate::helpers::adopt(app, db)
}

/// The newest code in the file outbox, waiting for the worker to write it.
async fn code_from_outbox(dir: &std::path::Path) -> String {
    for _ in 0..100 {
        if let Ok(entries) = std::fs::read_dir(dir.join("outbox")) {
            let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            if let Some(last) = files.last() {
                let text = std::fs::read_to_string(last).unwrap();
                let decoded = text.replace("=\r\n", "").replace("=3D", "=");
                // The code follows "is:" in the text part; headers and boundaries hold digits too.
                let body = decoded.split_once("is:").map_or("", |(_, rest)| rest);
                if let Some(code) = body
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                {
                    return code.to_string();
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no code arrived in the outbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_journey_on_embedded_defaults() {
    let db = Arc::new(TestDatabase::new(Backend::Sqlite).await);
    let app = spawn_demo(db.clone()).await;
    let browser = Browser::new(&app);
    let start = browser.get("/demo").await;
    assert_eq!(start.status, 303);
    let login = browser.open_login(start.location.as_deref().unwrap()).await;
    let signup_link = login
        .body
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or(""))
        .find(|href| href.contains("/signup"))
        .expect("the sign-in page links to sign-up")
        .replace("&amp;", "&");
    let signup = browser.get(&signup_link).await;
    assert_eq!(signup.status, 200);
    let sent = browser
        .submit(
            &signup,
            &[
                ("email", "demo.user@example.com"),
                ("password", crate::helpers::PASSWORD),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let confirm = browser.get(sent.location.as_deref().unwrap()).await;
    assert!(confirm.body.contains("We sent a verification code"));
    let code = code_from_outbox(db.dir.path()).await;
    let done = browser.submit(&confirm, &[("code", &code)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let callback = done.location.unwrap();
    assert!(callback.contains("/demo/callback?code="), "{callback}");
    let page = browser.get(&callback).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("You are signed in"));
    assert!(page.body.contains("demo.user@example.com"));
    assert!(page.body.contains("email_verified"));
    // Starting again with the demo already set up reuses its pool and client.
    drop(app);
    let again = spawn_demo(db.clone()).await;
    let pools = again.admin("GET", "/pools", None).await.expect(200);
    let mut names: Vec<&str> = pools["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["demo", "demo-upstream"]);
}

/// The demo pool's identity provider, once the background task has registered it.
async fn wait_for_provider(app: &TestApp) -> String {
    for _ in 0..200 {
        let pools = app.admin("GET", "/pools", None).await.expect(200);
        let demo = pools["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "demo")
            .map(|p| p["id"].as_str().unwrap().to_string());
        if let Some(demo) = demo {
            let path = format!("/pools/{demo}/identity-providers/Upstream");
            if app.admin("GET", &path, None).await.status == 200 {
                return demo;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the demo's upstream provider was never registered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_signs_in_through_its_upstream_pool() {
    let db = Arc::new(TestDatabase::new(Backend::Sqlite).await);
    let app = spawn_demo(db.clone()).await;
    let demo_pool = wait_for_provider(&app).await;
    let browser = Browser::new(&app);
    let start = browser.get("/demo").await;
    let login = browser.open_login(start.location.as_deref().unwrap()).await;
    assert!(
        login.body.contains("Continue with Upstream"),
        "{}",
        login.body
    );
    let upstream = browser
        .submit_containing(&login, r#"value="Upstream""#, &[])
        .await;
    let upstream_login = browser.follow(upstream, 5).await;
    assert_eq!(upstream_login.status, 200, "{}", upstream_login.body);
    assert!(upstream_login.body.contains("Upstream Corp"));
    let password = cognate::demo::upstream::password(&app.ctx);
    let back = browser
        .submit_containing(
            &upstream_login,
            r#"name="password""#,
            &[
                ("username", cognate::demo::upstream::USER),
                ("password", &password),
            ],
        )
        .await;
    let done = browser
        .follow_until(back, 5, |location| location.contains("/demo/callback"))
        .await;
    let callback = done.location.clone().unwrap_or_default();
    assert!(
        callback.contains("/demo/callback?code="),
        "{callback} {}",
        done.body
    );
    let page = browser.get(&callback).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Upstream_"), "{}", page.body);
    assert!(page.body.contains("identities"));
    assert!(page.body.contains(cognate::demo::upstream::USER));
    let users = app
        .admin("GET", &format!("/pools/{demo_pool}/users"), None)
        .await
        .expect(200);
    assert_eq!(users["items"][0]["status"], "EXTERNAL_PROVIDER");
}
