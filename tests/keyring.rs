//! The OS keyring as the master key's home: the real Secret Service where there is one, and
//! fast, clear failures where there is none or it hangs.

#[path = "support/common.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;

#[test]
fn without_dbus_add_fails_fast_with_guidance() {
    let home = Home::new();
    let started = Instant::now();
    let out = run_stdin(
        home.bare()
            .args(["add", "openai", "--no-validate", "--key-stdin"]),
        "sk-nodbus-aaaaaaaaaaaaaaaaaaaaa",
    );
    let took = started.elapsed();
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("omc init --backend file"), "{err}");
    assert!(err.contains("OMC_MASTER_KEY"), "{err}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(!home.db().exists(), "no store without a master key home");
}

#[test]
fn a_keyring_that_never_answers_is_given_up_on() {
    let home = Home::new();
    let socket = home.path().join("silent-bus");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    // Accept connections and never say a word.
    let _server = std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    let started = Instant::now();
    let out = run_stdin(
        home.bare()
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", socket.display()),
            )
            .env("OMC_KEYRING_TIMEOUT", "1s")
            .args(["add", "openai", "--no-validate", "--key-stdin"]),
        "sk-hung-aaaaaaaaaaaaaaaaaaaaaaa",
    );
    let took = started.elapsed();
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did not answer within"),
        "{}",
        stderr(&out)
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

/// Needs a running, unlocked Secret Service: `.ci/run` starts gnome-keyring under
/// dbus-run-session and runs this with `--ignored`.
#[test]
#[ignore = "needs an unlocked Secret Service (see .ci/run)"]
fn real_keyring_holds_the_master_key() {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("a D-Bus session");
    let home = Home::new();
    let kr = |args: &[&str]| {
        let mut cmd = home.bare();
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .env("OMC_KEYRING_TIMEOUT", "10s")
            .args(args);
        cmd
    };
    ok(&run(&mut kr(&["init", "--backend", "keyring"])));
    ok(&run_stdin(
        &mut kr(&["add", "openai", "--no-validate", "--key-stdin"]),
        "sk-keyring-aaaaaaaaaaaaaaaaaaaa",
    ));
    assert_eq!(
        ok(&run(&mut kr(&["key", "openai"]))),
        "sk-keyring-aaaaaaaaaaaaaaaaaaaa\n"
    );
    let status = ok(&run(&mut kr(&["master", "status", "--json"])));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["backend"], "keyring");
    assert_eq!(status["source"], "OS keyring");
    assert_eq!(status["unlocked"], true);
    ok(&run(&mut kr(&["doctor"])));

    // Rotation in the keyring, dying after the commit: the pending slot is promoted.
    let out = run(kr(&["master", "rotate"]).env("OMC_TEST_CRASH_AT", "rotate-after-commit"));
    assert_eq!(out.status.code(), None);
    assert_eq!(
        ok(&run(&mut kr(&["key", "openai"]))),
        "sk-keyring-aaaaaaaaaaaaaaaaaaaa\n"
    );
    ok(&run(&mut kr(&["master", "rotate"])));
    assert_eq!(
        ok(&run(&mut kr(&["key", "openai"]))),
        "sk-keyring-aaaaaaaaaaaaaaaaaaaa\n"
    );

    // A recipient forged in omc.db: `add` checks it against the keyring's identity (the pin
    // removed, so the keyring alone decides) and refuses; the next unlock puts it back.
    std::fs::remove_file(home.data().join("recipient.pin")).unwrap();
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'recipient'",
        [age::x25519::Identity::generate().to_public().to_string()],
    )
    .unwrap();
    drop(conn);
    let out = run_stdin(
        &mut kr(&[
            "add",
            "openai",
            "--name",
            "b",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-keyring-bbbbbbbbbbbbbbbbbbbb",
    );
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("OS keyring"), "{}", stderr(&out));
    let out = run(&mut kr(&["key", "openai"]));
    assert_eq!(ok(&out), "sk-keyring-aaaaaaaaaaaaaaaaaaaa\n");
    assert!(
        stderr(&out).contains("had been changed"),
        "{}",
        stderr(&out)
    );

    // A second store has its own entry, under its own id and with its own master key: making
    // it replaces nothing of the first one's, and each store opens with its own.
    let other = Home::new();
    let other_kr = |args: &[&str]| {
        let mut cmd = other.bare();
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .env("OMC_KEYRING_TIMEOUT", "10s")
            .args(args);
        cmd
    };
    ok(&run(&mut other_kr(&["init", "--backend", "keyring"])));
    ok(&run_stdin(
        &mut other_kr(&["add", "openai", "--no-validate", "--key-stdin"]),
        "sk-keyring-cccccccccccccccccccc",
    ));
    let status_of = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_str(&ok(out)).unwrap()
    };
    let first = status_of(&run(&mut kr(&["master", "status", "--json"])));
    let second = status_of(&run(&mut other_kr(&["master", "status", "--json"])));
    assert_ne!(first["store_id"], second["store_id"]);
    assert_ne!(first["recipient"], second["recipient"]);
    assert_eq!(
        ok(&run(&mut other_kr(&["key", "openai"]))),
        "sk-keyring-cccccccccccccccccccc\n"
    );
    assert_eq!(
        ok(&run(&mut kr(&["key", "openai"]))),
        "sk-keyring-aaaaaaaaaaaaaaaaaaaa\n"
    );
}

/// Needs a running Secret Service whose collection is locked: `.ci/run` starts gnome-keyring
/// without unlocking it and runs this with `--ignored locked_keyring`.
#[test]
#[ignore = "needs a locked Secret Service (see .ci/run)"]
fn locked_keyring_is_a_clear_error() {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("a D-Bus session");
    let home = Home::new();
    let started = Instant::now();
    let out = run_stdin(
        home.bare().env("DBUS_SESSION_BUS_ADDRESS", &bus).args([
            "add",
            "openai",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-locked-aaaaaaaaaaaaaaaaaaaa",
    );
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("locked"), "{err}");
    assert!(err.contains("omc init --backend file"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(!home.db().exists());
}
