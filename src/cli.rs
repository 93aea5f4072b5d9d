//! The command line: `cognate [serve]`, `cognate migrate`, `cognate root-key rotate|disable|enable`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::{ConfigError, Settings};
use crate::startup::Application;
use crate::startup::error::StartupError;

/// Cognate, a self-hosted Cognito-style identity provider.
///
/// Every option is read from the environment (COGNATE_LISTEN, COGNATE_PUBLIC_URL,
/// COGNATE_DATA_DIR, COGNATE_DATABASE_URL, COGNATE_REGION, COGNATE_ADMIN_KEY,
/// COGNATE_LOG_FORMAT, RUST_LOG, ...) and, for the same keys in lower case without the
/// prefix, from an optional TOML file given with --config. The environment wins.
#[derive(Debug, Parser)]
#[command(name = "cognate", version, about, long_about)]
pub struct Cli {
    /// TOML file with settings (keys: listen, public_url, data_dir, database_url, region,
    /// admin_key, log_format, ...). Unknown keys are an error.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Also create (if absent) a pool `demo` with a public client, and serve a built-in
    /// application at /demo that signs in through the hosted pages and shows the tokens.
    #[arg(long, global = true)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (the default when no subcommand is given). Applies pending
    /// migrations first.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// The root key, for emergencies only: run on the machine itself.
    RootKey {
        #[command(subcommand)]
        action: RootKeyAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum RootKeyAction {
    /// Replace the root key with a new one, printed once (only its hash is stored).
    Rotate,
    /// Make every request with the root key answer 401 until `enable`.
    Disable,
    /// Accept the root key again.
    Enable,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    settings.demo = cli.demo;
    crate::telemetry::init(&settings);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Migrate => {
                crate::startup::database::migrate_only(&settings).await?;
                eprintln!("cognate: migrations applied");
                Ok(())
            }
            Command::RootKey { action } => {
                let message = root_key(&settings, action).await?;
                eprintln!("cognate: {message}");
                Ok(())
            }
            Command::Serve => {
                let app = Application::build(settings).await?;
                app.run_until_stopped().await?;
                Ok(())
            }
        }
    })
}

/// `cognate root-key …`: what was done, for the operator. Every change is logged at `WARN`.
pub async fn root_key(settings: &Settings, action: RootKeyAction) -> Result<String, StartupError> {
    let store = crate::startup::database::open_store(settings).await?;
    let now = crate::clock::SystemClock.now_millis();
    let result = match action {
        RootKeyAction::Rotate => {
            if settings.admin_key.is_some() {
                return Err(StartupError::AdminKey(crate::store::StoreError::Corrupt(
                    "the root key comes from COGNATE_ADMIN_KEY: change it there".into(),
                )));
            }
            let key = crate::crypto::random::token(32);
            crate::store::admin_keys::set_root(&store, &crate::crypto::secret::digest(&key), now)
                .await
                .map_err(StartupError::AdminKey)?;
            tracing::warn!("the root key was rotated from the command line");
            // The first start's key file would hold a key that no longer works.
            let _ = std::fs::remove_file(settings.data_dir.join("admin-key"));
            println!("{key}");
            "root key rotated; the new key is printed above, once (only its hash is stored)"
                .to_string()
        }
        RootKeyAction::Disable | RootKeyAction::Enable => {
            let disable = matches!(action, RootKeyAction::Disable);
            let found = crate::store::admin_keys::set_root_disabled(&store, disable.then_some(now))
                .await
                .map_err(StartupError::AdminKey)?;
            if !found {
                return Err(StartupError::AdminKey(crate::store::StoreError::NotFound));
            }
            let what = if disable { "disabled" } else { "enabled" };
            tracing::warn!("the root key was {what} from the command line");
            format!(
                "root key {what}; running servers see it within {} seconds",
                crate::cache::TTL_MS / 1000
            )
        }
    };
    store.close().await;
    Ok(result)
}
