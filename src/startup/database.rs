//! The database, opened and migrated, and the data directory it (and the keys, and the
//! mail) lives in, made or tightened to be readable by the service's user only.

use crate::config::{DatabaseUrl, Settings};
use crate::startup::error::StartupError;
use crate::store::{Store, files};

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
