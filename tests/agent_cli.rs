//! `omc run --agent` and `omc agent …`, the real binary end to end: agent files, the loop on the
//! offline echo provider and on the fakes of each family, command tools, approval, limits,
//! trust, credential grants, transcripts, and a real MCP server over stdio.

#[path = "support/agent_env.rs"]
mod agent_env;
#[path = "support/common.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use agent_env::Env;
use common::*;
use serde_json::Value;
use support::fake_provider::{Behaviour, FakeCall, Family, Reply};
use support::server::Fake;

/// A tool that upper-cases its word, writes a marker file when it runs, and says what it got
/// on stdin to stderr.
fn shout_agent(marker: &Path, extra: &str) -> String {
    format!(
        r#"
description = "dry run"
system = "You help with {{{{what}}}}."
models = ["echo"]
{extra}

[[tool]]
name = "shout"
description = "Upper-case a word"
command = ["sh", "-c", "touch '{}'; printf %s \"$1\" | tr a-z A-Z", "sh", "{{word}}"]
parameters = {{ type = "object", properties = {{ word = {{ type = "string" }} }}, required = ["word"] }}
"#,
        marker.display()
    )
}

#[test]
fn an_offline_agent_runs_a_command_tool_end_to_end_and_keeps_an_encrypted_transcript() {
    let env = Env::new();
    let marker = env.cwd.path().join("ran");
    env.agent("dry", &shout_agent(&marker, ""));
    let o = env.run(&[
        "run",
        "--agent",
        "dry",
        "--var",
        "what=words",
        "--approve",
        "shout",
        "/call shout {\"word\":\"canary-TOOLOUT-7\"}",
    ]);
    let out = ok(&o);
    assert!(marker.exists());
    assert_eq!(out, "echo: tool shout returned: CANARY-TOOLOUT-7");
    let err = stderr(&o);
    assert!(
        err.contains("→ shout {\"word\":\"canary-TOOLOUT-7\"}"),
        "{err}"
    );
    assert!(err.contains("✓ 1 lines, "), "{err}");

    // --json: one document with the turns, the call, the totals.
    let (c, doc) = env.json(&[
        "run",
        "--agent",
        "dry",
        "--var",
        "what=x",
        "--approve",
        "all",
        "--json",
        "/call shout {\"word\":\"hi\"}",
    ]);
    assert_eq!(c, 0);
    assert_eq!(doc["agent"], "dry");
    assert_eq!(doc["stop_reason"], "done");
    assert_eq!(doc["text"], "echo: tool shout returned: HI");
    let turns = doc["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[0]["preference"], "echo");
    assert_eq!(turns[0]["model"], "echo-1");
    let call = &turns[0]["tool_calls"][0];
    assert_eq!(call["name"], "shout");
    assert_eq!(call["arguments"]["word"], "hi");
    assert_eq!(call["approved"], true);
    assert_eq!(call["result"], "HI");
    assert_eq!(call["is_error"], false);
    assert!(doc["totals"]["usage"]["input_tokens"].as_u64().unwrap() > 0);

    // The runs are listed without the master key; the transcript needs it.
    let runs = ok(&run(env
        .home
        .bare()
        .args(["agent", "runs"])
        .current_dir(env.cwd.path())));
    assert!(runs.contains("dry") && runs.contains("done"), "{runs}");
    let no_key = run(env.home.bare().args(["agent", "log", "1"]));
    assert_eq!(code(&no_key), 4, "{}", stderr(&no_key));
    let log = ok(&env.run(&["agent", "log", "1"]));
    assert!(
        log.contains("canary-TOOLOUT-7") && log.contains("CANARY-TOOLOUT-7"),
        "{log}"
    );
    assert!(log.contains("You help with words."), "{log}");
    // Stored encrypted: neither the prompt nor the tool's output is in the database in clear.
    for f in ["omc.db", "omc.db-wal"] {
        let p = env.home.data().join(f);
        if let Ok(bytes) = std::fs::read(&p) {
            assert!(
                !contains(&bytes, "TOOLOUT"),
                "{f} holds the transcript in plaintext"
            );
        }
    }
    // Every turn is a usage-ledger row of the agent.
    let usage = ok(&env.run(&["usage", "--group-by", "agent", "--format", "json"]));
    let usage: Value = serde_json::from_str(&usage).unwrap();
    let rows = usage["rows"].as_array().expect("usage rows");
    let dry = rows
        .iter()
        .find(|r| r["group"] == "dry")
        .unwrap_or_else(|| panic!("no row for agent dry: {usage}"));
    // Two runs above, two turns each (the call, then the answer): four model calls.
    assert_eq!(dry["runs"], 4, "{usage}");
    assert!(dry["input_tokens"].as_u64().unwrap() > 0, "{usage}");
    assert!(
        rows.iter().all(|r| r["group"] == "dry"),
        "only the agent ran: {usage}"
    );
}

#[test]
fn without_a_terminal_a_call_that_needs_approval_stops_with_exit_10_naming_the_flag() {
    let env = Env::new();
    let marker = env.cwd.path().join("ran");
    env.agent("dry", &shout_agent(&marker, ""));
    let o = env.run(&[
        "run",
        "--agent",
        "dry",
        "--var",
        "what=x",
        "/call shout {\"word\":\"a\"}",
    ]);
    assert_eq!(code(&o), 10, "{}", stderr(&o));
    assert!(stderr(&o).contains("--approve shout"), "{}", stderr(&o));
    assert!(!marker.exists(), "the tool ran without approval");
    let (_, doc) = env.json(&["agent", "log", "last", "--json"]);
    assert_eq!(doc["stop_reason"], "approval_needed");
}

#[test]
fn a_denied_call_reaches_the_model_as_an_error_result_and_the_run_goes_on() {
    let env = Env::new();
    let marker = env.cwd.path().join("ran");
    env.agent("dry", &shout_agent(&marker, ""));
    let o = env.run(&[
        "run",
        "--agent",
        "dry",
        "--var",
        "what=x",
        "--approve",
        "all",
        "--deny",
        "shout",
        "/call shout {\"word\":\"a\"}",
    ]);
    let out = ok(&o);
    assert!(!marker.exists());
    assert!(
        out.starts_with("echo: tool shout failed: The user declined this call of shout (--deny)"),
        "{out}"
    );
    assert!(
        stderr(&o).contains("✗ shout declined (--deny)"),
        "{}",
        stderr(&o)
    );
    // A typo in a tool name is refused rather than silently asking anyway.
    let o = env.run(&[
        "run",
        "--agent",
        "dry",
        "--var",
        "what=x",
        "--approve",
        "shuot",
        "hi",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("no tool or MCP server by that name"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn failing_timing_out_and_malformed_calls_are_told_to_the_model() {
    let env = Env::new();
    let pidfile = env.cwd.path().join("pid");
    env.agent(
        "t",
        &format!(
            r#"
models = ["echo"]
[[tool]]
name = "fail"
command = ["sh", "-c", "echo partial; echo 'it broke' >&2; exit 3"]
approve = "auto"
[[tool]]
name = "hang"
command = ["sh", "-c", "sleep 30 & echo $! > '{}'; wait"]
timeout = "1s"
approve = "auto"
"#,
            pidfile.display()
        ),
    );
    let out = ok(&env.run(&["run", "--agent", "t", "/call fail {}"]));
    assert!(
        out.contains("tool fail failed: the tool failed (exit 3); stderr ends with:"),
        "{out}"
    );
    assert!(out.contains("it broke"), "{out}");

    let started = std::time::Instant::now();
    let o = env.run(&["run", "--agent", "t", "/call hang {}"]);
    let out = ok(&o);
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert!(
        out.contains("tool hang failed: the tool timed out after 1s"),
        "{out}"
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_owned();
    let alive =
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
    assert!(
        !alive,
        "the tool's background child {pid} outlived the timeout"
    );

    let out = ok(&env.run(&["run", "--agent", "t", "/call fail {not json"]));
    assert!(
        out.contains("tool fail failed: the arguments of tool call 'fail'"),
        "{out}"
    );
    assert!(out.contains("are not a JSON object"), "{out}");
}

#[test]
fn turn_budget_and_daily_limits_stop_the_run_with_the_right_code() {
    let env = Env::new();
    let marker = env.cwd.path().join("ran");
    env.agent("dry", &shout_agent(&marker, ""));
    let o = env.run(&[
        "run",
        "--agent",
        "dry",
        "--var",
        "what=x",
        "--approve",
        "all",
        "--max-turns",
        "1",
        "/call shout {\"word\":\"a\"}",
    ]);
    assert_eq!(code(&o), 10, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("it reached max_turns (1)"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--max-turns"), "{}", stderr(&o));

    let marker2 = env.cwd.path().join("ran2");
    env.agent("cheap", &shout_agent(&marker2, "budget = { tokens = 3 }"));
    let (c, doc) = env.json(&[
        "run",
        "--agent",
        "cheap",
        "--var",
        "what=x",
        "--approve",
        "all",
        "--json",
        "/call shout {\"word\":\"a\"}",
    ]);
    assert_eq!(c, 10);
    assert_eq!(doc["stop_reason"], "budget");
    assert_eq!(doc["turns"].as_array().unwrap().len(), 1);
    assert!(!marker2.exists(), "a tool ran past the budget");

    ok(&env.run(&["limit", "set", "--daily-tokens", "5"]));
    let o = env.run(&["run", "--agent", "dry", "--var", "what=x", "hi"]);
    assert_eq!(code(&o), 8, "{}", stderr(&o));
}

#[test]
fn the_same_call_three_times_stops_the_run() {
    let fake = Fake::start(Family::OpenAi, "sk-openai-KEY-0123456789");
    for i in 0..5 {
        fake.server().push(Behaviour::Reply(Reply::calls(
            &[],
            vec![FakeCall::new(
                &format!("c{i}"),
                "shout",
                r#"{"word":"same"}"#,
            )],
        )));
    }
    let env = Env::new();
    ok(&run_stdin(
        env.home.cmd().args([
            "add",
            "openai",
            "--name",
            "oa",
            "--no-validate",
            "--key-stdin",
            "--base-url",
            &fake.server().base_url(),
        ]),
        "sk-openai-KEY-0123456789",
    ));
    let marker = env.cwd.path().join("ran");
    env.agent(
        "loop",
        &shout_agent(&marker, "").replace("models = [\"echo\"]", "models = [\"oa/gpt-x\"]"),
    );
    let (c, doc) = env.json(&[
        "run",
        "--agent",
        "loop",
        "--var",
        "what=x",
        "--approve",
        "all",
        "--json",
        "go",
    ]);
    assert_eq!(c, 10, "{doc}");
    assert_eq!(doc["stop_reason"], "repeated_call");
    assert_eq!(doc["turns"].as_array().unwrap().len(), 3);
    assert_eq!(
        fake.server().requests().len(),
        3,
        "nothing is sent after the stop"
    );
}

#[test]
fn a_missing_then_failing_preference_falls_back_and_the_next_one_stays_across_families() {
    let key_o = "sk-openai-KEY-0123456789";
    let key_a = "sk-ant-KEY-0123456789";
    let bad = Fake::start(Family::OpenAi, key_o);
    bad.server().set_default(Behaviour::unavailable());
    let good = Fake::start(Family::Anthropic, key_a);
    good.server().push(Behaviour::Reply(Reply::calls(
        &["Let me shout."],
        vec![FakeCall::new("toolu_1", "shout", r#"{"word":"moved"}"#)],
    )));
    good.server()
        .set_default(Behaviour::Reply(Reply::text(&["All", " done"])));
    let env = Env::new();
    for (p, n, k, f) in [
        ("openai", "oa", key_o, &bad),
        ("anthropic", "an", key_a, &good),
    ] {
        ok(&run_stdin(
            env.home.cmd().args([
                "add",
                p,
                "--name",
                n,
                "--no-validate",
                "--key-stdin",
                "--base-url",
                &f.server().base_url(),
            ]),
            k,
        ));
    }
    let marker = env.cwd.path().join("ran");
    env.agent(
        "fb",
        &shout_agent(&marker, "").replace(
            "models = [\"echo\"]",
            "models = [\"nothere/x\", \"oa/gpt-x\", \"an/claude-x\"]",
        ),
    );
    let o = env.run(&[
        "run",
        "--agent",
        "fb",
        "--var",
        "what=x",
        "--approve",
        "all",
        "--json",
        "go",
    ]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("'nothere/x' has no credential"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("falling back to an/claude-x"),
        "{}",
        stderr(&o)
    );
    let prefs: Vec<&str> = doc["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["preference"].as_str().unwrap())
        .collect();
    assert_eq!(prefs, ["an/claude-x", "an/claude-x"]);
    assert_eq!(doc["text"], "All done");
    // The failing one was tried on the first turn only (with its retries), never again.
    let bad_reqs = bad.server().requests().len();
    assert!((1..=3).contains(&bad_reqs), "{bad_reqs}");
    // The second request to Anthropic carries the call and its result in Anthropic's shape.
    let reqs = good.server().requests();
    assert_eq!(reqs.len(), 2);
    let body = reqs[1].json();
    assert_eq!(body["tools"][0]["name"], "shout");
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs[1]["content"][1]["type"], "tool_use");
    assert_eq!(msgs[2]["content"][0]["type"], "tool_result");
    assert_eq!(msgs[2]["content"][0]["tool_use_id"], "toolu_1");
    assert_eq!(msgs[2]["content"][0]["content"], "MOVED");
    assert_eq!(body["system"], "You help with x.");
}

#[test]
fn project_agents_run_only_once_trusted_and_again_after_an_edit() {
    let env = Env::new();
    let dir = env.cwd.path().join(".omc/agents");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(env.cwd.path().join("sub/deeper")).unwrap();
    let file = dir.join("proj.toml");
    std::fs::write(&file, "models = [\"echo\"]\n").unwrap();
    let deeper = env.cwd.path().join("sub/deeper");
    let o = run(env
        .home
        .cmd()
        .current_dir(&deeper)
        .args(["run", "--agent", "proj", "hi"]));
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("is not trusted"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("omc agent trust proj"),
        "{}",
        stderr(&o)
    );
    ok(&run(env
        .home
        .cmd()
        .current_dir(&deeper)
        .args(["agent", "trust", "proj"])));
    let out = ok(&run(env
        .home
        .cmd()
        .current_dir(&deeper)
        .args(["run", "--agent", "proj", "hi"])));
    assert_eq!(out, "echo: hi");
    std::fs::write(&file, "models = [\"echo\"]\nmax_turns = 50\n").unwrap();
    let o = run(env
        .home
        .cmd()
        .current_dir(&deeper)
        .args(["run", "--agent", "proj", "hi"]));
    assert_ne!(code(&o), 0);
    assert!(
        stderr(&o).contains("changed since it was trusted"),
        "{}",
        stderr(&o)
    );
    let list = ok(&run(env
        .home
        .cmd()
        .current_dir(&deeper)
        .args(["agent", "list"])));
    assert!(list.contains("proj") && list.contains("changed"), "{list}");
}

#[test]
fn agent_check_names_the_vars_a_system_prompt_needs() {
    let env = Env::new();
    env.agent(
        "needs",
        "system = \"Review {{lang}} code for {{ team }}; {{lang}} again, {{ }} is text.\"\nmodels = [\"echo\"]\n",
    );
    env.agent(
        "plain",
        "system = \"No placeholders.\"\nmodels = [\"echo\"]\n",
    );
    let out = ok(&env.run(&["agent", "check", "needs"]));
    assert!(
        out.contains(
            "note: its system prompt needs a value for each run: --var lang=VALUE --var team=VALUE"
        ),
        "{out}"
    );
    let (c, doc) = env.json(&["agent", "check", "needs", "--json"]);
    assert_eq!(c, 0);
    assert!(
        doc.to_string()
            .contains("--var lang=VALUE --var team=VALUE"),
        "{doc}"
    );
    let out = ok(&env.run(&["agent", "check", "plain"]));
    assert!(!out.contains("--var"), "{out}");
}

#[test]
fn unknown_keys_are_errors_naming_the_file_and_line() {
    let env = Env::new();
    let p = env.agent(
        "typo",
        "models = [\"echo\"]\n\n[[tool]]\nname = \"a\"\ncommand = [\"true\"]\naprove = \"auto\"\n",
    );
    let o = env.run(&["run", "--agent", "typo", "hi"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:6:", p.display())), "{err}");
    assert!(err.contains("aprove"), "{err}");
    let o = env.run(&["agent", "check", "typo"]);
    assert_ne!(code(&o), 0);
    assert!(stdout(&o).contains("aprove"), "{}", stdout(&o));
}

#[test]
fn a_granted_credential_reaches_only_its_tool_and_never_the_logs_or_the_database() {
    let env = Env::new();
    let canary = "sk-CANARY-GRANT-5e1d0c9b8a7f";
    ok(&env.home.add("openai", "gh", canary));
    let a = env.cwd.path().join("env-a");
    let b = env.cwd.path().join("env-b");
    env.agent(
        "g",
        &format!(
            r#"
models = ["echo"]
[[tool]]
name = "a"
command = ["sh", "-c", "env > '{}'"]
approve = "auto"
credentials = ["gh"]
[[tool]]
name = "b"
command = ["sh", "-c", "env > '{}'"]
approve = "auto"
"#,
            a.display(),
            b.display()
        ),
    );
    let o = run(env.omc().env("OMC_LOG", "trace").args([
        "run",
        "--agent",
        "g",
        "/call a {}\n/call b {}",
    ]));
    ok(&o);
    let ea = std::fs::read_to_string(&a).unwrap();
    let eb = std::fs::read_to_string(&b).unwrap();
    assert!(ea.contains(&format!("OPENAI_API_KEY={canary}")), "{ea}");
    assert!(
        !eb.contains(canary),
        "tool b got a credential it was not granted"
    );
    for e in [&ea, &eb] {
        assert!(!e.contains("OMC_MASTER_KEY"), "a tool saw the master key");
        assert!(!e.contains(&env.home.master_key));
    }
    assert!(!contains(&o.stderr, canary), "the key is in the trace log");
    assert!(!contains(&o.stdout, canary));
    for f in ["omc.db", "omc.db-wal"] {
        if let Ok(bytes) = std::fs::read(env.home.data().join(f)) {
            assert!(
                !contains(&bytes, canary),
                "{f} holds the granted key in plaintext"
            );
        }
    }
    let audit = ok(&env.run(&["audit"]));
    assert!(
        audit.contains("agent-grant") && audit.contains("agent g tool a"),
        "{audit}"
    );
}

/// `mcp-server-time` from PyPI: `$OMC_TEST_MCP_TIME`, else the venv `.ci/run` creates.
fn mcp_time() -> Option<PathBuf> {
    let p = std::env::var_os("OMC_TEST_MCP_TIME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/mcp-venv/bin/mcp-server-time")
        });
    if p.is_file() {
        return Some(p);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var_os("OMC_TEST_REQUIRE_MCP").is_some();
    assert!(
        !ci,
        "mcp-server-time is missing at {} (CI must install it: see .ci/run)",
        p.display()
    );
    eprintln!("skipped: mcp-server-time not installed at {}", p.display());
    None
}

#[test]
fn a_real_mcp_server_over_stdio_lists_its_tools_and_answers_a_call() {
    let Some(server) = mcp_time() else { return };
    let env = Env::new();
    env.agent(
        "time",
        &format!(
            r#"
models = ["echo"]
[mcp.time]
command = "{}"
args = ["--local-timezone", "UTC"]
approve = "auto"
"#,
            server.display()
        ),
    );
    let (c, show) = env.json(&["agent", "show", "time", "--json"]);
    assert_eq!(c, 0, "{show}");
    let names: Vec<&str> = show["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"time_get_current_time") && names.contains(&"time_convert_time"),
        "{names:?}"
    );
    ok(&env.run(&["agent", "check", "time"]));

    let o = env.run(&[
        "run",
        "--agent",
        "time",
        "/call time_get_current_time {\"timezone\":\"UTC\"}",
    ]);
    let out = ok(&o);
    assert!(
        out.starts_with("echo: tool time_get_current_time returned:"),
        "{out}"
    );
    assert!(out.contains("\"timezone\": \"UTC\""), "{out}");
    assert!(
        stderr(&o).contains("→ time_get_current_time"),
        "{}",
        stderr(&o)
    );

    // The allow-list hides the rest, and a name it does not offer is an error at start.
    env.agent(
        "time1",
        &format!(
            "models = [\"echo\"]\n[mcp.time]\ncommand = \"{}\"\ntools = [\"get_current_time\"]\n",
            server.display()
        ),
    );
    let (_, show) = env.json(&["agent", "show", "time1", "--json"]);
    assert_eq!(show["tools"].as_array().unwrap().len(), 1, "{show}");
    env.agent(
        "time2",
        &format!(
            "models = [\"echo\"]\n[mcp.time]\ncommand = \"{}\"\ntools = [\"nope\"]\n",
            server.display()
        ),
    );
    let o = env.run(&["agent", "check", "time2"]);
    assert_ne!(code(&o), 0);
    assert!(
        stdout(&o).contains("'nope', which the server does not offer"),
        "{}",
        stdout(&o)
    );
}

/// Run omc under a pseudo-terminal (`script`), typing `input`.
fn on_tty(env: &Env, args: &[&str], input: &str) -> (String, i32) {
    let mut line = String::from(BIN);
    for a in args {
        line.push(' ');
        line.push_str(&format!("'{}'", a.replace('\'', "'\\''")));
    }
    let o = run_stdin(
        env.omc()
            .env("TERM", "dumb")
            .args(["--version"])
            .env_remove("CI"),
        "",
    );
    let _ = o;
    let mut cmd = Command::new("script");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.home.path())
        .env("OMC_HOME", env.home.data())
        .env("OMC_MASTER_KEY", &env.home.master_key)
        .env("TERM", "dumb")
        .current_dir(env.cwd.path())
        .args(["-qec", &line, "/dev/null"]);
    let o = run_stdin(&mut cmd, input);
    (String::from_utf8_lossy(&o.stdout).into_owned(), code(&o))
}

#[test]
fn approval_on_a_terminal_yes_no_and_always() {
    if Command::new("script").arg("--version").output().is_err() {
        panic!("script(1) (util-linux) is needed for the terminal tests");
    }
    let env = Env::new();
    let marker = env.cwd.path().join("ran");
    env.agent("dry", &shout_agent(&marker, ""));
    let (out, c) = on_tty(
        &env,
        &[
            "run",
            "--agent",
            "dry",
            "--var",
            "what=x",
            "/call shout {\"word\":\"yes\"}",
        ],
        "y\n",
    );
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("the agent wants to run shout"), "{out}");
    assert!(out.contains("\"word\": \"yes\""), "{out}");
    assert!(out.contains("tool shout returned: YES"), "{out}");
    assert!(marker.exists());
    std::fs::remove_file(&marker).unwrap();

    let (out, c) = on_tty(
        &env,
        &[
            "run",
            "--agent",
            "dry",
            "--var",
            "what=x",
            "/call shout {\"word\":\"no\"}",
        ],
        "n\n",
    );
    assert_eq!(c, 0, "{out}");
    assert!(
        out.contains("tool shout failed: The user declined"),
        "{out}"
    );
    assert!(!marker.exists());

    // "always" answers once for both calls of the turn.
    let (out, c) = on_tty(
        &env,
        &[
            "run",
            "--agent",
            "dry",
            "--var",
            "what=x",
            "/call shout {\"word\":\"one\"}\n/call shout {\"word\":\"two\"}",
        ],
        "a\n",
    );
    assert_eq!(c, 0, "{out}");
    assert_eq!(
        out.matches("the agent wants to run shout").count(),
        1,
        "{out}"
    );
    assert!(
        out.contains("returned: ONE") && out.contains("returned: TWO"),
        "{out}"
    );
}

#[test]
fn parallel_calls_on_each_family_are_answered_in_the_next_request() {
    for family in [Family::OpenAi, Family::Anthropic, Family::Gemini] {
        let key = format!("sk-{}-KEY-0123456789", family.provider_id());
        let fake = Fake::start(family, &key);
        fake.server().push(Behaviour::Reply(Reply::calls(
            &["Two at once."],
            vec![
                FakeCall::new("call_a", "shout", r#"{"word":"left"}"#),
                FakeCall::new("call_b", "shout", r#"{"word":"right"}"#),
            ],
        )));
        fake.server()
            .set_default(Behaviour::Reply(Reply::text(&["Both", " shouted"])));
        let env = Env::new();
        ok(&run_stdin(
            env.home.cmd().args([
                "add",
                family.provider_id(),
                "--name",
                "p",
                "--no-validate",
                "--key-stdin",
                "--base-url",
                &fake.server().base_url(),
            ]),
            &key,
        ));
        let marker = env.cwd.path().join("ran");
        env.agent(
            "par",
            &shout_agent(&marker, "")
                .replace("models = [\"echo\"]", "models = [\"p/fake-model-1\"]"),
        );
        let o = env.run(&[
            "run",
            "--agent",
            "par",
            "--var",
            "what=x",
            "--approve",
            "all",
            "go",
        ]);
        let out = ok(&o);
        assert!(
            out.starts_with("Two at once.") && out.ends_with("Both shouted"),
            "{family:?}: {out}"
        );
        assert_eq!(stderr(&o).matches("→ shout").count(), 2, "{}", stderr(&o));
        let reqs = fake.server().requests();
        assert_eq!(reqs.len(), 2, "{family:?}");
        let body = reqs[1].json();
        let text = body.to_string();
        for want in ["LEFT", "RIGHT"] {
            assert!(
                text.contains(want),
                "{family:?}: the result {want} is not in {text}"
            );
        }
        // Each family's own shape for the results.
        match family {
            Family::OpenAi => {
                let msgs = body["messages"].as_array().unwrap();
                let tool: Vec<&Value> = msgs.iter().filter(|m| m["role"] == "tool").collect();
                assert_eq!(tool.len(), 2);
                assert_eq!(tool[0]["tool_call_id"], "call_a");
                assert_eq!(tool[1]["tool_call_id"], "call_b");
            }
            Family::Anthropic => {
                let last = body["messages"].as_array().unwrap().last().unwrap().clone();
                assert_eq!(last["role"], "user");
                assert_eq!(last["content"][0]["tool_use_id"], "call_a");
                assert_eq!(last["content"][1]["tool_use_id"], "call_b");
            }
            Family::Gemini => {
                assert!(text.contains("functionResponse"), "{text}");
            }
        }
    }
}

#[test]
fn sigterm_stops_the_loop_kills_the_running_tool_and_keeps_the_transcript() {
    let env = Env::new();
    let pidfile = env.cwd.path().join("pid");
    env.agent(
        "slow",
        &format!(
            "models = [\"echo\"]\n[[tool]]\nname = \"wait\"\ncommand = [\"sh\", \"-c\", \"sleep 60 & echo $! > '{}'; wait\"]\napprove = \"auto\"\n",
            pidfile.display()
        ),
    );
    let child = env
        .omc()
        .args(["run", "--agent", "slow", "/call wait {}"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !pidfile.exists() || std::fs::read_to_string(&pidfile).unwrap().trim().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the tool never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    ok(&run(
        Command::new("kill").args(["-TERM", &child.id().to_string()])
    ));
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 130, "{}", stderr(&o));
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let alive =
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
    assert!(!alive, "the tool's child {pid} outlived omc");
    let (_, doc) = env.json(&["agent", "log", "last", "--json"]);
    assert_eq!(doc["stop_reason"], "interrupted");
    assert_eq!(doc["turns"][0]["tool_calls"][0]["result"], "interrupted");
}

/// `@modelcontextprotocol/server-everything` from npm: `$OMC_TEST_MCP_EVERYTHING` (its
/// `dist/index.js`), else where `.ci/run` installs it.
fn mcp_everything() -> Option<PathBuf> {
    let p = std::env::var_os("OMC_TEST_MCP_EVERYTHING")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(
                "target/mcp-npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
            )
        });
    if p.is_file() {
        return Some(p);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var_os("OMC_TEST_REQUIRE_MCP").is_some();
    assert!(
        !ci,
        "server-everything is missing at {} (CI must install it: see .ci/run)",
        p.display()
    );
    eprintln!(
        "skipped: server-everything not installed at {}",
        p.display()
    );
    None
}

#[test]
fn a_streamable_http_mcp_server_answers_and_a_stdio_one_gets_no_ungranted_key() {
    let Some(index) = mcp_everything() else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("node")
        .arg(&index)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "server-everything did not listen"
        );
        if let Ok(Some(s)) = server.try_wait() {
            panic!("server-everything exited: {s}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _server = Kill(server);
    let env = Env::new();
    let canary = "sk-CANARY-NOTFORMCP-4a4b4c4d";
    ok(&env.home.add("openai", "gh", canary));
    env.agent(
        "every",
        &format!(
            r#"
models = ["echo"]
[mcp.web]
url = "http://127.0.0.1:{port}/mcp"
tools = ["echo"]
approve = "auto"
[mcp.local]
command = "node"
args = ["{}", "stdio"]
tools = ["get-env"]
approve = "auto"
[[tool]]
name = "granted"
command = ["true"]
credentials = ["gh"]
approve = "auto"
"#,
            index.display()
        ),
    );
    let out = ok(&env.run(&[
        "run",
        "--agent",
        "every",
        "/call web_echo {\"message\":\"over-http-42\"}",
    ]));
    assert!(
        out.starts_with("echo: tool web_echo returned:") && out.contains("over-http-42"),
        "{out}"
    );
    let out = ok(&env.run(&[
        "run",
        "--agent",
        "every",
        "/call granted {}\n/call local_get-env {}",
    ]));
    assert!(out.contains("tool local_get-env returned:"), "{out}");
    assert!(
        out.contains("PATH"),
        "the server's environment is in its answer: {out}"
    );
    assert!(
        !out.contains(canary),
        "an MCP server got a key it was not granted"
    );
    assert!(
        !out.contains("OMC_MASTER_KEY"),
        "an MCP server saw the master key"
    );
}

/// Add a credential `name` of `family`'s provider pointing at `fake`.
fn add_fake(env: &Env, family: Family, name: &str, key: &str, fake: &Fake) {
    ok(&run_stdin(
        env.home.cmd().args([
            "add",
            family.provider_id(),
            "--name",
            name,
            "--no-validate",
            "--key-stdin",
            "--base-url",
            &fake.server().base_url(),
        ]),
        key,
    ));
}

#[test]
fn a_cost_budget_stops_the_run_once_spent_and_nothing_is_sent_past_it() {
    let key = "sk-openai-KEY-0123456789";
    let fake = Fake::start(Family::OpenAi, key);
    // Every turn asks for another call and reports 11 input tokens (and no output text).
    for i in 0..5 {
        fake.server().push(Behaviour::Reply(Reply::calls(
            &[],
            vec![FakeCall::new(
                &format!("c{i}"),
                "count",
                &format!(r#"{{"n":{i}}}"#),
            )],
        )));
    }
    let env = Env::new();
    add_fake(&env, Family::OpenAi, "oa", key, &fake);
    // $1 a token: each turn costs $11, so a $20 budget allows a second turn and no third.
    std::fs::write(
        env.home.data().join("config.toml"),
        "[prices.\"openai/priced-model\"]\ninput = 1000000.0\noutput = 1000000.0\n",
    )
    .unwrap();
    let ran = env.cwd.path().join("ran");
    env.agent(
        "spender",
        &format!(
            r#"
models = ["oa/priced-model"]
budget = {{ cost_usd = 20 }}
[[tool]]
name = "count"
command = ["sh", "-c", "echo x >> '{}'"]
approve = "auto"
"#,
            ran.display()
        ),
    );
    let o = env.run(&["run", "--agent", "spender", "--json", "go"]);
    assert_eq!(code(&o), 10, "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["stop_reason"], "budget");
    assert_eq!(doc["turns"].as_array().unwrap().len(), 2, "{doc}");
    assert_eq!(doc["totals"]["cost_usd"], 22.0, "{doc}");
    assert!(
        stderr(&o).contains("of its budget of $20"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("raise budget"), "{}", stderr(&o));
    // The first turn's call ran; the second turn's did not, and no third request went out.
    assert_eq!(std::fs::read_to_string(&ran).unwrap(), "x\n");
    assert_eq!(fake.server().requests().len(), 2);
}

/// Each request's headers, as the tiny MCP server saw them.
type SeenHeaders = std::sync::Arc<std::sync::Mutex<Vec<Vec<(String, String)>>>>;

/// A minimal streamable-HTTP MCP server on a thread: answers `initialize`, `tools/list` and
/// `tools/call` with JSON bodies, refuses the optional GET stream, and records every request's
/// headers (lower-cased names).
struct TinyMcp {
    port: u16,
    headers: SeenHeaders,
}

impl TinyMcp {
    fn start() -> TinyMcp {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let headers: SeenHeaders = Default::default();
        let seen = headers.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut out = stream;
                    loop {
                        let mut request_line = String::new();
                        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                            return;
                        }
                        let mut hs = Vec::new();
                        loop {
                            let mut l = String::new();
                            if reader.read_line(&mut l).unwrap_or(0) == 0 {
                                return;
                            }
                            let l = l.trim_end();
                            if l.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = l.split_once(':') {
                                hs.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                            }
                        }
                        let len: usize = hs
                            .iter()
                            .find(|(k, _)| k == "content-length")
                            .map(|(_, v)| v.parse().unwrap())
                            .unwrap_or(0);
                        let mut body = vec![0u8; len];
                        reader.read_exact(&mut body).unwrap();
                        seen.lock().unwrap().push(hs);
                        let reply = |status: &str, body: &str| {
                            format!(
                                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n\
                                 mcp-session-id: tiny-1\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            )
                        };
                        let answer = if !request_line.starts_with("POST") {
                            reply("405 Method Not Allowed", "")
                        } else {
                            let msg: Value = serde_json::from_slice(&body).unwrap();
                            let result = match msg["method"].as_str().unwrap_or("") {
                                "initialize" => Some(serde_json::json!({
                                    "protocolVersion": msg["params"]["protocolVersion"],
                                    "capabilities": {"tools": {}},
                                    "serverInfo": {"name": "tiny", "version": "1"}
                                })),
                                "tools/list" => Some(serde_json::json!({"tools": [{
                                    "name": "whoami",
                                    "description": "Say hello",
                                    "inputSchema": {"type": "object", "properties": {}}
                                }]})),
                                "tools/call" => Some(serde_json::json!({
                                    "content": [{"type": "text", "text": "hello from tiny"}],
                                    "isError": false
                                })),
                                _ => None,
                            };
                            match (result, msg.get("id")) {
                                (Some(r), Some(id)) => reply(
                                    "200 OK",
                                    &serde_json::json!({"jsonrpc": "2.0", "id": id, "result": r})
                                        .to_string(),
                                ),
                                _ => reply("202 Accepted", ""),
                            }
                        };
                        if out.write_all(answer.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        TinyMcp { port, headers }
    }

    fn authorizations(&self) -> Vec<String> {
        self.headers
            .lock()
            .unwrap()
            .iter()
            .map(|hs| {
                hs.iter()
                    .find(|(k, _)| k == "authorization")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            })
            .collect()
    }
}

#[test]
fn an_http_mcp_server_gets_its_bearer_key_and_the_key_stays_out_of_logs_and_the_database() {
    let server = TinyMcp::start();
    let env = Env::new();
    let canary = "sk-CANARY-BEARER-77aa88bb99cc";
    ok(&env.home.add("openai", "web", canary));
    env.agent(
        "hb",
        &format!(
            r#"
models = ["echo"]
[mcp.tiny]
url = "http://127.0.0.1:{}/mcp"
bearer = "credential:web"
approve = "auto"
"#,
            server.port
        ),
    );
    let o = run(env.omc().env("OMC_LOG", "trace").args([
        "run",
        "--agent",
        "hb",
        "/call tiny_whoami {}",
    ]));
    let out = ok(&o);
    assert_eq!(out, "echo: tool tiny_whoami returned: hello from tiny");
    let auths = server.authorizations();
    assert!(auths.len() >= 3, "initialize, list, call: {auths:?}");
    assert!(
        auths.iter().all(|a| a == &format!("Bearer {canary}")),
        "{auths:?}"
    );
    assert!(!contains(&o.stderr, canary), "the key is in the trace log");
    assert!(!contains(&o.stdout, canary));
    for f in ["omc.db", "omc.db-wal"] {
        if let Ok(bytes) = std::fs::read(env.home.data().join(f)) {
            assert!(
                !contains(&bytes, canary),
                "{f} holds the bearer key in plaintext"
            );
        }
    }
    let log = ok(&env.run(&["agent", "log", "last"]));
    assert!(!log.contains(canary), "{log}");
    let audit = ok(&env.run(&["audit"]));
    assert!(
        audit.contains("agent-grant") && audit.contains("agent hb MCP server tiny"),
        "{audit}"
    );
}

/// Read `from` (on a thread) until `want` shows up; everything read so far, as text.
fn read_until(
    from: impl std::io::Read + Send + 'static,
    want: &'static str,
) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut from = from;
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        let mut sent = false;
        loop {
            let n = from.read(&mut buf).unwrap_or(0);
            if n == 0 {
                if !sent {
                    let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
                }
                return;
            }
            seen.extend_from_slice(&buf[..n]);
            if !sent && contains(&seen, want) {
                sent = true;
                let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
            }
        }
    });
    rx
}

#[test]
fn ctrl_c_during_a_model_call_exits_130_and_keeps_the_partial_transcript() {
    use std::os::unix::process::CommandExt;
    let key = "sk-openai-KEY-0123456789";
    let fake = Fake::start(Family::OpenAi, key);
    fake.server().push(Behaviour::Reply(Reply::calls(
        &[],
        vec![FakeCall::new("c1", "mark", "{}")],
    )));
    // The second turn sends a word, then holds the stream open.
    fake.server().push(Behaviour::Reply(
        Reply::text(&["Partial", " never", " sent"]).delays(
            std::time::Duration::ZERO,
            std::time::Duration::from_secs(60),
        ),
    ));
    let env = Env::new();
    add_fake(&env, Family::OpenAi, "oa", key, &fake);
    let ran = env.cwd.path().join("ran");
    env.agent(
        "held",
        &format!(
            "models = [\"oa/gpt-x\"]\n[[tool]]\nname = \"mark\"\ncommand = [\"touch\", \"{}\"]\napprove = \"auto\"\n",
            ran.display()
        ),
    );
    let mut child = env
        .omc()
        .args(["run", "--agent", "held", "go"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let seen = read_until(child.stdout.take().unwrap(), "Partial");
    let got = seen
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the first word never arrived");
    assert!(got.contains("Partial"), "{got}");
    // As a terminal sends it: to the whole process group.
    ok(&run(Command::new("kill").args([
        "-INT",
        "--",
        &format!("-{}", child.id()),
    ])));
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 130, "{}", stderr(&o));
    assert!(ran.exists());

    let runs = ok(&env.run(&["agent", "runs"]));
    assert!(
        runs.contains("held") && runs.contains("interrupted"),
        "{runs}"
    );
    let (_, doc) = env.json(&["agent", "log", "last", "--json"]);
    assert_eq!(doc["stop_reason"], "interrupted");
    let turns = doc["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2, "{doc}");
    assert_eq!(turns[0]["tool_calls"][0]["name"], "mark");
    assert_eq!(turns[1]["text"], "Partial");
    // Both ledger rows are closed: the first ok, the held one interrupted.
    let conn = rusqlite::Connection::open(env.home.db()).unwrap();
    let statuses: Vec<String> = conn
        .prepare("SELECT status FROM runs WHERE kind = 'agent' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(statuses, ["ok", "interrupted"]);
}

#[test]
fn ctrl_c_at_the_approval_question_exits_130_and_the_tool_never_runs() {
    let env = Env::new();
    let marker = env.cwd.path().join("ran");
    env.agent("dry", &shout_agent(&marker, ""));
    let line = format!("{BIN} run --agent dry --var what=x '/call shout {{\"word\":\"no\"}}'");
    let mut child = Command::new("script")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.home.path())
        .env("OMC_HOME", env.home.data())
        .env("OMC_MASTER_KEY", &env.home.master_key)
        .env("TERM", "dumb")
        .current_dir(env.cwd.path())
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let seen = read_until(child.stdout.take().unwrap(), "Run it?");
    let got = seen
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("no approval question");
    assert!(got.contains("the agent wants to run shout"), "{got}");
    // Give the prompt time to start reading keys, then type Ctrl-C.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"\x03").unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(130));
    assert!(!marker.exists(), "the tool ran after Ctrl-C");
    let (_, doc) = env.json(&["agent", "log", "last", "--json"]);
    assert_eq!(doc["stop_reason"], "interrupted");
    assert_eq!(doc["turns"][0]["tool_calls"][0]["approved"], false);
}

#[test]
fn escape_sequences_from_the_model_and_from_tools_are_shown_escaped_on_a_terminal() {
    let env = Env::new();
    env.agent(
        "esc",
        r#"
models = ["echo"]
[[tool]]
name = "evil"
command = ["sh", "-c", "printf 'bad \\033]0;pwned\\007\\033[2J' >&2; exit 2"]
approve = "auto"
"#,
    );
    // The echo model repeats the tool's error, escapes and all, as its reply; the arguments
    // carry a bidi override.
    let call = "/call evil {\"name\":\"gnp.\u{202e}exe\"}";
    let (out, c) = on_tty(&env, &["run", "--agent", "esc", call], "");
    assert_eq!(c, 0, "{out}");
    assert!(
        !out.contains('\x1b'),
        "an escape reached the terminal: {out:?}"
    );
    assert!(!out.contains('\u{202e}'), "{out:?}");
    assert!(
        out.contains("→ evil {\"name\":\"gnp.\\u{202e}exe\"}"),
        "{out}"
    );
    assert!(
        out.contains("✗ exit 2: bad \\x1b]0;pwned\\x07\\x1b[2J"),
        "{out}"
    );
    assert!(
        out.contains("tool evil failed: the tool failed (exit 2); stderr ends with:"),
        "{out}"
    );
    assert!(out.contains("bad \\x1b]0;pwned\\x07"), "{out}");
    // --raw passes the model's text through; the tool lines stay escaped.
    let (out, c) = on_tty(&env, &["run", "--agent", "esc", "--raw", call], "");
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("bad \x1b]0;pwned\x07"), "{out:?}");
    assert!(out.contains("✗ exit 2: bad \\x1b]0;pwned"), "{out}");
    // In a pipe the text is byte-exact; the activity lines on stderr are escaped all the same.
    let o = env.run(&["run", "--agent", "esc", call]);
    assert!(
        stdout(&o).contains("bad \x1b]0;pwned\x07"),
        "{:?}",
        stdout(&o)
    );
    assert!(!stderr(&o).contains('\x1b'), "{:?}", stderr(&o));
    assert!(!stderr(&o).contains('\u{202e}'), "{:?}", stderr(&o));
    // The stored transcript, shown on a terminal, is escaped as well.
    let (out, c) = on_tty(&env, &["agent", "log", "last"], "");
    assert_eq!(c, 0, "{out}");
    assert!(!out.contains('\x1b'), "{out:?}");
    assert!(out.contains("bad \\x1b]0;pwned"), "{out}");
}
