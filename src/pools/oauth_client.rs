//! The client as sign-in and the token endpoint see it: its settings and secret, read
//! through the few-seconds cache.

use crate::context::Context;
use crate::crypto::secret;
use crate::error::{Error, Result};
use crate::pools::client_config::ClientConfig;
use crate::pools::client_rules::is_client_id;
use crate::pools::pool::cached_pool;
use crate::pools::pool_config::Pool;
use crate::store::{StoreError, clients as store};

/// A client as the token endpoint sees it: its settings and secret digest.
#[derive(Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub pool_id: String,
    pub config: ClientConfig,
    secret_hash: Option<String>,
    secret_sealed: Option<String>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    /// With `PreventUserExistenceErrors` on (the default), nothing this client is told
    /// reveals which users exist; every door that answers a stranger asks this.
    pub fn protects_users(&self) -> bool {
        self.config.prevent_user_existence_errors
    }

    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some()
    }

    /// Constant-time check of a presented secret; a public client has none to match.
    pub fn secret_matches(&self, presented: &str) -> bool {
        match &self.secret_hash {
            Some(digest) => secret::matches(presented, digest),
            None => false,
        }
    }

    /// The secret itself, for checks keyed with it (`SECRET_HASH`); `None` for a public
    /// client, or one whose secret predates sealing (until it is rotated).
    pub fn secret(&self, ctx: &Context) -> Option<String> {
        let sealed = self.secret_sealed.as_deref()?;
        let opened = ctx
            .keys
            .open(sealed, &format!("client-secret:{}", self.client_id))
            .ok()?;
        String::from_utf8(opened).ok()
    }

    pub fn allows_flow(&self, flow: &str) -> bool {
        self.config.allowed_oauth_flows.iter().any(|f| f == flow)
    }

    pub fn allows_scope(&self, scope: &str) -> bool {
        self.config.allowed_oauth_scopes.iter().any(|s| s == scope)
    }
}

/// Clients as `find_oauth_client` keeps them, by `"<pool id>/<client id>"`.
struct Cached;

impl crate::cache::Kept for Cached {
    type Key = String;
    type Value = OAuthClient;
}

/// The client with this id in this pool, if any: at most `cache::TTL_MS` old, and current
/// for changes made through this process.
pub async fn find_oauth_client(
    ctx: &Context,
    pool_id: &str,
    client_id: &str,
) -> Result<Option<OAuthClient>> {
    if !is_client_id(client_id) {
        return Ok(None);
    }
    let now = ctx.now();
    let key = format!("{pool_id}/{client_id}");
    if let Some(client) = ctx.caches.get::<Cached, _>(&key, now) {
        return Ok(Some(client));
    }
    let since = ctx.caches.generation();
    match store::get(&ctx.store, pool_id, client_id).await {
        Ok(row) => {
            let client = OAuthClient {
                config: serde_json::from_str(&row.config).map_err(StoreError::from)?,
                client_id: row.client_id,
                pool_id: row.pool_id,
                secret_hash: row.secret_hash,
                secret_sealed: row.secret_sealed,
            };
            ctx.caches
                .keep::<Cached>(since, key, client.clone(), now, None);
            Ok(Some(client))
        }
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The client with this id, whichever pool holds it, with that pool: the Cognito API names
/// a client without its pool. `None` when there is no such client.
pub async fn find_client_anywhere(
    ctx: &Context,
    client_id: &str,
) -> Result<Option<(Pool, OAuthClient)>> {
    if !is_client_id(client_id) {
        return Ok(None);
    }
    let Some(pool_id) = store::pool_of(&ctx.store, client_id).await? else {
        return Ok(None);
    };
    let pool = match cached_pool(ctx, &pool_id).await {
        Ok(pool) => pool,
        Err(Error::NotFound(_)) => return Ok(None),
        Err(other) => return Err(other),
    };
    Ok(find_oauth_client(ctx, &pool_id, client_id)
        .await?
        .map(|client| (pool, client)))
}
