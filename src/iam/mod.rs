//! IAM-style admin access, as AWS IAM does it: policy documents in IAM's grammar and their
//! evaluation (an explicit deny wins; otherwise an allow is needed; otherwise denied).
//! No HTTP here: principals, signed requests and the audit trail build on this.

pub mod actions;
pub mod arn;
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

use std::sync::Arc;

use crate::context::Context;
use crate::iam::directory::Directory;

/// What the admin doors hand the IAM rules: the context, and the directory of admin
/// principals kept in this process, which nothing else in the core reads.
#[derive(Clone)]
pub struct Iam {
    pub ctx: Context,
    pub directory: Arc<Directory>,
}
