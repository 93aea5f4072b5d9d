//! Cognito's app client shapes as Cognate's client input, and back
//! (`UserPoolClientType`): the conversions `admin::clients` parses and renders with. Token
//! lifetimes travel in Cognito's units and are kept in seconds.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::protocol::Exception;
use crate::cognito::shapes::epoch;
use crate::pools::client_config::{self, ClientConfig, RefreshTokenRotation};
use crate::pools::clients::{AppClient, ClientInput};

/// Cognito's default flows for a client made without `ExplicitAuthFlows`.
const DEFAULT_AUTH_FLOWS: &[&str] = &[
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
];

const UNITS: &[(&str, u64)] = &[
    ("days", 86_400),
    ("hours", 3_600),
    ("minutes", 60),
    ("seconds", 1),
];

/// `TokenValidityUnitsType`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Units {
    access_token: Option<String>,
    id_token: Option<String>,
    refresh_token: Option<String>,
}

/// A lifetime in Cognito's units as seconds; `None` when not given.
fn seconds(
    value: Option<i64>,
    unit: Option<&str>,
    default_unit: &str,
    member: &str,
) -> Result<Option<u32>, Exception> {
    let Some(value) = value else {
        return Ok(None);
    };
    let unit = unit.unwrap_or(default_unit);
    let per = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, per)| *per)
        .ok_or_else(|| {
            Exception::invalid(format!(
                "TokenValidityUnits for {member} must be seconds, minutes, hours or days."
            ))
        })?;
    u64::try_from(value)
        .ok()
        .and_then(|v| v.checked_mul(per))
        .and_then(|s| u32::try_from(s).ok())
        .map(Some)
        .ok_or_else(|| Exception::invalid(format!("{member} is out of range.")))
}

/// Seconds in the largest unit that holds them whole, from `largest` down.
fn in_units(seconds: u32, largest: &str) -> (u64, &'static str) {
    let seconds = u64::from(seconds);
    let start = UNITS.iter().position(|(n, _)| *n == largest).unwrap_or(0);
    UNITS[start..]
        .iter()
        .find(|(_, per)| seconds % per == 0)
        .map_or((seconds, "seconds"), |(name, per)| (seconds / per, name))
}

/// The members `CreateUserPoolClient` and `UpdateUserPoolClient` both take.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Settings {
    refresh_token_validity: Option<i64>,
    access_token_validity: Option<i64>,
    id_token_validity: Option<i64>,
    token_validity_units: Option<Units>,
    read_attributes: Option<Vec<String>>,
    write_attributes: Option<Vec<String>>,
    explicit_auth_flows: Option<Vec<String>>,
    supported_identity_providers: Option<Vec<String>>,
    #[serde(rename = "CallbackURLs")]
    callback_urls: Option<Vec<String>>,
    #[serde(rename = "LogoutURLs")]
    logout_urls: Option<Vec<String>>,
    #[serde(rename = "DefaultRedirectURI")]
    default_redirect_uri: Option<String>,
    #[serde(rename = "AllowedOAuthFlows")]
    allowed_oauth_flows: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthScopes")]
    allowed_oauth_scopes: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    allowed_oauth_flows_user_pool_client: Option<bool>,
    prevent_user_existence_errors: Option<String>,
    enable_token_revocation: Option<bool>,
    refresh_token_rotation: Option<RotationType>,
}

/// `RefreshTokenRotationType`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RotationType {
    feature: String,
    retry_grace_period_seconds: Option<i64>,
}

/// Cognito's default for a client made or updated without `RefreshTokenRotation`: off, so
/// a refresh token is used again and again until it expires.
const ROTATION_OFF: RefreshTokenRotation = RefreshTokenRotation {
    enabled: false,
    retry_grace_period_seconds: 0,
};

fn rotation(given: Option<RotationType>) -> Result<RefreshTokenRotation, Exception> {
    let Some(given) = given else {
        return Ok(ROTATION_OFF);
    };
    let enabled = match given.feature.as_str() {
        "ENABLED" => true,
        "DISABLED" => false,
        _ => {
            return Err(Exception::invalid(
                "1 validation error detected: Value at 'refreshTokenRotation.feature' failed \
                 to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]",
            ));
        }
    };
    let grace = given.retry_grace_period_seconds.unwrap_or(0);
    let grace = u32::try_from(grace)
        .ok()
        .filter(|g| client_config::RETRY_GRACE_PERIOD_SECONDS.contains(g))
        .ok_or_else(|| {
            Exception::invalid(
                "1 validation error detected: Value at \
                 'refreshTokenRotation.retryGracePeriodSeconds' failed to satisfy constraint: \
                 Member must have value between 0 and 60",
            )
        })?;
    Ok(RefreshTokenRotation {
        enabled,
        retry_grace_period_seconds: grace,
    })
}

