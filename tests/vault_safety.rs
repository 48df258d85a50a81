//! What must never happen to a key: plaintext at rest or in output, a swapped ciphertext
//! accepted, a wrong master key creating damage, a crash or a race losing data.

#[path = "support/common.rs"]
mod common;

use std::path::Path;

use common::*;

const CANARY: &str = "sk-CANARY-7f3a9c1e5b2d4f6a8c0e1d3b";

/// Every file under `dir`, read whole.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[track_caller]
fn assert_no_canary_in_files(home: &Home) {
    for (name, bytes) in files_under(home.path()) {
        assert!(!contains(&bytes, CANARY), "canary found in {name}");
        // Not even a large piece of it.
        assert!(
            !contains(&bytes, &CANARY[3..20]),
            "canary fragment in {name}"
        );
    }
}

#[test]
fn canary_key_is_absent_from_disk_and_output() {
    let home = Home::new();
    let trace = |cmd: &mut std::process::Command| {
        cmd.env("OMC_LOG", "trace");
    };
    let mut add = home.cmd();
    trace(&mut add);
    let out = run_stdin(
        add.args([
            "add",
            "openai",
            "--name",
            "canary",
            "--no-validate",
            "--key-stdin",
            "-vvv",
        ]),
        CANARY,
    );
    ok(&out);
    let mut outputs = vec![out];
    // Keep a connection open so the WAL stays on disk to be searched.
    let held = rusqlite::Connection::open(home.db()).unwrap();
    held.execute_batch("SELECT count(*) FROM credentials")
        .unwrap();
    ok(&home.add("anthropic", "other", "sk-ant-canary-neighbour-aaaaaaaaa"));

    let commands: &[&[&str]] = &[
        &["list"],
        &["list", "--json"],
        &["list", "--all-profiles", "--include-deleted"],
        &["default", "canary"],
        &["audit"],
        &["audit", "--json"],
        &["master", "status"],
        &["master", "status", "--json"],
        &["doctor"],
        &["profile", "list"],
        &["rotate", "canary", "--no-validate", "--key-env", "NOPE"],
        &[
            "add",
            "openai",
            "--name",
            "again",
            "--no-validate",
            "--key-env",
            "CANARY_VAR",
        ],
    ];
    for args in commands {
        let mut cmd = home.cmd();
        trace(&mut cmd);
        outputs.push(run(cmd.args(*args).env("CANARY_VAR", CANARY)));
    }
    // Commands whose job is to hand the key out: their stderr still must not carry it.
    for args in [&["key", "canary"][..], &["env"], &["exec", "--", "true"]] {
        let mut cmd = home.cmd();
        trace(&mut cmd);
        let out = run(cmd.args(args));
        ok(&out);
        assert!(
            !contains(&out.stderr, CANARY),
            "{args:?} stderr: {}",
            stderr(&out)
        );
    }
    for out in &outputs {
        assert!(!contains(&out.stdout, CANARY), "stdout: {}", stdout(out));
        assert!(!contains(&out.stderr, CANARY), "stderr: {}", stderr(out));
    }
    // The duplicate add was refused by fingerprint, without showing the key.
    assert!(stderr(outputs.last().unwrap()).contains("already stored"));

    assert_no_canary_in_files(&home);
    let wal = home.data().join("omc.db-wal");
    assert!(
        wal.exists(),
        "the WAL should be on disk while a connection is open"
    );

    let mut del = home.cmd();
    trace(&mut del);
    let out = run(del.args(["delete", "canary", "--yes"]));
    ok(&out);
    assert!(!contains(&out.stderr, CANARY));
    drop(held);
    assert_no_canary_in_files(&home);
    // The tombstone has no ciphertext left.
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let ct: Option<Vec<u8>> = conn
        .query_row(
            "SELECT ciphertext FROM credentials WHERE name = 'canary'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(ct.is_none());
}

#[test]
fn swapped_ciphertexts_are_detected() {
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-swap-aaaaaaaaaaaaaaaaaaaaaa"));
    ok(&home.add("openai", "b", "sk-swap-bbbbbbbbbbbbbbbbbbbbbb"));
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let get = |name: &str| -> Vec<u8> {
        conn.query_row(
            "SELECT ciphertext FROM credentials WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (a, b) = (get("a"), get("b"));
    conn.execute(
        "UPDATE credentials SET ciphertext = ?1 WHERE name = 'a'",
        [&b],
    )
    .unwrap();
    conn.execute(
        "UPDATE credentials SET ciphertext = ?1 WHERE name = 'b'",
        [&a],
    )
    .unwrap();
    drop(conn);
    for name in ["a", "b"] {
        let out = run(home.cmd().args(["key", name]));
        assert_eq!(code(&out), 1);
        assert!(
            stderr(&out).contains("belongs to another credential"),
            "{}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_wrong_master_key_exits_4_and_changes_nothing() {
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-wrongkey-aaaaaaaaaaaaaaaaaa"));
    let before = std::fs::read(home.db()).unwrap();
    let list_before = ok(&run(home.cmd().args(["list", "--json"])));
    let wrong = generate_identity();
    for args in [
        &["key", "a"][..],
        &["env"],
        &["master", "status"],
        &["exec", "--", "true"],
    ] {
        let out = run(home.cmd().env("OMC_MASTER_KEY", &wrong).args(args));
        assert_eq!(code(&out), 4, "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not this store's"),
            "{}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains(&wrong[15..]),
            "the key must not be echoed"
        );
    }
    let out = run_stdin(
        home.cmd().env("OMC_MASTER_KEY", &wrong).args([
            "add",
            "openai",
            "--name",
            "b",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-wrongkey-bbbbbbbbbbbbbbbbbb",
    );
    assert_eq!(code(&out), 4);
    // Garbage is refused the same way, without being echoed.
    let out = run(home
        .cmd()
        .env("OMC_MASTER_KEY", "AGE-SECRET-KEY-1GARBAGEXYZ")
        .args(["key", "a"]));
    assert_eq!(code(&out), 4);
    assert!(!stderr(&out).contains("GARBAGEXYZ"));
    assert_eq!(
        std::fs::read(home.db()).unwrap(),
        before,
        "store bytes changed"
    );
    assert_eq!(ok(&run(home.cmd().args(["list", "--json"]))), list_before);
}

#[test]
fn the_master_key_also_comes_from_a_file() {
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-keyfile-aaaaaaaaaaaaaaaaaaa"));
    let file = home.path().join("master.key");
    std::fs::write(
        &file,
        format!("# created by age-keygen\n{}\n", home.master_key),
    )
    .unwrap();
    let out = ok(&run(home
        .bare()
        .env("OMC_MASTER_KEY_FILE", &file)
        .args(["key", "a"])));
    assert_eq!(out, "sk-keyfile-aaaaaaaaaaaaaaaaaaa\n");
    let status = ok(&run(home
        .bare()
        .env("OMC_MASTER_KEY_FILE", &file)
        .args(["master", "status", "--json"])));
    assert!(status.contains("OMC_MASTER_KEY_FILE"), "{status}");
}

fn keys_of(home: &Home, names: &[String], key: &str) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            ok(&run(home
                .bare()
                .env("OMC_MASTER_KEY", key)
                .args(["key", n])))
        })
        .collect()
}

#[test]
fn master_rotation_loses_nothing_whenever_it_dies() {
    let home = Home::new();
    let names: Vec<String> = (0..5).map(|i| format!("c{i}")).collect();
    for (i, n) in names.iter().enumerate() {
        ok(&home.add("openai", n, &format!("sk-rotation-{i}-aaaaaaaaaaaaaaaaaa")));
    }
    let expected = keys_of(&home, &names, &home.master_key);
    let new_file = home.path().join("new.key");

    for point in ["rotate-after-stash", "rotate-mid-reencrypt"] {
        let out = run(home
            .cmd()
            .env("OMC_TEST_CRASH_AT", point)
            .args(["master", "rotate", "--new-key-file"])
            .arg(&new_file));
        assert_eq!(
            out.status.code(),
            None,
            "{point}: the process should have died"
        );
        // Died before the commit: the old key still opens everything.
        assert_eq!(
            keys_of(&home, &names, &home.master_key),
            expected,
            "{point}"
        );
        std::fs::remove_file(&new_file).unwrap();
    }

    let out = run(home
        .cmd()
        .env("OMC_TEST_CRASH_AT", "rotate-after-commit")
        .args(["master", "rotate", "--new-key-file"])
        .arg(&new_file));
    assert_eq!(out.status.code(), None);
    // Died after the commit: the new key (already written) opens everything.
    let new_key = std::fs::read_to_string(&new_file)
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(mode(&new_file), 0o600);
    assert_eq!(keys_of(&home, &names, &new_key), expected);
    let old = run(home.cmd().args(["key", "c0"]));
    assert_eq!(code(&old), 4);

    // A rotation that completes, then the next key.
    let next_file = home.path().join("next.key");
    ok(&run(home
        .bare()
        .env("OMC_MASTER_KEY", &new_key)
        .args(["master", "rotate", "--new-key-file"])
        .arg(&next_file)));
    let next_key = std::fs::read_to_string(&next_file)
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(keys_of(&home, &names, &next_key), expected);
    // Store-wide events show in every profile's audit log: the two committed rotations.
    let audit = ok(&run(home
        .bare()
        .env("OMC_MASTER_KEY", &next_key)
        .args(["audit", "--json"])));
    let audit: serde_json::Value = serde_json::from_str(&audit).unwrap();
    let rotations: Vec<&serde_json::Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "master-rotate")
        .collect();
    assert_eq!(rotations.len(), 2, "{audit:#}");
    assert_eq!(rotations[0]["detail"], "5 credentials");
}

#[test]
fn passphrase_file_backend_round_trips_and_recovers_a_rotation() {
    let home = Home::new();
    let pass = |cmd: &mut std::process::Command, p: &str| {
        cmd.env("OMC_PASSPHRASE", p);
    };
    let mut init = home.bare();
    pass(&mut init, "correct horse");
    ok(&run(init.args(["init", "--backend", "file"])));
    let master_age = home.data().join("master.age");
    assert_eq!(mode(&master_age), 0o600);

    let mut add = home.bare();
    pass(&mut add, "correct horse");
    // Adding needs only the public recipient: no passphrase required.
    ok(&run_stdin(
        home.bare()
            .args(["add", "openai", "--no-validate", "--key-stdin"]),
        "sk-passfile-aaaaaaaaaaaaaaaaaa",
    ));

    let mut key = home.bare();
    pass(&mut key, "correct horse");
    assert_eq!(
        ok(&run(key.args(["key", "openai"]))),
        "sk-passfile-aaaaaaaaaaaaaaaaaa\n"
    );

    let mut wrong = home.bare();
    pass(&mut wrong, "wrong horse");
    let out = run(wrong.args(["key", "openai"]));
    assert_eq!(code(&out), 4);
    assert!(
        stderr(&out).contains("wrong passphrase"),
        "{}",
        stderr(&out)
    );

    let out = run(home.bare().args(["key", "openai"]));
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("OMC_PASSPHRASE"), "{}", stderr(&out));

    // Rotation dies after the commit: the pending master.age is found and promoted.
    let mut rot = home.bare();
    pass(&mut rot, "correct horse");
    let out = run(rot
        .env("OMC_TEST_CRASH_AT", "rotate-after-commit")
        .args(["master", "rotate"]));
    assert_eq!(out.status.code(), None);
    let mut key = home.bare();
    pass(&mut key, "correct horse");
    assert_eq!(
        ok(&run(key.args(["key", "openai"]))),
        "sk-passfile-aaaaaaaaaaaaaaaaaa\n"
    );
    let pending: Vec<_> = std::fs::read_dir(home.data())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("master.age.pending"))
        .collect();
    assert!(pending.is_empty(), "{pending:?}");
    assert_eq!(mode(&master_age), 0o600);
}

