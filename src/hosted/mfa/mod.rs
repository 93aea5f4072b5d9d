//! `{issuer}/mfa` and `{issuer}/mfa/setup`: the second-factor steps of a sign-in. Each
//! handler parses, calls the sign-in machine and renders.
//!
//! `challenge` asks for a code of a factor the user has, `setup` sets one up.

pub mod challenge;
pub mod setup;

pub use challenge::{mfa_form, mfa_submit};
pub use setup::{setup_form, setup_submit};
