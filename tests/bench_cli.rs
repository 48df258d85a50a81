//! `omc bench` end to end: the real binary against the offline `echo` provider (with
//! `OMC_ECHO_DELAY`) and against local fake providers speaking each family's wire format.

#[path = "support/common.rs"]
mod common;
mod support;

use std::process::{Command, Output};
use std::time::Duration;

use common::*;
use serde_json::Value;
use support::fake_provider::{Behaviour, Family, Reply};
use support::json_schema::errors_for;
use support::server::Fake;

fn key(family: Family) -> String {
    format!("sk-{}-BENCHKEY-5e2d8c1a", family.provider_id())
}

/// A home whose default credential is `echo`.
fn echo_home() -> Home {
    let home = Home::new();
    ok(&home.add("echo", "echo", "echo-key-0000"));
    home
}

/// A home whose default credential points at `fake`.
fn fake_home(fake: &Fake) -> Home {
    home_at(fake.server().family, &fake.server().base_url())
}

/// A home whose default credential is `family`'s, at `base_url`.
fn home_at(family: Family, base_url: &str) -> Home {
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            family.provider_id(),
            "--base-url",
            base_url,
            "--no-validate",
            "--key-stdin",
        ]),
        &key(family),
    ));
    home
}

fn bench(home: &Home, delay: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = home.cmd();
    cmd.arg("bench").args(args);
    if let Some(d) = delay {
        cmd.env("OMC_ECHO_DELAY", d);
    }
    run(&mut cmd)
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout: {}\nstderr: {}", stdout(o), stderr(o)))
}

#[track_caller]
fn valid(report: &Value) {
    let errors = errors_for(report);
    assert!(errors.is_empty(), "{errors:#?}\n{report:#}");
}

#[test]
fn echo_json_report_counts_tokens_and_validates_against_the_schema() {
    let home = echo_home();
    let out = bench(
        &home,
        Some("ttft=5ms,token=1ms"),
        &[
            "--runs",
            "4",
            "--prompt",
            "one two three four five six",
            "--json",
        ],
    );
    let r = json(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    valid(&r);
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["id"], "1");
    assert_eq!(r["interrupted"], false);
    assert_eq!(r["config"]["runs"], 4);
    assert_eq!(
        r["config"]["load"],
        serde_json::json!({"mode": "closed", "concurrency": 1})
    );
    let t = &r["targets"][0];
    assert_eq!(t["target"], "echo/echo-1");
    assert_eq!(
        (t["requests"].as_u64(), t["ok"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(t["failed"], 0);
    // "echo:" and six words, per request; the warmup is not counted.
    assert_eq!(t["output_tokens"], 4 * 7);
    assert_eq!(t["input_tokens"], 4 * 6);
    let ttft = t["ttft"]["p50"].as_f64().unwrap();
    assert!((5.0..30.0).contains(&ttft), "{ttft}");
    assert!(t["e2e"]["p50"].as_f64().unwrap() >= ttft);
    assert_eq!(t["ttft"]["n"], 4);
    assert!(r["gates"].as_array().unwrap().is_empty());
    assert!(r["ranking"].is_null(), "one target: no ranking");
    // --json is one document and nothing else on stdout.
    assert!(stdout(&out).trim_end().ends_with('}'));
}

#[test]
fn every_format_renders_the_same_run() {
    let home = echo_home();
    let table = ok(&bench(
        &home,
        None,
        &["--runs", "2", "--level", "short,medium"],
    ));
    let lines: Vec<&str> = table.lines().collect();
    // Borderless aligned columns, like `omc list`: the header, then one line per target.
    assert!(
        lines[0].starts_with(" Target") && lines[0].contains("TTFT p50"),
        "{table}"
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        row[..3],
        ["echo/echo-1", "4", "0"],
        "2 runs × 2 prompts ok: {table}"
    );
    assert!(!table.contains(['┆', '│', '─']), "no box drawing: {table}");

    let md = ok(&bench(
        &home,
        None,
        &["--runs", "2", "--format", "markdown"],
    ));
    assert!(
        md.starts_with("## omc bench\n\n| Target | OK | Failed |"),
        "{md}"
    );
    assert!(
        md.lines()
            .nth(4)
            .unwrap()
            .starts_with("| echo/echo-1 | 2 | 0 |"),
        "{md}"
    );

    let csv = ok(&bench(&home, None, &["--runs", "2", "--format", "csv"]));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].starts_with("target,prompt,provider,model,credential,requests,ok,failed,"));
    // A target's total has no prompt; with one prompt there is no per-prompt row.
    assert!(
        rows[1].starts_with("echo/echo-1,,echo,echo-1,echo,2,2,0,"),
        "{csv}"
    );
    assert_eq!(
        rows[0].split(',').count(),
        rows[1].split(',').count(),
        "{csv}"
    );

    // --out picks its format from the extension; stdout keeps --format's.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let out = ok(&bench(
        &home,
        None,
        &["--runs", "2", "--out", file.to_str().unwrap()],
    ));
    assert!(out.contains("echo/echo-1"));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    valid(&saved);
    assert_eq!(saved["id"], "4");
}

