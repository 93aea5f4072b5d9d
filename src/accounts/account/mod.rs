//! The self-service account page's rules, without HTTP: a signed-in user (an SSO session)
//! steps up (`page`), then changes their second factors (`settings`) or `password`.

pub mod page;
pub mod password;
pub mod settings;
