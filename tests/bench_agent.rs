//! `omc bench --agent`, the real binary end to end and offline: an agent with a command tool
//! on the echo provider (whose `/call` lines make the model call tools deterministically),
//! three tasks with checks over two targets, gates, history and compare. Timing accuracy is
//! `tests/bench_agent_accuracy.rs`.

#[path = "support/agent_env.rs"]
mod agent_env;
#[path = "support/common.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};

use agent_env::Env;
use common::*;
use serde_json::Value;
use support::fake_provider::{Behaviour, Family};
use support::server::Fake;

/// An agent with one command tool that upper-cases its word and leaves a marker when it runs.
fn agent(env: &Env, marker: &Path, approve: &str) {
    env.agent(
        "shouter",
        &format!(
            r#"
description = "bench me"
system = "You shout about {{{{topic}}}}."
models = ["echo"]

[[tool]]
name = "shout"
description = "Upper-case a word"
command = ["sh", "-c", "touch '{}'; printf %s \"$1\" | tr a-z A-Z", "sh", "{{word}}"]
parameters = {{ type = "object", properties = {{ word = {{ type = "string" }} }}, required = ["word"] }}
{approve}
"#,
            marker.display()
        ),
    );
}

/// Three tasks: one that calls the tool and passes its checks, one whose answer is not the
/// JSON its schema asks for, one that passes a regex.
fn suite(env: &Env) -> PathBuf {
    let p = env.cwd.path().join("suite.toml");
    std::fs::write(
        &p,
        r#"
[[task]]
name = "shout"
prompt = "/call shout {\"word\":\"{{w}}\"}"
vars = { w = "hello", topic = "greetings" }
contains = ["HELLO"]
tool_called = { name = "shout", arguments = { word = "hello" } }
max_turns = 2

[[task]]
name = "json"
prompt = "give me a person"
vars = { topic = "people" }
json_schema = "name, age int"

[[task]]
name = "plain"
prompt = "say something plain"
vars = { topic = "plainness" }
regex = "^echo: say \\w+ plain$"
tool_called = "nothing"
max_turns = 1
"#,
    )
    .unwrap();
    p
}

fn two_targets() -> Env {
    let env = Env::new();
    ok(&env.home.add("echo", "echo2", "echo-key-two-not-secret"));
    env
}

fn row<'a>(doc: &'a Value, task: &str, target: &str) -> &'a Value {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == task && t["target"] == target)
        .unwrap_or_else(|| panic!("no {task} on {target} in {doc:#}"))
}

