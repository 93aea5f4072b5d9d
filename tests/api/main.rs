//! One integration-test binary (each file directly under tests/ would be its own link
//! step). Every test runs against a real server on port 0 with its own database, once on
//! SQLite and once on PostgreSQL.

mod browser;
mod helpers;

mod architecture;
mod audit;
mod auth_flow;
mod bad_input;
mod clients;
mod cognito_admin;
mod cognito_admin_groups;
mod cognito_admin_users;
mod cognito_api;
mod cognito_attacks;
mod cognito_errors;
mod cognito_flows;
mod cognito_hostile;
mod cognito_tokens;
mod demo;
mod dependencies;
mod docs_viewer;
mod federation;
mod federation_attacks;
mod federation_links;
mod federation_review;
mod file_modes;
mod groups;
mod hardening;
mod hardening_oauth;
mod iam;
mod mail_workers;
mod mfa;
mod mfa_review;
mod oauth;
mod oauth_bad_input;
mod openapi;
mod ops;
mod pools;
mod process;
mod races;
mod refresh_rotation;
mod resource_servers;
mod second_review;
mod signing;
mod signup;
mod sigv4;
mod sigv4_replay;
mod smtp;
mod strict_bodies;
mod usernames;
mod users;
