//! Users: finding them (`lookup`, which every area needs) and what an admin does with
//! them (`manage`, with the user-list `filter`).

pub mod filter;
pub mod lookup;
pub mod manage;
