//! Crypto owns password hashing (argon2id), random identifiers and secrets, and the
//! keyed hashes under which secrets and codes are stored.

pub mod jws;
pub mod jwt;
pub mod password;
pub mod random;
pub mod sealed;
pub mod secret;
pub mod srp;
pub mod totp;
