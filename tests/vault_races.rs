//! Races against `omc master rotate` (issue #9): a write that lands while a rotation runs, two
//! rotations at once, a read that straddles one. Each loops a bounded number of times with the
//! window held open (a slow live check from the fake provider, the database's write lock held by
//! this test process, a paused reader) and checks that every key stored still opens.

#[path = "support/common.rs"]
mod common;
mod support;

use std::collections::BTreeMap;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use support::fake_provider::{Behaviour, Family, Reply};
use support::server::Fake;

const PASS: &str = "race passphrase";

/// A `file` store (master.age) whose scrypt work factor is cheap enough to rotate in a loop
/// (a debug-build-only hook).
fn file_cmd(home: &Home) -> Command {
    let mut cmd = home.bare();
    cmd.env("OMC_PASSPHRASE", PASS)
        .env("OMC_TEST_SCRYPT_LOG_N", "10");
    cmd
}

fn file_home() -> Home {
    let home = Home::new();
    ok(&run(file_cmd(&home).args(["init", "--backend", "file"])));
    home
}

fn spawn_stdin(cmd: &mut Command, input: &str) -> Child {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The database's write lock, held by this process (as another omc, a backup tool or a sync
/// client would) until dropped.
struct WriteLock(rusqlite::Connection);

impl WriteLock {
    fn take(home: &Home) -> WriteLock {
        let conn = rusqlite::Connection::open(home.db()).unwrap();
        conn.busy_timeout(Duration::from_secs(30)).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        WriteLock(conn)
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("COMMIT");
    }
}

/// A write that did not store its key must say so, cleanly; one that did must be readable.
#[track_caller]
fn refused_cleanly(out: &Output) {
    let err = stderr(out);
    assert!(
        matches!(code(out), 1 | 4) && err.contains("nothing was stored"),
        "exit {:?}: {err}",
        out.status.code()
    );
}

/// Every stored key opens with the store's master key, and `doctor --deep` agrees.
#[track_caller]
fn all_open(home: &Home, cmd: impl Fn() -> Command, expected: &BTreeMap<String, String>) {
    for (name, key) in expected {
        let out = run(cmd().args(["key", name]));
        assert_eq!(
            stdout(&out).trim(),
            key,
            "{name} no longer opens: {}",
            stderr(&out)
        );
    }
    ok(&run(cmd().args(["doctor", "--deep"])));
    let _ = home;
}

fn pending_files(home: &Home) -> Vec<String> {
    std::fs::read_dir(home.data())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("master.age.pending"))
        .collect()
}

/// Finding 1: a key added (or rotated) with a slow live check while `master rotate` ran was
/// sealed to the recipient read when the store was opened, and lost once the rotation committed.
#[test]
fn add_or_rotate_during_master_rotate_loses_nothing() {
    let started = Instant::now();
    let fake = Fake::start_any(Family::OpenAi);
    fake.server().set_default(Behaviour::Reply(
        Reply::text(&["ok"]).delays(Duration::from_millis(400), Duration::ZERO),
    ));
    let base = fake.server().base_url();
    let home = file_home();
    let mut expected = BTreeMap::new();
    let seed = "sk-race-seed-aaaaaaaaaaaaaaaaaa".to_owned();
    ok(&run_stdin(
        file_cmd(&home).args([
            "add",
            "openai",
            "--name",
            "seed",
            "--base-url",
            &base,
            "--no-validate",
            "--key-stdin",
        ]),
        &seed,
    ));
    expected.insert("seed".to_owned(), seed);

    let (mut stored, mut refused) = (0, 0);
    for i in 0..16 {
        let key = format!("sk-race-{i}-bbbbbbbbbbbbbbbbbbbbbb");
        let (name, writer) = if i % 2 == 0 {
            let name = format!("k{i}");
            let child = spawn_stdin(
                file_cmd(&home).args([
                    "add",
                    "openai",
                    "--name",
                    &name,
                    "--base-url",
                    &base,
                    "--key-stdin",
                ]),
                &key,
            );
            (name, child)
        } else {
            let child = spawn_stdin(
                file_cmd(&home).args(["rotate", "seed", "--key-stdin"]),
                &key,
            );
            ("seed".to_owned(), child)
        };
        // Start the rotation at different points of the writer's 400 ms live check.
        std::thread::sleep(Duration::from_millis(50 + (i as u64 * 53) % 300));
        ok(&run(file_cmd(&home).args(["master", "rotate"])));
        let out = writer.wait_with_output().unwrap();
        if out.status.success() {
            stored += 1;
            expected.insert(name, key);
        } else {
            refused += 1;
            refused_cleanly(&out);
        }
        all_open(&home, || file_cmd(&home), &expected);
        assert!(
            pending_files(&home).is_empty(),
            "{:?}",
            pending_files(&home)
        );
    }
    eprintln!(
        "{stored} writes stored, {refused} refused, in {:?}",
        started.elapsed()
    );
    assert!(
        stored > 0,
        "every write was refused: the race was never redone"
    );
}

