//! The composition root: builds the application from settings and binds its listener, so
//! tests start the real thing on port 0.

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse, HttpServer};
use url::Url;

use crate::clock::{Clock, SystemClock};
use crate::config::{DatabaseUrl, Settings};
use crate::context::Context;
use crate::crypto::password::PasswordHasher;
use crate::crypto::sealed::MasterKey;
use crate::crypto::{random, secret};
use crate::keyring::KeyRing;
use crate::mail::Outbox;
use crate::mail::worker::Transport;
use crate::ops::connections::{
    BodyDeadline, ConnectionLimits, descriptor_limit, limit_connections, read_body_in_time,
    total_connections,
};
use crate::ops::metrics::Metrics;
use crate::ops::{health, metrics, observe};
use crate::store::{Store, admin_keys, files};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create data directory {path} (COGNATE_DATA_DIR): {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database at COGNATE_DATABASE_URL ({url}): {source}")]
    Database { url: String, source: sqlx::Error },
    #[error("cannot prepare the database schema: {0}")]
    Migrate(crate::store::StoreError),
    #[error("cannot set up the admin key: {0}")]
    AdminKey(crate::store::StoreError),
    #[error("cannot listen on {addr} (COGNATE_LISTEN): {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot set up password hashing: {0}")]
    Hasher(#[from] crate::crypto::password::HashError),
    #[error("cannot set up the demo: {0}")]
    Demo(String),
    #[error("mail: {0}")]
    Mail(String),
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("cannot set up metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("server error: {0}")]
    Server(std::io::Error),
    #[error("cannot render the OpenAPI document: {0}")]
    OpenApi(#[from] serde_json::Error),
}

pub(crate) async fn open_store(settings: &Settings) -> Result<Store, StartupError> {
    if matches!(settings.database_url, DatabaseUrl::Sqlite(_)) {
        files::create_private_dir(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
    }
    // The folder holds the database, the keys and mail with codes in it: only the
    // service's user may look inside, whichever version or operator made it.
    files::tighten(&settings.data_dir);
    for name in ["master-key", "admin-key"] {
        files::tighten(&settings.data_dir.join(name));
    }
    let store = Store::connect(&settings.database_url, settings.database_max_connections)
        .await
        .map_err(|source| StartupError::Database {
            url: settings.database_url.redacted(),
            source,
        })?;
    store.migrate().await.map_err(StartupError::Migrate)?;
    Ok(store)
}

/// `cognate migrate`: apply migrations and return.
pub async fn migrate_only(settings: &Settings) -> Result<(), StartupError> {
    let store = open_store(settings).await?;
    store.close().await;
    Ok(())
}

/// Makes the configured admin key the root key, or creates one on first start and shows it
/// once (stderr and `<data dir>/admin-key`, mode 0600).
async fn bootstrap_admin_key(
    settings: &Settings,
    store: &Store,
    now: i64,
) -> Result<(), StartupError> {
    if let Some(key) = &settings.admin_key {
        return admin_keys::set_root(store, &secret::digest(key.expose()), now)
            .await
            .map_err(StartupError::AdminKey);
    }
    let key = random::token(32);
    let created = admin_keys::create_root_if_absent(store, &secret::digest(&key), now)
        .await
        .map_err(StartupError::AdminKey)?;
    if created {
        let path = settings.data_dir.join("admin-key");
        let written =
            files::create_private_dir(&settings.data_dir).and_then(|_| write_private(&path, &key));
        eprintln!(
            "cognate: generated the admin key (shown once; only its hash is stored):\n\n    {key}\n"
        );
        match written {
            Ok(()) => eprintln!("cognate: it is also in {} (mode 0600)", path.display()),
            Err(err) => {
                tracing::warn!(error = %err, path = %path.display(), "could not write the admin key file")
            }
        }
    }
    Ok(())
}

/// Writes a new file readable only by its owner. Whatever was at `path` before (an old
/// key file with looser permissions, a symlink) is removed, not written through.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

/// The master key from settings, else from `<data dir>/master-key`, generated there on
/// first start (mode 0600).
fn load_master_key(settings: &Settings) -> Result<MasterKey, StartupError> {
    if let Some(key) = &settings.master_key {
        return Ok(key.clone());
    }
    let path = settings.data_dir.join("master-key");
    match std::fs::read_to_string(&path) {
        Ok(text) => MasterKey::from_base64(&text).map_err(|_| {
            StartupError::MasterKey(format!(
                "{} does not hold 32 base64-encoded bytes",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate().map_err(|e| StartupError::MasterKey(e.to_string()))?;
            files::create_private_dir(&settings.data_dir)
                .and_then(|_| write_private(&path, &key.to_base64()))
                .map_err(|e| {
                    StartupError::MasterKey(format!("cannot write {}: {e}", path.display()))
                })?;
            tracing::info!(path = %path.display(), "generated the master key that seals signing keys");
            Ok(key)
        }
        Err(e) => Err(StartupError::MasterKey(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

const OPENAPI_PATH: &str = "/admin/v1/openapi.json";

/// Deletes expired sign-in requests, codes, sessions, idle throttle counters and used
/// request signatures every minute: unauthenticated requests create some of them, so they
/// must not pile up.
fn spawn_sweeper(
    store: Store,
    clock: Arc<dyn Clock>,
    audit_retention_days: u32,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            let now = clock.now_millis();
            let swept = match crate::store::sweep::sweep_expired(&store, now).await {
                // Every counter's window is an hour at most.
                Ok(n) => crate::store::throttle::sweep(&store, now - 2 * 3_600_000)
                    .await
                    .map(|m| n + m),
                Err(err) => Err(err),
            };
            let swept = match swept {
                Ok(n) => crate::store::iam::sweep_sessions(&store, now)
                    .await
                    .map(|m| n + m),
                Err(err) => Err(err),
            };
            let swept = match swept {
                Ok(n) => crate::iam::replay::sweep(&store, now).await.map(|m| n + m),
                Err(err) => Err(err),
            };
            let retention = i64::from(audit_retention_days) * 86_400_000;
            match crate::store::audit::sweep(&store, now - retention).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "audit events past retention removed"),
                Err(err) => tracing::warn!(error = %err, "sweeping audit events failed"),
            }
            match swept {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "expired sign-in state removed"),
                Err(err) => tracing::warn!(error = %err, "sweeping expired rows failed"),
            }
        }
    })
}

/// Checkpoints SQLite's write-ahead log every `CHECKPOINT_EVERY`, off the write path (see
/// `Store::checkpoint`). Nothing to do on PostgreSQL: the task ends at once.
fn spawn_checkpointer(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if !matches!(store, Store::Sqlite(_)) {
            return;
        }
        let mut every = tokio::time::interval(crate::store::CHECKPOINT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            every.tick().await;
            match store.checkpoint().await {
                Ok(_) => failing = false,
                // Said once per run of failures; the commit's own checkpoint is the backstop.
                Err(err) if !failing => {
                    failing = true;
                    tracing::warn!(error = %err, "checkpointing the SQLite log failed");
                }
                Err(_) => {}
            }
        }
    })
}

pub struct Application {
    port: u16,
    background: Vec<tokio::task::JoinHandle<()>>,
    public_url: Url,
    server: actix_web::dev::Server,
    store: Store,
    ctx: Data<Context>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        if settings.password_hash.weaker_than_owasp() {
            tracing::warn!(
                "password hashing is configured below the OWASP parameters; use this for tests only"
            );
        }
        let store = open_store(&settings).await?;
        bootstrap_admin_key(&settings, &store, clock.now_millis()).await?;
        let master = load_master_key(&settings)?;
        let code_key = Arc::new(master.derive_hmac_key("cognate verification codes v1"));
        let csrf_key = Arc::new(master.derive_hmac_key("cognate csrf tokens v1"));
        let device_key = Arc::new(master.derive_hmac_key("cognate device cookies v1"));
        let directory = Arc::new(crate::iam::directory::Directory::new(
            settings.account_id.clone(),
            master.clone(),
        ));
        let keys = Arc::new(KeyRing::new(master));
        let (audit_writer, audit_task) = crate::store::audit::AuditWriter::spawn(store.clone());
        keys.check_master_key(&store).await.map_err(|_| {
            StartupError::MasterKey(
                "it does not open the stored signing keys (COGNATE_MASTER_KEY, or <data dir>/master-key, changed?)"
                    .into(),
            )
        })?;
        let listener = TcpListener::bind(settings.listen).map_err(|source| StartupError::Bind {
            addr: settings.listen.to_string(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                addr: settings.listen.to_string(),
                source,
            })?
            .port();
        let public_url = settings.public_url.clone().unwrap_or_else(|| {
            Url::parse(&format!("http://localhost:{port}")).expect("a literal URL parses")
        });
        let ctx = Context {
            store: store.clone(),
            clock,
            hasher: PasswordHasher::new(
                settings.password_hash,
                settings.password_hash_queue_depth,
                crate::ops::memory::release_free_memory,
            )?,
            keys,
            outbox: Outbox::new(settings.email_from.clone()),
            code_key,
            csrf_key,
            device_key,
            in_flight: Default::default(),
            region: settings.region.clone(),
            public_url: public_url.clone(),
            caches: Default::default(),
            account_id: settings.account_id.clone(),
            audit: audit_writer,
            federation_allow_private_networks: settings.federation_allow_private_networks,
        };
        crate::store::iam::seed_managed(
            &store,
            &crate::iam::managed::MANAGED.map(|(name, _)| name),
            ctx.now(),
        )
        .await
        .map_err(StartupError::AdminKey)?;
        let transport = match &settings.smtp_url {
            Some(url) => {
                Transport::smtp(url.expose()).map_err(|e| StartupError::Mail(e.to_string()))?
            }
            None => {
                let folder = settings.data_dir.join("outbox");
                eprintln!(
                    "cognate: no COGNATE_SMTP_URL set: mail is written as .eml files into {}",
                    folder.display()
                );
                Transport::files(folder).map_err(|e| StartupError::Mail(e.to_string()))?
            }
        };
        let worker = crate::mail::worker::spawn(
            store.clone(),
            ctx.clock.clone(),
            transport,
            ctx.outbox.waker(),
        );
        let sweeper = spawn_sweeper(
            store.clone(),
            ctx.clock.clone(),
            settings.audit_retention_days,
        );
        let checkpointer = spawn_checkpointer(store.clone());
        let refresher = crate::federation::discovery::spawn_refresher(
            store.clone(),
            ctx.clock.clone(),
            settings.federation_allow_private_networks,
        );
        let demo = if settings.demo {
            let demo = crate::demo::ensure(&ctx)
                .await
                .map_err(|e| StartupError::Demo(e.to_string()))?;
            let url = format!("{}/demo", ctx.public_url.as_str().trim_end_matches('/'));
            eprintln!("cognate: demo ready: open {url} to sign up and sign in");
            tracing::info!(%url, pool_id = %demo.pool_id, "demo ready");
            Some(Data::new(demo))
        } else {
            None
        };
        let metrics = Data::new(Metrics::new()?);
        let ctx = Data::new(ctx);
        let iam = Data::new(crate::iam::Iam {
            ctx: Context::clone(&ctx),
            directory,
        });
        let kept = ctx.clone();
        if let Some(demo) = &demo {
            crate::demo::upstream::spawn(ctx.clone(), demo.pool_id.clone(), demo.client_id.clone());
        }
        let trusted_proxies = Data::new(settings.trusted_proxies.clone());
        let body_deadline = Data::new(BodyDeadline {
            timeout: Duration::from_secs(settings.request_body_timeout_secs),
            max_bytes: crate::admin::body::MAX_BODY_BYTES.max(crate::oauth::MAX_FORM_BYTES),
        });
        let connections = ConnectionLimits::new(
            settings.max_connections_per_address,
            settings.trusted_proxies.clone(),
        );
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let descriptors = descriptor_limit();
        let total = total_connections(descriptors, settings.database_max_connections as usize);
        tracing::info!(
            descriptors,
            max_connections = total,
            per_address = settings.max_connections_per_address,
            "connection limits"
        );
        // Rendered once and shared: a copy of the document per worker cost megabytes.
        let openapi = web::Bytes::from(serde_json::to_vec(&crate::admin::document::openapi())?);
        let server = HttpServer::new(move || {
            let demo_routes = |cfg: &mut web::ServiceConfig| {
                if let Some(demo) = &demo {
                    cfg.app_data(demo.clone())
                        .service(crate::demo::start)
                        .service(crate::demo::demo_callback);
                }
            };
            App::new()
                .app_data(ctx.clone())
                .app_data(iam.clone())
                .app_data(metrics.clone())
                .app_data(trusted_proxies.clone())
                .app_data(body_deadline.clone())
                .app_data(web::PayloadConfig::new(crate::admin::body::MAX_BODY_BYTES))
                .wrap(from_fn(read_body_in_time))
                .wrap(from_fn(limit_connections))
                .wrap(from_fn(observe::observe))
                // Routes are tried in order, each pattern with a path parameter by a regular
                // expression: the busiest endpoints come first.
                .service(crate::oauth::token::token)
                .service(crate::oauth::userinfo::userinfo_get)
                .service(crate::oauth::discovery::jwks)
                .service(crate::oauth::discovery::openid_configuration)
                .service(crate::hosted::authorize::authorize_get)
                .service(crate::oauth::userinfo::userinfo_post)
                .service(crate::hosted::authorize::authorize_post)
                .service(crate::hosted::logout::logout)
                .service(crate::hosted::logout::logout_post)
                .service(crate::oauth::token::revoke)
                .service(health::live)
                .service(health::ready)
                .service(
                    web::resource("/metrics")
                        .wrap(actix_web::middleware::from_fn(
                            crate::admin::auth::require_credentials,
                        ))
                        .route(web::get().to(metrics::metrics)),
                )
                .configure(demo_routes)
                .service(crate::admin::docs::viewer(OPENAPI_PATH))
                .route(
                    OPENAPI_PATH,
                    web::get().to({
                        let openapi = openapi.clone();
                        move || {
                            let body = openapi.clone();
                            async move {
                                HttpResponse::Ok()
                                    .content_type(actix_web::http::header::ContentType::json())
                                    .body(body)
                            }
                        }
                    }),
                )
                .service(crate::admin::scope())
                .route("/", web::post().to(crate::cognito::endpoint))
                .service(crate::hosted::pages::stylesheet)
                .service(crate::hosted::pages::form_post_script)
                .service(crate::hosted::pages::branding_css)
                .service(crate::hosted::signin::login_form)
                .service(crate::hosted::signin::login_submit)
                .service(crate::hosted::federation::idp_response)
                .service(crate::hosted::federation::idp_response_post)
                .service(crate::hosted::federation::idp_logout)
                .service(crate::hosted::signin::new_password_form)
                .service(crate::hosted::signin::new_password_submit)
                .service(crate::hosted::mfa::mfa_form)
                .service(crate::hosted::mfa::mfa_submit)
                .service(crate::hosted::mfa::setup_form)
                .service(crate::hosted::mfa::setup_submit)
                .service(crate::hosted::account::account_form)
                .service(crate::hosted::account::verify_form)
                .service(crate::hosted::account::verify_submit)
                .service(crate::hosted::account::totp_form)
                .service(crate::hosted::account::totp_begin)
                .service(crate::hosted::account::totp_confirm)
                .service(crate::hosted::account::totp_remove)
                .service(crate::hosted::account::email_submit)
                .service(crate::hosted::account::preferred_submit)
                .service(crate::hosted::account::recovery_codes_submit)
                .service(crate::hosted::account::password_submit)
                .service(crate::hosted::signup::signup_form)
                .service(crate::hosted::signup::signup_submit)
                .service(crate::hosted::signup::confirm_form)
                .service(crate::hosted::signup::confirm_submit)
                .service(crate::hosted::signup::resend_code)
                .service(crate::hosted::signup::forgot_form)
                .service(crate::hosted::signup::forgot_submit)
                .service(crate::hosted::signup::reset_form)
                .service(crate::hosted::signup::reset_submit)
                .default_service(web::to(|| async {
                    HttpResponse::NotFound().json(serde_json::json!({
                        "error": {"code": "not_found", "message": "no such route"}
                    }))
                }))
        })
        .workers(workers)
        .max_connections(total.div_ceil(workers))
        .client_request_timeout(Duration::from_secs(5))
        .on_connect({
            let connections = connections.clone();
            move |conn, data| connections.on_connect(conn, data)
        })
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            addr: settings.listen.to_string(),
            source,
        })?
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .disable_signals()
        .run();
        Ok(Self {
            port,
            background: vec![worker, sweeper, checkpointer, audit_task, refresher],
            public_url,
            server,
            store,
            ctx: kept,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// What the handlers run on: for driving the core (`accounts`, `tokens`) directly, as
    /// the coming front doors and the tests of the core do.
    pub fn context(&self) -> Data<Context> {
        self.ctx.clone()
    }

    /// Serves until SIGTERM or Ctrl-C: then stops accepting, lets in-flight requests finish,
    /// and closes the database pool.
    pub async fn run_until_stopped(self) -> Result<(), StartupError> {
        let handle = self.server.handle();
        // Listen for the signals before saying we are ready, so a stop sent right after
        // the ready line is never missed.
        let stop = shutdown_signal();
        // Migrations, key checks, the dummy password hash and the workers' route tables are
        // built by now or shortly: give back the memory they freed.
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            crate::ops::memory::release_free_memory();
        });
        tracing::info!(url = %self.public_url, port = self.port, database = self.store.engine(), "cognate is ready");
        tokio::spawn(async move {
            stop.await;
            tracing::info!("shutting down: finishing in-flight requests");
            handle.stop(true).await;
        });
        let result = self.server.await.map_err(StartupError::Server);
        for task in &self.background {
            task.abort();
        }
        self.store.close().await;
        tracing::info!("stopped");
        result
    }
}

/// Resolves at the first SIGTERM or Ctrl-C. The handlers are installed when this is
/// called, not when the future is first polled.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        async fn next(signal: Option<Signal>) {
            match signal {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        let term = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            tokio::select! {
                _ = next(term) => {}
                _ = next(interrupt) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