#[test]
fn requests_out_has_a_line_per_request_warmups_flagged() {
    let home = echo_home();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("requests.jsonl");
    ok(&bench(
        &home,
        None,
        &[
            "--runs",
            "3",
            "--warmup",
            "2",
            "--level",
            "short,medium",
            "--requests-out",
            file.to_str().unwrap(),
            "-q",
        ],
    ));
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 3 runs × 2 prompts measured, plus 2 warmups for the one target.
    assert_eq!(lines.len(), 3 * 2 + 2, "{text}");
    assert_eq!(lines.iter().filter(|l| l["warmup"] == true).count(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["status"] == "ok" && l["target"] == "echo/echo-1")
    );
    let medium = lines
        .iter()
        .filter(|l| l["prompt"] == "medium" && l["warmup"] == false)
        .count();
    assert_eq!(medium, 3);
}

#[test]
fn gates_pass_fail_and_report_every_verdict() {
    let home = echo_home();
    let pass = bench(
        &home,
        None,
        &[
            "--runs",
            "3",
            "--fail-if",
            "ttft.p95>5s",
            "--fail-if",
            "error_rate>0%",
            "--json",
        ],
    );
    assert_eq!(code(&pass), 0, "{}", stderr(&pass));
    let r = json(&pass);
    valid(&r);
    let statuses: Vec<&str> = r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pass", "pass"]);

    let fail = bench(
        &home,
        Some("ttft=20ms"),
        &[
            "--runs",
            "3",
            "--fail-if",
            "ttft.p50>10ms",
            "--fail-if",
            "e2e.p50>60s",
        ],
    );
    assert_eq!(code(&fail), 9, "{}", stderr(&fail));
    assert!(
        stderr(&fail).contains("benchmark gate failed: ttft.p50>10ms on echo/echo-1"),
        "{}",
        stderr(&fail)
    );
    let table = stdout(&fail);
    assert!(
        table.contains("ttft.p50>10ms") && table.contains("fail"),
        "{table}"
    );
    assert!(
        table.contains("e2e.p50>60s") && table.contains("pass"),
        "{table}"
    );

    // A bad expression, or a regression gate with nothing to compare with, is a usage error
    // before anything runs.
    assert_eq!(code(&bench(&home, None, &["--fail-if", "ttft.p95 800"])), 2);
    assert_eq!(
        code(&bench(&home, None, &["--fail-if", "regress(ttft.p50)>10%"])),
        2
    );
}

