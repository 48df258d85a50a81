//! Command tools: a program run with the call's arguments, never through a shell.
//!
//! Each `{param}` in the argv is replaced inside its own element (so a value is always exactly
//! one argument, whatever it holds), and the whole arguments object is on stdin as JSON. The
//! process gets its own process group, so a timeout (or Ctrl-C) kills everything it started.

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use secrecy::ExposeSecret;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::file::CommandTool;
use super::tools::ToolOutput;
use crate::cmd::exec::Var;
use crate::vault::master;

/// How much of stderr an error result carries.
const STDERR_TAIL: usize = 2048;

/// Environment variables no tool ever sees.
pub const WITHHELD: [&str; 5] = [
    master::ENV_KEY,
    master::ENV_KEY_FILE,
    master::ENV_PASSPHRASE,
    // A vault profile's engine token opens every key under the profile's prefix.
    crate::creds::remote::TOKEN_VARS[0],
    crate::creds::remote::TOKEN_VARS[1],
];

/// The argv for a call: `{param}` replaced by the argument's text (a string as is, anything
/// else as JSON). A parameter the call lacks is an error for the model.
pub fn argv(command: &[String], args: &serde_json::Value) -> Result<Vec<String>, String> {
    command
        .iter()
        .map(|element| {
            let mut out = String::with_capacity(element.len());
            let mut rest = element.as_str();
            while let Some(start) = rest.find('{') {
                let Some(len) = rest[start + 1..].find('}') else {
                    break;
                };
                let key = &rest[start + 1..start + 1 + len];
                if !super::file::is_placeholder_name(key) {
                    // Not a placeholder (`{"q":"{p}"}`): a later `{` may still start one.
                    out.push_str(&rest[..start + 1]);
                    rest = &rest[start + 1..];
                    continue;
                } else {
                    out.push_str(&rest[..start]);
                    match args.get(key) {
                        None | Some(serde_json::Value::Null) => {
                            return Err(format!("missing argument '{key}'"));
                        }
                        Some(serde_json::Value::String(s)) => out.push_str(s),
                        Some(other) => out.push_str(&other.to_string()),
                    }
                }
                rest = &rest[start + 2 + len..];
            }
            out.push_str(rest);
            Ok(out)
        })
        .collect()
}

/// Kills the process group when dropped while armed: on a timeout, and when the run is
/// interrupted and the call's future is dropped.
struct GroupGuard(Option<i32>);

impl GroupGuard {
    fn kill(&mut self) {
        if let Some(pid) = self.0.take()
            && pid > 1
            && let Some(pid) = rustix::process::Pid::from_raw(pid)
        {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Read all of `r`, keeping the first `cap` bytes; returns them and the total length.
async fn read_capped(mut r: impl AsyncRead + Unpin, cap: usize) -> (Vec<u8>, usize) {
    let mut kept = Vec::new();
    let mut total = 0usize;
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                total += n;
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    (kept, total)
}

/// Read all of `r`, keeping the last `cap` bytes.
async fn read_tail(mut r: impl AsyncRead + Unpin, cap: usize) -> Vec<u8> {
    let mut kept: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * cap {
                    kept.drain(..kept.len() - cap);
                }
            }
        }
    }
    if kept.len() > cap {
        kept.drain(..kept.len() - cap);
    }
    kept
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Run one call of `tool` with `args`; `grants` are the variables of the credentials it is
/// granted; `base` is the directory a relative `cwd` is resolved against.
pub async fn call(
    tool: &CommandTool,
    args: &serde_json::Value,
    grants: &[Var],
    base: &Path,
) -> ToolOutput {
    let started = Instant::now();
    let argv = match argv(&tool.command, args) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e, "bad arguments".into(), started),
    };
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    let cwd = match &tool.cwd {
        Some(c) if c.is_absolute() => c.clone(),
        Some(c) => base.join(c),
        None => base.to_path_buf(),
    };
    cmd.current_dir(&cwd);
    for var in WITHHELD {
        cmd.env_remove(var);
    }
    for var in grants {
        cmd.env(var.name, var.value.expose_secret());
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "not found".to_owned(),
                _ => e.to_string(),
            };
            return ToolOutput::error(
                format!("cannot run '{}' (in {}): {why}", argv[0], cwd.display()),
                format!("cannot run: {why}"),
                started,
            );
        }
    };
    let mut guard = GroupGuard(child.id().map(|p| p as i32));
    let stdin_json = serde_json::to_vec(args).unwrap_or_default();
    let mut stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let cap = tool.max_output;
    let work = async {
        let feed = async {
            if let Some(mut s) = stdin.take() {
                // A tool that never reads its stdin closes the pipe: that is not an error.
                let _ = s.write_all(&stdin_json).await;
                let _ = s.shutdown().await;
            }
        };
        let out = async {
            match stdout {
                Some(s) => read_capped(s, cap).await,
                None => (Vec::new(), 0),
            }
        };
        let err = async {
            match stderr {
                Some(s) => read_tail(s, STDERR_TAIL).await,
                None => Vec::new(),
            }
        };
        let (_, out, err, status) = tokio::join!(feed, out, err, child.wait());
        (out, err, status)
    };
    let Ok(((out, total), err, status)) = tokio::time::timeout(tool.timeout, work).await else {
        guard.kill();
        return ToolOutput::error(
            format!(
                "the tool timed out after {}; it and every process it started were killed",
                humantime::format_duration(tool.timeout)
            ),
            format!(
                "timed out after {}",
                humantime::format_duration(tool.timeout)
            ),
            started,
        );
    };
    // The leader is gone; what it left running in its group is not ours to kill.
    guard.0 = None;
    let mut content = text(&out);
    if total > out.len() {
        content.push_str(&format!(
            "\n[output truncated: the first {} of {} bytes]",
            out.len(),
            total
        ));
    }
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            return ToolOutput::error(
                format!("cannot wait for the tool: {e}"),
                e.to_string(),
                started,
            );
        }
    };
    if status.success() {
        let lines = out.iter().filter(|&&b| b == b'\n').count()
            + usize::from(!out.is_empty() && !out.ends_with(b"\n"));
        return ToolOutput {
            content,
            is_error: false,
            summary: format!("{lines} lines"),
            duration: started.elapsed(),
        };
    }
    let how = match status.code() {
        Some(c) => format!("exit {c}"),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                format!("killed by signal {}", status.signal().unwrap_or(0))
            }
            #[cfg(not(unix))]
            "killed".to_owned()
        }
    };
    let tail = text(&err);
    let tail = tail.trim_end();
    let mut message = format!("the tool failed ({how})");
    if !tail.is_empty() {
        message.push_str(&format!("; stderr ends with:\n{tail}"));
    }
    if !content.trim().is_empty() {
        message.push_str(&format!("\nstdout:\n{content}"));
    }
    let first = tail.lines().last().unwrap_or("").to_owned();
    ToolOutput::error(message, format!("{how}: {first}"), started)
}

