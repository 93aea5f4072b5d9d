//! Accounts own users and groups: usernames, attributes, password rules, states and
//! group membership. Every door (admin REST, hosted pages) reaches users through here.

pub mod account;
pub mod attribute_verification;
pub mod attributes;
pub mod auth_flow;
pub mod codes;
pub mod devices;
pub mod enrol;
pub mod filter;
pub mod groups;
pub mod lookup;
pub mod mfa;
pub mod password_policy;
pub mod password_verifier;
pub mod passwordless;
pub mod sessions;
pub mod signin;
pub mod srp;
pub mod step_up;
pub mod throttle;
pub mod types;
pub mod username;
pub mod users;
pub mod verification;