#[test]
fn baseline_last_feeds_regression_gates() {
    // The provider slows down between runs (not OMC_ECHO_DELAY: that is part of the
    // configuration, so runs under different delays are not each other's baseline).
    let fake = Fake::start(Family::OpenAi, &key(Family::OpenAi));
    let home = fake_home(&fake);
    let pace = |ttft_ms: u64| {
        fake.server().set_default(Behaviour::Reply(
            Reply::tokens(4).delays(Duration::from_millis(ttft_ms), Duration::from_millis(1)),
        ))
    };
    // 12 runs: a p50 is judged from 10 samples on.
    let args = [
        "--runs",
        "12",
        "--fail-if",
        "regress(ttft.p50)>20%",
        "--baseline",
        "last",
        "--json",
    ];
    // The first run has no baseline: reported inconclusive, not failed.
    pace(5);
    let first = bench(&home, None, &args);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let r = json(&first);
    valid(&r);
    assert_eq!(r["gates"][0]["status"], "inconclusive");
    assert!(r.get("baseline").is_none());
    assert!(stderr(&first).contains("nothing to compare with yet"));

    // Same speed: passes against run 1.
    let same = bench(&home, None, &args);
    let r = json(&same);
    valid(&r);
    assert_eq!(code(&same), 0, "{r:#}");
    assert_eq!(r["baseline"]["id"], "1");
    assert_ne!(r["gates"][0]["status"], "fail", "{r:#}");
    assert_eq!(r["comparison"]["base"], "1");

    // Six times slower to the first token: a regression beyond any noise.
    pace(30);
    let slow = bench(&home, None, &args);
    assert_eq!(code(&slow), 9, "{}", stderr(&slow));
    let r = json(&slow);
    valid(&r);
    assert_eq!(r["baseline"]["id"], "2");
    assert_eq!(r["gates"][0]["status"], "fail");
    assert!(r["gates"][0]["bound"].as_f64().unwrap() > 0.2);
    let ttft = r["comparison"]["targets"][0]["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["metric"] == "ttft.p50")
        .unwrap()
        .clone();
    assert_eq!(ttft["verdict"], "worse");

    // The history says which runs failed their gates.
    let h: Value =
        serde_json::from_str(&ok(&run(home.cmd().args(["bench", "history", "--json"])))).unwrap();
    assert_eq!(
        h[0]["gates"],
        serde_json::json!({"pass": 0, "fail": 1, "inconclusive": 0})
    );
    assert_eq!(h[2]["gates"]["inconclusive"], 1);
    let table = ok(&run(home.cmd().args(["bench", "history"])));
    assert!(table.contains("1 failed"), "{table}");

    // An explicit baseline that does not exist: exit 3.
    assert_eq!(code(&bench(&home, None, &["--baseline", "77"])), 3);
}

#[test]
fn history_show_and_compare() {
    let home = echo_home();
    ok(&bench(&home, None, &["--runs", "3", "-q"]));
    ok(&bench(&home, None, &["--runs", "5", "-q"]));
    // Another configuration: a different --max-tokens.
    ok(&bench(
        &home,
        None,
        &["--runs", "3", "--max-tokens", "3", "-q"],
    ));

    let h: Value =
        serde_json::from_str(&ok(&run(home.cmd().args(["bench", "history", "--json"])))).unwrap();
    let ids: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["3", "2", "1"]);
    assert_eq!(h[1]["requests"], 5);
    assert_eq!(h[1]["status"], "complete");
    assert_eq!(h[0]["targets"][0], "echo/echo-1");
    assert_eq!(
        h[1]["config_hash"], h[2]["config_hash"],
        "runs are not hashed"
    );
    assert_ne!(h[0]["config_hash"], h[1]["config_hash"]);
    let limited = ok(&run(home.cmd().args(["bench", "history", "--limit", "1"])));
    assert_eq!(limited.lines().count(), 2, "{limited}");

    let shown = json(&run(home.cmd().args(["bench", "show", "2", "--json"])));
    valid(&shown);
    assert_eq!(shown["id"], "2");
    assert_eq!(shown["targets"][0]["ok"], 5);
    let md = ok(&run(home
        .cmd()
        .args(["bench", "show", "2", "--format", "markdown"])));
    assert!(md.contains("| echo/echo-1 | 5 | 0 |"), "{md}");
    assert_eq!(code(&run(home.cmd().args(["bench", "show", "9"]))), 3);
    assert_eq!(code(&run(home.cmd().args(["bench", "show", "x"]))), 3);

    let c = ok(&run(home.cmd().args(["bench", "compare", "1", "2"])));
    assert!(c.contains("ttft.p50") && c.contains("echo/echo-1"), "{c}");
    let cj = json(&run(home
        .cmd()
        .args(["bench", "compare", "1", "2", "--json"])));
    assert_eq!(
        (cj["base"].as_str(), cj["current"].as_str()),
        (Some("1"), Some("2"))
    );
    assert_eq!(cj["same_config"], true);

    let refused = run(home.cmd().args(["bench", "compare", "1", "3"]));
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("max_tokens"),
        "{}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    let forced = ok(&run(home
        .cmd()
        .args(["bench", "compare", "1", "3", "--force"])));
    assert!(forced.contains("configured differently"), "{forced}");
    assert_eq!(
        code(&run(home.cmd().args(["bench", "compare", "1", "42"]))),
        3
    );
    // `last` names the latest run; Markdown is for a CI step summary.
    let last = json(&run(home.cmd().args(["bench", "show", "last", "--json"])));
    assert_eq!(last["id"], "3");
    let md = ok(&run(home.cmd().args([
        "bench", "compare", "2", "last", "--force", "--format", "markdown",
    ])));
    assert!(
        md.starts_with("## omc bench: run 3 against run 2\n"),
        "{md}"
    );
    assert!(
        md.contains("No significant change.") || md.contains("| Target | Metric |"),
        "{md}"
    );
    assert!(md.contains("configured differently"), "{md}");

    // An explicit baseline of another configuration is refused too.
    assert_eq!(
        code(&bench(&home, None, &["--runs", "3", "--baseline", "3"])),
        2
    );
}

#[test]
fn the_usage_ledger_and_limits_see_bench_spend() {
    let home = echo_home();
    ok(&bench(
        &home,
        None,
        &["--runs", "4", "--warmup", "1", "--prompt", "a b c", "-q"],
    ));
    let usage = json(&run(home.cmd().args([
        "usage",
        "--json",
        "--group-by",
        "provider",
    ])));
    let row = &usage["rows"][0];
    assert_eq!(row["group"], "echo");
    assert_eq!(row["runs"], 1, "one ledger row per target: {usage:#}");
    // Warmups are spend too: 5 requests × 4 output tokens ("echo: a b c").
    assert_eq!(row["output_tokens"], 5 * 4, "{usage:#}");

    let audit = ok(&run(home.cmd().args(["audit", "--json"])));
    assert!(audit.contains("\"bench\""), "{audit}");

    ok(&run(home.cmd().args([
        "limit",
        "set",
        "--daily-tokens",
        "20",
    ])));
    let refused = bench(&home, None, &["--runs", "1"]);
    assert_eq!(code(&refused), 8, "{}", stderr(&refused));
    let h = ok(&run(home.cmd().args(["bench", "history", "--json"])));
    assert_eq!(
        serde_json::from_str::<Value>(&h)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1,
        "a refused bench stores no run"
    );
}

