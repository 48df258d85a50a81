//! `omc unlock` / `omc lock` on a `file` store, against the real kernel keyring (Linux).
//!
//! Every test has its own store, so its own key description (`omc:master:STORE_ID`) in the
//! session keyring the test processes share.
#![cfg(target_os = "linux")]

#[path = "support/common.rs"]
mod common;

use std::io::Read;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use secrecy::SecretString;

const PASS: &str = "unlock-test-passphrase";
const KEY: &str = "sk-unlock-CANARY-0123456789";

struct FileStore {
    home: Home,
    store_id: String,
}

impl FileStore {
    /// A `file` store holding one credential, or `None` when this machine's kernel keyring is
    /// not usable (then `omc unlock`'s error path is checked instead).
    fn new() -> Option<FileStore> {
        let home = Home::new();
        ok(&run(home.with_pass().args(["init", "--backend", "file"])));
        let o = run_stdin(
            home.with_pass()
                .args(["add", "openai", "--no-validate", "--key-stdin"]),
            KEY,
        );
        ok(&o);
        let status = ok(&run(home.with_pass().args(["master", "status", "--json"])));
        let v: serde_json::Value = serde_json::from_str(&status).unwrap();
        let store = FileStore {
            store_id: v["store_id"].as_str().unwrap().to_owned(),
            home,
        };
        let probe = run(store.home.with_pass().args(["unlock", "--for", "60s"]));
        if !probe.status.success() {
            let err = stderr(&probe);
            assert!(err.contains("kernel keyring is not usable"), "{err}");
            assert_eq!(code(&probe), 4, "{err}");
            require(false, &format!("the kernel keyring ({err})"), None);
            return None;
        }
        ok(&run(store.home.bare().arg("lock")));
        Some(store)
    }

    /// The key description in /proc/keys.
    fn description(&self) -> String {
        format!("omc:master:{}", self.store_id)
    }

    /// The master identity, read from master.age the way `age -d` would.
    fn identity(&self) -> String {
        let bytes = std::fs::read(self.home.data().join("master.age")).unwrap();
        let dec = age::Decryptor::new_buffered(&bytes[..]).unwrap();
        let id = age::scrypt::Identity::new(SecretString::from(PASS.to_owned()));
        let mut r = dec
            .decrypt(std::iter::once(&id as &dyn age::Identity))
            .unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        s.trim().to_owned()
    }

    fn key(&self) -> std::process::Output {
        run(self.home.bare().args(["key", "openai"]))
    }

    fn status(&self) -> serde_json::Value {
        let o = run(self.home.bare().args(["master", "status", "--json"]));
        serde_json::from_str(&stdout(&o)).unwrap()
    }
}

impl Home {
    fn with_pass(&self) -> Command {
        let mut c = self.bare();
        c.env("OMC_PASSPHRASE", PASS)
            .env("OMC_TEST_SCRYPT_LOG_N", "10");
        c
    }
}

#[test]
fn unlock_lets_key_run_without_the_passphrase_until_lock() {
    let Some(s) = FileStore::new() else { return };
    let locked = s.key();
    assert_eq!(code(&locked), 4, "{}", stderr(&locked));
    assert!(
        stderr(&locked).contains("omc unlock"),
        "{}",
        stderr(&locked)
    );
    assert_eq!(s.status()["unlock_cache"]["state"], "locked");

    ok(&run(s.home.with_pass().args(["unlock", "--for", "10m"])));
    let o = s.key();
    assert_eq!(ok(&o).trim(), KEY);
    let st = s.status();
    assert_eq!(st["source"], "the kernel keyring (omc unlock)", "{st}");
    assert_eq!(st["unlock_cache"]["state"], "unlocked", "{st}");
    let left = st["unlock_cache"]["expires_in_s"].as_i64().unwrap();
    assert!((540..=600).contains(&left), "{st}");
    assert!(st["unlock_cache"]["expires_at"].as_str().is_some());
    let doctor = ok(&run(s.home.bare().arg("doctor")));
    assert!(
        doctor.contains("unlock cache") && doctor.contains("unlocked until"),
        "{doctor}"
    );

    // The kernel keeps it with possessor-only permissions and its own timeout.
    let keys = std::fs::read_to_string("/proc/keys").unwrap();
    let line = keys
        .lines()
        .find(|l| l.contains(&s.description()))
        .expect("the key is in the session keyring");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[4], "3f000000", "possessor-only permissions: {line}");
    assert_ne!(fields[3], "perm", "the kernel's expiry is set: {line}");

    let o = run(s.home.bare().arg("lock"));
    assert!(ok(&o).is_empty());
    assert!(stderr(&o).contains("Locked"), "{}", stderr(&o));
    assert_eq!(code(&s.key()), 4);
    assert_eq!(s.status()["unlock_cache"]["state"], "locked");
    let again = run(s.home.bare().arg("lock"));
    ok(&again);
    assert!(stderr(&again).contains("Already locked"));
}

