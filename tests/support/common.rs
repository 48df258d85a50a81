//! Run the real `omc` binary hermetically: a temp OMC_HOME, a cleared environment, a fixed
//! master key, and nothing from the developer's environment.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_omc");

pub struct Home {
    pub dir: tempfile::TempDir,
    pub master_key: String,
}

impl Home {
    /// A fresh home whose store will take a generated `OMC_MASTER_KEY`.
    pub fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        Home {
            master_key: generate_identity(),
            dir,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("omc")
    }

    pub fn db(&self) -> PathBuf {
        self.data().join("omc.db")
    }

    /// `omc` with only PATH, OMC_HOME, HOME and OMC_MASTER_KEY set.
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare();
        cmd.env("OMC_MASTER_KEY", &self.master_key);
        cmd
    }

    /// `omc` without any master key source in the environment.
    pub fn bare(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("OMC_HOME", self.data())
            // No keyring reachable unless a test sets one up.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/omc-test-bus",
            )
            .env("OMC_KEYRING_TIMEOUT", "3s")
            .stdin(Stdio::null());
        cmd
    }

    /// Add a credential through `--key-stdin`.
    pub fn add(&self, provider: &str, name: &str, key: &str) -> Output {
        run_stdin(
            self.cmd().args([
                "add",
                provider,
                "--name",
                name,
                "--no-validate",
                "--key-stdin",
            ]),
            key,
        )
    }
}

pub fn generate_identity() -> String {
    age::x25519::Identity::generate()
        .to_string()
        .expose_secret()
        .to_owned()
}

use secrecy::ExposeSecret;

/// Run with `input` on stdin.
pub fn run_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // omc may refuse and exit before it reads its stdin (a bad flag, a bad base URL): the
    // pipe is then closed, which is its answer, not the test's failure.
    match child.stdin.take().unwrap().write_all(input.as_bytes()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => panic!("cannot write omc's stdin: {e}"),
    }
    child.wait_with_output().unwrap()
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Assert success, showing stderr when it is not.
#[track_caller]
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

#[track_caller]
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

/// Whether `needle` occurs anywhere in `hay`.
pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Unix file mode bits.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Whether the test runs under CI (`CI` set to anything but `false`/`0`), where every part a
/// test needs is installed by `.ci/run`: a missing one is a broken CI, not a reason to skip.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// For a test that needs something a developer's machine may lack (a tool, the kernel keyring,
/// a server): `true` when `available`; otherwise, under CI (or with `require_var` set) the test
/// fails naming `what`, and elsewhere it is skipped with a note on stderr.
#[track_caller]
pub fn require(available: bool, what: &str, require_var: Option<&str>) -> bool {
    if available {
        return true;
    }
    let required = under_ci() || require_var.is_some_and(|v| std::env::var_os(v).is_some());
    assert!(
        !required,
        "{what} is missing, and this test must not be skipped here (CI installs it: see .ci/run)"
    );
    eprintln!("skipped: {what} is missing");
    false
}

impl Home {
    /// `omc ARGS` on a terminal: script(1) gives it a pty, with this home's store and master key
    /// and nothing else from the environment. `args` is shell text after the binary's path.
    pub fn on_a_pty(&self, args: &str) -> Command {
        let mut cmd = Command::new("script");
        cmd.args(["-qfec", &format!("'{BIN}' {args}"), "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("OMC_HOME", self.data())
            .env("OMC_MASTER_KEY", &self.master_key)
            .env("TERM", "xterm");
        cmd
    }
}
