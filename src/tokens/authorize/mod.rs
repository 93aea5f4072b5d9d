//! The authorization endpoint: its parameters (`params`), the checks a request must pass
//! (`checks`), and the request kept while the user signs in until it becomes a code
//! (`pending`).

mod checks;
mod params;
mod pending;

pub use checks::{
    AuthorizeError, MAX_LOGIN_HINT_LEN, MAX_STATE_LEN, ResponseMode, ValidRequest, validate,
};
pub use params::{Params, with_query};
pub use pending::{
    CODE_LIFETIME_MS, CodeRedirect, MAX_PENDING_PER_ADDRESS, PENDING_LIFETIME_MS, code_for_pending,
    code_for_session, pending, save_pending,
};
