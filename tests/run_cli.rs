//! `omc add/validate/run/models/usage/limit` against local fake providers speaking each family's
//! wire format. The binary under test is the real one; only the provider is fake, at HTTP level.

#[path = "support/common.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use common::*;
use support::fake_provider::{Behaviour, Family, Reply};
use support::server::Fake;

const FAMILIES: [Family; 3] = [Family::OpenAi, Family::Anthropic, Family::Gemini];

fn good_key(family: Family) -> String {
    format!("sk-{}-GOODKEY-4f1c9a7e2b", family.provider_id())
}

/// `omc add FAMILY --base-url FAKE --key-stdin` (validated against the fake).
fn add_to(home: &Home, fake: &Fake, family: Family, key: &str) -> std::process::Output {
    run_stdin(
        home.cmd().args([
            "add",
            family.provider_id(),
            "--base-url",
            &fake.server().base_url(),
            "--key-stdin",
        ]),
        key,
    )
}

/// A home with one validated credential named after the family, pointing at `fake`.
fn home_with(fake: &Fake, family: Family) -> Home {
    let home = Home::new();
    ok(&add_to(&home, fake, family, &good_key(family)));
    home
}

#[test]
fn add_validates_before_storing() {
    for family in FAMILIES {
        let fake = Fake::start(family, &good_key(family));
        let home = Home::new();
        let bad = add_to(&home, &fake, family, "sk-BADKEY-0000000000000000");
        assert_eq!(code(&bad), 5, "{family:?}: {}", stderr(&bad));
        assert!(
            stderr(&bad).contains("hint: nothing was stored"),
            "{}",
            stderr(&bad)
        );
        assert!(
            !contains(&bad.stderr, "sk-BADKEY-0000000000000000"),
            "{}",
            stderr(&bad)
        );
        let list = ok(&run(home.cmd().args(["list", "--json"])));
        assert_eq!(list.trim(), "[]", "a rejected key is never stored");

        let home = home_with(&fake, family);
        let list: serde_json::Value =
            serde_json::from_str(&ok(&run(home.cmd().args(["list", "--json"])))).unwrap();
        assert_eq!(list[0]["validation"], "valid", "{family:?}");
        ok(&run(home.cmd().args(["validate", "--all"])));
        let models = ok(&run(home.cmd().args(["models", "--json"])));
        assert!(models.contains("fake-model-1"), "{models}");
    }
}

#[test]
fn a_duplicate_is_refused_before_its_key_is_sent_anywhere() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &good_key(family));
    let home = home_with(&fake, family);
    let before = fake.server().served();
    // The same name with another key, then the same key under another name.
    let same_name = add_to(&home, &fake, family, "sk-another-key-00000000000000");
    assert_eq!(code(&same_name), 1, "{}", stderr(&same_name));
    assert!(
        stderr(&same_name).contains("a credential named 'openai' already exists"),
        "{}",
        stderr(&same_name)
    );
    let same_key = run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--name",
            "second",
            "--base-url",
            &fake.server().base_url(),
            "--key-stdin",
        ]),
        &good_key(family),
    );
    assert_eq!(code(&same_key), 1, "{}", stderr(&same_key));
    assert!(
        stderr(&same_key).contains("already stored in profile 'default' as 'openai'"),
        "{}",
        stderr(&same_key)
    );
    assert_eq!(
        fake.server().served(),
        before,
        "no validation call was made"
    );
}

#[test]
fn run_prints_exactly_the_streamed_text() {
    for family in FAMILIES {
        let fake = Fake::start(family, &good_key(family));
        let home = home_with(&fake, family);
        let reply = Reply::text(&["Hél", "lo", ", ", "wörld", "\n", "two"]).usage(Some((17, 6)));
        fake.server().set_default(Behaviour::Reply(reply.clone()));
        for extra in [&[][..], &["--no-stream"]] {
            let out = ok(&run(home.cmd().args(["run", "say hi"]).args(extra)));
            assert_eq!(out, reply.full_text(), "{family:?} {extra:?}");
        }
        let json = ok(&run(home.cmd().args(["run", "say hi", "--json"])));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["text"], reply.full_text());
        assert_eq!(v["usage"]["input_tokens"], 17);
        assert_eq!(v["usage"]["output_tokens"], 6);
        assert_eq!(v["usage"]["estimated"], false);
        assert_eq!(v["provider"], family.provider_id());
        assert_eq!(v["credential"], family.provider_id());
        assert!(v["ttft_ms"].as_f64().unwrap() >= 0.0);
        assert!(v["latency_ms"].as_f64().unwrap() >= v["ttft_ms"].as_f64().unwrap());
        assert!(v["finish_reason"].is_string());
        // The fake numbers requests as the real services do in their request-id headers.
        let served = fake.server().served();
        match family {
            Family::Gemini => assert!(v["request_id"].is_null(), "{v}"),
            _ => assert_eq!(v["request_id"], format!("req_{served}"), "{v}"),
        }
        let whole = ok(&run(home.cmd().args([
            "run",
            "say hi",
            "--json",
            "--no-stream",
        ])));
        let whole: serde_json::Value = serde_json::from_str(&whole).unwrap();
        assert!(
            whole["ttft_ms"].is_null(),
            "no stream, no first token: {whole}"
        );
    }
}

