//! Typed settings: an optional TOML file, then `COGNATE_*` environment variables on top.
//! `settings` is what the service runs with, `raw` every key with its default, and `load`
//! reads the file and the environment into settings, refusing what is not usable.

mod load;
mod raw;
mod settings;

pub use raw::KEYS;
pub use settings::{ConfigError, DatabaseUrl, LogFormat, Secret, Settings};
