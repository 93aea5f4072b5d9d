//! Creating and changing admin principals, each change checked (`rules`), written in one
//! transaction, and seen by this process's next request.

pub mod access_keys;
pub mod attachments;
pub mod policies;
pub mod principals;
pub mod rules;
