//! Signing in: the state machine (`machine`, its kept `steps`) and one module per step,
//! from the password (or SRP, or a code by email) to the second factor and `complete`.

pub mod complete;
pub mod interaction;
pub mod machine;
pub mod mfa;
pub mod mfa_setup;
pub mod new_password;
pub mod password;
pub mod password_verifier;
pub mod passwordless;
pub mod second_factor;
pub mod select_challenge;
pub mod srp;
pub mod steps;
pub mod view;
