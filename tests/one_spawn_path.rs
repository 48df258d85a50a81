//! One way to start a child process: `src/process.rs`, which keeps every child out of reach of
//! the master key `omc unlock` caches and strips `OMC_MASTER_KEY*` / `OMC_PASSPHRASE` from its
//! environment. Any other file under `src/` that builds a process `Command`, reaches rmcp's
//! `TokioChildProcess` or calls a no-argument `.spawn()` / `.output()` (a process start: a
//! thread's or a task's `spawn` takes the closure or future as its argument) fails this test.

#[path = "support/rust_source.rs"]
mod rust_source;

use std::path::Path;

use rust_source::{code_only, rust_files};

/// What starts a process outside `src/process.rs`, found in `code`: (line, what).
fn process_starts(code: &str) -> Vec<(usize, String)> {
    let squeezed = |l: &str| l.split_whitespace().collect::<String>();
    let mut found = Vec::new();
    // `use std::process::{Child, Command}` and a `Command` on the next lines of the braces.
    let flat: String = code.replace('\n', " ");
    let mut rest = squeezed(&flat);
    while let Some(at) = rest.find("process::{") {
        let tail = &rest[at + "process::{".len()..];
        let group = &tail[..tail.find('}').unwrap_or(tail.len())];
        if group
            .split(',')
            .any(|item| item == "Command" || item.starts_with("Commandas"))
        {
            found.push((0, format!("process::{{{group}}}")));
        }
        rest = tail.to_owned();
    }
    for (n, line) in code.lines().enumerate() {
        let l = squeezed(line);
        let mut bad = Vec::new();
        if l.contains("process::Command") {
            bad.push("a process::Command");
        }
        if let Some(at) = l.find("Command::new(") {
            // clap's Command is no process.
            if !l[..at].ends_with("clap::") {
                bad.push("Command::new(");
            }
        }
        if l.contains("TokioChildProcess") {
            bad.push("rmcp's TokioChildProcess");
        }
        if l.contains("CommandExt") {
            bad.push("CommandExt (exec, pre_exec)");
        }
        if l.contains(".spawn()") {
            bad.push(".spawn() with no argument");
        }
        if l.contains(".output()") {
            bad.push(".output() with no argument");
        }
        for b in bad {
            found.push((n + 1, format!("{b}: {}", line.trim())));
        }
    }
    found
}

#[test]
fn only_src_process_rs_starts_child_processes() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "src/ has too few files: {files:?}");
    let the_one = src.join("process.rs");
    assert!(files.contains(&the_one), "src/process.rs is missing");
    let mut offences = Vec::new();
    for f in &files {
        if *f == the_one {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (line, what) in process_starts(&code_only(&text)) {
            offences.push(format!(
                "{}:{line}: {what}",
                f.strip_prefix(&src).unwrap().display()
            ));
        }
    }
    assert!(
        offences.is_empty(),
        "child processes start only through src/process.rs (crate::process::Cmd / AsyncCmd), \
         which shields them from the unlocked master key:\n{}",
        offences.join("\n")
    );
    // And process.rs itself does start them (the scan looks for the right things).
    let own = process_starts(&code_only(&std::fs::read_to_string(&the_one).unwrap()));
    assert!(
        own.iter().any(|(_, w)| w.contains("Command::new("))
            && own.iter().any(|(_, w)| w.contains(".spawn()"))
            && own.iter().any(|(_, w)| w.contains("TokioChildProcess")),
        "{own:?}"
    );
}

#[test]
fn the_scan_sees_process_starts_and_not_threads_tasks_comments_or_strings() {
    let hits = |s: &str| {
        process_starts(&code_only(s))
            .into_iter()
            .map(|(_, w)| w)
            .collect::<Vec<_>>()
    };
    for bad in [
        "let c = std::process::Command::new(\"sh\");",
        "use std::process::{Child,\n    Command};",
        "use tokio::process::Command as Cmd;",
        "let mut c = Command::new(p);",
        "let (t, e) = rmcp::transport::TokioChildProcess::builder(c).spawn()?;",
        "let child = c\n    .spawn()\n    .unwrap();",
        "let o = c.output().unwrap();",
        "use std::os::unix::process::CommandExt;",
    ] {
        assert!(!hits(bad).is_empty(), "missed: {bad}");
    }
    for fine in [
        "tokio::spawn(async move { x.await });",
        "std::thread::spawn(move || work());",
        "let h = std::thread::Builder::new().name(n).spawn(f)?;",
        "set.spawn(fut);",
        "let cmd = clap::Command::new(\"omc\");",
        "// Command::new(\"sh\").spawn()",
        "/* c.output() */ let x = 1;",
        "let s = \"std::process::Command::new(x).spawn()\";",
        "let s = r#\"TokioChildProcess \"quoted\" .spawn()\"#;",
        "let q = '\"'; let l: &'a str = x; let c = '\\'';",
        "let child = crate::process::AsyncCmd::new(p).start()?;",
        "let st = response.status();",
    ] {
        assert!(
            hits(fine).is_empty(),
            "false alarm on {fine}: {:?}",
            hits(fine)
        );
    }
}
