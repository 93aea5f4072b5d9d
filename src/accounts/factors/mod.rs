//! Second factors and what guards guessing: the factors (`mfa`), one-time codes, throttles
//! and `rates`, device cookies, the rule for changing factors (`step_up`) and `enrol`.

pub mod codes;
pub mod devices;
pub mod enrol;
pub mod mfa;
pub mod rates;
pub mod step_up;
pub mod throttle;