/// Finding 1, the other half: `master rotate` read the rows it re-encrypts before it had the
/// write lock, so a row added while it waited stayed sealed to the old recipient.
#[test]
fn master_rotate_waiting_for_the_write_lock_reencrypts_rows_added_meanwhile() {
    let started = Instant::now();
    let home = file_home();
    let mut expected = BTreeMap::new();
    ok(&run_stdin(
        file_cmd(&home).args([
            "add",
            "openai",
            "--name",
            "seed",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-lock-seed-aaaaaaaaaaaaaaaaaa",
    ));
    expected.insert(
        "seed".to_owned(),
        "sk-lock-seed-aaaaaaaaaaaaaaaaaa".to_owned(),
    );
    for i in 0..10 {
        let lock = WriteLock::take(&home);
        let rotation = spawn(file_cmd(&home).args(["master", "rotate"]));
        std::thread::sleep(Duration::from_millis(300));
        let name = format!("k{i}");
        let key = format!("sk-lock-{i}-cccccccccccccccccccccc");
        let add = spawn_stdin(
            file_cmd(&home).args([
                "add",
                "openai",
                "--name",
                &name,
                "--no-validate",
                "--key-stdin",
            ]),
            &key,
        );
        std::thread::sleep(Duration::from_millis(300));
        drop(lock);
        ok(&rotation.wait_with_output().unwrap());
        let out = add.wait_with_output().unwrap();
        if out.status.success() {
            expected.insert(name, key);
        } else {
            refused_cleanly(&out);
        }
        all_open(&home, || file_cmd(&home), &expected);
    }
    eprintln!("done in {:?}", started.elapsed());
}

/// Finding 2: two rotations of a `file` store at once deleted and promoted each other's pending
/// master.age, leaving a database that expects a key no file holds. Now the second is refused
/// at once while the first holds the rotation lock (even for seconds, waiting on the database).
#[test]
fn two_master_rotations_at_once_leave_a_store_that_opens() {
    let started = Instant::now();
    let home = file_home();
    let mut expected = BTreeMap::new();
    for i in 0..3 {
        let key = format!("sk-two-{i}-dddddddddddddddddddddd");
        ok(&run_stdin(
            file_cmd(&home).args([
                "add",
                "openai",
                "--name",
                &format!("c{i}"),
                "--no-validate",
                "--key-stdin",
            ]),
            &key,
        ));
        expected.insert(format!("c{i}"), key);
    }
    for _ in 0..5 {
        let lock = WriteLock::take(&home);
        let first = spawn(file_cmd(&home).args(["master", "rotate"]));
        std::thread::sleep(Duration::from_millis(400));
        let t = Instant::now();
        let second = run(file_cmd(&home).args(["master", "rotate"]));
        assert_eq!(code(&second), 1, "{}", stderr(&second));
        assert!(
            stderr(&second).contains("another rotation is in progress"),
            "{}",
            stderr(&second)
        );
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the second rotation should fail at once, not wait"
        );
        // It left the first one's pending key alone.
        assert_eq!(pending_files(&home).len(), 1, "{:?}", pending_files(&home));
        std::thread::sleep(Duration::from_millis(600));
        drop(lock);
        ok(&first.wait_with_output().unwrap());
        assert!(
            pending_files(&home).is_empty(),
            "{:?}",
            pending_files(&home)
        );
        all_open(&home, || file_cmd(&home), &expected);
    }
    // Without a held lock: started together, each either runs or is refused cleanly.
    for _ in 0..5 {
        let a = spawn(file_cmd(&home).args(["master", "rotate"]));
        let b = spawn(file_cmd(&home).args(["master", "rotate"]));
        for out in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
            if !out.status.success() {
                assert!(
                    stderr(&out).contains("another rotation is in progress"),
                    "{}",
                    stderr(&out)
                );
            }
        }
        all_open(&home, || file_cmd(&home), &expected);
    }
    eprintln!("done in {:?}", started.elapsed());
}

