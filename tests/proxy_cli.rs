//! `omc exec --proxy`: a program reaches each provider through omc's loopback proxy holding only
//! a per-run token; the local fake providers check they receive the real key.

#[path = "support/common.rs"]
mod common;
mod support;

use common::*;
use support::fake_provider::Family;
use support::server::Fake;

/// The child: saves its own environment, calls the proxy as the family's SDK would (base URL
/// and key from the variables omc set), prints status and body, exits 7.
const CLIENT: &str = r#"
import os, sys, urllib.request, urllib.error
family, out, stream, token_override = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
open(out, "wb").write(open("/proc/self/environ", "rb").read())
if family == "openai":
    base, key = os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"]
    url, headers = base + "/chat/completions", {"Authorization": "Bearer " + (token_override or key)}
    body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":%s%s}' % (
        "true" if stream else "false", ',"stream_options":{"include_usage":true}' if stream else "")
elif family == "anthropic":
    base, key = os.environ["ANTHROPIC_BASE_URL"], os.environ["ANTHROPIC_API_KEY"]
    url, headers = base + "/v1/messages", {"Authorization": "Bearer " + (token_override or key), "anthropic-version": "2023-06-01"}
    body = '{"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}],"stream":%s}' % ("true" if stream else "false")
else:
    base, key = os.environ["GOOGLE_GEMINI_BASE_URL"], os.environ["GEMINI_API_KEY"]
    assert os.environ["GOOGLE_API_KEY"] == key
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    url, headers = base + "/v1beta/models/gemini-2.5-flash:" + method, {"x-goog-api-key": token_override or key}
    body = '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}'
headers["Content-Type"] = "application/json"
req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
try:
    with urllib.request.urlopen(req) as r:
        print(r.status); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); sys.stdout.write(e.read().decode())
sys.exit(7)
"#;

const CANARY: &str = "sk-CANARY-d41d8cd98f00b204e9800998ecf8427e";

fn canary(family: Family) -> String {
    format!("{CANARY}-{}", family.provider_id())
}

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

fn call(home: &Home, family: Family, stream: bool, token: &str) -> (std::process::Output, String) {
    let environ = home.path().join("environ");
    let out = run(home.cmd().args([
        "exec",
        "--proxy",
        "--",
        "python3",
        "-c",
        CLIENT,
        family.provider_id(),
        environ.to_str().unwrap(),
        if stream { "1" } else { "0" },
        token,
    ]));
    let env = String::from_utf8_lossy(&std::fs::read(&environ).unwrap()).into_owned();
    (out, env)
}

#[test]
fn each_family_reaches_the_provider_with_the_real_key_while_the_program_holds_only_a_token() {
    for family in [Family::OpenAi, Family::Anthropic, Family::Gemini] {
        let (home, fake) = setup(family);
        for stream in [false, true] {
            let (out, env) = call(&home, family, stream, "");
            let text = stdout(&out);
            assert_eq!(out.status.code(), Some(7), "{family:?}: {}", stderr(&out));
            assert!(
                text.starts_with("200\n"),
                "{family:?} stream={stream}: {text}"
            );
            assert!(text.contains("Hello"), "{family:?} stream={stream}: {text}");
            // The program's environment has the token and the proxy, never the key.
            assert!(
                !env.contains(CANARY),
                "{family:?}: the key reached the child"
            );
            assert!(env.contains("omc-proxy-"), "{family:?}: {env}");
            assert!(env.contains("http://127.0.0.1:"), "{family:?}: {env}");
            assert!(!text.contains(CANARY) && !stderr(&out).contains(CANARY));
        }
        // The fake only answers with the canary key (it checks the family's header): two calls.
        assert_eq!(fake.server().requests().len(), 2, "{family:?}");
        // Every call is a usage row, grouped by what made it.
        let usage = ok(&run(home.cmd().args([
            "--json",
            "usage",
            "--group-by",
            "source",
        ])));
        let v: serde_json::Value = serde_json::from_str(&usage).unwrap();
        let row = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == "proxy")
            .unwrap_or_else(|| panic!("{family:?}: no proxy row in {usage}"))
            .clone();
        assert_eq!(row["runs"], 2, "{family:?}: {usage}");
        assert!(
            row["output_tokens"].as_u64().unwrap_or(0) > 0,
            "{family:?}: {usage}"
        );
        let audit = ok(&run(home.cmd().args(["audit"])));
        assert!(audit.contains("proxy"), "{audit}");
        assert!(
            !audit.contains("omc-proxy-"),
            "the token is in the audit: {audit}"
        );
    }
}

#[test]
fn a_wrong_or_missing_token_is_refused_in_the_family_format_and_never_forwarded() {
    for family in [Family::OpenAi, Family::Anthropic, Family::Gemini] {
        let (home, fake) = setup(family);
        let (out, _) = call(&home, family, false, "omc-proxy-wrong");
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(7));
        assert!(text.starts_with("401\n"), "{family:?}: {text}");
        assert!(text.contains("wrong token"), "{family:?}: {text}");
        if family == Family::Anthropic {
            assert!(text.contains("authentication_error"), "{text}");
        }
        assert_eq!(fake.server().requests().len(), 0, "{family:?}: forwarded");
        assert!(!text.contains(CANARY));
    }
}
