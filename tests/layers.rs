//! The core never reaches up into the command line. omc is one crate in two layers: the
//! front end (`main.rs`, `lib.rs`'s dispatch, `cli.rs`, `cmd/`, `complete.rs`, `output.rs`,
//! `ui.rs`) parses, asks and renders; everything else is the core (keys, store, credentials,
//! providers, agents, bench, import, bundles, the proxy), which the front end calls. A core file
//! that names a front-end module, or a terminal crate (indicatif's progress bars, dialoguer's
//! prompts, comfy-table), fails this test, with the file and line.

#[path = "support/rust_source.rs"]
mod rust_source;

/// The front end: files that parse flags, talk to the person and render.
const FRONT_END: [&str; 7] = [
    "main.rs",
    "lib.rs",
    "cli.rs",
    "cmd/",
    "complete.rs",
    "output.rs",
    // Prompts (dialoguer). The core takes an `Interaction` value (may it ask at all?) and
    // calls its `secret` for a passphrase; it never builds a prompt of its own.
    "ui.rs",
];

/// What a core file must not name: the front end's modules and terminal crates.
const UP: [&str; 9] = [
    "crate::cli",
    "crate::cmd",
    "crate::complete",
    "crate::output",
    "super::cmd",
    "super::cli",
    "indicatif",
    "dialoguer",
    "comfy_table",
];

fn is_front_end(rel: &str) -> bool {
    FRONT_END.iter().any(|f| {
        if f.ends_with('/') {
            rel.starts_with(f)
        } else {
            rel == *f
        }
    })
}

/// `(line, what)` of each reach upwards in one file's code.
fn reaches_up(code: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        // `crate :: cmd` is `crate::cmd`; other spaces stay, as word boundaries.
        let squeezed = line
            .split("::")
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("::");
        for up in UP {
            let hit = squeezed.match_indices(up).any(|(at, _)| {
                // A whole path segment: `crate::cmd` but not `crate::cmdline`.
                let next = squeezed[at + up.len()..].chars().next();
                let prev = squeezed[..at].chars().next_back();
                !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !prev.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if hit {
                found.push((n + 1, up));
            }
        }
    }
    found
}

#[test]
fn no_core_file_reaches_up_into_the_command_line() {
    let sources = rust_source::sources();
    let core: Vec<&(String, String)> = sources.iter().filter(|(r, _)| !is_front_end(r)).collect();
    assert!(
        core.len() > 60 && core.iter().any(|(r, _)| r == "creds/access.rs"),
        "the core's files were not all found: {:?}",
        core.iter().map(|(r, _)| r).collect::<Vec<_>>()
    );
    let mut bad = Vec::new();
    for (rel, code) in core {
        for (line, what) in reaches_up(code) {
            bad.push(format!("src/{rel}:{line}: {what}"));
        }
    }
    assert!(
        bad.is_empty(),
        "core files reach into the command-line layer (move what they need into the core):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_check_sees_each_way_of_reaching_up() {
    let code = "use crate::cmd::Ctx;\nuse crate::cmdline;\nfn f(x: &crate:: cli ::Global) {}\n\
                let bar = indicatif::ProgressBar::new(1);\nuse super::cmd::exec::Var;\n";
    assert_eq!(
        reaches_up(code),
        [
            (1, "crate::cmd"),
            (3, "crate::cli"),
            (4, "indicatif"),
            (5, "super::cmd")
        ]
    );
    // Comments and strings are not code.
    let code = rust_source::code_only("// crate::cmd\nlet s = \"crate::cli\";\n");
    assert!(reaches_up(&code).is_empty());
    assert!(is_front_end("cmd/bench/run.rs") && !is_front_end("creds/access.rs"));
}