#[test]
fn ctrl_c_keeps_and_reports_partial_results() {
    // Ctrl-C, and SIGTERM (a cancelled CI job, `timeout`, `kill`): the same orderly stop.
    for signal in ["-INT", "-TERM"] {
        stops_and_keeps_partial_results(signal);
    }
}

fn stops_and_keeps_partial_results(signal: &str) {
    let home = echo_home();
    let child = home
        .cmd()
        .args(["bench", "--runs", "100000", "--json"])
        .env("OMC_ECHO_DELAY", "ttft=10ms")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Ready once requests are stored (its writer reports every second), not after a guess.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let h: Value = serde_json::from_str(&ok(&run(home
            .cmd()
            .args(["bench", "history", "--json", "--limit", "1"]))))
        .unwrap();
        if h[0]["requests"].as_u64().is_some_and(|n| n > 5) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the bench never stored requests: {h}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{signal}: {}", stderr(&out));
    let r = json(&out);
    valid(&r);
    assert_eq!(r["interrupted"], true);
    let done = r["targets"][0]["ok"].as_u64().unwrap();
    assert!(done > 5 && done < 100_000, "{done}");
    let h: Value =
        serde_json::from_str(&ok(&run(home.cmd().args(["bench", "history", "--json"])))).unwrap();
    assert_eq!(h[0]["status"], "interrupted");
    assert_eq!(h[0]["requests"], done);
}

#[test]
fn fake_provider_failures_are_counted_by_kind() {
    for family in [Family::OpenAi, Family::Anthropic, Family::Gemini] {
        let fake = Fake::start(family, &key(family));
        let home = fake_home(&fake);
        fake.server()
            .set_default(Behaviour::Reply(Reply::tokens(6).usage(Some((9, 6)))));
        fake.server()
            .push(Behaviour::server_error(family))
            .push(Behaviour::rate_limited(family, None))
            .push(Behaviour::server_error(family));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.jsonl");
        let out = bench(
            &home,
            None,
            &[
                "--runs",
                "10",
                "--warmup",
                "0",
                "--json",
                "--requests-out",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(code(&out), 0, "{family:?}: {}", stderr(&out));
        let r = json(&out);
        valid(&r);
        let t = &r["targets"][0];
        assert_eq!(t["ok"], 7, "{family:?}: {t:#}");
        assert_eq!(t["failed"], 3);
        assert_eq!(
            t["errors"],
            serde_json::json!({"server": 2, "rate_limited": 1})
        );
        assert!((t["error_rate"].as_f64().unwrap() - 0.3).abs() < 1e-9);
        assert_eq!(t["output_tokens"], 7 * 6);
        assert_eq!(t["input_tokens"], 7 * 9);
        assert_eq!(t["estimated_usage"], 0);
        // No retries: each failure is one request to the server.
        assert_eq!(fake.server().served(), 10, "{family:?}");
        let lines = std::fs::read_to_string(&file).unwrap();
        let statuses: Vec<u64> = lines
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).unwrap()["http_status"].as_u64())
            .collect();
        assert_eq!(statuses, [500, 429, 500], "{family:?}");
        // The provider's request id is kept for every request, failed ones included (Gemini
        // sends none), so a slow or failed one can be looked up with the provider.
        let mut ids: Vec<String> = lines
            .lines()
            .filter_map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v["request_id"].as_str().map(str::to_owned)
            })
            .collect();
        ids.sort();
        ids.dedup();
        match family {
            Family::Gemini => assert!(ids.is_empty(), "{ids:?}"),
            _ => {
                assert_eq!(ids.len(), 10, "{family:?}: {ids:?}");
                assert!(ids.iter().all(|id| id.starts_with("req_")), "{ids:?}");
            }
        }
    }
}

#[test]
fn a_provider_that_stalls_mid_stream_or_never_answers_is_cut_off_at_the_timeout() {
    // The benchmark's client has no timer per read (it costs throughput): each request's
    // deadline alone must end a stream that stops after its first token, and a reply that
    // never starts, without holding up the run.
    let fake = Fake::start(Family::OpenAi, &key(Family::OpenAi));
    let home = fake_home(&fake);
    fake.server().set_default(Behaviour::Reply(
        Reply::tokens(3).delays(Duration::ZERO, Duration::from_secs(60)),
    ));
    fake.server().push(Behaviour::Hang);
    let started = std::time::Instant::now();
    let out = bench(
        &home,
        None,
        &[
            "--runs",
            "3",
            "--warmup",
            "0",
            "--concurrency",
            "3",
            "--timeout",
            "1s",
            "--json",
        ],
    );
    let took = started.elapsed();
    let r = json(&out);
    let t = &r["targets"][0];
    assert_eq!(t["ok"], 0, "{t:#}\n{}", stderr(&out));
    assert_eq!(t["errors"], serde_json::json!({"timeout": 3}), "{t:#}");
    assert!(took < Duration::from_secs(20), "the run took {took:?}");
    assert_ne!(code(&out), 0);
}

