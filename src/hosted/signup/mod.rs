//! `{issuer}/signup`, `/confirm`, `/resend-code`, `/forgot-password` and `/reset-password`:
//! self-service accounts. Each form carries the CSRF token and, when the person came from
//! an application, the pending authorization request, so confirming signs them in.
//!
//! `sign_up` is the sign-up form, `confirm` the code that confirms it, `reset` the forgotten
//! password; `shared` is what they have in common.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

mod confirm;
mod reset;
mod shared;
mod sign_up;

pub use confirm::{confirm_form, confirm_submit, resend_code};
pub use reset::{forgot_form, forgot_submit, reset_form, reset_submit};
pub use sign_up::{signup_form, signup_submit};
