//! What a tool call may do, through the real binary: a model's argument never becomes an option,
//! a timeout ends every process the tool started (also `setsid` daemons), and an MCP result is
//! cut to `max_output` before the model or the transcript gets it.

#[path = "support/agent_env.rs"]
mod agent_env;
#[path = "support/common.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use agent_env::Env;
use common::*;
use support::fake_provider::{Behaviour, FakeCall, Family, Reply};
use support::server::Fake;

impl Env {
    fn file(&self, name: &str) -> PathBuf {
        self.cwd.path().join(name)
    }
}

#[test]
fn a_model_cannot_turn_a_param_into_an_option_unless_the_tool_allows_it() {
    let env = Env::new();
    let params = r#"parameters = { type = "object", properties = { file = { type = "string" } }, required = ["file"] }"#;
    env.agent(
        "s",
        &format!(
            r#"
models = ["echo"]
[[tool]]
name = "sort_plain"
command = ["sort", "{{file}}"]
{params}
approve = "auto"
[[tool]]
name = "sort_after_dashes"
command = ["sort", "--", "{{file}}"]
{params}
approve = "auto"
"#
        ),
    );
    // A file apart, so that on a build without the key the attack above is what fails.
    env.agent(
        "o",
        &format!(
            r#"
models = ["echo"]
[[tool]]
name = "sort_options"
command = ["sort", "{{file}}"]
{params}
approve = "auto"
options = true
"#
        ),
    );
    let pwned = env.file("pwned");

    // `sort -opwned` would write its sorted stdin to the file `pwned`.
    let o = env.run(&[
        "run",
        "--agent",
        "s",
        "/call sort_plain {\"file\":\"-opwned\"}",
    ]);
    let out = ok(&o);
    assert!(
        out.starts_with(
            "echo: tool sort_plain failed: the value of 'file' makes an argument start with '-'"
        ),
        "{out}"
    );
    assert!(!pwned.exists(), "the model's value ran as an option");

    // After a literal `--` it is a file name: the file called `-opwned` is sorted.
    std::fs::write(env.file("-opwned"), "b\na\n").unwrap();
    let out = ok(&env.run(&[
        "run",
        "--agent",
        "s",
        "/call sort_after_dashes {\"file\":\"-opwned\"}",
    ]));
    assert_eq!(out, "echo: tool sort_after_dashes returned: a\nb", "{out}");
    assert!(!pwned.exists());

    // `options = true`: the author allowed it, and it is an option.
    let out = ok(&env.run(&[
        "run",
        "--agent",
        "o",
        "/call sort_options {\"file\":\"-opwned\"}",
    ]));
    assert!(out.starts_with("echo: tool sort_options returned"), "{out}");
    assert!(pwned.exists(), "options = true did not pass the option on");
}

/// Whether `pid` is gone (no such process, or a zombie waiting for its parent).
fn gone(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

/// Kills `pid` when dropped, so a failing test leaves no `sleep 1000` behind.
struct Reap(String);

impl Drop for Reap {
    fn drop(&mut self) {
        if !self.0.is_empty() && !gone(&self.0) {
            let _ = Command::new("kill").args(["-9", &self.0]).status();
        }
    }
}

/// The pid a tool wrote to `path`.
fn pid_in(path: &Path) -> Reap {
    Reap(
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .trim()
            .to_owned(),
    )
}

#[cfg(target_os = "linux")]
#[test]
fn a_timeout_kills_setsid_daemons_the_tool_started_and_says_so() {
    let env = Env::new();
    // A daemon in its own session writes its pid (atomically), then sleeps; the tool either
    // waits for it or leaves it orphaned, still holding the tool's stdout open.
    let daemon = r#"setsid sh -c 'echo $$ > "$0.tmp"; mv "$0.tmp" "$0"; exec sleep 1000' "$1" &"#;
    std::fs::write(env.file("waits.sh"), format!("{daemon}\nwait\n")).unwrap();
    std::fs::write(
        env.file("leaves.sh"),
        format!("{daemon}\nwhile [ ! -s \"$1\" ]; do sleep 0.01; done\n"),
    )
    .unwrap();
    env.agent(
        "d",
        &format!(
            r#"
models = ["echo"]
[[tool]]
name = "waits"
command = ["sh", "waits.sh", "{}"]
timeout = "2s"
approve = "auto"
[[tool]]
name = "leaves"
command = ["sh", "leaves.sh", "{}"]
timeout = "2s"
approve = "auto"
"#,
            env.file("waits.pid").display(),
            env.file("leaves.pid").display()
        ),
    );

    let started = Instant::now();
    let out = ok(&env.run(&["run", "--agent", "d", "/call waits {}"]));
    assert!(started.elapsed() < Duration::from_secs(15));
    let daemon = pid_in(&env.file("waits.pid"));
    assert!(gone(&daemon.0), "the setsid daemon {} survived", daemon.0);
    assert_eq!(
        out,
        "echo: tool waits failed: the tool timed out after 2s; killed it and 1 process it started"
    );

    // The tool has exited; its daemon was handed to omc, which finds and kills it.
    let out = ok(&env.run(&["run", "--agent", "d", "/call leaves {}"]));
    let daemon = pid_in(&env.file("leaves.pid"));
    assert!(gone(&daemon.0), "the orphaned daemon {} survived", daemon.0);
    assert_eq!(
        out,
        "echo: tool leaves failed: the tool timed out after 2s; killed 1 process it started"
    );
}

#[test]
fn a_timeout_with_nothing_left_over_claims_no_other_kills() {
    let env = Env::new();
    env.agent(
        "h",
        r#"
models = ["echo"]
[[tool]]
name = "hang"
command = ["sleep", "30"]
timeout = "1s"
approve = "auto"
"#,
    );
    let out = ok(&env.run(&["run", "--agent", "h", "/call hang {}"]));
    assert_eq!(
        out,
        "echo: tool hang failed: the tool timed out after 1s and was killed"
    );
}

/// A stdio MCP server (python3, JSON-RPC lines) whose one tool, `big`, returns 5,000,008 bytes.
const BIG_SERVER: &str = r#"
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    method, id = msg.get("method"), msg.get("id")
    if id is None:
        continue
    if method == "initialize":
        result = {"protocolVersion": msg["params"]["protocolVersion"],
                  "capabilities": {"tools": {}},
                  "serverInfo": {"name": "big", "version": "1"}}
    elif method == "tools/list":
        result = {"tools": [{"name": "big", "description": "A lot of text",
                             "inputSchema": {"type": "object", "properties": {}}}]}
    elif method == "tools/call":
        result = {"content": [{"type": "text", "text": "BEGIN" + "y" * 5000000 + "END"}],
                  "isError": False}
    else:
        sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": id,
                                     "error": {"code": -32601, "message": "no"}}) + "\n")
        sys.stdout.flush()
        continue
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": id, "result": result}) + "\n")
    sys.stdout.flush()
