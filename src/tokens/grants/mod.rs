//! The token endpoint's grants: the authorization code (`code`), the refresh token
//! (`refresh`) and client credentials (`client`), and the `scope` they all read.

mod client;
mod code;
mod refresh;
mod scope;

pub use client::{ClientCredentials, authenticate_client, client_credentials};
pub use code::{api_sign_in, authorization_code, pkce_matches};
pub use refresh::{RefreshDoor, refresh_token, refresh_token_user, rotates};
pub use scope::parse_scopes;