#[test]
fn master_age_opens_with_the_age_tool() {
    if std::process::Command::new("age")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("OMC_TEST_REQUIRE_AGE").is_none(),
            "age is required here"
        );
        eprintln!("skipped: the `age` command is not installed");
        return;
    }
    let home = Home::new();
    ok(&run(home
        .bare()
        .env("OMC_PASSPHRASE", "pw for age")
        .args(["init", "--backend", "file"])));
    let status = ok(&run(home
        .bare()
        .env("OMC_PASSPHRASE", "pw for age")
        .args(["master", "status", "--json"])));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    // age reads passphrases from the terminal only: give it one with script(1).
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf 'pw for age\\n' | script -qec 'age -d {}' /dev/null",
            home.data().join("master.age").display()
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let identity = text
        .split_whitespace()
        .find_map(|w| w.find("AGE-SECRET-KEY-1").map(|i| &w[i..]))
        .expect("age printed the identity");
    let identity: age::x25519::Identity = identity.trim().parse().unwrap();
    assert_eq!(
        identity.to_public().to_string(),
        status["recipient"].as_str().unwrap()
    );
}

#[test]
fn eight_concurrent_writers_lose_nothing() {
    let home = Home::new();
    ok(&home.add("openai", "first", "sk-concurrency-first-aaaaaaaaaa"));
    let handles: Vec<_> = (0..8)
        .map(|w| {
            let cmd_env: Vec<_> = home
                .cmd()
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned())))
                .collect();
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for i in 0..50 {
                    let mut cmd = std::process::Command::new(BIN);
                    cmd.env_clear().envs(cmd_env.iter().cloned());
                    let name = format!("w{w}-{i}");
                    let out = run_stdin(
                        cmd.args([
                            "add",
                            "openai",
                            "--name",
                            &name,
                            "--no-validate",
                            "--key-stdin",
                        ]),
                        &format!("sk-concurrency-{w}-{i}-bbbbbbbbbbbbbbbb"),
                    );
                    if !out.status.success() {
                        failures.push(stderr(&out));
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    let list = ok(&run(home.cmd().args(["list", "--json"])));
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 401);
}

