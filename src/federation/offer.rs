//! Which ways of signing in a client offers (the pool's own, and which of the pool's
//! providers), and where an identifier or a typed address routes.

use crate::context::Context;
use crate::domain::COGNITO;
use crate::error::Result;
use crate::pools::Pool;
use crate::pools::oauth_client::find_oauth_client;
use crate::store::identity_providers as providers;

/// How a client lets people sign in.
#[derive(Debug, Clone, Default)]
pub struct Offer {
    /// The pool's own users and passwords.
    pub cognito: bool,
    /// The identity providers it offers that exist, in the client's order.
    pub providers: Vec<String>,
    /// One of them has `idp_identifiers`, so a typed address may route there.
    pub routes_by_email: bool,
}

impl Offer {
    /// Whether a sign-in may go to the identity provider `name`: only one the client offers.
    pub fn offers(&self, name: &str) -> bool {
        self.providers.iter().any(|p| p == name)
    }
}

/// The sign-in options of `client_id` in `pool`.
pub async fn offer(ctx: &Context, pool: &Pool, client_id: &str) -> Result<Offer> {
    let Some(client) = find_oauth_client(ctx, &pool.id, client_id).await? else {
        return Ok(Offer::default());
    };
    let wanted = &client.config.supported_identity_providers;
    let cognito = client.config.offers_cognito();
    if wanted.iter().all(|p| p == COGNITO) {
        return Ok(Offer {
            cognito,
            ..Offer::default()
        });
    }
    let existing = providers::names(&ctx.store, &pool.id).await?;
    let offered: Vec<String> = wanted
        .iter()
        .filter(|p| existing.contains(p))
        .cloned()
        .collect();
    let routes_by_email = providers::identifiers(&ctx.store, &pool.id, None)
        .await?
        .iter()
        .any(|i| offered.contains(&i.provider_name));
    Ok(Offer {
        cognito,
        providers: offered,
        routes_by_email,
    })
}

/// The offered provider an identifier (an email's domain, or a short name) routes to.
pub async fn by_identifier(
    ctx: &Context,
    pool: &Pool,
    offer: &Offer,
    identifier: &str,
) -> Result<Option<String>> {
    if offer.providers.is_empty() || identifier.is_empty() || identifier.len() > 256 {
        return Ok(None);
    }
    let key = identifier.to_ascii_lowercase();
    Ok(providers::by_identifier(&ctx.store, &pool.id, &key)
        .await?
        .filter(|name| offer.providers.contains(name)))
}

/// The provider a typed work address routes to, by its domain.
pub async fn route_email(
    ctx: &Context,
    pool: &Pool,
    offer: &Offer,
    typed: &str,
) -> Result<Option<String>> {
    if !offer.routes_by_email {
        return Ok(None);
    }
    match typed.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() => by_identifier(ctx, pool, offer, domain).await,
        _ => Ok(None),
    }
}
