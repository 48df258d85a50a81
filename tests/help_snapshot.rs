//! Every command's `--help`, byte for byte, against `tests/snapshots/help.txt`: a change to any
//! help text (a flag added, a word changed, a refactor that moved a definition) shows up here
//! and is made on purpose. After a deliberate change, rewrite the file with
//! `OMC_UPDATE_SNAPSHOTS=1 cargo test --test help_snapshot` and review the diff.

#[path = "support/common.rs"]
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// `omc PATH… --help` at a fixed width, in a cleared environment.
fn help(path: &[String]) -> String {
    let out = Command::new(BIN)
        .env_clear()
        .env("OMC_HOME", "/nonexistent/omc-home")
        .env("COLUMNS", "100")
        .args(path)
        .arg("--help")
        .output()
        .unwrap();
    ok(&out)
}

/// The subcommands a help text lists under `Commands:` (without `help`).
fn subcommands(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line == "Commands:" {
            inside = true;
            continue;
        }
        if inside {
            if line.is_empty() || !line.starts_with("  ") {
                break;
            }
            // A wrapped description continues with deeper indentation.
            if line.starts_with("   ") {
                continue;
            }
            let name = line.split_whitespace().next().unwrap();
            if name != "help" {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// Every command path, depth first, with its help.
fn walk(path: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    let text = help(&path);
    let subs = subcommands(&text);
    out.push((path.clone(), text));
    for sub in subs {
        let mut next = path.clone();
        next.push(sub);
        walk(next, out);
    }
}

#[test]
fn every_commands_help_is_as_recorded() {
    let mut all = Vec::new();
    walk(Vec::new(), &mut all);
    assert!(
        all.len() > 40,
        "too few commands found: {:?}",
        all.iter().map(|(p, _)| p.join(" ")).collect::<Vec<_>>()
    );
    let mut doc = String::new();
    for (path, text) in &all {
        doc.push_str(&format!("===== omc {} --help\n", path.join(" ")));
        doc.push_str(text);
        if !text.ends_with('\n') {
            doc.push('\n');
        }
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/help.txt");
    if std::env::var_os("OMC_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &doc).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(&file).unwrap_or_default();
    if recorded != doc {
        let first = recorded
            .lines()
            .zip(doc.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(recorded.lines().count().min(doc.lines().count()));
        let context = |text: &str| {
            text.lines()
                .skip(first.saturating_sub(3))
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "help changed at line {} of tests/snapshots/help.txt (rerun with \
             OMC_UPDATE_SNAPSHOTS=1 if the change is meant):\n--- recorded\n{}\n--- now\n{}",
            first + 1,
            context(&recorded),
            context(&doc)
        );
    }
}