#[test]
fn files_are_private_whatever_the_umask() {
    let home = Home::new();
    let with_umask = |args: &str| {
        let mut cmd = std::process::Command::new("sh");
        cmd.env_clear()
            .envs(home.cmd().get_envs().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))))
            .arg("-c")
            .arg(format!("umask 000; echo sk-umask-aaaaaaaaaaaaaaaaaaaaaa{args} | {BIN} add openai --name n{args} --no-validate --key-stdin"));
        ok(&cmd.output().unwrap());
    };
    with_umask("1");
    assert_eq!(mode(&home.data()), 0o700);
    assert_eq!(mode(&home.db()), 0o600);
    // With a connection held open, the WAL and shared-memory files exist: check them too.
    let held = rusqlite::Connection::open(home.db()).unwrap();
    held.execute_batch("SELECT 1 FROM meta").unwrap();
    with_umask("2");
    for suffix in ["-wal", "-shm"] {
        let p = home.data().join(format!("omc.db{suffix}"));
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    drop(held);
}

#[test]
fn a_store_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-modes-aaaaaaaaaaaaaaaaaaaaa"));
    std::fs::set_permissions(home.db(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(home.cmd().arg("list"));
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("readable by group or others"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
    std::fs::set_permissions(home.db(), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(home.data(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(home.cmd().args(["key", "a"]));
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("chmod 700"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn a_corrupt_database_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-corrupt-aaaaaaaaaaaaaaaaaaa"));
    std::fs::write(
        home.db(),
        b"this is not a database, just garbage bytes........",
    )
    .unwrap();
    std::fs::set_permissions(home.db(), std::fs::Permissions::from_mode(0o600)).unwrap();
    // The WAL stays between commands and holds the newest pages; a garbage omc.db with a
    // WAL beside it is read through the WAL. Corrupt the store as a whole.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", home.db().display()));
    }
    for args in [&["list"][..], &["key", "a"], &["doctor"]] {
        let out = run(home.cmd().args(args));
        assert_eq!(code(&out), 1, "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("omc: error: "), "{err}");
        let said = format!("{}{err}", stdout(&out));
        assert!(said.contains("not a database"), "{said}");
    }
    let out = run(home.cmd().arg("list"));
    assert!(stderr(&out).contains("hint: "), "{}", stderr(&out));
}

/// A slice from the middle of `name`'s ciphertext, to look for in the store's files.
fn ciphertext_piece(home: &Home, name: &str) -> Vec<u8> {
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let ct: Vec<u8> = conn
        .query_row(
            "SELECT ciphertext FROM credentials WHERE name = ?1 AND deleted_at IS NULL",
            [name],
            |r| r.get(0),
        )
        .unwrap();
    ct[ct.len() / 2 - 24..ct.len() / 2 + 24].to_vec()
}

fn in_store_files(home: &Home, piece: &[u8]) -> Vec<String> {
    files_under(&home.data())
        .into_iter()
        .filter(|(_, bytes)| contains_bytes(bytes, piece))
        .map(|(name, _)| name)
        .collect()
}

fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A reader in another process holds a snapshot from before the delete.
fn hold_a_read_transaction(home: &Home) -> rusqlite::Connection {
    let reader = rusqlite::Connection::open(home.db()).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM credentials", [], |r| r.get(0))
        .unwrap();
    reader
}

#[test]
fn a_delete_under_a_reader_says_so_and_the_next_write_wipes_it() {
    let home = Home::new();
    ok(&home.add("openai", "victim", CANARY));
    ok(&home.add("anthropic", "other", "sk-ant-other-key-0000000000"));
    let piece = ciphertext_piece(&home, "victim");
    let reader = hold_a_read_transaction(&home);

    let out = run(home.cmd().args(["delete", "victim", "--yes"]));
    ok(&out);
    let err = stderr(&out);
    assert!(
        err.contains("another process is reading the store")
            && err.contains("next omc command that writes"),
        "{err}"
    );
    drop(reader);
    // The next write, whatever it is, finishes the wipe.
    ok(&run(home.cmd().args(["default", "other"])));
    let left = in_store_files(&home, &piece);
    assert!(
        left.is_empty(),
        "the deleted ciphertext is still in {left:?}"
    );
    // And says nothing more about it.
    let out = run(home.cmd().args(["default", "other"]));
    ok(&out);
    assert!(
        !stderr(&out).contains("reading the store"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_rotation_under_a_reader_is_wiped_by_doctor_once_the_reader_ends() {
    let home = Home::new();
    ok(&home.add("openai", "victim", CANARY));
    let piece = ciphertext_piece(&home, "victim");
    let reader = hold_a_read_transaction(&home);
    let out = run_stdin(
        home.cmd()
            .args(["rotate", "victim", "--no-validate", "--key-stdin"]),
        "sk-rotated-key-1111111111111111",
    );
    ok(&out);
    assert!(
        stderr(&out).contains("another process is reading the store"),
        "{}",
        stderr(&out)
    );
    drop(reader);
    let out = run(home.cmd().arg("doctor"));
    assert!(stdout(&out).contains("wiped the pages"), "{}", stdout(&out));
    let left = in_store_files(&home, &piece);
    assert!(left.is_empty(), "the old ciphertext is still in {left:?}");
}

#[test]
fn a_delete_without_readers_wipes_at_once_and_says_nothing() {
    let home = Home::new();
    ok(&home.add("openai", "victim", CANARY));
    let piece = ciphertext_piece(&home, "victim");
    let out = run(home.cmd().args(["delete", "victim", "--yes"]));
    ok(&out);
    assert!(
        !stderr(&out).contains("reading the store"),
        "{}",
        stderr(&out)
    );
    let left = in_store_files(&home, &piece);
    assert!(
        left.is_empty(),
        "the deleted ciphertext is still in {left:?}"
    );
}
