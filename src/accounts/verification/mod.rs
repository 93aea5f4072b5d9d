//! Proving an address with a code: self-service sign-up, its confirmation and the
//! forgotten-password reset (`signup`), and a signed-in user's address (`attribute`).

pub mod attribute;
pub mod signup;
