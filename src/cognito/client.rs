//! The app client an unauthenticated operation names, and its `SECRET_HASH`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::cognito::Call;
use crate::cognito::protocol::{Exception, Kind};
use crate::pools::Pool;
use crate::pools::oauth_client::{OAuthClient, find_client_anywhere};

/// The client and its pool.
pub struct AppClient {
    pub pool: Pool,
    pub client: OAuthClient,
}

impl AppClient {
    /// With `PreventUserExistenceErrors` on (the default), nothing tells a stranger which
    /// users exist.
    pub fn protects_users(&self) -> bool {
        self.client.protects_users()
    }

    pub fn allows(&self, flow: &str) -> bool {
        self.client
            .config
            .explicit_auth_flows
            .iter()
            .any(|f| f == flow)
    }
}

pub async fn find(call: &Call<'_>, client_id: &str) -> Result<AppClient, Exception> {
    match find_client_anywhere(call.ctx, client_id).await? {
        Some((pool, client)) => Ok(AppClient { pool, client }),
        None => Err(Exception::new(
            Kind::ResourceNotFound,
            "User pool client does not exist.",
        )),
    }
}

/// `SECRET_HASH` = base64(HMAC-SHA256(client secret, username ‖ client id)), required from
/// a client with a secret. A public client's is ignored, as Cognito does.
pub fn check_secret_hash(
    call: &Call<'_>,
    app: &AppClient,
    username: &str,
    presented: Option<&str>,
) -> Result<(), Exception> {
    if !app.client.is_confidential() {
        return Ok(());
    }
    let client_id = &app.client.client_id;
    let Some(presented) = presented else {
        return Err(Exception::not_authorized(format!(
            "Client {client_id} is configured with secret but SECRET_HASH was not received"
        )));
    };
    let unverified = || {
        Exception::not_authorized(format!(
            "Unable to verify secret hash for client {client_id}"
        ))
    };
    let Some(secret) = app.client.secret(call.ctx) else {
        // A secret from before secrets were sealed: only its digest is known. Rotating it
        // makes SECRET_HASH work.
        return Err(unverified());
    };
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let expected = aws_lc_rs::hmac::sign(&key, format!("{username}{client_id}").as_bytes());
    let presented = STANDARD
        .decode(presented.trim())
        .map_err(|_| unverified())?;
    use subtle::ConstantTimeEq;
    if bool::from(expected.as_ref().ct_eq(&presented)) {
        Ok(())
    } else {
        Err(unverified())
    }
}

/// Checks the client secret a token operation presents (`ClientSecret`): required from a
/// client with a secret.
pub(crate) fn check_client_secret(
    app: &AppClient,
    presented: Option<&str>,
) -> Result<(), Exception> {
    if !app.client.is_confidential() {
        return Ok(());
    }
    match presented {
        Some(secret) if app.client.secret_matches(secret) => Ok(()),
        _ => Err(Exception::not_authorized(
            "Unable to verify the client secret.",
        )),
    }
}

/// Refuses a flow the app client does not offer (`ExplicitAuthFlows`).
pub(crate) fn flow_allowed(app: &AppClient, flow: &str) -> Result<(), Exception> {
    if app.allows(flow) {
        Ok(())
    } else {
        Err(Exception::invalid(format!(
            "{} flow not enabled for this client",
            flow.trim_start_matches("ALLOW_")
        )))
    }
}
