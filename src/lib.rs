#![forbid(unsafe_code)]
pub mod error;
pub mod paths;
pub mod vault;
pub mod ui;
pub mod store;
pub mod time;
pub mod provider;
pub mod bench;