#[test]
fn piped_stdin_reaches_the_provider() {
    for family in FAMILIES {
        let fake = Fake::start(family, &good_key(family));
        let home = home_with(&fake, family);
        ok(&run_stdin(
            home.cmd()
                .args(["run", "Summarise:", "--system", "be brief"]),
            "PIPED-CONTEXT-42",
        ));
        ok(&run_stdin(home.cmd().arg("run"), "ONLY-STDIN-PROMPT"));
        let bodies: Vec<String> = fake.server().requests().iter().map(|r| r.raw()).collect();
        let joined = bodies.join("\n");
        assert!(
            joined.contains("Summarise:") && joined.contains("PIPED-CONTEXT-42"),
            "{joined}"
        );
        assert!(joined.contains("be brief"), "{joined}");
        assert!(joined.contains("ONLY-STDIN-PROMPT"), "{joined}");
    }
    let out = run(Home::new().cmd().arg("run"));
    assert_eq!(code(&out), 2, "no prompt at all is a usage error");
}

#[test]
fn the_key_travels_only_in_its_header() {
    for family in FAMILIES {
        let fake = Fake::start(family, &good_key(family));
        let home = home_with(&fake, family);
        let out = run(home
            .cmd()
            .env("OMC_LOG", "trace")
            .args(["run", "hi", "-vvv"]));
        ok(&out);
        let out2 = run(home
            .cmd()
            .env("OMC_LOG", "trace")
            .args(["validate", "--json"]));
        ok(&out2);
        for o in [&out, &out2] {
            assert!(!contains(&o.stdout, &good_key(family)));
            assert!(!contains(&o.stderr, &good_key(family)), "{}", stderr(o));
        }
        let header = match family {
            Family::OpenAi => "authorization",
            Family::Anthropic => "x-api-key",
            Family::Gemini => "x-goog-api-key",
        };
        for req in fake.server().requests() {
            let raw = req.raw();
            assert_eq!(raw.matches(&good_key(family)).count(), 1, "{raw}");
            let value = req.header(header).unwrap_or_default();
            assert!(value.contains(&good_key(family)), "{family:?}: {raw}");
            assert!(
                !req.target.contains(&good_key(family)),
                "key in URL: {}",
                req.target
            );
        }
    }
}

#[test]
fn transient_failures_are_retried_then_succeed() {
    for family in FAMILIES {
        let fake = Fake::start(family, &good_key(family));
        let home = home_with(&fake, family);
        fake.server()
            .push(Behaviour::rate_limited(family, Some("0")));
        let out = ok(&run(home.cmd().args(["run", "hi"])));
        assert_eq!(out, "Hello, world");
        fake.server().push(Behaviour::server_error(family));
        let out = ok(&run(home.cmd().args(["run", "hi", "--no-stream"])));
        assert_eq!(out, "Hello, world");
    }
}

#[test]
fn retries_stop_at_the_bound_with_the_right_exit_code() {
    for family in FAMILIES {
        let fake = Fake::start(family, &good_key(family));
        let home = home_with(&fake, family);
        let before = fake.server().requests().len();
        fake.server()
            .set_default(Behaviour::rate_limited(family, Some("0")));
        let out = run(home.cmd().args(["run", "hi"]));
        assert_eq!(code(&out), 7, "{family:?}: {}", stderr(&out));
        assert_eq!(
            fake.server().requests().len() - before,
            3,
            "1 attempt + 2 retries"
        );
        fake.server().set_default(Behaviour::server_error(family));
        let out = run(home.cmd().args(["run", "hi"]));
        assert_eq!(code(&out), 6, "{}", stderr(&out));
        assert!(stderr(&out).starts_with("omc: error: "), "{}", stderr(&out));
        fake.server().set_default(Behaviour::auth_error(family));
        let out = run(home.cmd().args(["run", "hi"]));
        assert_eq!(code(&out), 5, "{}", stderr(&out));
        // The error names the provider's request id, what its support asks for.
        let id = format!("(request id req_{})", fake.server().served());
        assert_eq!(
            stderr(&out).contains(&id),
            family != Family::Gemini,
            "{family:?}: {}",
            stderr(&out)
        );
        fake.server().set_default(Behaviour::Malformed);
        let out = run(home.cmd().args(["run", "hi", "--no-stream"]));
        assert_eq!(code(&out), 6, "{}", stderr(&out));
        fake.server()
            .set_default(Behaviour::DropMidStream { tokens: 2 });
        let out = run(home.cmd().args(["run", "hi"]));
        assert_eq!(
            code(&out),
            6,
            "a dropped stream is never a success: {}",
            stderr(&out)
        );
    }
}

