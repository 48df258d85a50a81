//! What a command costs the disk: `omc key` fsyncs nothing and leaves the WAL in place for the
//! next process; a credential change fsyncs its commit. Counted with strace where it is
//! installed (CI installs it, and there its absence fails the test).

#[path = "support/common.rs"]
mod common;

use std::process::Command;

use common::*;

fn strace() -> bool {
    Command::new("strace")
        .args(["-f", "-e", "trace=none", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// fsync and fdatasync calls made by `cmd` (and its threads).
fn fsyncs(cmd: &Command, stdin: Option<&str>) -> usize {
    let mut traced = Command::new("strace");
    traced.args(["-f", "-qq", "-e", "trace=fsync,fdatasync", "--"]);
    traced.arg(cmd.get_program()).args(cmd.get_args());
    traced.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            traced.env(k, v);
        }
    }
    let o = match stdin {
        Some(s) => run_stdin(&mut traced, s),
        None => run(&mut traced),
    };
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
        .lines()
        .filter(|l| l.contains("fsync(") || l.contains("fdatasync("))
        .count()
}

#[test]
fn key_fsyncs_nothing_and_keeps_the_wal() {
    let home = Home::new();
    ok(&home.add("openai", "openai", "sk-cost-0123456789"));
    let wal = home.data().join("omc.db-wal");
    ok(&run(home.cmd().args(["key", "openai"])));
    assert!(wal.exists(), "the WAL stays between processes");
    assert_eq!(mode(&wal), 0o600);
    // strace is Linux's; elsewhere the counts are not taken.
    if !cfg!(target_os = "linux") || !require(strace(), "strace (the fsync counts)", None) {
        return;
    }
    let mut key = home.cmd();
    key.args(["key", "openai"]);
    assert_eq!(fsyncs(&key, None), 0, "omc key");
    let mut list = home.cmd();
    list.arg("list");
    assert_eq!(fsyncs(&list, None), 0, "omc list");
    // A credential change is durable: its WAL commit is fsynced. One fsync where SQLite is
    // built as .cargo/config.toml says; two in a build without SQLITE_DISABLE_DIRSYNC.
    let mut add = home.cmd();
    add.args(["add", "anthropic", "--no-validate", "--key-stdin"]);
    let n = fsyncs(&add, Some("sk-ant-cost-0123456789"));
    assert!((1..=2).contains(&n), "omc add: {n} fsyncs");
}
