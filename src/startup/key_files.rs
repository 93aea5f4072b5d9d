//! The keys the data directory keeps when settings give none: the master key that seals
//! secrets at rest, and the admin (root) key, generated on first start and shown once.

use crate::config::Settings;
use crate::crypto::sealed::MasterKey;
use crate::crypto::{random, secret};
use crate::startup::error::StartupError;
use crate::store::files::write_private;
use crate::store::{Store, admin_keys, files};

/// Makes the configured admin key the root key, or creates one on first start and shows it
/// once (stderr and `<data dir>/admin-key`, mode 0600).
pub(super) async fn bootstrap_admin_key(
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

/// The master key from settings, else from `<data dir>/master-key`, generated there on
/// first start (mode 0600).
pub(super) fn load_master_key(settings: &Settings) -> Result<MasterKey, StartupError> {
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
