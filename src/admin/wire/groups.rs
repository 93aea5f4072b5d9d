//! `/pools/{pool_id}/groups` bodies and answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::groups as core;
use crate::admin::wire::fields;

#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    pub name: String,
    pub description: Option<String>,
    /// Lower wins when a user is in several groups.
    pub precedence: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fields!(core::Group => Group { name, description, precedence, created_at, updated_at });

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<i64>,
}

fields!(NewGroup => core::NewGroup { name, description, precedence });

/// `PATCH` body; the name is the group's identity and cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    pub description: Option<String>,
    pub precedence: Option<i64>,
}

fields!(GroupPatch => core::GroupPatch { description, precedence });
