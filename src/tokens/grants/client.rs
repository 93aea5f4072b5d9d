//! The client at the token endpoint: how it authenticates, and the client credentials
//! grant, where it is the only party.

use crate::context::Context;
use crate::pools::client_config::STANDARD_SCOPES;
use crate::pools::oauth_client::{OAuthClient, find_oauth_client};
use crate::tokens::OAuthError;
use crate::tokens::claims::{TokenResponse, issue_client_token};
use crate::tokens::grants::scope::narrowed;

/// Client credentials as presented: from `Authorization: Basic` or the form body.
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
}

crate::redact::debug_fields!(ClientCredentials { client_id });

/// Authenticates the client: a confidential client must present its secret, a public
/// client must not claim one. Every failure reads the same.
pub async fn authenticate_client(
    ctx: &Context,
    pool_id: &str,
    creds: &ClientCredentials,
) -> Result<OAuthClient, OAuthError> {
    let failed = || OAuthError::InvalidClient("client authentication failed".into());
    let client = find_oauth_client(ctx, pool_id, &creds.client_id)
        .await?
        .ok_or_else(failed)?;
    match (&creds.secret, client.is_confidential()) {
        (Some(secret), true) if client.secret_matches(secret) => Ok(client),
        (None, false) => Ok(client),
        _ => Err(failed()),
    }
}

pub async fn client_credentials(
    ctx: &Context,
    client: &OAuthClient,
    scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    if !client.is_confidential() || !client.allows_flow("client_credentials") {
        return Err(OAuthError::UnauthorizedClient(
            "this client may not use the client credentials grant".into(),
        ));
    }
    let allowed: Vec<String> = client
        .config
        .allowed_oauth_scopes
        .iter()
        .filter(|s| !STANDARD_SCOPES.contains(&s.as_str()))
        .cloned()
        .collect();
    let scopes = narrowed(scope, &allowed, "is not allowed for this client")?;
    issue_client_token(ctx, client, &scopes).await
}
