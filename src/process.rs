//! The one place omc starts child processes: command tools, stdio MCP servers, `omc exec`'s
//! command, `man`. Every start passes the same two hardening steps, so a new caller cannot
//! forget them:
//!
//! - the master key `omc unlock` keeps in the kernel keyring is out of the child's reach (the
//!   spawning thread leaves the session keyring, or every cached master key omc can see is
//!   dropped: see [`crate::keys::unlock_cache::shield_children`]), whether or not a store is
//!   open;
//! - `OMC_MASTER_KEY`, `OMC_MASTER_KEY_FILE` and `OMC_PASSPHRASE` are removed from the child's
//!   environment, whatever the caller set.
//!
//! Callers build a [`Cmd`] (blocking) or an [`AsyncCmd`] (tokio) here; neither hands out the
//! `Command` inside, so the only way to start one is its `start`, which hardens first. A test
//! (`tests/one_spawn_path.rs`) fails when a file under `src/` other than this one names a
//! process `Command` or `TokioChildProcess`, or calls `.spawn()` / `.output()` with no
//! arguments (a thread's or a task's `spawn` takes one).

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;

use crate::keys::master;
use crate::keys::unlock_cache::{self, Shield};

/// Environment variables no child of omc ever gets.
pub const WITHHELD: [&str; 3] = [
    master::ENV_KEY,
    master::ENV_KEY_FILE,
    master::ENV_PASSPHRASE,
];

/// Put the unlocked master key out of reach of the next child this thread starts. Runs on the
/// spawning thread, right before the spawn: a session keyring belongs to a thread.
fn shield() {
    if let Shield::Dropped(n) = unlock_cache::shield_children() {
        let what = if n == 1 {
            "the master key".to_owned()
        } else {
            format!("{n} master keys")
        };
        tracing::warn!(
            "dropped {what} `omc unlock` kept: this login session's kernel keyring would have \
             handed it to the process omc starts; run `omc unlock` again afterwards"
        );
    }
}

/// A blocking child process to start (`omc exec`, `man`).
pub struct Cmd(std::process::Command);

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        Cmd(std::process::Command::new(program))
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.0.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.0.env(key, value);
        self
    }

    pub fn stdin(mut self, cfg: Stdio) -> Cmd {
        self.0.stdin(cfg);
        self
    }

    pub fn stdout(mut self, cfg: Stdio) -> Cmd {
        self.0.stdout(cfg);
        self
    }

    /// Harden, then start. The `Command` (and its copy of the environment, which may hold
    /// keys) is dropped before this returns.
    pub fn start(mut self) -> std::io::Result<std::process::Child> {
        for var in WITHHELD {
            self.0.env_remove(var);
        }
        shield();
        self.0.spawn()
    }
}

/// A child process started on the tokio runtime (command tools, stdio MCP servers).
pub struct AsyncCmd(tokio::process::Command);

impl AsyncCmd {
    pub fn new(program: impl AsRef<OsStr>) -> AsyncCmd {
        AsyncCmd(tokio::process::Command::new(program))
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut AsyncCmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.0.args(args);
        self
    }

    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut AsyncCmd {
        self.0.env(key, value);
        self
    }

    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut AsyncCmd {
        self.0.env_remove(key);
        self
    }

    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut AsyncCmd {
        self.0.current_dir(dir);
        self
    }

    pub fn stdin(&mut self, cfg: Stdio) -> &mut AsyncCmd {
        self.0.stdin(cfg);
        self
    }

    pub fn stdout(&mut self, cfg: Stdio) -> &mut AsyncCmd {
        self.0.stdout(cfg);
        self
    }

    pub fn stderr(&mut self, cfg: Stdio) -> &mut AsyncCmd {
        self.0.stderr(cfg);
        self
    }

    pub fn kill_on_drop(&mut self, kill: bool) -> &mut AsyncCmd {
        self.0.kill_on_drop(kill);
        self
    }

    /// Its own process group, so a timeout or shutdown can kill all it started.
    #[cfg(unix)]
    pub fn process_group(&mut self, pgroup: i32) -> &mut AsyncCmd {
        self.0.process_group(pgroup);
        self
    }

    fn harden(&mut self) {
        for var in WITHHELD {
            self.0.env_remove(var);
        }
        shield();
    }

    /// Harden, then start.
    pub fn start(mut self) -> std::io::Result<tokio::process::Child> {
        self.harden();
        self.0.spawn()
    }

    /// Harden, then start as an MCP server speaking on stdin/stdout; `stderr` says where its
    /// stderr goes (piped: returned).
    pub fn start_mcp(
        mut self,
        stderr: Stdio,
    ) -> std::io::Result<(
        rmcp::transport::TokioChildProcess,
        Option<tokio::process::ChildStderr>,
    )> {
        self.harden();
        rmcp::transport::TokioChildProcess::builder(self.0)
            .stderr(stderr)
            .spawn()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_master_key_variables_never_reach_a_child() {
        let out = Cmd::new("sh")
            .args(["-c", "env"])
            .env(master::ENV_KEY, "AGE-SECRET-KEY-1CANARY")
            .env(master::ENV_PASSPHRASE, "canary-pass")
            .env("OMC_TEST_KEPT", "kept")
            .stdout(Stdio::piped())
            .start()
            .and_then(|c| c.wait_with_output())
            .unwrap();
        let env = String::from_utf8_lossy(&out.stdout);
        assert!(env.contains("OMC_TEST_KEPT=kept"), "{env}");
        for var in WITHHELD {
            assert!(
                !env.contains(&format!("{var}=")),
                "{var} reached the child: {env}"
            );
        }
    }
}