/// Finding 9: `key` read the recipient when it opened the store and the row later; a rotation
/// in between made it fail with exit 1 (a ciphertext that does not open) instead of exit 4 (the
/// key in the environment is no longer the store's).
#[test]
fn a_read_across_a_rotation_sees_one_snapshot() {
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-snapshot-aaaaaaaaaaaaaaaaaa"));
    let mut current = home.master_key.clone();
    for i in 0..3 {
        let reader = spawn(
            home.bare()
                .env("OMC_MASTER_KEY", &current)
                .env("OMC_TEST_PAUSE_AT", "key-after-open:600")
                .args(["key", "a"]),
        );
        std::thread::sleep(Duration::from_millis(150));
        let new_file = home.path().join(format!("new-{i}.key"));
        ok(&run(home
            .bare()
            .env("OMC_MASTER_KEY", &current)
            .args(["master", "rotate", "--new-key-file"])
            .arg(&new_file)));
        let out = reader.wait_with_output().unwrap();
        assert_eq!(code(&out), 4, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("not this store's"),
            "{}",
            stderr(&out)
        );
        current = std::fs::read_to_string(&new_file)
            .unwrap()
            .trim()
            .to_owned();
        assert_eq!(
            ok(&run(home
                .bare()
                .env("OMC_MASTER_KEY", &current)
                .args(["key", "a"]))),
            "sk-snapshot-aaaaaaaaaaaaaaaaaa\n"
        );
    }
}

/// Finding 9, second half: a rotation that fails leaves no `--new-key-file` holding a key that
/// opens nothing.
#[test]
fn a_failed_rotation_leaves_no_new_key_file() {
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-failrot-aaaaaaaaaaaaaaaaaaa"));
    ok(&home.add("openai", "b", "sk-failrot-bbbbbbbbbbbbbbbbbbb"));
    // b's ciphertext copied onto a: a no longer opens, so the rotation must fail.
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    conn.execute(
        "UPDATE credentials SET ciphertext = (SELECT ciphertext FROM credentials WHERE name = 'b')
         WHERE name = 'a'",
        [],
    )
    .unwrap();
    drop(conn);
    let new_file = home.path().join("new.key");
    let out = run(home
        .cmd()
        .args(["master", "rotate", "--new-key-file"])
        .arg(&new_file));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("'a'"), "{}", stderr(&out));
    assert!(
        !new_file.exists(),
        "a failed rotation left {} behind",
        new_file.display()
    );
    // Nothing changed: the old key still opens b.
    assert_eq!(
        ok(&run(home.cmd().args(["key", "b"]))),
        "sk-failrot-bbbbbbbbbbbbbbbbbbb\n"
    );
}
