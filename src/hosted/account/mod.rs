//! `{issuer}/account`: the self-service page of a signed-in user (the SSO session cookie),
//! its step-up (`/account/verify`) and its changes. Each handler parses, calls
//! `accounts::account` and renders; every form carries a CSRF token, and every change
//! answers with a redirect back to the page (or the recovery codes, shown once).
//!
//! `page` renders the page and holds what every handler shares, `verify` is the step-up,
//! and `changes` are the forms that change the account.

// Each step's error is the page to show instead; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

mod changes;
mod page;
mod verify;

pub use changes::{
    email_submit, password_submit, preferred_submit, recovery_codes_submit, totp_begin,
    totp_confirm, totp_form, totp_remove,
};
pub use page::account_form;
pub use verify::{verify_form, verify_submit};
