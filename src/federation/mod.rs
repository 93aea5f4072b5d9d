//! Federation: Cognate as the relying party of outside OpenID Connect providers. A pool's
//! providers and their discovered metadata, the round trip to them, and the users and links
//! their identities sign in as; the pool then issues its own tokens as for any sign-in.

pub mod address;
pub mod discovery;
pub mod endpoints;
pub mod error;
pub mod flow;
pub mod http;
pub mod id_token;
pub mod links;
pub mod logout;
pub mod mapping;
pub mod offer;
pub mod provider_rules;
pub mod providers;
pub mod users;
