//! The benchmark core, tested through its public API with a deterministic mock executor and
//! tokio's paused clock (hyperfine's `MockExecutor` idea): every timing below is exact.
//!
//! Run with `cargo test --test bench`.

mod compare;
mod gates;
#[path = "../support/json_schema.rs"]
mod json_schema;
mod mock;
mod record;
mod report;
mod runner;
mod schema;
mod stats;
