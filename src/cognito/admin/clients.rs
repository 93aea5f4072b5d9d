//! App clients as an admin manages them: `CreateUserPoolClient` … `ListUserPoolClients`,
//! over `pools::clients`, each one parse, one core call and one render (`client_shapes`).

use serde::Deserialize;
use serde_json::{Value, json};

use super::client_shapes::{Settings, client_type};
use crate::cognito::Call;
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::error::Error;
use crate::pools::clients;
use crate::store::paging::PageRequest;

/// The core's errors as the client operations name them.
fn client_error(err: Error) -> Exception {
    match err {
        Error::NotFound("pool") => {
            Exception::new(Kind::ResourceNotFound, "User pool does not exist.")
        }
        Error::NotFound("client") => {
            Exception::new(Kind::ResourceNotFound, "User pool client does not exist.")
        }
        other => other.into(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateClient {
    user_pool_id: String,
    client_name: String,
    #[serde(default)]
    generate_secret: bool,
    #[serde(flatten)]
    settings: Settings,
}

pub async fn create_user_pool_client(call: &Call<'_>) -> Answer {
    let input: CreateClient = call.input()?;
    let mut settings = input.settings.into_input(Some(input.client_name))?;
    settings.generate_secret = Some(input.generate_secret);
    let made = clients::create_client(call.ctx, &input.user_pool_id, settings)
        .await
        .map_err(client_error)?;
    Ok(json!({"UserPoolClient": client_type(&made)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolClient {
    user_pool_id: String,
    client_id: String,
}

pub async fn describe_user_pool_client(call: &Call<'_>) -> Answer {
    let input: PoolClient = call.input()?;
    let found = clients::get_client(call.ctx, &input.user_pool_id, &input.client_id)
        .await
        .map_err(client_error)?;
    Ok(json!({"UserPoolClient": client_type(&found)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateClient {
    user_pool_id: String,
    client_id: String,
    client_name: Option<String>,
    #[serde(flatten)]
    settings: Settings,
}

pub async fn update_user_pool_client(call: &Call<'_>) -> Answer {
    let input: UpdateClient = call.input()?;
    let settings = input.settings.into_input(input.client_name)?;
    let updated = clients::update_client(call.ctx, &input.user_pool_id, &input.client_id, settings)
        .await
        .map_err(client_error)?;
    Ok(json!({"UserPoolClient": client_type(&updated)}))
}

pub async fn delete_user_pool_client(call: &Call<'_>) -> Answer {
    let input: PoolClient = call.input()?;
    clients::delete_client(call.ctx, &input.user_pool_id, &input.client_id)
        .await
        .map_err(client_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListClients {
    user_pool_id: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub async fn list_user_pool_clients(call: &Call<'_>) -> Answer {
    let input: ListClients = call.input()?;
    let page = PageRequest::parse(input.max_results, input.next_token.as_deref())
        .map_err(|e| Exception::invalid(e.to_string()))?;
    let found = clients::list_clients(call.ctx, &input.user_pool_id, page)
        .await
        .map_err(client_error)?;
    let listed: Vec<Value> = found
        .items
        .iter()
        .map(|c| json!({"ClientId": c.client_id, "UserPoolId": c.pool_id, "ClientName": c.name}))
        .collect();
    let mut out = json!({"UserPoolClients": listed});
    if let Some(token) = found.next_token {
        out["NextToken"] = json!(token);
    }
    Ok(out)
}
