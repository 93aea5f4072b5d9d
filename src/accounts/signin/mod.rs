//! Signing in: the password and its checks, SRP's verifiers and `PASSWORD_VERIFIER` step,
//! and sign-in with a code by email.

pub mod password;
pub mod password_verifier;
pub mod passwordless;
pub mod srp;
