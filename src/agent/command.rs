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
use crate::creds::Var;
use crate::keys::master;

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
/// else as JSON). A parameter the call lacks is an error for the model, and so is a value that
/// would begin an argument with `-` (and so be read as an option, `sort -opwned` writing the file
/// `pwned`) unless `options` allows it or a literal `--` argument comes before it.
pub fn argv(
    command: &[String],
    args: &serde_json::Value,
    options: bool,
) -> Result<Vec<String>, String> {
    let mut after_dashes = false;
    let mut out_argv = Vec::with_capacity(command.len());
    for (i, element) in command.iter().enumerate() {
        // The program itself is never read as an option.
        let guarded = i > 0 && !options && !after_dashes;
        if i > 0 && element == "--" {
            after_dashes = true;
        }
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
            }
            out.push_str(&rest[..start]);
            let value = match args.get(key) {
                None | Some(serde_json::Value::Null) => {
                    return Err(format!("missing argument '{key}'"));
                }
                Some(serde_json::Value::String(s)) => std::borrow::Cow::Borrowed(s.as_str()),
                Some(other) => std::borrow::Cow::Owned(other.to_string()),
            };
            if guarded && out.is_empty() && value.starts_with('-') {
                return Err(option_refused(key));
            }
            out.push_str(&value);
            rest = &rest[start + 2 + len..];
        }
        out.push_str(rest);
        // `{a}-x` with an empty `a`: the values made the argument begin with the file's `-`.
        if guarded && out.starts_with('-') && !element.starts_with('-') {
            let keys = super::file::placeholders(element).join("', '");
            return Err(option_refused(&keys));
        }
        out_argv.push(out);
    }
    Ok(out_argv)
}

fn option_refused(key: &str) -> String {
    format!(
        "the value of '{key}' makes an argument start with '-', so the program would read it \
         as an option, which this tool does not allow; pass a value that does not start with \
         '-' (a file named -x can be written ./-x)"
    )
}

/// A running tool's processes: killed when dropped while armed (on a timeout, and when the run
/// is interrupted and the call's future is dropped). On Linux that is the whole tree the tool
/// started, also what left its process group (`setsid`) or was orphaned to omc; elsewhere, its
/// process group.
struct Running {
    leader: Option<i32>,
    /// The leader's start time (clock ticks since boot): its pid is only trusted while a process
    /// with that pid started then, and only processes started since can be the tool's.
    #[cfg(target_os = "linux")]
    since: Option<u64>,
}

/// What [`Running::kill`] found alive and killed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Killed {
    /// The tool's own process was still running.
    leader: bool,
    /// Processes it started that were still running.
    others: usize,
    /// Every pid killed but the leader (which tokio reaps), to reap.
    #[cfg(target_os = "linux")]
    pids: Vec<i32>,
}

impl Running {
    fn new(pid: Option<u32>) -> Running {
        let leader = pid.and_then(|p| i32::try_from(p).ok()).filter(|&p| p > 1);
        #[cfg(target_os = "linux")]
        if let Some(pid) = leader {
            tree::register(pid);
        }
        Running {
            leader,
            #[cfg(target_os = "linux")]
            since: leader.and_then(tree::start_time),
        }
    }

    /// Disarm: the tool finished; what it left running is not ours to kill.
    fn disarm(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(pid) = self.leader {
            tree::forget(pid);
        }
        self.leader = None;
    }

    #[cfg(target_os = "linux")]
    fn kill(&mut self) -> Killed {
        let Some(leader) = self.leader.take() else {
            return Killed::default();
        };
        let killed = match self.since {
            Some(since) => tree::kill(leader, since),
            // Gone before its start could be read: only its group can be left.
            None => {
                if let Some(pid) = rustix::process::Pid::from_raw(leader) {
                    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
                }
                Killed::default()
            }
        };
        tree::forget(leader);
        killed
    }

    #[cfg(not(target_os = "linux"))]
    fn kill(&mut self) -> Killed {
        let Some(pid) = self.leader.take().and_then(rustix::process::Pid::from_raw) else {
            return Killed::default();
        };
        let alive = rustix::process::test_kill_process(pid).is_ok();
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        Killed {
            leader: alive,
            others: 0,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _killed = self.kill();
        // Interrupted: reap what is already gone, without waiting for the rest.
        #[cfg(target_os = "linux")]
        tree::reap(&_killed.pids);
    }
}

/// Become the parent of every orphan a tool leaves (before any tool starts), so that what
/// leaves the tool's process group with `setsid` and outlives its parent can still be found
/// and killed.
#[cfg(target_os = "linux")]
fn adopt_orphans() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let me = rustix::process::getpid();
        if let Err(e) = rustix::process::set_child_subreaper(Some(me)) {
            tracing::debug!("cannot become a child subreaper: {e}");
        }
    });
}

