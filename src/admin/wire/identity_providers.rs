//! `/pools/{pool_id}/identity-providers` and linked-identity bodies and answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admin::wire::{fields, some};
use crate::federation::links;
use crate::federation::providers as core;

/// `details` of a new provider.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDetails {
    /// The provider's issuer; its metadata is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Sealed under the master key; never shown again.
    pub client_secret: String,
    /// Space-separated, with `openid`; default `openid email profile`.
    #[serde(default)]
    pub authorize_scopes: Option<String>,
    /// How userInfo is called: `GET` (default) or `POST`.
    #[serde(default)]
    pub attributes_request_method: Option<String>,
}

fields!(NewDetails => core::NewDetails {
    issuer, client_id, client_secret, authorize_scopes, attributes_request_method,
});

/// `POST /pools/{pool_id}/identity-providers` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdentityProvider {
    /// 1-32 letters, digits, `.`, `-`, starting with a letter or digit; not `COGNITO`.
    pub name: String,
    /// `OIDC`.
    #[serde(rename = "type")]
    pub provider_type: String,
    pub details: NewDetails,
    /// Pool attribute → the provider's claim. `username` names the claim that identifies
    /// the user upstream (default `sub`).
    #[serde(default)]
    pub attribute_mapping: BTreeMap<String, String>,
    /// Email domains or short names that send a sign-in to this provider.
    #[serde(default)]
    pub idp_identifiers: Vec<String>,
    /// Send the browser to the provider's `end_session_endpoint` on sign-out.
    #[serde(default)]
    pub sign_out_upstream: bool,
}

fields!(NewIdentityProvider => core::NewIdentityProvider {
    name, provider_type, details, attribute_mapping, idp_identifiers, sign_out_upstream,
});

/// `details` of a change: each given field replaces the stored one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailsUpdate {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub authorize_scopes: Option<String>,
    #[serde(default)]
    pub attributes_request_method: Option<String>,
}

fields!(DetailsUpdate => core::DetailsUpdate {
    issuer, client_id, client_secret, authorize_scopes, attributes_request_method,
});

/// `PATCH /pools/{pool_id}/identity-providers/{name}` body. Discovery runs again.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderUpdate {
    #[serde(default)]
    pub details: Option<DetailsUpdate>,
    #[serde(default)]
    pub attribute_mapping: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub idp_identifiers: Option<Vec<String>>,
    #[serde(default)]
    pub sign_out_upstream: Option<bool>,
}

fields!(IdentityProviderUpdate => core::IdentityProviderUpdate {
    details: some, attribute_mapping, idp_identifiers, sign_out_upstream,
});

#[derive(Debug, Serialize, ToSchema)]
pub struct Details {
    pub issuer: String,
    pub client_id: String,
    pub authorize_scopes: String,
    pub attributes_request_method: String,
}

fields!(core::Details => Details { issuer, client_id, authorize_scopes, attributes_request_method });

/// What discovery found.
#[derive(Debug, Serialize, ToSchema)]
pub struct Endpoints {
    pub authorization_endpoint: String,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
}

fields!(core::Endpoints => Endpoints {
    authorization_endpoint, token_endpoint, userinfo_endpoint, jwks_uri, end_session_endpoint,
});

/// A provider as the API shows it; the client secret never leaves the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityProvider {
    pub name: String,
    #[serde(rename = "type")]
    pub provider_type: String,
    pub details: Details,
    pub attribute_mapping: BTreeMap<String, String>,
    pub idp_identifiers: Vec<String>,
    pub sign_out_upstream: bool,
    pub endpoints: Endpoints,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fields!(core::IdentityProvider => IdentityProvider {
    name, provider_type, details, attribute_mapping, idp_identifiers, sign_out_upstream,
    endpoints, created_at, updated_at,
});

/// `POST` / `DELETE /pools/{pool_id}/users/{username}/linked-identities` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkedIdentity {
    /// An identity provider of the pool.
    pub provider_name: String,
    /// The identity's subject at that provider (the claim `username` maps to, `sub` by default).
    pub provider_subject: String,
}

fields!(LinkedIdentity => links::LinkedIdentity { provider_name, provider_subject });
