//! Accounts own users and groups: usernames, attributes, password rules, states and
//! group membership. Every door (admin REST, hosted pages) reaches users through here.

pub mod account;
pub mod attributes;
pub mod factors;
pub mod groups;
pub mod password_policy;
pub mod sessions;
pub mod signin;
pub mod types;
pub mod username;
pub mod users;
pub mod verification;
