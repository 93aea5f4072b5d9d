//! The composition root: builds each part of the application from settings and wires them
//! together, then serves on its listener, so tests start the real thing on port 0.

pub mod database;
pub mod error;
mod key_files;
mod routes;
mod server;
mod sweeper;

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::web::Data;
use url::Url;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::context::Context;
use crate::crypto::password::PasswordHasher;
use crate::keyring::KeyRing;
use crate::mail::Outbox;
use crate::mail::worker::Transport;
use crate::ops::metrics::Metrics;
use crate::startup::error::StartupError;
use crate::startup::server::AppState;
use crate::store::Store;

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
        let store = database::open_store(&settings).await?;
        key_files::bootstrap_admin_key(&settings, &store, clock.now_millis()).await?;
        let master = key_files::load_master_key(&settings)?;
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
        let (listener, port) = server::bind(&settings)?;
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
        let sweeper = sweeper::spawn_sweeper(
            store.clone(),
            ctx.clock.clone(),
            settings.audit_retention_days,
        );
        let checkpointer = crate::store::checkpoint::spawn_checkpointer(store.clone());
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
        let state = AppState {
            ctx,
            iam,
            metrics,
            trusted_proxies: Data::new(settings.trusted_proxies.clone()),
            demo,
        };
        let server = server::serve(&settings, listener, state)?;
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
        let stop = server::shutdown_signal();
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
