//! IAM-style admin access, as AWS IAM does it: policy documents in IAM's grammar and their
//! evaluation (an explicit deny wins; otherwise an allow is needed; otherwise denied).
//! No HTTP here: principals, signed requests and the audit trail build on this.

pub mod actions;
pub mod authenticate;
pub mod authorize;
pub mod condition;
pub mod directory;
pub mod evaluate;
pub mod gate;
pub mod manage;
pub mod managed;
mod pattern;
pub mod policy;
pub mod replay;
pub mod sigv4;
pub mod simulate;
pub mod sts;