impl Settings {
    /// The whole client as the core's input: an absent member is its default, since
    /// Cognito's `UpdateUserPoolClient` resets every setting it is not given.
    /// `ReadAttributes`/`WriteAttributes` are the exception: absent keeps them (see report).
    pub(super) fn into_input(self, name: Option<String>) -> Result<ClientInput, Exception> {
        let defaults = ClientConfig::default();
        let flows = self.allowed_oauth_flows.unwrap_or_default();
        if flows.iter().any(|f| f == "implicit") {
            return Err(Exception::invalid(
                "Cognate does not offer the implicit grant; use the code flow with PKCE.",
            ));
        }
        match (self.allowed_oauth_flows_user_pool_client, flows.is_empty()) {
            (Some(true), true) => {
                return Err(Exception::invalid(
                    "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool \
                     client is allowed to use OAuth flows.",
                ));
            }
            (None | Some(false), false) => {
                return Err(Exception::invalid(
                    "AllowedOAuthFlowsUserPoolClient must be true to use AllowedOAuthFlows.",
                ));
            }
            _ => {}
        }
        if self.enable_token_revocation == Some(false) {
            return Err(Exception::invalid(
                "Cognate always allows token revocation; EnableTokenRevocation cannot be false.",
            ));
        }
        let prevent = match self.prevent_user_existence_errors.as_deref() {
            None => defaults.prevent_user_existence_errors,
            Some("ENABLED") => true,
            Some("LEGACY") => false,
            Some(_) => {
                return Err(Exception::invalid(
                    "PreventUserExistenceErrors must be ENABLED or LEGACY.",
                ));
            }
        };
        let rotation = rotation(self.refresh_token_rotation)?;
        let units = self.token_validity_units.unwrap_or_default();
        let access = seconds(
            self.access_token_validity,
            units.access_token.as_deref(),
            "hours",
            "AccessTokenValidity",
        )?;
        let id = seconds(
            self.id_token_validity,
            units.id_token.as_deref(),
            "hours",
            "IdTokenValidity",
        )?;
        let refresh = seconds(
            self.refresh_token_validity,
            units.refresh_token.as_deref(),
            "days",
            "RefreshTokenValidity",
        )?;
        Ok(ClientInput {
            name,
            generate_secret: None,
            callback_urls: Some(self.callback_urls.unwrap_or_default()),
            logout_urls: Some(self.logout_urls.unwrap_or_default()),
            // Empty clears it in the core.
            default_redirect_uri: Some(self.default_redirect_uri.unwrap_or_default()),
            allowed_oauth_flows: Some(flows),
            allowed_oauth_scopes: Some(self.allowed_oauth_scopes.unwrap_or_default()),
            explicit_auth_flows: Some(
                self.explicit_auth_flows
                    .unwrap_or_else(|| DEFAULT_AUTH_FLOWS.iter().map(|f| f.to_string()).collect()),
            ),
            access_token_validity: Some(access.unwrap_or(defaults.access_token_validity)),
            id_token_validity: Some(id.unwrap_or(defaults.id_token_validity)),
            refresh_token_validity: Some(refresh.unwrap_or(defaults.refresh_token_validity)),
            prevent_user_existence_errors: Some(prevent),
            read_attributes: self.read_attributes,
            write_attributes: self.write_attributes,
            supported_identity_providers: Some(
                self.supported_identity_providers
                    .unwrap_or_else(|| vec![crate::domain::COGNITO.to_string()]),
            ),
            refresh_token_rotation: Some(rotation),
        })
    }
}

/// `UserPoolClientType`. `ClientSecret` is in the answer that created the client only: the
/// core shows a secret once, where Cognito's `DescribeUserPoolClient` returns it each time.
pub(super) fn client_type(client: &AppClient) -> Value {
    let c = &client.config;
    let (access, access_unit) = in_units(c.access_token_validity, "hours");
    let (id, id_unit) = in_units(c.id_token_validity, "hours");
    let (refresh, refresh_unit) = in_units(c.refresh_token_validity, "days");
    let mut out = json!({
        "UserPoolId": client.pool_id,
        "ClientName": client.name,
        "ClientId": client.client_id,
        "CreationDate": epoch(client.created_at),
        "LastModifiedDate": epoch(client.updated_at),
        "AccessTokenValidity": access,
        "IdTokenValidity": id,
        "RefreshTokenValidity": refresh,
        "TokenValidityUnits": {
            "AccessToken": access_unit,
            "IdToken": id_unit,
            "RefreshToken": refresh_unit,
        },
        "ExplicitAuthFlows": c.explicit_auth_flows,
        "SupportedIdentityProviders": c.supported_identity_providers,
        "CallbackURLs": c.callback_urls,
        "LogoutURLs": c.logout_urls,
        "AllowedOAuthFlows": c.allowed_oauth_flows,
        "AllowedOAuthScopes": c.allowed_oauth_scopes,
        "AllowedOAuthFlowsUserPoolClient": !c.allowed_oauth_flows.is_empty(),
        "PreventUserExistenceErrors":
            if c.prevent_user_existence_errors { "ENABLED" } else { "LEGACY" },
        "EnableTokenRevocation": true,
        "RefreshTokenRotation": {
            "Feature": if c.refresh_token_rotation.enabled { "ENABLED" } else { "DISABLED" },
            "RetryGracePeriodSeconds": c.refresh_token_rotation.retry_grace_period_seconds,
        },
    });
    if let Some(uri) = &c.default_redirect_uri {
        out["DefaultRedirectURI"] = json!(uri);
    }
    if let Some(list) = &c.read_attributes {
        out["ReadAttributes"] = json!(list);
    }
    if let Some(list) = &c.write_attributes {
        out["WriteAttributes"] = json!(list);
    }
    if let Some(secret) = &client.client_secret {
        out["ClientSecret"] = json!(secret);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_convert_both_ways() {
        assert_eq!(seconds(Some(1), None, "hours", "x").unwrap(), Some(3_600));
        assert_eq!(
            seconds(Some(30), Some("days"), "hours", "x").unwrap(),
            Some(2_592_000)
        );
        assert!(seconds(Some(-1), None, "hours", "x").is_err());
        assert!(seconds(Some(1), Some("weeks"), "hours", "x").is_err());
        assert!(seconds(Some(i64::MAX), Some("days"), "days", "x").is_err());
        assert_eq!(in_units(3_600, "hours"), (1, "hours"));
        assert_eq!(in_units(2_592_000, "days"), (30, "days"));
        assert_eq!(in_units(5_400, "hours"), (90, "minutes"));
        assert_eq!(in_units(301, "hours"), (301, "seconds"));
    }
}
