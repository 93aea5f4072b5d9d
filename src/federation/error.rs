//! Why a return from a provider signed nobody in: the provider could not be reached, or its
//! answer was refused; either way nothing in it is believed.

use crate::error::Error;

/// Why a return from a provider signed nobody in.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// The provider could not be reached, timed out, or failed.
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    /// Its answer failed a check; nothing in it is believed.
    #[error("the identity provider's answer was refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Core(#[from] Error),
}
