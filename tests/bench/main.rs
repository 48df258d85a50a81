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

/// The core takes plain values (a colour flag, a format), never CLI types: neither it nor the
/// table engine it renders with may reach into the command line, the terminal output or the
/// commands (an import circle once ran bench → output → cli → cmd → bench).
#[test]
fn the_bench_core_imports_nothing_from_the_cli() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("table.rs")];
    let mut dirs = vec![src.join("bench")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 10, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in ["crate::cli", "crate::output", "crate::cmd"] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}",
                file.display()
            );
        }
    }
}
