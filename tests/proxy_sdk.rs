//! Real clients, unmodified, under `omc exec --proxy`, configured only by the variables it sets:
//! the official `openai`, `anthropic` and `google-genai` Python SDKs (a tool call and its answer,
//! unstreamed and streamed), `llm` and `aichat`. Each reaches a local fake that answers only the
//! real (canary) key; the canary is never in the client's `/proc/PID/environ`, its output, omc's
//! logs at trace, or the database.
//!
//! The clients are installed by `.ci/sdk-clients` (target/sdk-venv, target/aichat; or
//! `OMC_TEST_SDK_VENV`, `OMC_TEST_AICHAT`). Linux only: the checks read `/proc`.
#![cfg(target_os = "linux")]

#[path = "support/common.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use support::fake_provider::{Behaviour, FakeCall, Family, Reply};
use support::server::Fake;

const CANARY: &str = "sk-CANARY-5f4dcc3b5aa765d61d8327deb882cf99";

fn canary(family: Family) -> String {
    format!("{CANARY}-{}", family.provider_id())
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// The venv's `bin`, when it has every client.
fn sdk_bin() -> Option<PathBuf> {
    let venv = std::env::var_os("OMC_TEST_SDK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("sdk-venv"));
    let bin = venv.join("bin");
    let ok = std::process::Command::new(bin.join("python"))
        .args(["-c", "import openai, anthropic, google.genai, llm"])
        .output()
        .is_ok_and(|o| o.status.success());
    require(
        ok,
        "the Python SDKs (target/sdk-venv: run .ci/sdk-clients)",
        Some("OMC_TEST_SDK_VENV"),
    )
    .then_some(bin)
}

fn aichat() -> Option<PathBuf> {
    let path = std::env::var_os("OMC_TEST_AICHAT")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("aichat/bin/aichat"));
    require(
        path.is_file(),
        "aichat (target/aichat: run .ci/sdk-clients)",
        Some("OMC_TEST_AICHAT"),
    )
    .then_some(path)
}

/// A store whose default credential for `family` is the canary key, at a fake that answers
/// only that key.
fn setup(family: Family) -> (Home, Fake) {
    let fake = Fake::start(family, &canary(family));
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            family.provider_id(),
            "--base-url",
            &fake.server().base_url(),
            "--no-validate",
            "--key-stdin",
        ]),
        &canary(family),
    ));
    (home, fake)
}

/// `omc exec --proxy -- ARGS` with `bin` first on PATH and omc logging at trace.
fn exec(home: &Home, bin: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = home.cmd();
    cmd.env("PATH", path)
        .env("OMC_LOG", "trace")
        .args(["exec", "--proxy", "--"])
        .args(args);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// The canary is nowhere the program or omc's records could show it.
#[track_caller]
fn no_canary(home: &Home, out: &Output, environ: Option<&Path>) {
    assert!(
        !contains(&out.stdout, CANARY),
        "the key is in the output: {}",
        stdout(out)
    );
    assert!(!contains(&out.stderr, CANARY), "the key is in omc's logs");
    if let Some(environ) = environ {
        let env = std::fs::read(environ).unwrap();
        assert!(!contains(&env, CANARY), "the key reached the child");
        assert!(contains(&env, "omc-proxy-"), "no token in the child");
        assert!(contains(&env, "=http://127.0.0.1:"), "no proxy URL");
    }
    for file in ["omc.db", "omc.db-wal"] {
        if let Ok(bytes) = std::fs::read(home.data().join(file)) {
            assert!(
                !contains(&bytes, CANARY),
                "the key is in {file} in plaintext"
            );
        }
    }
}

/// Proxied calls recorded in the usage ledger, with their output tokens; each one ended well.
fn proxy_usage(home: &Home) -> (u64, u64) {
    let usage = ok(&run(home.cmd().args([
        "--json",
        "usage",
        "--group-by",
        "source",
    ])));
    let v: serde_json::Value = serde_json::from_str(&usage).unwrap();
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "proxy")
        .map_or((0, 0), |r| {
            assert_eq!(r["errors"], 0, "proxied calls recorded as failed: {usage}");
            (
                r["runs"].as_u64().unwrap_or(0),
                r["output_tokens"].as_u64().unwrap_or(0),
            )
        })
}

