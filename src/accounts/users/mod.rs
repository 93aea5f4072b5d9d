//! Users: finding them (`lookup`, which every area needs) and what an admin does with
//! them (`manage`, `credentials`, with the list's `filter`), in the API's `shapes`.

pub mod credentials;
pub mod filter;
pub mod lookup;
pub mod manage;
pub mod shapes;