#[test]
fn a_target_whose_every_request_fails_exits_with_the_provider_code() {
    let fake = Fake::start(Family::OpenAi, &key(Family::OpenAi));
    let home = fake_home(&fake);
    fake.server()
        .set_default(Behaviour::rate_limited(Family::OpenAi, None));
    let out = bench(&home, None, &["--runs", "3", "--warmup", "0", "--json"]);
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["targets"][0]["errors"]["rate_limited"], 3);
    fake.server()
        .set_default(Behaviour::auth_error(Family::OpenAi));
    assert_eq!(
        code(&bench(&home, None, &["--runs", "2", "--warmup", "0"])),
        5
    );
}

#[test]
fn ttft_against_the_fake_is_within_a_few_ms_of_the_injected_delay() {
    let fake = Fake::start(Family::OpenAi, &key(Family::OpenAi));
    let home = fake_home(&fake);
    let (ttft, token) = (50.0, 4.0);
    fake.server().set_default(Behaviour::Reply(
        Reply::tokens(12).delays(Duration::from_millis(50), Duration::from_millis(4)),
    ));
    let out = bench(&home, None, &["--runs", "6", "--warmup", "1", "--json"]);
    let r = json(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let t = &r["targets"][0];
    let p50 = t["ttft"]["p50"].as_f64().unwrap();
    assert!(p50 >= ttft && p50 < ttft + 5.0, "ttft p50 {p50} ms");
    let tpot = t["tpot"]["p50"].as_f64().unwrap();
    assert!((tpot - token).abs() < 0.5, "tpot p50 {tpot} ms");
    let e2e = t["e2e"]["p50"].as_f64().unwrap();
    assert!(e2e >= ttft + 11.0 * token, "e2e p50 {e2e} ms");
    // Every gap between the 12 content chunks of the 6 measured requests is counted.
    assert_eq!(t["gap"]["n"], 6 * 11, "{:#}", t["gap"]);
    let gap = t["gap"]["p50"].as_f64().unwrap();
    assert!((gap - token).abs() < 0.5, "gap p50 {gap} ms");
}

#[test]
fn targets_are_credentials_times_models_and_ranked() {
    let home = echo_home();
    ok(&home.add("echo", "echo2", "echo-key-0002"));
    let out = bench(
        &home,
        None,
        &[
            "--credential",
            "echo,echo2",
            "--model",
            "echo-1,echo-x",
            "--runs",
            "2",
            "--json",
        ],
    );
    let r = json(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    valid(&r);
    let labels: Vec<&str> = r["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "echo/echo-1",
            "echo/echo-x",
            "echo/echo-1@echo2",
            "echo/echo-x@echo2"
        ]
    );
    assert_eq!(r["ranking"]["entries"].as_array().unwrap().len(), 4);
    assert_eq!(r["ranking"]["metric"], "ttft.p50");

    let unknown = bench(&home, None, &["--credential", "nope"]);
    assert_eq!(code(&unknown), 3);
    let provider = json(&bench(
        &home,
        None,
        &["--provider", "echo", "--runs", "1", "--json"],
    ));
    assert_eq!(provider["targets"][0]["credential"], "echo");
}

#[test]
fn suites_and_open_loop_runs() {
    let home = echo_home();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    std::fs::write(
        &suite,
        r#"
system = "be brief"
[[prompt]]
name = "greet"
text = "hello there"

[[prompt]]
name = "cap"
text = "one two three four five six seven eight"
max_tokens = 3
"#,
    )
    .unwrap();
    let out = bench(
        &home,
        None,
        &[
            "--suite",
            suite.to_str().unwrap(),
            "--runs",
            "5",
            "--rate",
            "200",
            "--seed",
            "7",
            "--no-stream",
            "--json",
        ],
    );
    let r = json(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    valid(&r);
    assert_eq!(
        r["config"]["load"],
        serde_json::json!({"mode": "open", "rate": 200.0})
    );
    assert_eq!(r["config"]["seed"], 7);
    assert_eq!(r["config"]["stream"], false);
    let names: Vec<&str> = r["config"]["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["greet", "cap"]);
    assert_eq!(r["config"]["prompts"][1]["max_tokens"], 3);
    let t = &r["targets"][0];
    assert_eq!(t["ok"], 10);
    // greet: "echo: hello there" (3 tokens); cap: 3 tokens.
    assert_eq!(t["output_tokens"], 5 * 3 + 5 * 3);
    assert_eq!(t["input_tokens"], 5 * (2 + 2) + 5 * (2 + 8));
    // Unstreamed, there is no time to first token (the first text is the last); the ranking
    // goes by end-to-end latency instead.
    assert!(t["ttft"].is_null(), "{t:#}");
    assert!(t["e2e"].is_object(), "{t:#}");

    std::fs::write(&suite, "[[prompt]]\nname = 'x'\n").unwrap();
    assert_eq!(
        code(&bench(&home, None, &["--suite", suite.to_str().unwrap()])),
        2
    );
    assert_eq!(
        code(&bench(&home, None, &["--concurrency", "2", "--rate", "3"])),
        2
    );
}

#[test]
fn shuffled_order_is_seeded_and_recorded() {
    let home = echo_home();
    let dir = tempfile::tempdir().unwrap();
    // One worker, so requests finish in the order they were sent.
    let sent = |order: &str, seed: &str| -> (Value, Vec<(String, u64)>) {
        let file = dir.path().join(format!("{order}-{seed}.jsonl"));
        let out = bench(
            &home,
            None,
            &[
                "--level",
                "short,medium",
                "--runs",
                "8",
                "--warmup",
                "0",
                "--order",
                order,
                "--seed",
                seed,
                "--json",
                "--requests-out",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let lines = std::fs::read_to_string(&file).unwrap();
        let order = lines
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["prompt"].as_str().unwrap().to_owned(),
                    v["run"].as_u64().unwrap(),
                )
            })
            .collect();
        (json(&out), order)
    };
    let (report, interleaved) = sent("interleaved", "3");
    assert_eq!(report["config"]["order"], "interleaved");
    let (report, shuffled) = sent("shuffled", "3");
    valid(&report);
    assert_eq!(report["config"]["order"], "shuffled");
    assert_eq!(shuffled.len(), 16);
    let mut sorted = shuffled.clone();
    sorted.sort();
    let mut expected = interleaved.clone();
    expected.sort();
    assert_eq!(sorted, expected, "the same requests, in another order");
    assert_ne!(shuffled, interleaved);
    assert_eq!(
        sent("shuffled", "3").1,
        shuffled,
        "the seed fixes the order"
    );
    assert_ne!(sent("shuffled", "4").1, shuffled);
}

#[test]
fn output_paths_are_checked_before_anything_is_sent() {
    let fake = Fake::start(Family::OpenAi, &key(Family::OpenAi));
    let home = fake_home(&fake);
    for flag in ["--out", "--requests-out"] {
        let out = bench(
            &home,
            None,
            &["--runs", "2", flag, "/no/such/dir/report.json"],
        );
        assert_eq!(code(&out), 2, "{flag}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("cannot write {flag} /no/such/dir/report.json")),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(fake.server().served(), 0, "nothing was sent");
    let h = ok(&run(home.cmd().args(["bench", "history", "--json"])));
    assert_eq!(
        h.trim(),
        "[]",
        "no run was started, so none is left 'running'"
    );
}

#[test]
fn a_failed_gate_wins_over_a_dead_target_and_every_dead_target_is_named() {
    let home = echo_home();
    // Two more credentials whose endpoint refuses connections (port 9 on loopback).
    for name in ["dead1", "dead2"] {
        ok(&run_stdin(
            home.cmd().args([
                "add",
                "openai",
                "--name",
                name,
                "--base-url",
                "http://127.0.0.1:9/v1",
                "--no-validate",
                "--key-stdin",
            ]),
            &format!("sk-{name}-000000000000000000"),
        ));
    }
    let args = [
        "--credential",
        "echo,dead1,dead2",
        "--runs",
        "2",
        "--warmup",
        "0",
    ];
    let out = bench(&home, Some("ttft=5ms"), &args);
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    for name in ["dead1", "dead2"] {
        assert!(
            stderr(&out).contains(&format!(
                "every measured request to openai/gpt-4o-mini@{name} failed"
            )),
            "{}",
            stderr(&out)
        );
    }
    let mut gated = args.to_vec();
    gated.extend(["--fail-if", "ttft.p95>1ms"]);
    let out = bench(&home, Some("ttft=5ms"), &gated);
    assert_eq!(code(&out), 9, "{}", stderr(&out));
    assert!(stderr(&out).contains("dead1 failed"), "{}", stderr(&out));
}

#[test]
fn baseline_last_skips_a_run_in_which_everything_failed() {
    let fake = Fake::start(Family::OpenAi, &key(Family::OpenAi));
    let home = fake_home(&fake);
    let args = [
        "--runs",
        "3",
        "--warmup",
        "0",
        "--json",
        "--baseline",
        "last",
    ];
    ok(&bench(&home, None, &args));
    // An outage: every request fails, and that run is no baseline for the next.
    fake.server()
        .set_default(Behaviour::server_error(Family::OpenAi));
    assert_eq!(code(&bench(&home, None, &args)), 6);
    fake.server()
        .set_default(Behaviour::Reply(Reply::tokens(4)));
    let r = json(&bench(&home, None, &args));
    assert_eq!(r["baseline"]["id"], "1", "{:#}", r["baseline"]);
}

#[test]
fn several_prompts_are_also_summed_up_one_by_one() {
    let home = echo_home();
    let out = bench(
        &home,
        None,
        &["--level", "short,medium", "--runs", "4", "--json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    valid(&r);
    let rows = r["by_prompt"].as_array().unwrap();
    let prompts: Vec<&str> = rows.iter().map(|t| t["prompt"].as_str().unwrap()).collect();
    assert_eq!(prompts, ["short", "medium"]);
    for t in rows {
        assert_eq!(t["target"], "echo/echo-1");
        assert_eq!(t["ok"], 4);
    }
    // The medium prompt is longer, and echo answers with it: more tokens per request.
    let tokens = |i: usize| rows[i]["output_tokens"].as_u64().unwrap();
    assert!(tokens(1) > tokens(0), "{rows:#?}");
    assert_eq!(
        tokens(0) + tokens(1),
        r["targets"][0]["output_tokens"].as_u64().unwrap()
    );
    // The table shows the breakdown too; one prompt has none.
    let table = ok(&bench(
        &home,
        None,
        &["--level", "short,medium", "--runs", "2"],
    ));
    assert!(table.contains("By prompt:"), "{table}");
    let single = json(&bench(&home, None, &["--runs", "2", "--json"]));
    assert!(single.get("by_prompt").is_none(), "{single:#}");
}

#[test]
fn a_killed_benchmark_is_told_from_a_running_one() {
    let home = echo_home();
    let mut child = home
        .cmd()
        .args(["bench", "--runs", "100000", "-q"])
        .env("OMC_ECHO_DELAY", "ttft=10ms")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let history = |stale_ms: &str| -> Value {
        let out = run(home
            .cmd()
            .env("OMC_TEST_BENCH_STALE_MS", stale_ms)
            .args(["bench", "history", "--json"]));
        serde_json::from_str(&ok(&out)).unwrap()
    };
    // Polled rather than slept for: on a loaded machine the run may take a while to start.
    let wait_for = |what: &str, done: &dyn Fn(&Value) -> bool| -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let h = history("3000");
            if done(&h) {
                return h;
            }
            assert!(std::time::Instant::now() < deadline, "never {what}: {h:#}");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    // Alive, with requests stored: its writer gives a sign of life every second.
    let h = wait_for("running with requests stored", &|h| {
        h[0]["status"] == "running" && h[0]["requests"].as_u64().is_some_and(|n| n > 0)
    });
    assert_eq!(h[0]["status"], "running");
    // Still alive a heartbeat later (a run is "died" after 3 s of silence).
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(history("3000")[0]["status"], "running");
    // SIGKILL cannot be caught: nothing gets to mark the run. Its silence does.
    child.kill().unwrap();
    child.wait().unwrap();
    let h = wait_for("died", &|h| h[0]["status"] == "died");
    assert_eq!(h[0]["status"], "died");
    // The history counts what it stored before it died.
    assert!(h[0]["requests"].as_u64().unwrap() > 0, "{h:#}");
    let show = run(home
        .cmd()
        .env("OMC_TEST_BENCH_STALE_MS", "3000")
        .args(["bench", "show", "1"]));
    assert_eq!(code(&show), 2, "{}", stderr(&show));
    assert!(
        stderr(&show).contains("bench run 1 died"),
        "{}",
        stderr(&show)
    );
    // The requests finished before the kill are stored.
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let stored: i64 = conn
        .query_row(
            "SELECT count(*) FROM bench_requests WHERE run_id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored > 0, "{stored}");
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_neutralised() {
    let home = echo_home();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("evil.toml");
    std::fs::write(
        &suite,
        "[[prompt]]\nname = '=HYPERLINK(\"http://x\")'\ntext = 'a'\n\n[[prompt]]\nname = '@b'\ntext = 'b'\n",
    )
    .unwrap();
    let csv = ok(&bench(
        &home,
        None,
        &[
            "--suite",
            suite.to_str().unwrap(),
            "--model",
            "+1",
            "--runs",
            "1",
            "--format",
            "csv",
        ],
    ));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    for row in &rows {
        for cell in row.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?} in {csv}");
        }
    }
    assert_eq!(&rows[0][3], "'+1");
    assert_eq!(&rows[1][1], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&rows[2][1], "'@b");
}

#[test]
fn an_http_proxy_in_the_environment_carries_benchs_requests() {
    // The credential names a host that does not exist; only a proxy can reach "it". The fake
    // plays the proxy: it answers the absolute-form request a client sends to one.
    let fake = Fake::start(Family::OpenAi, &key(Family::OpenAi));
    let proxy = fake.server().base_url().trim_end_matches("/v1").to_owned();
    let home = home_at(Family::OpenAi, "http://bench-via-proxy.invalid/v1");
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
        let before = fake.server().requests().len();
        let out = run(home
            .cmd()
            .env(var, &proxy)
            .args(["bench", "--runs", "3", "--json"]));
        assert_eq!(code(&out), 0, "{var}: {}", stderr(&out));
        let r = json(&out);
        assert_eq!(r["targets"][0]["ok"], 3, "{var}: {r:#}");
        let sent = fake.server().requests();
        let sent = &sent[before..];
        assert!(sent.len() >= 3, "{var}: {} requests", sent.len());
        assert!(
            sent.iter()
                .all(|q| q.target == "http://bench-via-proxy.invalid/v1/chat/completions"),
            "{var}: {:?}",
            sent.iter().map(|q| &q.target).collect::<Vec<_>>()
        );
    }
}

/// `omc bench` in a pty (script), as a person runs it: stdout and stderr are the terminal.
fn bench_on_a_terminal(home: &Home, args: &str, delay: &str) -> String {
    let out = home
        .on_a_pty(&format!("bench {args}"))
        .env("OMC_ECHO_DELAY", delay)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_progress_bar_is_labelled_from_its_first_frame_and_never_a_full_empty_bar() {
    if !require(
        Command::new("script").arg("--version").output().is_ok(),
        "script(1)",
        None,
    ) {
        return;
    }
    let home = echo_home();
    let screen = bench_on_a_terminal(&home, "--runs 6", "ttft=300ms");
    let frames: Vec<&str> = screen
        .split(['\r', '\n'])
        .filter(|f| f.contains("req/s") || f.contains("starting"))
        .collect();
    assert!(
        frames.first().is_some_and(|f| f.contains("starting")),
        "{frames:?}"
    );
    assert!(
        frames.iter().all(|f| !f.contains("0/0")),
        "an empty count was drawn: {frames:?}"
    );
    assert!(frames.iter().any(|f| f.contains("measuring")), "{frames:?}");
}

#[test]
fn a_markdown_report_includes_the_histogram_when_asked() {
    let home = echo_home();
    let out = run(home.cmd().env("OMC_ECHO_DELAY", "ttft=2ms").args([
        "bench",
        "--runs",
        "5",
        "--format",
        "markdown",
        "--histogram",
        "always",
    ]));
    let text = ok(&out);
    let chart = text
        .split("```text\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no histogram block: {text}"));
    assert!(chart.starts_with("TTFT, echo/echo-1:"), "{chart}");
    assert!(chart.contains('█') && chart.contains("```"), "{chart}");
    // Not unless asked: a step summary stays a table.
    let plain = ok(&run(home
        .cmd()
        .args(["bench", "--runs", "3", "--format", "markdown"])));
    assert!(!plain.contains("```text"), "{plain}");
    // JSON has no place for it, and says so.
    let out = run(home
        .cmd()
        .args(["bench", "--runs", "3", "--json", "--histogram", "always"]));
    ok(&out);
    assert!(
        stderr(&out).contains("no place for a chart"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn compare_takes_a_practical_threshold() {
    let home = echo_home();
    ok(&run(home.cmd().args(["bench", "--runs", "3", "--json"])));
    ok(&run(home.cmd().args(["bench", "--runs", "3", "--json"])));
    let out = run(home
        .cmd()
        .args(["bench", "compare", "1", "2", "--min-effect", "5%", "--json"]));
    let doc: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert!(doc["targets"].is_array(), "{doc}");
    let out = run(home
        .cmd()
        .args(["bench", "compare", "1", "2", "--min-effect", "lots"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("percentage"), "{}", stderr(&out));
}

/// `--schema`: every request asks for the schema in the family's native form, and each
/// target's validity rate is in the JSON, the table and the Markdown.
#[test]
fn schema_validity_rate_per_target_in_every_format() {
    let fake = Fake::start(Family::OpenAi, &key(Family::OpenAi));
    let home = fake_home(&fake);
    let good = r#"{"name": "Ada", "age": 36}"#;
    fake.server()
        .set_default(Behaviour::Reply(Reply::text(&[good])));
    let args = ["--schema", "name, age int", "--runs", "4", "--warmup", "0"];
    let invalid = || {
        fake.server()
            .push(Behaviour::Reply(Reply::text(&[r#"{"name": "Ada"}"#])));
    };
    invalid();
    let report = json(&bench(&home, None, &[&args[..], &["--json"]].concat()));
    valid(&report);
    let t = &report["targets"][0];
    assert_eq!(
        (t["ok"].as_u64(), t["schema_valid"].as_u64()),
        (Some(4), Some(3)),
        "{t:#}"
    );
    assert_eq!(t["schema_validity"], 0.75);
    assert_eq!(
        report["config"]["schema"]["required"],
        serde_json::json!(["age", "name"])
    );
    let body = fake.server().requests().last().unwrap().json();
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);

    invalid();
    let table = ok(&bench(&home, None, &args));
    let lines: Vec<&str> = table.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header[..4], ["Target", "OK", "Failed", "Valid"], "{table}");
    assert!(lines[1].contains("75% (3/4)"), "{table}");

    invalid();
    let md = ok(&bench(
        &home,
        None,
        &[&args[..], &["--format", "markdown"]].concat(),
    ));
    assert!(md.contains("| Target | OK | Failed | Valid |"), "{md}");
    assert!(md.contains("| 4 | 0 | 75% (3/4) |"), "{md}");

    // Without --schema there is no such column or field.
    let report = json(&bench(&home, None, &["--runs", "1", "--json"]));
    assert!(report["targets"][0].get("schema_validity").is_none());
    assert!(report["config"].get("schema").is_none());

    // The echo provider answers a schema with a matching document.
    let echo = echo_home();
    let report = json(&bench(
        &echo,
        None,
        &["--schema", "ok bool", "--runs", "2", "--json"],
    ));
    assert_eq!(report["targets"][0]["schema_validity"], 1.0);
}
