//! The operations a signed-in user authorises with an access token of the pool that
//! carries `aws.cognito.signin.user.admin`, over the same core as the account page.
//!
//! `token` reads who the token speaks for and whether its sign-in may change factors;
//! `attributes`, `account` and `mfa` are the operations.

mod account;
mod attributes;
mod mfa;
mod token;

pub use account::{change_password, delete_user, global_sign_out};
pub use attributes::{
    delete_user_attributes, get_user, get_user_attribute_verification_code, update_user_attributes,
    verify_user_attribute,
};
pub use mfa::set_user_mfa_preference;
pub(crate) use mfa::{FactorSettings, preference};
pub(crate) use token::step_up_needed;
pub use token::{SignedIn, authorise};
