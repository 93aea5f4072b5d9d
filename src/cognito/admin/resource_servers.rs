//! Resource servers as an admin manages them: `CreateResourceServer` …
//! `ListResourceServers`, over `pools::resource_servers`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::Call;
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::error::{Clash, Error};
use crate::pools::resource_servers::{
    self as core, CustomScope, NewResourceServer, ResourceServer, ResourceServerUpdate,
};
use crate::store::paging::PageRequest;

/// Cognito's page limit for this list, tighter than the core's.
const MAX_RESULTS: i64 = 50;

/// The core's errors as the resource server operations name them.
fn server_error(err: Error) -> Exception {
    match err {
        Error::NotFound("pool") => {
            Exception::new(Kind::ResourceNotFound, "User pool does not exist.")
        }
        Error::NotFound("resource server") => {
            Exception::new(Kind::ResourceNotFound, "Resource server does not exist.")
        }
        Error::Conflict(Clash::Limit, m) => Exception::new(Kind::LimitExceeded, m),
        other => other.into(),
    }
}

/// `ResourceServerScopeType`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ScopeType {
    scope_name: String,
    scope_description: String,
}

fn scopes_from(list: Option<Vec<ScopeType>>) -> Vec<CustomScope> {
    list.unwrap_or_default()
        .into_iter()
        .map(|s| CustomScope {
            name: s.scope_name,
            description: s.scope_description,
        })
        .collect()
}

/// `ResourceServerType`.
fn server_type(pool_id: &str, server: &ResourceServer) -> Value {
    let scopes: Vec<Value> = server
        .scopes
        .iter()
        .map(|s| json!({"ScopeName": s.name, "ScopeDescription": s.description}))
        .collect();
    json!({
        "UserPoolId": pool_id,
        "Identifier": server.identifier,
        "Name": server.name,
        "Scopes": scopes,
    })
}

/// The body of `CreateResourceServer` and `UpdateResourceServer` alike.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServerInput {
    user_pool_id: String,
    identifier: String,
    name: String,
    scopes: Option<Vec<ScopeType>>,
}

pub async fn create_resource_server(call: &Call<'_>) -> Answer {
    let input: ServerInput = call.input()?;
    let made = core::create_resource_server(
        call.ctx,
        &input.user_pool_id,
        NewResourceServer {
            identifier: input.identifier,
            name: input.name,
            scopes: scopes_from(input.scopes),
        },
    )
    .await
    .map_err(server_error)?;
    Ok(json!({"ResourceServer": server_type(&input.user_pool_id, &made)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServerId {
    user_pool_id: String,
    identifier: String,
}

pub async fn describe_resource_server(call: &Call<'_>) -> Answer {
    let input: ServerId = call.input()?;
    let found = core::get_resource_server(call.ctx, &input.user_pool_id, &input.identifier)
        .await
        .map_err(server_error)?;
    Ok(json!({"ResourceServer": server_type(&input.user_pool_id, &found)}))
}

/// Cognito's update is the whole new state, as the core's replace is.
pub async fn update_resource_server(call: &Call<'_>) -> Answer {
    let input: ServerInput = call.input()?;
    let updated = core::replace_resource_server(
        call.ctx,
        &input.user_pool_id,
        &input.identifier,
        ResourceServerUpdate {
            identifier: None,
            name: input.name,
            scopes: scopes_from(input.scopes),
        },
    )
    .await
    .map_err(server_error)?;
    Ok(json!({"ResourceServer": server_type(&input.user_pool_id, &updated)}))
}

pub async fn delete_resource_server(call: &Call<'_>) -> Answer {
    let input: ServerId = call.input()?;
    core::delete_resource_server(call.ctx, &input.user_pool_id, &input.identifier)
        .await
        .map_err(server_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListServers {
    user_pool_id: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub async fn list_resource_servers(call: &Call<'_>) -> Answer {
    let input: ListServers = call.input()?;
    if input
        .max_results
        .is_some_and(|n| !(1..=MAX_RESULTS).contains(&n))
    {
        return Err(Exception::invalid(format!(
            "MaxResults must be between 1 and {MAX_RESULTS}."
        )));
    }
    let limit = Some(input.max_results.unwrap_or(MAX_RESULTS));
    let page = PageRequest::parse(limit, input.next_token.as_deref())
        .map_err(|e| Exception::invalid(e.to_string()))?;
    let found = core::list_resource_servers(call.ctx, &input.user_pool_id, page)
        .await
        .map_err(server_error)?;
    let listed: Vec<Value> = found
        .items
        .iter()
        .map(|s| server_type(&input.user_pool_id, s))
        .collect();
    let mut out = json!({"ResourceServers": listed});
    if let Some(token) = found.next_token {
        out["NextToken"] = json!(token);
    }
    Ok(out)
}
