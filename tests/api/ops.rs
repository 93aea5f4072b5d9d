//! Operations: health, metrics, request ids, the OpenAPI document, restarts, several
//! processes on one database, the admin key bootstrap, and the binary's start-up errors.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::helpers::{ADMIN_KEY, Backend, TestDatabase, spawn_app, spawn_on};
use crate::on_both;

on_both!(
    health_probes_answer,
    every_response_carries_a_request_id,
    metrics_count_requests_by_route_and_status,
    openapi_document_describes_the_admin_api,
    data_survives_a_restart,
    two_processes_share_one_database,
);

async fn health_probes_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/health/live").await.status, 200);
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["status"], "ok");
}

async fn every_response_carries_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let generated = app.get("/health/live").await;
    let id = generated.headers["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let echoed = app
        .send(
            app.http
                .get(app.url("/admin/v1/pools"))
                .header("x-request-id", "trace-abc-123"),
        )
        .await;
    assert_eq!(echoed.status, 401);
    assert_eq!(echoed.headers["x-request-id"], "trace-abc-123");
    let hostile = app
        .send(
            app.http
                .get(app.url("/health/live"))
                .header("x-request-id", "a b\tc"),
        )
        .await;
    assert_ne!(hostile.headers["x-request-id"], "a b\tc");
    let unknown = app.get("/no/such/route").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.headers.contains_key("x-request-id"));
}

