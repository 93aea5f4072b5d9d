//! Cognate: a self-hosted, Cognito-style identity provider.
//!
//! Front doors (`admin`, later `hosted`, `oauth`, `cognito`) are thin; the rules live in
//! `pools` and `accounts`; `store` reads and writes rows; `crypto` holds hashing and randomness.

pub mod accounts;
pub mod admin;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod cognito;
pub mod config;
pub mod context;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod error;
pub mod federation;
pub mod hosted;
pub mod iam;
pub mod in_flight;
pub mod keyring;
pub mod mail;
pub mod oauth;
pub mod ops;
pub mod pools;
pub mod proxies;
pub mod redact;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tokens;