#[test]
fn unlock_expires_after_its_window() {
    let Some(s) = FileStore::new() else { return };
    let start = Instant::now();
    ok(&run(s.home.with_pass().args(["unlock", "--for", "1s"])));
    let first = s.key();
    if start.elapsed() < Duration::from_millis(800) {
        assert_eq!(ok(&first).trim(), KEY);
    }
    std::thread::sleep(Duration::from_millis(1500).saturating_sub(start.elapsed()));
    let late = s.key();
    assert_eq!(code(&late), 4, "{}", stderr(&late));
    assert_eq!(s.status()["unlock_cache"]["state"], "locked");
}

#[test]
fn master_rotate_replaces_the_cached_key() {
    let Some(s) = FileStore::new() else { return };
    ok(&run(s.home.with_pass().args(["unlock", "--for", "10m"])));
    let before = s.status();
    ok(&run(s.home.with_pass().args(["master", "rotate"])));
    let after = s.status();
    assert_ne!(after["recipient"], before["recipient"]);
    assert_eq!(after["unlock_cache"]["state"], "unlocked", "{after}");
    assert_eq!(after["source"], "the kernel keyring (omc unlock)");
    // Still the old window, not a new one.
    assert!(after["unlock_cache"]["expires_in_s"].as_i64().unwrap() <= 600);
    let o = s.key();
    assert_eq!(ok(&o).trim(), KEY);
    assert!(!stderr(&o).contains("ignoring"), "{}", stderr(&o));
    ok(&run(s.home.bare().arg("lock")));
}

#[test]
fn a_stale_cached_key_is_ignored_with_a_warning() {
    let Some(s) = FileStore::new() else { return };
    ok(&run(s.home.with_pass().args(["unlock", "--for", "10m"])));
    // A rotation that dies after its commit never replaces the cache: it now holds the old key.
    let crashed = run(s
        .home
        .with_pass()
        .env("OMC_TEST_CRASH_AT", "rotate-after-commit")
        .args(["master", "rotate"]));
    assert!(!crashed.status.success());
    assert_eq!(s.status()["unlock_cache"]["state"], "stale");

    let o = s.key();
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("ignoring the master key `omc unlock` cached"),
        "{}",
        stderr(&o)
    );
    // master.age still decides: with the passphrase the rotation is finished and the key read.
    let o = run(s.home.with_pass().args(["key", "openai"]));
    assert_eq!(ok(&o).trim(), KEY);
    assert!(stderr(&o).contains("ignoring"), "{}", stderr(&o));
    let doctor = stdout(&run(s.home.with_pass().arg("doctor")));
    assert!(
        doctor.contains("unlock cache") && doctor.contains("not this store's"),
        "{doctor}"
    );
    ok(&run(s.home.bare().arg("lock")));
}