/// `run` and `validate` once stored `ratelimited` where `bench` stored `rate_limited`: the
/// ledger has one spelling now, the JSON name.
#[test]
fn the_ledger_spells_error_kinds_one_way() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &good_key(family));
    let home = home_with(&fake, family);
    fake.server()
        .set_default(Behaviour::rate_limited(family, Some("0")));
    assert_eq!(code(&run(home.cmd().args(["run", "hi"]))), 7);
    assert_eq!(code(&run(home.cmd().args(["validate", "openai"]))), 7);
    fake.server()
        .set_default(Behaviour::model_not_found(family, "nope"));
    assert_eq!(code(&run(home.cmd().args(["run", "hi", "-m", "nope"]))), 6);
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let rows: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT kind, status, error_kind FROM runs WHERE error_kind IS NOT NULL ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let want = [
        ("run", "error", "rate_limited"),
        ("validate", "error", "rate_limited"),
        ("run", "error", "model_not_found"),
    ];
    assert_eq!(
        rows,
        want.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &good_key(family));
    let home = home_with(&fake, family);
    fake.server().set_default(Behaviour::Hang);
    let started = Instant::now();
    let out = run(home.cmd().args(["run", "hi", "--timeout", "1s"]));
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        stderr(&out).to_lowercase().contains("time"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn fallback_moves_to_the_next_credential() {
    let a = Fake::start(Family::OpenAi, &good_key(Family::OpenAi));
    let b = Fake::start(Family::Anthropic, &good_key(Family::Anthropic));
    let home = home_with(&a, Family::OpenAi);
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "anthropic",
            "--base-url",
            &b.server().base_url(),
            "--key-stdin",
        ]),
        &good_key(Family::Anthropic),
    ));
    a.server()
        .set_default(Behaviour::server_error(Family::OpenAi));
    b.server()
        .set_default(Behaviour::Reply(Reply::text(&["from ", "anthropic"])));
    let out = run(home
        .cmd()
        .args(["run", "hi", "--json", "--fallback", "anthropic"]));
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["text"], "from anthropic");
    assert_eq!(v["provider"], "anthropic");
    assert_eq!(v["fell_back_from"][0], "openai");
    assert!(
        stderr(&out).contains("falling back to anthropic"),
        "{}",
        stderr(&out)
    );
    // An auth failure is not a reason to fall back.
    a.server()
        .set_default(Behaviour::auth_error(Family::OpenAi));
    let out = run(home.cmd().args(["run", "hi", "--fallback", "anthropic"]));
    assert_eq!(code(&out), 5);
}

/// One runtime per process: the client's pooled connection from the first call is still alive
/// for the fallback's call (a runtime per call would have closed it with its reactor).
#[test]
fn a_fallback_reuses_the_connection_of_the_call_before() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &good_key(family));
    let home = home_with(&fake, family);
    fake.server().accept_any_key();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--name",
            "backup",
            "--base-url",
            &fake.server().base_url(),
            "--key-stdin",
        ]),
        "sk-openai-OTHERKEY-9d2e4f6a8b",
    ));
    let before = fake.server().connections();
    for _ in 0..3 {
        fake.server().push(Behaviour::server_error(family));
    }
    let out = run(home
        .cmd()
        .args(["run", "hi", "--json", "--fallback", "backup"]));
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["credential"], "backup");
    assert_eq!(fake.server().connections() - before, 1);
}

