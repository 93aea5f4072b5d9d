//! An admin user's access keys: at most two, each secret shown once at creation and kept
//! only sealed, and each switched off or deleted by its user's name and its id.

use crate::clock::Millis;
use crate::crypto::random;
use crate::error::{Error, Result};
use crate::iam::Iam;
use crate::iam::directory::secrets::seal_context;
use crate::iam::manage::rules::{fresh, need};
use crate::store::StoreError;
use crate::store::iam::{self as store, AccessKeyRow, Kind};

/// AWS's limit.
pub const KEYS_PER_USER: i64 = 2;

#[derive(Debug, Clone)]
pub struct KeyView {
    pub access_key_id: String,
    pub user_name: String,
    pub status: String,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
    pub last_used_address: Option<String>,
}

/// A new key: shown with its secret once.
pub struct NewKey {
    pub key: KeyView,
    pub secret_access_key: String,
}

fn key_view(row: AccessKeyRow) -> KeyView {
    KeyView {
        access_key_id: row.id,
        user_name: row.user_name,
        status: row.status,
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        last_used_address: row.last_used_address,
    }
}

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `AKIA` or `ASIA` and 16 uppercase alphanumerics, as AWS's key ids.
pub fn new_key_id(prefix: &str) -> String {
    let tail: String = (0..16).map(|_| random::pick(UPPER_ALNUM)).collect();
    format!("{prefix}{tail}")
}

/// 40 characters of base64's alphabet: 238 bits.
pub fn new_secret() -> String {
    (0..40).map(|_| random::pick(SECRET_ALPHABET)).collect()
}

pub async fn create_key(iam: &Iam, user: &str, expires_at: Option<Millis>) -> Result<NewKey> {
    let ctx = &iam.ctx;
    let now = ctx.now();
    if expires_at.is_some_and(|t| t <= now) {
        return Err(Error::validation("expires_at", "must be in the future"));
    }
    let id = new_key_id("AKIA");
    let secret = new_secret();
    let sealed = iam
        .directory
        .master()
        .seal(secret.as_bytes(), &seal_context(&id))
        .map_err(|e| Error::Store(StoreError::Corrupt(e.to_string())))?;
    let row = AccessKeyRow {
        id,
        user_name: user.to_string(),
        secret_sealed: sealed,
        status: "Active".into(),
        created_at: now,
        expires_at,
        last_used_at: None,
        last_used_address: None,
    };
    let inserted = store::insert_key_within(&ctx.store, &row, KEYS_PER_USER)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Error::NotFound("user"),
            other => other.into(),
        })?;
    if !inserted {
        return Err(Error::limit(format!(
            "the user already has {KEYS_PER_USER} access keys; delete one first"
        )));
    }
    iam.directory.changed();
    Ok(NewKey {
        key: key_view(row),
        secret_access_key: secret,
    })
}

pub async fn list_keys(iam: &Iam, user: &str) -> Result<Vec<KeyView>> {
    let ctx = &iam.ctx;
    let snapshot = fresh(iam).await?;
    need(&snapshot, Kind::User, user)?;
    Ok(store::keys_of(&ctx.store, user)
        .await?
        .into_iter()
        .map(key_view)
        .collect())
}

pub async fn set_key_status(iam: &Iam, user: &str, id: &str, active: bool) -> Result<KeyView> {
    let ctx = &iam.ctx;
    let status = if active { "Active" } else { "Inactive" };
    if !store::set_key_status(&ctx.store, user, id, status).await? {
        return Err(Error::NotFound("access key"));
    }
    iam.directory.changed();
    list_keys(iam, user)
        .await?
        .into_iter()
        .find(|k| k.access_key_id == id)
        .ok_or(Error::NotFound("access key"))
}

pub async fn delete_key(iam: &Iam, user: &str, id: &str) -> Result<()> {
    let ctx = &iam.ctx;
    let deleted = store::delete_key(&ctx.store, user, id).await?;
    iam.directory.changed();
    if deleted {
        Ok(())
    } else {
        Err(Error::NotFound("access key"))
    }
}
