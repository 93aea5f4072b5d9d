//! Pools own the configuration an admin sets: user pools, app clients and resource servers
//! with their custom scopes, the rotation of a pool's signing key, and the rules that make
//! such configuration valid.

pub mod client_config;
pub mod client_rules;
pub mod clients;
pub mod keys;
pub mod oauth_client;
pub mod pool;
pub mod pool_config;
pub mod pool_rules;
pub mod resource_servers;
pub mod text;
pub mod urls;

pub use pool_config::{Pool, PoolConfig};