#[test]
fn usage_totals_equal_the_sum_of_the_runs() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &good_key(family));
    let home = home_with(&fake, family);
    let mut sum_in = 0;
    let mut sum_out = 0;
    for (i, n) in [(5u64, 3usize), (7, 4), (11, 9)] {
        fake.server().set_default(Behaviour::Reply(
            Reply::tokens(n).usage(Some((i, n as u64))),
        ));
        let v: serde_json::Value = serde_json::from_str(&ok(&run(home.cmd().args([
            "run",
            "hi",
            "--json",
            "--model",
            "gpt-4o-mini",
        ]))))
        .unwrap();
        sum_in += v["usage"]["input_tokens"].as_u64().unwrap();
        sum_out += v["usage"]["output_tokens"].as_u64().unwrap();
    }
    assert_eq!((sum_in, sum_out), (23, 16));
    let usage: serde_json::Value = serde_json::from_str(&ok(&run(home.cmd().args([
        "usage",
        "--json",
        "--group-by",
        "provider",
    ]))))
    .unwrap();
    assert_eq!(usage["total"]["runs"], 3);
    assert_eq!(usage["total"]["input_tokens"], sum_in);
    assert_eq!(usage["total"]["output_tokens"], sum_out);
    let csv = ok(&run(home.cmd().args([
        "usage",
        "--format",
        "csv",
        "--group-by",
        "model",
    ])));
    assert!(csv.starts_with("group,runs,errors"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "{csv}");
}

#[test]
fn limits_refuse_the_run_that_would_exceed_them() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &good_key(family));
    let home = home_with(&fake, family);
    fake.server()
        .set_default(Behaviour::Reply(Reply::tokens(40).usage(Some((60, 40)))));
    ok(&run(home.cmd().args([
        "limit",
        "set",
        "--daily-tokens",
        "250",
    ])));
    // Reserve: prompt estimate + max tokens must fit under what is left.
    ok(&run(home.cmd().args(["run", "hi", "--max-tokens", "100"])));
    let served = fake.server().requests().len();
    let out = run(home.cmd().args(["run", "hi", "--max-tokens", "200"]));
    assert_eq!(code(&out), 8, "{}", stderr(&out));
    assert!(stderr(&out).contains("daily tokens"), "{}", stderr(&out));
    assert_eq!(
        fake.server().requests().len(),
        served,
        "a refused run sends nothing"
    );
    // 100 used + 1 + 120 reserved > 80% of 250: allowed, with a warning.
    let out = run(home.cmd().args(["run", "hi", "--max-tokens", "120"]));
    ok(&out);
    assert!(stderr(&out).contains("80%"), "{}", stderr(&out));
    let show: serde_json::Value =
        serde_json::from_str(&ok(&run(home.cmd().args(["limit", "show", "--json"])))).unwrap();
    assert_eq!(show["today"]["tokens"], 200);
    ok(&run(home.cmd().args(["limit", "clear"])));
    ok(&run(home.cmd().args(["run", "hi", "--max-tokens", "500"])));
}

#[test]
fn runs_before_a_limit_was_set_count_against_it() {
    // A profile without limits does not sum its day's runs when it starts one; the sum is still
    // there when a limit is set later in the day.
    let family = Family::OpenAi;
    let fake = Fake::start(family, &good_key(family));
    let home = home_with(&fake, family);
    fake.server()
        .set_default(Behaviour::Reply(Reply::tokens(40).usage(Some((60, 40)))));
    ok(&run(home.cmd().args(["run", "hi", "--max-tokens", "100"])));
    ok(&run(home.cmd().args([
        "limit",
        "set",
        "--daily-tokens",
        "150",
    ])));
    let served = fake.server().requests().len();
    let out = run(home.cmd().args(["run", "hi", "--max-tokens", "100"]));
    assert_eq!(code(&out), 8, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("has used 100 of its 150 daily tokens"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fake.server().requests().len(), served);
}

#[test]
fn echo_runs_offline() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    let out = ok(&run(home.cmd().args(["run", "one two three"])));
    assert_eq!(out, "echo: one two three");
}

