//! The committed completions and man pages are what the binary prints; the command line is sound.
//! Regenerate after changing the CLI with `OMC_UPDATE_GENERATED=1 cargo test --test packaging`.

#[path = "support/common.rs"]
mod common;

use std::path::Path;
use std::process::Command;

use common::BIN;

const SHELLS: [(&str, &str); 5] = [
    ("bash", "omc.bash"),
    ("zsh", "_omc"),
    ("fish", "omc.fish"),
    ("powershell", "_omc.ps1"),
    ("elvish", "omc.elv"),
];

fn update() -> bool {
    std::env::var_os("OMC_UPDATE_GENERATED").is_some()
}

/// Neither command may touch the store or the keyring: run them with a home that cannot exist.
fn generator() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("OMC_HOME", "/nonexistent/omc-home")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    cmd
}

#[test]
fn committed_completions_match_the_binary() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in SHELLS {
        let out = generator().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let path = dir.join(file);
        if update() {
            std::fs::write(&path, &out.stdout).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "{} drifted from `omc completions {shell}`: run OMC_UPDATE_GENERATED=1 cargo test --test packaging",
            path.display()
        );
    }
}

#[test]
fn committed_man_pages_match_the_binary() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let tmp = tempfile::tempdir().unwrap();
    let out = generator()
        .args(["man", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut generated: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    generated.sort();
    assert!(generated.contains(&"omc.1".to_owned()));
    assert!(generated.contains(&"omc-add.1".to_owned()));
    assert!(generated.contains(&"omc-profile-rename.1".to_owned()));
    if update() {
        for old in std::fs::read_dir(&committed).unwrap() {
            std::fs::remove_file(old.unwrap().path()).unwrap();
        }
        for name in &generated {
            std::fs::copy(tmp.path().join(name), committed.join(name)).unwrap();
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    assert_eq!(
        on_disk, generated,
        "man/ drifted: run OMC_UPDATE_GENERATED=1 cargo test --test packaging"
    );
    for name in &generated {
        let a = std::fs::read(tmp.path().join(name)).unwrap();
        let b = std::fs::read(committed.join(name)).unwrap();
        assert!(
            a == b,
            "man/{name} drifted: run OMC_UPDATE_GENERATED=1 cargo test --test packaging"
        );
    }
    // `omc man` without --out prints the top page.
    let out = generator().arg("man").output().unwrap();
    assert_eq!(out.stdout, std::fs::read(committed.join("omc.1")).unwrap());
    // Every page a SEE ALSO or SUBCOMMANDS entry points to exists.
    for name in &generated {
        let text =
            String::from_utf8_lossy(&std::fs::read(tmp.path().join(name)).unwrap()).into_owned();
        for line in text.lines() {
            if let Some(page) = line.strip_suffix("(1)").filter(|l| l.starts_with("omc")) {
                let file = format!("{}.1", page.replace("\\-", "-"));
                assert!(generated.contains(&file), "{name} points to {file}");
            }
        }
    }
}

#[test]
fn the_command_line_definition_is_sound() {
    use clap::CommandFactory;
    omc::cli::Cli::command().debug_assert();
}

#[test]
fn help_and_version_succeed_and_bad_flags_exit_2() {
    let out = generator().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: omc"));
    let out = generator().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("omc "));
    let out = generator().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("omc: error: "), "{err}");
    let out = generator()
        .args(["list", "--color", "sometimes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
