//! Refresh and revocation over the API: `REFRESH_TOKEN_AUTH` (clients without rotation),
//! `GetTokensFromRefreshToken` (either; a rotating client gets a new refresh token) and
//! `RevokeToken`, over `tokens::grants`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::Call;
use crate::cognito::client::{self, AppClient, flow_allowed};
use crate::cognito::protocol::{Answer, Exception};
use crate::tokens::claims::TokenResponse;
use crate::tokens::grants::{self, RefreshDoor};

/// `AuthenticationResultType`.
pub fn authentication_result(answer: TokenResponse) -> Value {
    let mut result = json!({
        "AccessToken": answer.access_token,
        "ExpiresIn": answer.expires_in,
        "TokenType": "Bearer",
    });
    if let Some(id) = answer.id_token {
        result["IdToken"] = json!(id);
    }
    if let Some(refresh) = answer.refresh_token {
        result["RefreshToken"] = json!(refresh);
    }
    result
}

pub(crate) async fn refresh(
    call: &Call<'_>,
    app: &AppClient,
    token: &str,
    secret_hash: Option<&str>,
) -> Answer {
    if app.client.is_confidential() {
        // SECRET_HASH names the token's user; a token of no user cannot match.
        let username = grants::refresh_token_user(call.ctx, &app.client, token)
            .await?
            .map(|u| u.username)
            .unwrap_or_default();
        client::check_secret_hash(call, app, &username, secret_hash)?;
    }
    let answer = grants::refresh_token(call.ctx, &app.client, token, None, RefreshDoor::Api)
        .await
        .map_err(|_| Exception::not_authorized("Invalid Refresh Token"))?;
    Ok(json!({"ChallengeParameters": {}, "AuthenticationResult": authentication_result(answer)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FromRefresh {
    refresh_token: String,
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
}

/// `GetTokensFromRefreshToken` (Amplify v6's refresh): rotates where the client does.
pub async fn get_tokens_from_refresh_token(call: &Call<'_>) -> Answer {
    let input: FromRefresh = call.input()?;
    let app = client::find(call, &input.client_id).await?;
    client::check_client_secret(&app, input.client_secret.as_deref())?;
    flow_allowed(&app, "ALLOW_REFRESH_TOKEN_AUTH")?;
    let answer = grants::refresh_token(
        call.ctx,
        &app.client,
        &input.refresh_token,
        None,
        RefreshDoor::Api,
    )
    .await
    .map_err(|_| Exception::not_authorized("Invalid Refresh Token"))?;
    Ok(json!({"AuthenticationResult": authentication_result(answer)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Revoke {
    token: String,
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
}

/// `RevokeToken`: the refresh token's family, and the access tokens it issued.
pub async fn revoke_token(call: &Call<'_>) -> Answer {
    let input: Revoke = call.input()?;
    let app = client::find(call, &input.client_id).await?;
    client::check_client_secret(&app, input.client_secret.as_deref())?;
    crate::tokens::revocation::revoke(call.ctx, &app.client, &input.token).await?;
    Ok(json!({}))
}
