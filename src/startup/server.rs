//! The HTTP server: its listener, workers and connection limits, the middleware every
//! request passes through, and the signals that stop it.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data};
use actix_web::{App, HttpServer};

use crate::config::Settings;
use crate::context::Context;
use crate::demo::Demo;
use crate::iam::Iam;
use crate::ops::connections::{
    BodyDeadline, ConnectionLimits, descriptor_limit, limit_connections, read_body_in_time,
    total_connections,
};
use crate::ops::metrics::Metrics;
use crate::ops::observe;
use crate::proxies::TrustedProxies;
use crate::startup::error::StartupError;
use crate::startup::routes;

/// What the handlers are handed, each as its own `web::Data`.
pub struct AppState {
    pub ctx: Data<Context>,
    pub iam: Data<Iam>,
    pub metrics: Data<Metrics>,
    pub trusted_proxies: Data<TrustedProxies>,
    /// The demo's pool and client, when `--demo` is on.
    pub demo: Option<Data<Demo>>,
}

/// Binds `settings.listen`: the listener, and the port it got (port 0 asks the system for
/// a free one, as the tests do).
pub fn bind(settings: &Settings) -> Result<(TcpListener, u16), StartupError> {
    let failed = |source| StartupError::Bind {
        addr: settings.listen.to_string(),
        source,
    };
    let listener = TcpListener::bind(settings.listen).map_err(failed)?;
    let port = listener.local_addr().map_err(failed)?.port();
    Ok((listener, port))
}

/// Starts serving on `listener`, each worker's application handed `state`.
pub fn serve(
    settings: &Settings,
    listener: TcpListener,
    state: AppState,
) -> Result<Server, StartupError> {
    let AppState {
        ctx,
        iam,
        metrics,
        trusted_proxies,
        demo,
    } = state;
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
            .configure(|cfg| routes::mount(cfg, demo.as_ref(), &openapi))
    })
    .workers(workers)
    .max_connections(total.div_ceil(workers))
    .client_request_timeout(Duration::from_secs(5))
    .on_connect(move |conn, data| connections.on_connect(conn, data))
    .listen(listener)
    .map_err(|source| StartupError::Bind {
        addr: settings.listen.to_string(),
        source,
    })?
    .shutdown_timeout(settings.shutdown_timeout_secs)
    .disable_signals()
    .run();
    Ok(server)
}

/// Resolves at the first SIGTERM or Ctrl-C. The handlers are installed when this is
/// called, not when the future is first polled.
pub(super) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
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
