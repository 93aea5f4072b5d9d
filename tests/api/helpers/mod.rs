//! `spawn_app()`: the real server on port 0 with its own fresh database, and a small JSON
//! client for the admin API.

use std::sync::Arc;

use cognate::clock::{Clock, ManualClock, SystemClock};
use cognate::config::Settings;
use cognate::startup::Application;
use openidconnect::reqwest;
use serde_json::{Value, json};

pub const ADMIN_KEY: &str = "test-admin-key-0123456789abcdef";
pub const PASSWORD: &str = "Correct-horse-9";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on. `build.rs` reads the same
/// variable when the tests are built: without it the PostgreSQL tests are built ignored.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("COGNATE_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Marks a PostgreSQL-only test ignored, with the reason, when the suite was built without
/// `COGNATE_TEST_POSTGRES_URL`.
#[macro_export]
macro_rules! postgres_test {
    ($item:item) => {
        #[cfg_attr(
            not(cognate_test_postgres),
            ignore = "set COGNATE_TEST_POSTGRES_URL to run the PostgreSQL tests"
        )]
        $item
    };
}

/// Runs `$name(backend)` once per database engine, as `$name::sqlite` and `$name::postgres`.
/// The PostgreSQL half is reported ignored, with the reason, when the suite was built
/// without `COGNATE_TEST_POSTGRES_URL`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }
            $crate::postgres_test! {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        }
    )*};
}

/// In CI the PostgreSQL half must run: a CI build without a server fails here, while every
/// PostgreSQL test reports itself ignored. It also catches a suite built with the variable
/// and run without it.
#[test]
fn postgres_tests_run_in_ci() {
    let configured = postgres_admin_url().is_some();
    assert_eq!(
        configured,
        cfg!(cognate_test_postgres),
        "COGNATE_TEST_POSTGRES_URL was {} when the tests were built and is {} now: rebuild with `cargo test`",
        if cfg!(cognate_test_postgres) {
            "set"
        } else {
            "unset"
        },
        if configured { "set" } else { "unset" },
    );
    assert!(
        configured || std::env::var_os("CI").is_none(),
        "CI is set but COGNATE_TEST_POSTGRES_URL is not: PostgreSQL tests must run in CI"
    );
}

/// Tests that compare timings (known against unknown names) measure alone: each other test
/// holds a read share from its first database until it ends, and a timing test trades its
/// share for the whole (`measure_alone`). Four tests at a time otherwise make a median
/// that measures the neighbours.
static QUIET: std::sync::LazyLock<Arc<tokio::sync::RwLock<()>>> =
    std::sync::LazyLock::new(|| Arc::new(tokio::sync::RwLock::new(())));

/// What this test's thread holds (libtest runs each test on a thread of its own, and
/// `#[tokio::test]` runs its body on that thread): dropped when the test ends.
enum Share {
    None,
    Some(#[allow(dead_code)] tokio::sync::OwnedRwLockReadGuard<()>),
    All(#[allow(dead_code)] tokio::sync::OwnedRwLockWriteGuard<()>),
}

thread_local! {
    static SHARE: std::cell::RefCell<Share> = const { std::cell::RefCell::new(Share::None) };
}

async fn take_share() {
    if SHARE.with(|s| matches!(*s.borrow(), Share::None)) {
        let guard = QUIET.clone().read_owned().await;
        SHARE.with(|s| *s.borrow_mut() = Share::Some(guard));
    }
}

/// Waits until no other test runs, and keeps it so until this test ends.
pub async fn measure_alone() {
    if SHARE.with(|s| matches!(*s.borrow(), Share::All(_))) {
        return;
    }
    SHARE.with(|s| *s.borrow_mut() = Share::None);
    let guard = QUIET.clone().write_owned().await;
    SHARE.with(|s| *s.borrow_mut() = Share::All(guard));
}

/// A database of its own for one test: a file in a temporary directory, or a fresh
/// PostgreSQL database dropped when the test ends.
pub struct TestDatabase {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        take_share().await;
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", dir.path().join("cognate.db").display()),
                dir,
                pg_name: None,
            },
            Backend::Postgres => {
                let admin = postgres_admin_url().expect(
                    "COGNATE_TEST_POSTGRES_URL is set when PostgreSQL tests run (see postgres_tests_run_in_ci)",
                );
                let name = format!("cognate_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL at COGNATE_TEST_POSTGRES_URL is unreachable: {e}")
                    });
                sqlx::Executor::execute(
                    &mut conn,
                    sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
                )
                .await
                .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("COGNATE_TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    dir,
                    pg_name: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_name.take() {
            // Best effort, on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                        .await
                        .ok()?;
                    sqlx::Executor::execute(
                        &mut conn,
                        sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
                    )
                    .await
                    .ok()
                })
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub http: reqwest::Client,
    pub db: Arc<TestDatabase>,
    /// The running app's context, to drive the core directly.
    pub ctx: actix_web::web::Data<cognate::context::Context>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Stop the server without waiting; the runtime ends with the test anyway.
        drop(handle.stop(false));
    }
}