#[test]
fn the_cached_key_never_reaches_a_child_of_exec() {
    let Some(s) = FileStore::new() else { return };
    ok(&run(s.home.with_pass().args(["unlock", "--for", "10m"])));
    let identity = s.identity();
    assert!(identity.starts_with("AGE-SECRET-KEY-1"));
    let probe = "env; cat /proc/self/environ; cat /proc/self/cmdline; cat /proc/keys; \
                 cat /proc/self/status; omc key openai; echo omc-key-exit=$?";

    // Control: a process in the test's own session sees the key in /proc/keys, so the probe
    // would find it if it leaked.
    let control = Command::new("sh")
        .args(["-c", "cat /proc/keys"])
        .output()
        .unwrap();
    assert!(contains(&control.stdout, &s.description()));

    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = run(s
        .home
        .bare()
        .env("PATH", &path)
        .args(["exec", "--", "sh", "-c", probe]));
    ok(&o);
    let out = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
    // The child got the credential, as exec promises...
    assert!(contains(&out, KEY));
    // ...but neither the master identity nor the cache entry, and `omc key` there finds no
    // unlocked store.
    assert!(!contains(&out, &identity));
    assert!(!contains(&out, &identity["AGE-SECRET-KEY-1".len()..]));
    assert!(
        !contains(&out, &s.description()),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert!(
        contains(&out, "omc-key-exit=4"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // And omc exec left the cache in place for the user's next command.
    assert_eq!(ok(&s.key()).trim(), KEY);
    ok(&run(s.home.bare().arg("lock")));
}

#[test]
fn the_cached_key_never_reaches_an_agent_tool() {
    let Some(s) = FileStore::new() else { return };
    ok(&run_stdin(
        s.home
            .with_pass()
            .args(["add", "echo", "--name", "e", "--key-stdin"]),
        "echo-key-not-secret",
    ));
    ok(&run(s.home.with_pass().args(["unlock", "--for", "10m"])));
    let identity = s.identity();
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let probe = format!(
        "cat /proc/keys; PATH='{}':$PATH omc key openai; echo omc-key-exit=$?",
        bin_dir.display()
    );
    let agent = s.home.path().join("probe.toml");
    std::fs::write(
        &agent,
        format!(
            "models = [\"e\"]\n[[tool]]\nname = \"probe\"\ncommand = [\"sh\", \"-c\", {probe:?}]\napprove = \"auto\"\n"
        ),
    )
    .unwrap();
    let o = run(s
        .home
        .bare()
        .args(["run", "--agent", agent.to_str().unwrap(), "/call probe {}"]));
    let out = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
    let text = String::from_utf8_lossy(&out);
    ok(&o);
    // The tool ran (its output reached the model), without the master identity or the cache
    // entry, and `omc key` inside it finds no unlocked store.
    assert!(text.contains("omc-key-exit=4"), "{text}");
    assert!(!contains(&out, &identity));
    assert!(!contains(&out, &s.description()), "{text}");
    // The agent's own run left the cache in place.
    assert_eq!(ok(&s.key()).trim(), KEY);
    ok(&run(s.home.bare().arg("lock")));
}

#[test]
fn unlock_refuses_stores_without_master_age_and_bad_durations() {
    let home = Home::new();
    home.add("openai", "openai", KEY);
    let o = run(home.cmd().arg("unlock"));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("env backend"), "{}", stderr(&o));
    for bad in ["0s", "25h", "soon"] {
        let o = run(home.cmd().args(["unlock", "--for", bad]));
        assert_eq!(code(&o), 2, "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("--for"), "{}", stderr(&o));
    }
}

/// The `keyctl` syscall number, for the helper below.
fn keyctl_syscall() -> Option<u32> {
    match std::env::consts::ARCH {
        "x86_64" => Some(250),
        "aarch64" => Some(219),
        _ => None,
    }
}

#[test]
fn in_a_login_session_keyring_exec_drops_the_cache_instead() {
    // A login (pam_keyinit) gives its processes a session keyring of their own, which omc
    // cannot leave without a syscall its safe bindings do not offer. Stand one up with python's
    // ctypes (KEYCTL_JOIN_SESSION_KEYRING) and run the whole scenario inside it.
    let Some(nr) = keyctl_syscall() else { return };
    if !require(
        Command::new("python3").arg("-V").output().is_ok(),
        "python3",
        None,
    ) {
        return;
    }
    let Some(s) = FileStore::new() else { return };
    let join = format!(
        "import ctypes, os, sys\n\
         libc = ctypes.CDLL(None, use_errno=True)\n\
         if libc.syscall({nr}, 1, None) < 0: sys.exit('cannot join a session keyring')\n\
         os.execvp('sh', ['sh', '-c', sys.argv[1]])\n"
    );
    let desc = s.description();
    let script = format!(
        "OMC_PASSPHRASE={PASS} omc unlock --for 60s; \
         grep -c '{desc}' /proc/keys; \
         omc key openai; echo key1=$?; \
         omc exec -- sh -c 'cat /proc/keys; omc key openai; echo child=$?'; echo exec=$?; \
         omc key openai; echo key2=$?"
    );
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("python3");
    cmd.env_clear()
        .env("PATH", &path)
        .env("HOME", s.home.path())
        .env("OMC_HOME", s.home.data())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/omc-test-bus",
        )
        .args(["-c", &join, &script]);
    let o = run(&mut cmd);
    let out = stdout(&o);
    let err = stderr(&o);
    let all = format!("{out}\n{err}");
    assert!(out.contains(&format!("{KEY}\nkey1=0")), "{all}");
    assert!(out.contains("exec=0") && out.contains("child=4"), "{all}");
    assert!(
        err.contains("dropped the master key `omc unlock` kept"),
        "{all}"
    );
    // The only sighting of the key is the control before exec. A dropped key is invalidated at
    // once but the kernel's garbage collector may still list it for a moment, flagged `i` (and
    // unreadable): only a live entry counts.
    let live = out
        .lines()
        .filter(|l| l.contains(&desc))
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|f| !f.contains(['i', 'R', 'D']))
        })
        .count();
    assert_eq!(live, 0, "{all}");
    assert!(
        out.lines().any(|l| l == "1"),
        "the control saw the key: {all}"
    );
    assert!(
        out.contains("key2=4"),
        "the cache is gone afterwards: {all}"
    );
}
