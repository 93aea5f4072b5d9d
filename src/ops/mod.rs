//! Operations: health probes, Prometheus metrics, and the middleware that gives every
//! request an id, a log span and a place in the metrics.

pub mod client_address;
pub mod connections;
pub mod headers;
pub mod health;
pub mod memory;
pub mod metrics;
pub mod observe;