/// Settings every test app shares: port 0, cheap argon2 (tests only), the test admin key.
pub fn test_settings(db: &TestDatabase, extra: &[(&str, &str)]) -> Settings {
    let data_dir = db.dir.path().display().to_string();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("listen", "127.0.0.1:0"),
        ("data_dir", &data_dir),
        ("database_url", &db.url),
        ("database_max_connections", "5"),
        ("admin_key", ADMIN_KEY),
        ("password_hash_memory_kib", "64"),
        ("password_hash_iterations", "1"),
        ("shutdown_timeout_secs", "1"),
    ];
    pairs.extend_from_slice(extra);
    Settings::from_pairs(&pairs).expect("test settings are valid")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let db = Arc::new(TestDatabase::new(backend).await);
    spawn_on(db, &[], None).await
}

/// An app whose clock only moves when the test moves it.
pub async fn spawn_app_with_clock(backend: Backend) -> (TestApp, Arc<ManualClock>) {
    let db = Arc::new(TestDatabase::new(backend).await);
    let clock = ManualClock::new(SystemClock.now_millis());
    (spawn_on(db, &[], Some(clock.clone())).await, clock)
}

/// Runs an application built by the test itself, as a `TestApp`.
pub fn adopt(app: Application, db: Arc<TestDatabase>) -> TestApp {
    let port = app.port();
    let handle = app.handle();
    let ctx = app.context();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client"),
        db,
        ctx,
        handle,
    }
}

/// Starts another app on an existing database (a restart, or a second process).
pub async fn spawn_on(
    db: Arc<TestDatabase>,
    extra: &[(&str, &str)],
    clock: Option<Arc<ManualClock>>,
) -> TestApp {
    let settings = test_settings(&db, extra);
    let as_clock: Arc<dyn Clock> = match &clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let app = Application::build_with_clock(settings, as_clock)
        .await
        .expect("the app starts");
    adopt(app, db)
}

/// A response reduced to what tests assert on.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self.body
    }
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.code(),
            code,
            "unexpected error code; body: {}",
            self.text
        );
        assert!(
            !self.message().is_empty(),
            "error without message: {}",
            self.text
        );
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request completes");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    /// An admin request with the test key and an optional JSON body.
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, self.url(&format!("/admin/v1{path}")))
            .bearer_auth(ADMIN_KEY);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).expect("json"));
        }
        self.send(request).await
    }

    /// An admin request with a raw body, for malformed input.
    pub async fn admin_raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let request = self
            .http
            .request(method, self.url(&format!("/admin/v1{path}")))
            .bearer_auth(ADMIN_KEY)
            .header("content-type", content_type)
            .body(body);
        self.send(request).await
    }

    /// `/metrics`, with the admin key it needs.
    pub async fn metrics(&self) -> Answer {
        self.send(self.http.get(self.url("/metrics")).bearer_auth(ADMIN_KEY))
            .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(self.url(path))).await
    }

    /// Creates a pool with defaults plus `extra` fields; returns its id.
    pub async fn create_pool(&self, name: &str, extra: Value) -> String {
        let mut body = json!({"name": name});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let pool = self.admin("POST", "/pools", Some(body)).await.expect(201);
        pool["id"].as_str().expect("pool id").to_string()
    }

    pub async fn create_user(&self, pool_id: &str, username: &str) -> Value {
        self.admin(
            "POST",
            &format!("/pools/{pool_id}/users"),
            Some(json!({"username": username, "password": PASSWORD,
                        "attributes": {"email": format!("{username}@example.com")}})),
        )
        .await
        .expect(201)
    }

    /// Every item of a paged list, following `next_token` with the given page size.
    pub async fn list_all(&self, path: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        let sep = if path.contains('?') { '&' } else { '?' };
        loop {
            let mut url = format!("{path}{sep}limit={limit}");
            if let Some(t) = &token {
                url.push_str(&format!("&next_token={}", urlencode(t)));
            }
            let page = self.admin("GET", &url, None).await.expect(200);
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_token"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return items,
            }
        }
    }
}

pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Percent-encodes every byte outside unreserved characters, for path segments.
pub fn path_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Answer {
    /// An RFC 6749 §5.2 error answer.
    #[track_caller]
    pub fn expect_oauth(&self, status: u16, error: &str) {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.body["error"], error,
            "unexpected error; body: {}",
            self.text
        );
        let description = self.body["error_description"].as_str().unwrap_or("");
        assert!(!description.contains(['\r', '\n', '\t']));
    }
}
pub mod cognito;
pub mod iam;
pub mod srp;
pub mod upstream;
