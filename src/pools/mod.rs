//! Pools own the configuration an admin sets: user pools, app clients and resource servers
//! with their custom scopes, the rotation of a pool's signing key, and the rules that make
//! such configuration valid.

pub mod clients;
pub mod keys;
pub mod pool;
pub mod resource_servers;
pub mod text;

pub use pool::{Pool, PoolConfig};