#[test]
fn text_streams_as_it_arrives() {
    use std::io::Read;
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    let started = Instant::now();
    let mut child = home
        .cmd()
        .env("OMC_ECHO_DELAY", "ttft=10ms,token=400ms")
        .args(["run", "alpha beta gamma delta"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 5];
    stdout.read_exact(&mut first).unwrap();
    let first_at = started.elapsed();
    assert_eq!(&first, b"echo:");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    let total = started.elapsed();
    assert_eq!(rest, " alpha beta gamma delta");
    // The first word was on stdout well before the answer was complete.
    assert!(
        total - first_at > Duration::from_millis(1000),
        "{first_at:?} of {total:?}"
    );
}

#[test]
fn ctrl_c_ends_a_run_with_130_and_records_it() {
    for signal in ["-INT", "-TERM"] {
        interrupt_a_run(signal);
    }
}

fn interrupt_a_run(signal: &str) {
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    let mut child = home
        .cmd()
        .env("OMC_ECHO_DELAY", "ttft=10ms,token=300ms")
        .args(["run", "one two three four five six seven eight"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Ready when the answer has started to stream: its first bytes are on stdout.
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut first = [0u8; 5];
    std::io::Read::read_exact(&mut stdout_pipe, &mut first).unwrap();
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut stdout_pipe, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{signal}: {}", stderr(&out));
    assert_eq!(&first, b"echo:", "partial text is kept");
    assert!(
        rest.len() < "one two three four five six seven eight".len(),
        "the run was cut short: {}",
        String::from_utf8_lossy(&rest)
    );
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let (status, tokens): (String, Option<i64>) = conn
        .query_row(
            "SELECT status, output_tokens FROM runs WHERE kind = 'run' ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "interrupted");
    assert!(tokens.unwrap() >= 1);
}

#[test]
fn pointless_or_mistyped_input_is_a_usage_error() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    let missing = home.path().join("no-such-config.toml");
    let cases: [(Vec<&str>, &str); 5] = [
        (vec!["run", ""], "no prompt given"),
        (vec!["run", "hi", "--max-tokens", "0"], "--max-tokens"),
        (vec!["bench", "--max-tokens", "0"], "--max-tokens"),
        (
            vec!["bench", "--suite", "/no/such/suite.toml"],
            "cannot read the suite",
        ),
        (
            vec!["--config", missing.to_str().unwrap(), "run", "hi"],
            "does not exist",
        ),
    ];
    for (args, says) in cases {
        let out = run(home.cmd().args(&args));
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    // Nothing was run, and an empty total is a plain zero (not -0).
    let usage = ok(&run(home.cmd().args(["usage", "--json"])));
    let usage: serde_json::Value = serde_json::from_str(&usage).unwrap();
    assert_eq!(usage["total"]["runs"], 0, "{usage}");
    assert_eq!(usage["total"]["cost_usd"].to_string(), "0.0", "{usage}");
    // A broken config file is named by the commands that read it, and by doctor.
    let config = home.data().join("config.toml");
    std::fs::write(&config, "garbage [").unwrap();
    let out = run(home.cmd().args(["run", "hi"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("config.toml is not valid"),
        "{}",
        stderr(&out)
    );
    let doctor = run(home.cmd().args(["doctor", "--json"]));
    let checks: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let check = checks["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "config")
        .unwrap_or_else(|| panic!("{checks:#}"));
    assert_eq!(check["status"], "fail", "{check}");
}

#[test]
fn a_server_echoing_the_key_cannot_make_omc_show_or_store_it() {
    // Gemini sends no request id of its own, so the hostile header below is the one omc reads.
    let family = Family::Gemini;
    let key = "AIzaCANARY-hostile-5e1f9a7c3b2d4e6f8a0b";
    let fake = Fake::start(family, key);
    let home = Home::new();
    ok(&add_to(&home, &fake, family, key));
    // The key, echoed back in the error body and as the request id.
    fake.server().set_default(Behaviour::Error {
        status: 500,
        body: format!(
            r#"{{"error":{{"code":500,"message":"upstream rejected {key}","status":"INTERNAL"}}}}"#
        ),
        headers: vec![("x-request-id".into(), format!("req-{key}"))],
    });
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("records.jsonl");
    let outputs = [
        run(home
            .cmd()
            .env("OMC_LOG", "trace")
            .args(["run", "hi", "--json"])),
        run(home.cmd().env("OMC_LOG", "trace").args([
            "bench",
            "--runs",
            "3",
            "--warmup",
            "0",
            "--json",
            "--requests-out",
            records.to_str().unwrap(),
        ])),
    ];
    assert_eq!(code(&outputs[0]), 6, "{}", stderr(&outputs[0]));
    assert_eq!(code(&outputs[1]), 6, "{}", stderr(&outputs[1]));
    for out in &outputs {
        assert!(!contains(&out.stdout, "CANARY"), "{}", stdout(out));
        assert!(!contains(&out.stderr, "CANARY"), "{}", stderr(out));
    }
    let lines = std::fs::read_to_string(&records).unwrap();
    assert_eq!(lines.lines().count(), 3, "{lines}");
    assert!(!lines.contains("CANARY"), "{lines}");
    // Nor anywhere in the store: database, WAL, anything omc wrote.
    for entry in std::fs::read_dir(home.data()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!contains(&bytes, "CANARY"), "{}", path.display());
        }
    }
}

#[test]
fn the_echo_provider_honours_the_timeout() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    let started = Instant::now();
    let out =
        run(home
            .cmd()
            .env("OMC_ECHO_DELAY", "ttft=5s")
            .args(["run", "--timeout", "500ms", "hi"]));
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