#[test]
fn three_tasks_over_two_targets_are_run_checked_reported_and_stored() {
    let env = two_targets();
    let marker = env.cwd.path().join("ran");
    agent(&env, &marker, "");
    let suite = suite(&env);
    let jsonl = env.cwd.path().join("turns.jsonl");
    let suite_s = suite.to_str().unwrap();
    let jsonl_s = jsonl.to_str().unwrap();
    let (c, doc) = env.json(&[
        "bench",
        "--agent",
        "shouter",
        "--suite",
        suite_s,
        "--credential",
        "echo,echo2",
        "--runs",
        "3",
        "--concurrency",
        "2",
        "--approve",
        "shout",
        "--requests-out",
        jsonl_s,
        "--fail-if",
        "answer.p95>20s",
        "--json",
    ]);
    assert_eq!(c, 0, "{doc:#}");
    assert!(marker.exists());
    assert_eq!(doc["kind"], "agent");
    let errors = support::json_schema::errors_against("bench-agent-report.schema.json", &doc);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["targets"].as_array().unwrap().len(), 6);
    for target in ["echo/echo-1", "echo/echo-1@echo2"] {
        let t = row(&doc, "shout", target);
        assert_eq!(
            (t["runs"].as_u64(), t["ok"].as_u64()),
            (Some(3), Some(3)),
            "{t:#}"
        );
        assert_eq!(t["success_rate"], 1.0);
        assert_eq!(t["turns"]["mean"], 2.0);
        assert_eq!(t["stop_reasons"]["done"], 3);
        assert!(t["answer"]["p50"].as_f64().unwrap() > 0.0);
        assert!(t["answer"]["p99"].as_f64().is_some());
        assert!(t["tool_time"]["mean"].as_f64().unwrap() > 0.0);
        assert!(t["model_time"]["mean"].as_f64().is_some());
        assert_eq!(t["ttft"]["n"], 6, "a TTFT per turn: {t:#}");
        assert!(t["input_tokens"].as_u64().unwrap() > 0);
        let kinds: Vec<&str> = t["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["model", "tool", "model"]);

        let j = row(&doc, "json", target);
        assert_eq!((j["ok"].as_u64(), j["failed"].as_u64()), (Some(0), Some(3)));
        let (why, n) = j["failures"].as_object().unwrap().iter().next().unwrap();
        assert!(
            why.starts_with("json_schema: the answer is not JSON"),
            "{why}"
        );
        assert_eq!(n, 3);

        // The regex passes; a tool that was never called fails the run.
        let p = row(&doc, "plain", target);
        assert_eq!(p["ok"], 0, "{p:#}");
        let why = p["failures"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        assert_eq!(why, "tool_called: nothing was not called");
    }
    assert_eq!(doc["gates"].as_array().unwrap().len(), 6);
    assert!(
        doc["gates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["status"] == "pass")
    );

    // Every run, turn and tool call in the JSON Lines; no text, arguments or results.
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |k: &str| lines.iter().filter(|l| l["type"] == k).count();
    assert_eq!(count("run"), 18);
    assert_eq!(count("turn"), 6 * 2 + 12);
    assert_eq!(count("tool_call"), 6);
    assert!(!text.contains("HELLO") && !text.contains("hello"), "{text}");

    // History, show and compare know agent runs.
    let (_, hist) = env.json(&["bench", "history", "--json"]);
    assert_eq!(hist[0]["kind"], "agent");
    assert_eq!(hist[0]["requests"], 18);
    assert_eq!(hist[0]["failed"], 12);
    assert_eq!(hist[0]["prompts"], 3);
    let id = hist[0]["id"].as_str().unwrap().to_owned();
    let shown = ok(&env.run(&["bench", "show", &id, "--format", "markdown"]));
    assert!(
        shown.contains("| shout | echo/echo-1@echo2 | 3/3 |"),
        "{shown}"
    );
    assert!(shown.contains("Timeline of the median run"), "{shown}");
    assert!(shown.contains("█"), "{shown}");
    let table = ok(&env.run(&["bench", "show", &id]));
    assert!(
        table.contains("json · echo/echo-1: 3× json_schema"),
        "{table}"
    );
}

#[test]
fn a_gate_on_success_fails_with_exit_9_and_a_baseline_compares() {
    let env = two_targets();
    let marker = env.cwd.path().join("ran");
    agent(&env, &marker, "");
    let suite = suite(&env);
    let args = |extra: &[&str]| {
        let mut a: Vec<String> = [
            "bench",
            "--agent",
            "shouter",
            "--suite",
            suite.to_str().unwrap(),
            "--credential",
            "echo,echo2",
            "--runs",
            "2",
            "--approve",
            "shout",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let a = args(&["--fail-if", "success<0.95", "--fail-if", "cost.mean>0.01"]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = env.run(&refs);
    assert_eq!(code(&o), 9, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("success<0.95 on json · echo/echo-1"), "{err}");
    assert!(!err.contains("success<0.95 on shout"), "{err}");
    let out = stdout(&o);
    assert!(out.contains("Timeline of the median run"), "{out}");

    // A regression gate against the last run of this configuration.
    let a = args(&[
        "--baseline",
        "last",
        "--fail-if",
        "regress(answer.p50)>1000%",
        "--json",
    ]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (c, doc) = env.json(&refs);
    assert_eq!(c, 0, "{doc:#}");
    assert!(doc["baseline"]["id"].is_string(), "{doc:#}");
    let (_, hist) = env.json(&["bench", "history", "--json"]);
    let (a_id, b_id) = (
        hist[1]["id"].as_str().unwrap(),
        hist[0]["id"].as_str().unwrap(),
    );
    let cmp = ok(&env.run(&["bench", "compare", a_id, b_id]));
    assert!(cmp.contains("shout · echo/echo-1"), "{cmp}");
}

#[test]
fn a_tool_that_would_ask_stops_the_bench_before_anything_runs() {
    let env = two_targets();
    let marker = env.cwd.path().join("ran");
    agent(&env, &marker, "");
    let suite = suite(&env);
    let o = env.run(&[
        "bench",
        "--agent",
        "shouter",
        "--suite",
        suite.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("tool shout of agent 'shouter' would ask for approval"),
        "{err}"
    );
    assert!(err.contains("--approve shout"), "{err}");
    assert!(!marker.exists());
    let (_, hist) = env.json(&["bench", "history", "--json"]);
    assert_eq!(hist.as_array().map(Vec::len), Some(0), "{hist:#}");

    // approve = "auto" in the file settles it.
    agent(&env, &marker, "approve = \"auto\"");
    let o = env.run(&[
        "bench",
        "--agent",
        "shouter",
        "--suite",
        suite.to_str().unwrap(),
        "-n",
        "1",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(marker.exists());
}

#[test]
fn a_target_whose_every_run_failed_exits_with_what_the_provider_said() {
    let env = Env::new();
    let key = "sk-openai-KEY-0123456789";
    let fake = Fake::start_any(Family::OpenAi);
    fake.server()
        .set_default(Behaviour::auth_error(Family::OpenAi));
    ok(&run_stdin(
        env.home
            .cmd()
            .args([
                "add",
                "openai",
                "--name",
                "oa",
                "--no-validate",
                "--key-stdin",
            ])
            .args(["--base-url", &fake.server().base_url()]),
        key,
    ));
    let marker = env.cwd.path().join("ran");
    agent(&env, &marker, "approve = \"auto\"");
    let (c, doc) = env.json(&[
        "bench",
        "--agent",
        "shouter",
        "--credential",
        "oa,echo",
        "--var",
        "topic=x",
        "-n",
        "2",
        "--prompt",
        "hi",
        "--json",
    ]);
    assert_eq!(c, 5, "{doc:#}");
    let targets = doc["targets"].as_array().unwrap();
    let t = targets.iter().find(|t| t["provider"] == "openai").unwrap();
    assert_eq!(t["stop_reasons"]["error"], 2, "{t:#}");
    assert_eq!(t["ok"], 0);
    assert_eq!(row(&doc, "prompt-1", "echo/echo-1")["ok"], 2);
}
