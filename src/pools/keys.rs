//! Rotating a pool's signing key: the new key signs at once, the old one stays published
//! until the tokens it signed have expired (see `keyring`).

use crate::context::Context;
use crate::crypto::jwt::Jwk;
use crate::error::{Error, Result};
use crate::keyring::KeyError;
use crate::pools::pool::get_pool;
use crate::store::StoreError;

/// The answer to a key rotation: the new active key id and the pool's published keys.
#[derive(Debug)]
pub struct RotatedKeys {
    pub active_kid: String,
    /// The JWKS after rotation: the new key and the retired keys still published.
    pub keys: Vec<Jwk>,
}

/// Rotates the pool's signing key (admin action).
pub async fn rotate_pool_key(ctx: &Context, pool_id: &str) -> Result<RotatedKeys> {
    let pool = get_pool(ctx, pool_id).await?;
    let internal = |e: KeyError| Error::Store(StoreError::Corrupt(e.to_string()));
    let now = ctx.now();
    let mut attempt = 0;
    let jwk = loop {
        let err = match ctx
            .keys
            .rotate(&ctx.store, pool_id, pool.config.signing_algorithm(), now)
            .await
        {
            Ok(jwk) => break jwk,
            Err(err) => err,
        };
        // Deleting the pool meanwhile makes the new key's foreign key fail: the pool is
        // gone, which is a 404, not unreadable data.
        if let Err(Error::NotFound(what)) = get_pool(ctx, pool_id).await {
            tracing::info!(
                pool_id,
                "the pool was deleted while its signing key was being rotated"
            );
            return Err(Error::NotFound(what));
        }
        // PostgreSQL may pick the rotation as a deadlock's victim against that delete,
        // which has not committed yet: try again, and the delete's outcome decides.
        if matches!(err, KeyError::Store(StoreError::Contention)) && attempt < 3 {
            attempt += 1;
            continue;
        }
        tracing::error!(pool_id, error = %err, "rotating the pool's signing key failed");
        return Err(internal(err));
    };
    ctx.caches.clear();
    let keys = ctx
        .keys
        .published(&ctx.store, pool_id, now)
        .await
        .map_err(internal)?;
    Ok(RotatedKeys {
        active_kid: jwk.kid,
        keys,
    })
}