/// The timeout's message for the model and the summary for the terminal: what was killed, only
/// when something was.
fn timed_out(timeout: std::time::Duration, killed: &Killed) -> (String, String) {
    let after = format!("timed out after {}", humantime::format_duration(timeout));
    let plural = |n: usize| if n == 1 { "process" } else { "processes" };
    let (message, summary) = match (killed.leader, killed.others) {
        (false, 0) => (format!("the tool {after}"), after.clone()),
        (true, 0) => (
            format!("the tool {after} and was killed"),
            format!("{after}; killed it"),
        ),
        (true, n) => (
            format!(
                "the tool {after}; killed it and {n} {} it started",
                plural(n)
            ),
            format!("{after}; killed {} processes", n + 1),
        ),
        (false, n) => (
            format!("the tool {after}; killed {n} {} it started", plural(n)),
            format!("{after}; killed {n} {}", plural(n)),
        ),
    };
    (message, summary)
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
    let template: Vec<String> = tool
        .command
        .iter()
        .map(|a| a.expose_raw().to_owned())
        .collect();
    let argv = match argv(&template, args, tool.options) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e, "bad arguments".into(), started),
    };
    let mut cmd = crate::process::AsyncCmd::new(&argv[0]);
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
    #[cfg(target_os = "linux")]
    adopt_orphans();
    let mut child = match cmd.start() {
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
    let mut running = Running::new(child.id());
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
        let killed = running.kill();
        #[cfg(target_os = "linux")]
        tree::reap_within(&killed.pids, std::time::Duration::from_secs(2)).await;
        let (message, summary) = timed_out(tool.timeout, &killed);
        return ToolOutput::error(message, summary, started);
    };
    // The leader is gone; what it left running is not ours to kill.
    running.disarm();
    let mut content = text(&out);
    if total > out.len() {
        content.push_str(&super::tools::cut_note(out.len(), total));
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

/// A tool's process tree on Linux, read from `/proc`.
#[cfg(target_os = "linux")]
mod tree {
    use std::collections::HashSet;
    use std::path::Path;

    use rustix::process::{Pid, Signal, WaitOptions};

    use super::Killed;
    use crate::bounded::{self, Limit};

    /// `/proc/PID/stat` is one line of a few hundred bytes.
    const STAT: Limit = Limit::new("process status", 4096);

    /// The fields of `/proc/PID/stat` this needs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) struct Stat {
        pub pid: i32,
        pub ppid: i32,
        pub pgrp: i32,
        /// Exited, not yet reaped (`Z`) or being torn down (`X`).
        pub gone: bool,
        /// Clock ticks since boot.
        pub start: u64,
    }

    /// Parse `/proc/PID/stat`: `pid (comm) state ppid pgrp … starttime(22nd) …`, where `comm`
    /// may hold spaces and parentheses, so fields are counted from the last `)`.
    pub(super) fn parse(pid: i32, text: &str) -> Option<Stat> {
        let rest = &text[text.rfind(')')? + 1..];
        let f: Vec<&str> = rest.split_ascii_whitespace().collect();
        Some(Stat {
            pid,
            gone: matches!(*f.first()?, "Z" | "X" | "x"),
            ppid: f.get(1)?.parse().ok()?,
            pgrp: f.get(2)?.parse().ok()?,
            start: f.get(19)?.parse().ok()?,
        })
    }

    fn stat(pid: i32) -> Option<Stat> {
        let path = format!("/proc/{pid}/stat");
        let text = bounded::read_file_string(Path::new(&path), STAT).ok()?;
        parse(pid, &text)
    }

    /// When the process `pid` started, in clock ticks since boot.
    pub fn start_time(pid: i32) -> Option<u64> {
        stat(pid).map(|s| s.start)
    }

    fn all() -> Vec<Stat> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter_map(stat)
            .collect()
    }

    /// The tools omc started itself and that are still running (calls may overlap): children of
    /// omc, but no orphans.
    static LEADERS: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

    /// Count `pid` as a tool omc started, until [`forget`].
    pub fn register(pid: i32) {
        LEADERS.lock().unwrap_or_else(|p| p.into_inner()).push(pid);
    }

    pub fn forget(pid: i32) {
        LEADERS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|&p| p != pid);
    }

    /// The tool's processes in `procs`: the leader (`leader` started at `since`), its process
    /// group, the orphans handed to omc since the tool started (omc is their subreaper; its own
    /// children other than tools start before any tool runs), and every descendant of those.
    fn members(procs: &[Stat], leader: i32, since: u64, me: i32) -> HashSet<i32> {
        let leader_here = procs.iter().any(|p| p.pid == leader && p.start == since);
        let others = LEADERS.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut set: HashSet<i32> = procs
            .iter()
            .filter(|p| p.start >= since)
            .filter(|p| {
                (leader_here && (p.pid == leader || p.pgrp == leader))
                    || (p.ppid == me && !others.contains(&p.pid))
            })
            .map(|p| p.pid)
            .collect();
        loop {
            let before = set.len();
            for p in procs {
                if p.start >= since && set.contains(&p.ppid) {
                    set.insert(p.pid);
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }

    /// Kill the tool's processes (see [`members`]); rounds repeat until one finds nothing new
    /// alive, so a child forked while the others were being killed goes too.
    pub fn kill(leader: i32, since: u64) -> Killed {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let mut killed = Killed::default();
        let mut seen: HashSet<i32> = HashSet::new();
        for round in 0..16 {
            let procs = all();
            if round == 0 {
                killed.leader = procs
                    .iter()
                    .any(|p| p.pid == leader && p.start == since && !p.gone);
                if killed.leader
                    && let Some(pid) = Pid::from_raw(leader)
                {
                    let _ = rustix::process::kill_process_group(pid, Signal::KILL);
                }
            }
            let members = members(&procs, leader, since, me);
            let mut new = 0;
            for p in procs.iter().filter(|p| p.pid != leader) {
                if !members.contains(&p.pid) || !seen.insert(p.pid) {
                    continue;
                }
                killed.pids.push(p.pid);
                if p.gone {
                    continue;
                }
                // Only what was killed is counted (not a setuid program omc may not signal).
                if Pid::from_raw(p.pid)
                    .is_some_and(|pid| rustix::process::kill_process(pid, Signal::KILL).is_ok())
                {
                    killed.others += 1;
                    new += 1;
                }
            }
            if new == 0 {
                break;
            }
        }
        killed
    }

    /// Reap those of `pids` that are omc's children and gone; returns whether any is left (still
    /// dying, or waiting to be handed to omc by its dying parent).
    pub fn reap(pids: &[i32]) -> bool {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let mut left = false;
        for &raw in pids {
            let Some(pid) = Pid::from_raw(raw) else {
                continue;
            };
            match stat(raw) {
                None => {}
                Some(s) if s.ppid == me => {
                    let reaped = rustix::process::waitpid(Some(pid), WaitOptions::NOHANG);
                    left |= !matches!(reaped, Ok(Some(_)));
                }
                // Its parent, killed too, is dying: it is handed to omc next.
                Some(_) => left = true,
            }
        }
        left
    }

    /// [`reap`] until nothing is left or `within` has passed.
    pub async fn reap_within(pids: &[i32], within: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while reap(pids) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
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
            description: Default::default(),
            parameters: json!({"type": "object"}),
            command: command.iter().map(|&s| s.into()).collect(),
            cwd: None,
            timeout,
            max_output: cap,
            options: false,
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
            false,
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
            argv(&["x".into(), "{q}".into()], &args, false).unwrap_err(),
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
    fn a_value_cannot_become_an_option_unless_after_dashes_or_allowed() {
        let cmd = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let args = json!({"f": "-opwned", "n": -3, "e": "", "ok": "a-b"});
        for c in [
            &["sort", "{f}"][..],
            &["sort", "{n}"],
            &["sort", "{e}{f}"],
            &["sort", "{e}-x"],
            // A `--` made by a value is no separator.
            &["sort", "{e}--", "{f}"],
        ] {
            let err = argv(&cmd(c), &args, false).unwrap_err();
            assert!(err.contains("start with '-'"), "{c:?}: {err}");
        }
        assert!(
            argv(&cmd(&["sort", "{f}"]), &args, false)
                .unwrap_err()
                .contains("'f'")
        );
        for c in [
            &["sort", "--", "{f}"][..],
            &["sort", "-o", "--", "x", "{n}"],
            &["sort", "--key={n}"],
            &["sort", "-{f}"],
            &["sort", "x{f}"],
            &["sort", "{ok}"],
            &["{f}"],
        ] {
            assert!(argv(&cmd(c), &args, false).is_ok(), "{c:?}");
        }
        assert_eq!(
            argv(&cmd(&["sort", "{f}"]), &args, true).unwrap(),
            ["sort", "-opwned"]
        );
    }

    #[test]
    fn the_timeout_message_names_only_what_was_killed() {
        let t = Duration::from_secs(2);
        let k = |leader, others| Killed {
            leader,
            others,
            ..Killed::default()
        };
        assert_eq!(
            timed_out(t, &k(true, 2)),
            (
                "the tool timed out after 2s; killed it and 2 processes it started".into(),
                "timed out after 2s; killed 3 processes".into()
            )
        );
        assert_eq!(
            timed_out(t, &k(true, 0)).0,
            "the tool timed out after 2s and was killed"
        );
        assert_eq!(
            timed_out(t, &k(false, 1)).0,
            "the tool timed out after 2s; killed 1 process it started"
        );
        assert_eq!(timed_out(t, &k(false, 0)).0, "the tool timed out after 2s");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn proc_stat_is_read_from_the_last_parenthesis() {
        let line = "4242 (a) b (c) S 7 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 \
                    1 2 3\n";
        assert_eq!(
            tree::parse(4242, line),
            Some(tree::Stat {
                pid: 4242,
                ppid: 7,
                pgrp: 4242,
                gone: false,
                start: 987654
            })
        );
        assert!(
            tree::parse(1, "1 (z) Z 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5")
                .unwrap()
                .gone
        );
        assert_eq!(tree::parse(1, "1 (x) S 0"), None);
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
