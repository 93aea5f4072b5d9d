//! Proving an address with a code: self-service sign-up (`signup`) and its `confirm`ation,
//! the forgotten-password `reset`, and a signed-in user's address (`attribute`).

pub mod attribute;
pub mod confirm;
pub mod reset;
pub mod signup;