/// Runs tests/sdk/SCRIPT under the proxy: per mode (unstreamed, streamed), a tool call, its
/// result sent back, and the final text.
fn python_sdk(family: Family, script: &str) {
    let Some(bin) = sdk_bin() else { return };
    let (home, fake) = setup(family);
    let call = FakeCall::new("call_1", "get_weather", r#"{"city":"Paris"}"#);
    let calls = || Behaviour::Reply(Reply::calls(&[], vec![call.clone()]));
    // Unstreamed: call, answer; streamed: call, then the default answer.
    fake.server()
        .push(calls())
        .push(Behaviour::Reply(Reply::text(&["Hello", ",", " world"])))
        .push(calls());
    let environ = home.path().join("environ");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(script);
    let out = exec(
        &home,
        &bin,
        &[
            "python3",
            script.to_str().unwrap(),
            environ.to_str().unwrap(),
        ],
        &[],
    );
    let text = ok(&out);
    assert_eq!(
        text,
        "plain call get_weather {\"city\":\"Paris\"}\nplain text Hello, world\n\
         stream call get_weather {\"city\":\"Paris\"}\nstream text Hello, world\n",
        "{family:?}: {}",
        stderr(&out)
    );
    // Every call reached the fake (which answers nothing without the real key), and the tool
    // results went back in the family's shape (the fake checks, answering 400 otherwise).
    let requests = fake.server().requests();
    assert_eq!(requests.len(), 4, "{family:?}");
    assert!(requests[1].body.contains("sunny") && requests[3].body.contains("sunny"));
    let (runs, output) = proxy_usage(&home);
    assert_eq!(runs, 4, "{family:?}");
    assert!(output > 0, "{family:?}: no tokens metered");
    no_canary(&home, &out, Some(&environ));
}

#[test]
fn the_openai_sdk_calls_a_tool_through_the_proxy() {
    python_sdk(Family::OpenAi, "openai_sdk.py");
}

#[test]
fn the_anthropic_sdk_calls_a_tool_through_the_proxy() {
    python_sdk(Family::Anthropic, "anthropic_sdk.py");
}

#[test]
fn the_google_genai_sdk_calls_a_function_through_the_proxy() {
    python_sdk(Family::Gemini, "genai_sdk.py");
}

/// `llm "hi"` as installed: its default model over the Responses API, streamed, and
/// `--no-stream`.
#[test]
fn llm_works_through_the_proxy() {
    let Some(bin) = sdk_bin() else { return };
    let (home, fake) = setup(Family::OpenAi);
    // llm's own files (keys.json, logs.db) in the temporary home, where no key is stored.
    let llm_home = home.path().join("llm");
    let llm_home = llm_home.to_str().unwrap();
    for args in [&["llm", "hi"][..], &["llm", "--no-stream", "hi"]] {
        let out = exec(&home, &bin, args, &[("LLM_USER_PATH", llm_home)]);
        assert_eq!(ok(&out).trim(), "Hello, world", "{}", stderr(&out));
        no_canary(&home, &out, None);
    }
    let requests = fake.server().requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.target == "/v1/responses"));
    assert_eq!(proxy_usage(&home), (2, 6));
    // llm's log of the conversation holds the answer, never the key.
    let logs = std::fs::read(home.path().join("llm/logs.db")).unwrap();
    assert!(contains(&logs, "Hello, world") && !contains(&logs, CANARY));
}

/// `aichat "hi"` with no config file: `AICHAT_PLATFORM` picks the client (the user's choice, as
/// a config file's `model:` would), and its base and key come from the variables omc set.
#[test]
fn aichat_works_through_the_proxy() {
    let Some(aichat) = aichat() else { return };
    let bin = aichat.parent().unwrap();
    for (family, platform) in [
        (Family::OpenAi, "openai"),
        (Family::Anthropic, "claude"),
        (Family::Gemini, "gemini"),
    ] {
        let (home, fake) = setup(family);
        let config = home.path().join("aichat");
        let out = exec(
            &home,
            bin,
            &["aichat", "hi"],
            &[
                ("AICHAT_PLATFORM", platform),
                ("AICHAT_CONFIG_DIR", config.to_str().unwrap()),
            ],
        );
        assert_eq!(
            ok(&out).trim(),
            "Hello, world",
            "{family:?}: {}",
            stderr(&out)
        );
        assert_eq!(fake.server().requests().len(), 1, "{family:?}");
        assert_eq!(proxy_usage(&home).0, 1, "{family:?}");
        no_canary(&home, &out, None);
    }
}
