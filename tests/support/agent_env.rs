//! The agent tests' place to run: a home whose profile default is an `echo` credential, its
//! agents dir, and a working directory. Included with `#[path]` beside `common.rs`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{Home, code, ok, stderr, stdout};

/// A home with an echo credential (the profile's default) and a project dir to run in.
pub struct Env {
    pub home: Home,
    pub cwd: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let home = Home::new();
        ok(&home.add("echo", "echo", "echo-key-not-secret"));
        Env {
            home,
            cwd: tempfile::tempdir().unwrap(),
        }
    }

    /// Write `$OMC_HOME/agents/NAME.toml`.
    pub fn agent(&self, name: &str, text: &str) -> PathBuf {
        let dir = self.home.data().join("agents");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(format!("{name}.toml"));
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `omc` in the working directory.
    pub fn omc(&self) -> Command {
        let mut c = self.home.cmd();
        c.current_dir(self.cwd.path());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        crate::common::run(self.omc().args(args))
    }

    pub fn json(&self, args: &[&str]) -> (i32, Value) {
        let o = self.run(args);
        let v = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&o), stderr(&o)));
        (code(&o), v)
    }
}