"#;

/// Run agent `name` on a fake OpenAI whose model calls `calls` (each `SERVER_big`) and then
/// answers "done"; the body of the request that carried the results.
fn mcp_results_sent(env: &Env, name: &str, calls: &[&str]) -> String {
    let key = &format!("sk-openai-KEY-0123456789-{name}");
    let fake = Fake::start(Family::OpenAi, key);
    let calls = calls
        .iter()
        .enumerate()
        .map(|(i, c)| FakeCall::new(&format!("c{i}"), c, "{}"))
        .collect();
    fake.server()
        .push(Behaviour::Reply(Reply::calls(&[], calls)));
    fake.server().push(Behaviour::Reply(Reply::text(&["done"])));
    ok(&run_stdin(
        env.home.cmd().args([
            "add",
            "openai",
            "--name",
            name,
            "--no-validate",
            "--key-stdin",
            "--base-url",
            &fake.server().base_url(),
        ]),
        key,
    ));
    let out = ok(&env.run(&["run", "--agent", name, "go"]));
    assert_eq!(out, "done");
    let requests = fake.server().requests();
    assert_eq!(requests.len(), 2);
    requests[1].body.clone()
}

#[track_caller]
fn assert_has(text: &str, want: &str) {
    assert!(
        text.contains(want),
        "{want} is missing from: {}",
        &text[..text.len().min(2000)]
    );
}

#[test]
fn an_mcp_result_is_cut_to_max_output_for_the_model_and_the_transcript() {
    let env = Env::new();
    std::fs::write(env.file("big.py"), BIG_SERVER).unwrap();
    // The default max_output: 64 KiB.
    env.agent(
        "plain",
        r#"
models = ["plain/some-model"]
[mcp.plain]
command = "python3"
args = ["big.py"]
approve = "auto"
"#,
    );
    let body = mcp_results_sent(&env, "plain", &["plain_big"]);
    assert!(body.len() < 200_000, "the model got {} bytes", body.len());
    assert_has(
        &body,
        "[output truncated: the first 65536 of 5000008 bytes]",
    );
    assert!(
        !body.contains("END"),
        "the end of a cut result reached the model"
    );
    let log = ok(&env.run(&["agent", "log", "last"]));
    assert!(
        log.len() < 200_000,
        "the transcript holds {} bytes",
        log.len()
    );
    assert_has(&log, "[output truncated: the first 65536 of 5000008 bytes]");

    // The server's own.
    env.agent(
        "small",
        r#"
models = ["small/some-model"]
[mcp.small]
command = "python3"
args = ["big.py"]
approve = "auto"
max_output = 1000
"#,
    );
    let body = mcp_results_sent(&env, "small", &["small_big"]);
    assert!(body.len() < 20_000, "the model got {} bytes", body.len());
    assert_has(&body, "[output truncated: the first 1000 of 5000008 bytes]");
    let log = ok(&env.run(&["agent", "log", "last"]));
    assert!(
        log.len() < 20_000,
        "the transcript holds {} bytes",
        log.len()
    );
    assert_has(&log, "[output truncated: the first 1000 of 5000008 bytes]");
}
