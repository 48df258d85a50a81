//! The master key in the real OS keyring of the machine the tests run on: the login Keychain on
//! macOS, Credential Manager on Windows, Secret Service on Linux. GitHub Actions runs this on all
//! three (`.github/workflows/ci.yml`); on Linux `.ci/run` covers the same ground with
//! gnome-keyring (tests/keyring.rs). Written without Unix-only helpers so it builds on Windows.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_omc");

/// `omc` with the runner's own environment (the keyring needs the user's session), a private
/// data dir, and no master key source but the keyring.
fn omc(home: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("OMC_HOME", home)
        .env("OMC_KEYRING_TIMEOUT", "20s")
        .env_remove("OMC_MASTER_KEY")
        .env_remove("OMC_MASTER_KEY_FILE")
        .env_remove("OMC_PASSPHRASE")
        .env_remove("OMC_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("omc starts");
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "omc {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
#[ignore = "needs a usable OS keyring (run by GitHub Actions on macOS and Windows)"]
fn os_keyring_holds_the_master_key_across_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("omc");
    let key = "sk-os-keyring-0123456789abcdefXYZ";

    omc(&home, &["init", "--backend", "keyring"], None);
    omc(
        &home,
        &["add", "openai", "--no-validate", "--key-stdin"],
        Some(key),
    );
    assert_eq!(
        stdout(&omc(&home, &["key", "openai"], None)).trim_end(),
        key
    );

    let status = stdout(&omc(&home, &["master", "status", "--json"], None));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["backend"], "keyring");
    assert_eq!(status["unlocked"], true);

    omc(&home, &["master", "rotate"], None);
    assert_eq!(
        stdout(&omc(&home, &["key", "openai"], None)).trim_end(),
        key
    );
}