async fn metrics_count_requests_by_route_and_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("m", json!({})).await;
    app.admin("GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);
    app.admin("GET", "/pools/local_000000000", None)
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        app.get("/metrics").await.status,
        401,
        "metrics need the admin key"
    );
    let text = app.metrics().await.text;
    assert!(
        text.contains(r#"cognate_http_requests_total{method="GET",route="/admin/v1/pools/{pool_id}",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"route="/admin/v1/pools/{pool_id}",status="404"} 1"#));
    assert!(text.contains("cognate_http_request_duration_seconds_bucket"));
    assert!(!text.contains(&pool), "raw paths must not become labels");
}

async fn openapi_document_describes_the_admin_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = app.get("/admin/v1/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/admin/v1/pools",
        "/admin/v1/pools/{pool_id}",
        "/admin/v1/pools/{pool_id}/clients/{client_id}/secret",
        "/admin/v1/pools/{pool_id}/resource-servers/{identifier}",
        "/admin/v1/pools/{pool_id}/users/{username}/reset-password",
        "/admin/v1/pools/{pool_id}/users/{username}/groups",
        "/admin/v1/pools/{pool_id}/groups/{name}/members/{username}",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert!(doc.body["components"]["securitySchemes"]["admin_key"].is_object());
    let viewer = app.get("/admin/docs/").await;
    assert_eq!(viewer.status, 200);
    assert!(viewer.text.to_lowercase().contains("swagger"));
}

async fn data_survives_a_restart(backend: Backend) {
    let db = Arc::new(TestDatabase::new(backend).await);
    let first = spawn_on(db.clone(), &[], None).await;
    let pool = first.create_pool("durable", json!({})).await;
    first.create_user(&pool, "dora").await;
    drop(first);
    let second = spawn_on(db.clone(), &[], None).await;
    let user = second
        .admin("GET", &format!("/pools/{pool}/users/dora"), None)
        .await
        .expect(200);
    assert_eq!(user["status"], "CONFIRMED");
}

async fn two_processes_share_one_database(backend: Backend) {
    let db = Arc::new(TestDatabase::new(backend).await);
    // Both start (and migrate) at the same moment.
    let (a, b) = tokio::join!(
        spawn_on(db.clone(), &[], None),
        spawn_on(db.clone(), &[], None)
    );
    let pool = a.create_pool("shared", json!({})).await;
    let seen = b
        .admin("GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);
    assert_eq!(seen["name"], "shared");
    b.create_user(&pool, "eve").await;
    a.admin("GET", &format!("/pools/{pool}/users/eve"), None)
        .await
        .expect(200);
    // A unique name is decided by the database, whichever process asks.
    let (x, y) = tokio::join!(
        a.admin("POST", "/pools", Some(json!({"name": "once"}))),
        b.admin("POST", "/pools", Some(json!({"name": "once"})))
    );
    let mut statuses = [x.status, y.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
}

crate::postgres_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ready_answers_503_when_the_database_is_gone() {
        let app = spawn_app(Backend::Postgres).await;
        assert_eq!(app.get("/health/ready").await.status, 200);
        let name = url::Url::parse(&app.db.url)
            .unwrap()
            .path()
            .trim_start_matches('/')
            .to_string();
        let admin = crate::helpers::postgres_admin_url().unwrap();
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .unwrap();
        sqlx::Executor::execute(
            &mut conn,
            sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")),
        )
        .await
        .unwrap();
        assert_eq!(app.get("/health/ready").await.status, 503);
        assert_eq!(app.get("/health/live").await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_generates_an_admin_key_once() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let dir = db.dir.path().display().to_string();
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_cognate"))
            .arg("migrate")
            .env_clear()
            .env("COGNATE_DATA_DIR", &dir)
            .env("COGNATE_LOG_FORMAT", "json")
            .output()
            .unwrap()
    };
    assert!(start().status.success());
    // `migrate` does not create keys; `serve` does, on first start only.
    assert!(!db.dir.path().join("admin-key").exists());
    let settings = cognate::config::Settings::from_pairs(&[
        ("listen", "127.0.0.1:0"),
        ("data_dir", &dir),
        ("password_hash_memory_kib", "64"),
        ("password_hash_iterations", "1"),
    ])
    .unwrap();
    let app = cognate::startup::Application::build(settings.clone())
        .await
        .unwrap();
    let path = db.dir.path().join("admin-key");
    let key = std::fs::read_to_string(&path).unwrap().trim().to_string();
    assert!(key.len() >= 40);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let http = openidconnect::reqwest::Client::new();
    let ok = http
        .get(format!("http://127.0.0.1:{port}/admin/v1/pools"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let stored: Vec<String> = {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query_scalar("SELECT key_hash FROM admin_keys")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&key), "only a digest is stored");
    // A second start keeps the key it made.
    std::fs::remove_file(&path).unwrap();
    let again = cognate::startup::Application::build(settings)
        .await
        .unwrap();
    assert!(!path.exists(), "no new key is generated once one exists");
    drop(again);
    let _ = ADMIN_KEY;
}

fn run_binary(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cognate"));
    command
        .args(args)
        .env_clear()
        .env("COGNATE_LOG_FORMAT", "json");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_configuration_stops_start_up_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    // Already private, so start-up has nothing to tighten (and log) before its error.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let data = dir.path().display().to_string();
    let toml = dir.path().join("cognate.toml");
    std::fs::write(&toml, "listen = \"127.0.0.1:0\"\nlisten_port = 9\n").unwrap();
    let toml = toml.display().to_string();
    for (args, env, needle) in [
        (
            vec![],
            vec![("COGNATE_LISTEN", "not-an-address")],
            "COGNATE_LISTEN",
        ),
        (
            vec![],
            vec![("COGNATE_PUBLIC_URL", "::not a url")],
            "COGNATE_PUBLIC_URL",
        ),
        (
            vec![],
            vec![("COGNATE_DATABASE_URL", "mysql://localhost/x")],
            "COGNATE_DATABASE_URL",
        ),
        (
            vec![],
            vec![(
                "COGNATE_DATABASE_URL",
                "postgres://postgres@127.0.0.1:1/nothing",
            )],
            "COGNATE_DATABASE_URL",
        ),
        (vec!["--config", toml.as_str()], vec![], "listen_port"),
        (
            vec!["--config", "/does/not/exist.toml"],
            vec![],
            "does not exist",
        ),
    ] {
        let mut env = env.clone();
        env.push(("COGNATE_DATA_DIR", data.as_str()));
        let (code, stderr) = run_binary(&args, &env);
        assert_eq!(code, 1, "{args:?} {env:?}: {stderr}");
        let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line expected: {stderr}");
        assert!(lines[0].contains(needle), "{needle} not in: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
    }
}

#[test]
fn help_explains_every_option_and_migrate_applies_the_schema() {
    let (code, _) = run_binary(&["--help"], &[]);
    assert_eq!(code, 0);
    let help = Command::new(env!("CARGO_BIN_EXE_cognate"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for word in [
        "serve",
        "migrate",
        "--config",
        "COGNATE_LISTEN",
        "COGNATE_DATABASE_URL",
        "COGNATE_ADMIN_KEY",
    ] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").display().to_string();
    let (code, stderr) = run_binary(&["migrate"], &[("COGNATE_DATA_DIR", data.as_str())]);
    assert_eq!(code, 0, "{stderr}");
    assert!(dir.path().join("nested/cognate.db").exists());
    let (code, stderr) = run_binary(&["migrate"], &[("COGNATE_DATA_DIR", data.as_str())]);
    assert_eq!(code, 0, "migrating twice is safe: {stderr}");
}

#[test]
fn sigterm_stops_the_service_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cognate"))
        .env_clear()
        .env("COGNATE_DATA_DIR", &data)
        .env("COGNATE_LISTEN", "127.0.0.1:0")
        .env("COGNATE_ADMIN_KEY", ADMIN_KEY)
        .env("COGNATE_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the ready line, then ask it to stop.
    let stderr = child.stderr.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            if line.contains("cognate is ready") {
                let _ = ready_tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    ready_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the service says it is ready");
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    let log = reader.join().unwrap();
    assert!(exit.success(), "exit {exit:?}: {log}");
    assert!(log.contains("shutting down"), "{log}");
    assert!(
        !log.contains(ADMIN_KEY),
        "the admin key must never be logged"
    );
}
