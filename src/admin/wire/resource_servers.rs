//! `/pools/{pool_id}/resource-servers` bodies and answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admin::wire::{each, fields, mirror};
use crate::pools::resource_servers as core;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomScope {
    /// 1-256 visible ASCII characters, no spaces or `/`.
    pub name: String,
    pub description: String,
}

mirror!(CustomScope, core::CustomScope { name, description });

#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceServer {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<CustomScope>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fields!(core::ResourceServer => ResourceServer {
    identifier, name, scopes: each, created_at, updated_at,
});

/// `POST /pools/{pool_id}/resource-servers` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResourceServer {
    pub identifier: String,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<CustomScope>,
}

fields!(NewResourceServer => core::NewResourceServer { identifier, name, scopes: each });

/// `PUT /pools/{pool_id}/resource-servers/{identifier}` body: the whole new state. An
/// `identifier`, if given, must equal the one in the path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceServerUpdate {
    #[serde(default)]
    pub identifier: Option<String>,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<CustomScope>,
}

fields!(ResourceServerUpdate => core::ResourceServerUpdate { identifier, name, scopes: each });
