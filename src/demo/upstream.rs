//! The demo's second pool, `demo-upstream`, acting as an outside OpenID Connect provider of
//! the `demo` pool: its hosted sign-in shows "Continue with Upstream", which signs in at
//! the other pool (as `ada@upstream.example`) and comes back federated, so the whole
//! broker round trip runs on one machine. Discovery needs the server listening, so the
//! provider is registered by a task that waits for it.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::accounts::users::shapes::NewUser;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::federation::providers::{NewDetails, NewIdentityProvider, create_provider};
use crate::pools::clients::{ClientInput, create_client, rotate_secret, update_client};
use crate::pools::pool::{NewPool, create_pool};
use crate::pools::pool_config::Branding;

pub const POOL: &str = "demo-upstream";
pub const PROVIDER: &str = "Upstream";
pub const USER: &str = "ada@upstream.example";

/// The upstream demo user's password: stable across restarts, known to nobody who cannot
/// read this server's keys.
pub fn password(ctx: &Context) -> String {
    let tag = aws_lc_rs::hmac::sign(&ctx.csrf_key, b"demo upstream user password");
    format!("Up-{}9", URL_SAFE_NO_PAD.encode(&tag.as_ref()[..12]))
}

async fn ensure_pool(ctx: &Context) -> Result<String> {
    if let Some(id) = crate::store::pools::id_by_name(&ctx.store, POOL).await? {
        return Ok(id);
    }
    let input = NewPool {
        name: POOL.into(),
        username_attributes: Some(vec!["email".into()]),
        branding: Some(Branding {
            display_name: Some("Upstream Corp (demo identity provider)".into()),
            ..Branding::default()
        }),
        ..NewPool::default()
    };
    let id = match create_pool(ctx, input).await {
        Ok(pool) => pool.id,
        Err(Error::Conflict(..)) => {
            return crate::store::pools::id_by_name(&ctx.store, POOL)
                .await?
                .ok_or(Error::NotFound("demo upstream pool"));
        }
        Err(e) => return Err(e),
    };
    let mut attributes = crate::accounts::attributes::Attributes::new();
    attributes.insert("email".into(), USER.into());
    attributes.insert("name".into(), "Ada Upstream".into());
    let user = NewUser {
        username: Some(USER.into()),
        attributes,
        password: Some(password(ctx)),
        temporary_password: None,
        email_verified: Some(true),
        suppress_invitation: Some(true),
    };
    crate::accounts::users::manage::create_user(ctx, &id, user).await?;
    Ok(id)
}

/// Registers `demo-upstream` as the `Upstream` provider of the demo pool and offers it on
/// the demo client, unless that was done before.
async fn federate(ctx: &Context, demo_pool: &str, demo_client: &str) -> Result<()> {
    let up_pool = ensure_pool(ctx).await?;
    let down = ctx.issuer(demo_pool);
    let callback = format!("{down}/oauth2/idpresponse");
    let after_logout = format!("{down}/oauth2/idplogout");
    let settings = ClientInput {
        callback_urls: Some(vec![callback]),
        logout_urls: Some(vec![after_logout]),
        allowed_oauth_flows: Some(vec!["code".into()]),
        allowed_oauth_scopes: Some(vec!["openid".into(), "email".into(), "profile".into()]),
        ..Default::default()
    };
    let client_id = match crate::store::clients::id_by_name(&ctx.store, &up_pool, "demo").await? {
        Some(id) => {
            update_client(ctx, &up_pool, &id, settings).await?;
            id
        }
        None => {
            let input = ClientInput {
                name: Some("demo".into()),
                generate_secret: Some(true),
                ..settings
            };
            create_client(ctx, &up_pool, input).await?.client_id
        }
    };
    let providers = crate::store::identity_providers::names(&ctx.store, demo_pool).await?;
    if !providers.iter().any(|p| p == PROVIDER) {
        // A secret is shown once: a fresh one for the provider being registered now.
        let secret = rotate_secret(ctx, &up_pool, &client_id)
            .await?
            .client_secret
            .ok_or(Error::NotFound("client secret"))?;
        let mapping = ["email", "email_verified", "name"].map(|a| (a.to_string(), a.to_string()));
        let input = NewIdentityProvider {
            name: PROVIDER.into(),
            provider_type: "OIDC".into(),
            details: NewDetails {
                issuer: ctx.issuer(&up_pool),
                client_id: client_id.clone(),
                client_secret: secret,
                authorize_scopes: None,
                attributes_request_method: None,
            },
            attribute_mapping: mapping.into_iter().collect(),
            idp_identifiers: vec!["upstream.example".into()],
            sign_out_upstream: true,
        };
        create_provider(ctx, demo_pool, input).await?;
    }
    update_client(
        ctx,
        demo_pool,
        demo_client,
        ClientInput {
            supported_identity_providers: Some(vec![
                crate::domain::COGNITO.into(),
                PROVIDER.into(),
            ]),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Runs `federate` once the server answers its own discovery, for up to a minute.
pub fn spawn(ctx: actix_web::web::Data<Context>, demo_pool: String, demo_client: String) {
    tokio::spawn(async move {
        let mut last = String::new();
        for _ in 0..120 {
            match federate(&ctx, &demo_pool, &demo_client).await {
                Ok(()) => {
                    eprintln!(
                        "cognate: demo federation ready: \"Continue with {PROVIDER}\" signs in at the \
                         {POOL} pool as {USER} / {}",
                        password(&ctx)
                    );
                    tracing::info!(provider = PROVIDER, "demo federation ready");
                    return;
                }
                Err(err) => last = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        tracing::warn!(reason = %last, "the demo's upstream provider could not be registered");
    });
}