/// For `omc agent check`: whether the program can be found (on PATH, or as a path).
pub fn program_exists(program: &str, base: &Path) -> bool {
    let p = Path::new(program);
    if p.components().count() > 1 {
        let full = if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        };
        return full.is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Keep a value printable: cut to `max` characters with a marker.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::file::Approve;
    use serde_json::json;
    use std::time::Duration;

    fn tool(command: &[&str], timeout: Duration, cap: usize) -> CommandTool {
        CommandTool {
            name: "t".into(),
            description: String::new(),
            parameters: json!({"type": "object"}),
            command: command.iter().map(|s| s.to_string()).collect(),
            cwd: None,
            timeout,
            max_output: cap,
            approve: Approve::Ask,
            credentials: vec![],
        }
    }

    fn run(t: &CommandTool, args: serde_json::Value) -> ToolOutput {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(call(t, &args, &[], Path::new("/")))
    }

    #[test]
    fn each_placeholder_is_one_argument_never_a_shell() {
        let args = json!({"p": "a b; rm -rf / $(x) '\"", "n": 3, "o": {"k": [1]}});
        let v = argv(
            &[
                "printf".into(),
                "%s|".into(),
                "{p}".into(),
                "--n={n}".into(),
                "{o}".into(),
                "{}".into(),
                "{\"q\":\"{n}\"} {x y}".into(),
            ],
            &args,
        )
        .unwrap();
        assert_eq!(
            v,
            [
                "printf",
                "%s|",
                "a b; rm -rf / $(x) '\"",
                "--n=3",
                "{\"k\":[1]}",
                "{}",
                "{\"q\":\"3\"} {x y}"
            ]
        );
        assert_eq!(
            argv(&["x".into(), "{q}".into()], &args).unwrap_err(),
            "missing argument 'q'"
        );
        let out = run(
            &tool(&["printf", "%s|", "{p}"], Duration::from_secs(10), 1000),
            args,
        );
        assert_eq!(out.content, "a b; rm -rf / $(x) '\"|");
        assert!(!out.is_error);
    }

    #[test]
    fn arguments_arrive_on_stdin_and_output_is_capped() {
        let out = run(
            &tool(&["cat"], Duration::from_secs(10), 1000),
            json!({"a": 1}),
        );
        assert_eq!(out.content, "{\"a\":1}");
        let out = run(
            &tool(
                &["sh", "-c", "yes | head -c 5000"],
                Duration::from_secs(10),
                100,
            ),
            json!({}),
        );
        assert!(out.content.starts_with("y\ny\n"));
        assert!(
            out.content
                .ends_with("[output truncated: the first 100 of 5000 bytes]"),
            "{}",
            out.content
        );
    }

    #[test]
    fn failures_are_error_results_with_the_stderr_tail() {
        let out = run(
            &tool(
                &["sh", "-c", "echo partial; echo boom >&2; exit 3"],
                Duration::from_secs(10),
                1000,
            ),
            json!({}),
        );
        assert!(out.is_error);
        assert!(
            out.content.contains("exit 3") && out.content.contains("boom"),
            "{}",
            out.content
        );
        assert_eq!(out.summary, "exit 3: boom");
        let out = run(
            &tool(&["/nonexistent/prog"], Duration::from_secs(10), 1000),
            json!({}),
        );
        assert!(
            out.is_error && out.content.contains("not found"),
            "{}",
            out.content
        );
    }

    #[test]
    fn a_timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
        let started = Instant::now();
        let out = run(
            &tool(&["sh", "-c", &script], Duration::from_millis(500), 1000),
            json!({}),
        );
        assert!(
            out.is_error && out.content.contains("timed out"),
            "{}",
            out.content
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild (sleep) is gone: kill(pid, 0) fails once it has been reaped by init.
        let gone = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            stat.is_empty() || stat.contains(") Z ")
        });
        assert!(gone, "the tool's child {pid} survived the timeout");
    }
}
