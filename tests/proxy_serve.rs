//! `omc serve` (the proxy in the foreground for programs started elsewhere), `--fallback`, the
//! run's one audit entry, and a canary key kept out of logs at trace and the database. The real
//! binary against local fake providers that accept only the real key; clients are curl and
//! python3's urllib.
#![cfg(unix)]

#[path = "support/common.rs"]
mod common;
mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use support::fake_provider::{Behaviour, Family};
use support::server::Fake;

const CANARY: &str = "sk-CANARY-5eb63bbbe01eeed093cb22bb8f5acdc3";

fn canary(tag: &str) -> String {
    format!("{CANARY}-{tag}")
}

/// A home with one credential per (family, name), each behind its own fake that accepts only
/// that credential's key (`canary(name)`).
fn setup(creds: &[(Family, &str)]) -> (Home, Vec<Fake>) {
    let home = Home::new();
    let mut fakes = Vec::new();
    for (family, name) in creds {
        let fake = Fake::start(*family, &canary(name));
        ok(&run_stdin(
            home.cmd().args([
                "add",
                family.provider_id(),
                "--name",
                name,
                "--base-url",
                &fake.server().base_url(),
                "--no-validate",
                "--key-stdin",
            ]),
            &canary(name),
        ));
        fakes.push(fake);
    }
    (home, fakes)
}

/// A running `omc serve`: its output collected as it comes.
struct Serve {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn collect(mut from: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let into = text.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(&mut from);
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            into.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    text
}

impl Serve {
    /// Start `omc serve ARGS` and wait until it says it is listening (its stdout is complete
    /// by then: it is written first).
    fn start(home: &Home, args: &[&str]) -> Serve {
        Self::start_with(home.cmd().arg("serve").args(args))
    }

    fn start_with(cmd: &mut Command) -> Serve {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        let serve = Serve {
            child,
            stdout,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !serve.stderr().contains("listening on") {
            assert!(
                Instant::now() < deadline,
                "omc serve did not start: {}",
                serve.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        serve
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout()))
    }

    /// Send `signal` and wait for the exit code.
    fn stop(mut self, signal: &str) -> (i32, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the readers drain.
                std::thread::sleep(Duration::from_millis(100));
                return (status.code().unwrap_or(-1), self.stderr());
            }
            assert!(Instant::now() < deadline, "omc serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value an `export NAME='VALUE'` line sets.
fn exported(lines: &str, name: &str) -> String {
    let prefix = format!("export {name}='");
    let line = lines
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {lines}"));
    line[prefix.len()..line.len() - 1].to_owned()
}

/// A chat request in `family`'s format with `token` in the family's header, through curl;
/// (status, body).
fn curl(family: Family, base: &str, token: &str, extra: &[&str]) -> (u16, String) {
    let (path, header, body) = match family {
        Family::OpenAi => (
            "/chat/completions",
            format!("Authorization: Bearer {token}"),
            r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#,
        ),
        Family::Anthropic => (
            "/v1/messages",
            format!("x-api-key: {token}"),
            r#"{"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"#,
        ),
        Family::Gemini => (
            "/v1beta/models/gemini-2.5-flash:generateContent",
            format!("x-goog-api-key: {token}"),
            r#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#,
        ),
    };
    // The token goes in a header file, not curl's arguments.
    let dir = tempfile::tempdir().unwrap();
    let headers = dir.path().join("h");
    std::fs::write(
        &headers,
        format!("{header}\nContent-Type: application/json\nanthropic-version: 2023-06-01\n"),
    )
    .unwrap();
    let out = Command::new("curl")
        .args(["-sS", "-w", "\n%{http_code}", "-H"])
        .arg(format!("@{}", headers.display()))
        .args(["--data-binary", body])
        .args(extra)
        .arg(format!("{base}{path}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        status.trim().parse().unwrap_or_else(|_| {
            panic!(
                "curl: {text} {}",
                String::from_utf8_lossy(&out.stderr).into_owned()
            )
        }),
        body.to_owned(),
    )
}

fn audit(home: &Home) -> Vec<Value> {
    let text = ok(&run(home.cmd().args(["--json", "audit"])));
    serde_json::from_str::<Value>(&text).unwrap()["entries"]
        .as_array()
        .cloned()
        .or_else(|| {
            serde_json::from_str::<Value>(&text)
                .unwrap()
                .as_array()
                .cloned()
        })
        .unwrap()
}

fn proxy_entries(home: &Home) -> Vec<Value> {
    audit(home)
        .into_iter()
        .filter(|e| e["action"] == "proxy")
        .collect()
}

/// (credential, status, error_kind) of every proxied call, oldest first.
fn ledger(home: &Home) -> Vec<(String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let mut stmt = conn
        .prepare("SELECT credential, status, error_kind FROM runs WHERE kind = 'proxy' ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn serve_prints_the_variables_proxies_with_the_token_and_stops_cleanly_on_sigterm() {
    let (home, fakes) = setup(&[(Family::OpenAi, "main")]);
    let serve = Serve::start(&home, &[]);
    let lines = serve.stdout();
    let base = exported(&lines, "OPENAI_BASE_URL");
    let token = exported(&lines, "OPENAI_API_KEY");
    assert!(base.starts_with("http://127.0.0.1:"), "{lines}");
    assert!(token.starts_with("omc-proxy-"), "{lines}");
    assert_eq!(exported(&lines, "OPENAI_API_BASE"), base);
    assert!(!lines.contains(CANARY), "the key was printed: {lines}");
    // The lines are what a shell evaluates.
    let evaluated = Command::new("sh")
        .args([
            "-c",
            "eval \"$1\"; printf '%s %s' \"$OPENAI_BASE_URL\" \"$OPENAI_API_KEY\"",
            "sh",
            &lines,
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&evaluated), format!("{base} {token}"));

    let (status, body) = curl(Family::OpenAi, &base, &token, &[]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello"), "{body}");
    let (status, body) = curl(Family::OpenAi, &base, "omc-proxy-wrong", &[]);
    assert_eq!(status, 401, "{body}");
    assert!(
        body.contains("wrong token") && body.contains("invalid_api_key"),
        "{body}"
    );
    assert_eq!(fakes[0].server().requests().len(), 1);

    // A call the provider has not answered when omc stops is closed in the ledger, not left
    // running.
    fakes[0].server().push(Behaviour::Hang);
    let (base2, token2) = (base.clone(), token.clone());
    let hanging = std::thread::spawn(move || curl(Family::OpenAi, &base2, &token2, &[]));
    let deadline = Instant::now() + Duration::from_secs(20);
    while fakes[0].server().requests().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the second call never reached the provider"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, stderr) = serve.stop("TERM");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("stopped after 2 calls"), "{stderr}");
    assert!(
        !stderr.contains(CANARY) && !stderr.contains(&token),
        "{stderr}"
    );
    let _ = hanging.join();
    assert_eq!(
        ledger(&home),
        vec![
            ("main".to_owned(), "ok".to_owned(), None),
            ("main".to_owned(), "interrupted".to_owned(), None)
        ]
    );
    // Once stopped, the token is worth nothing: nothing listens.
    let gone = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", &format!("{base}/models")])
        .output()
        .unwrap();
    assert!(!gone.status.success());
}

#[test]
fn serve_json_names_the_address_urls_token_and_variables_for_each_family() {
    let (home, _fakes) = setup(&[
        (Family::OpenAi, "oa"),
        (Family::Anthropic, "an"),
        (Family::Gemini, "ge"),
    ]);
    let serve = Serve::start(&home, &["--json", "--credential", "oa,an,ge"]);
    let doc = serve.json();
    let address = doc["address"].as_str().unwrap();
    assert!(address.starts_with("127.0.0.1:"), "{doc}");
    let token = doc["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("omc-proxy-"), "{doc}");
    for (family, var) in [
        (Family::OpenAi, "OPENAI_BASE_URL"),
        (Family::Anthropic, "ANTHROPIC_BASE_URL"),
        (Family::Gemini, "GOOGLE_GEMINI_BASE_URL"),
    ] {
        let base = doc["env"][var].as_str().unwrap();
        assert_eq!(doc["urls"][family.provider_id()], base, "{doc}");
        assert_eq!(base, format!("http://{address}/{}", family.provider_id()));
        let (status, body) = curl(family, base, &token, &[]);
        assert_eq!(status, 200, "{family:?}: {body}");
    }
    assert_eq!(doc["env"]["ANTHROPIC_API_KEY"], token.as_str());
    assert_eq!(doc["env"]["GEMINI_API_KEY"], token.as_str());
    assert!(!serve.stdout().contains(CANARY));
    let (code, stderr) = serve.stop("INT");
    assert_eq!(code, 0, "{stderr}");
    // Whole (Content-Length) answers are recorded as complete, not cut off.
    let rows = ledger(&home);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r.1 == "ok"), "{rows:?}");
    // One audit entry for the run, naming its credentials and calls, never the token.
    let entries = proxy_entries(&home);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["credential"], "oa, an, ge");
    assert_eq!(entries[0]["detail"], "serve, 3 calls");
    assert!(!format!("{entries:?}").contains("omc-proxy-"));
}

#[test]
fn serve_on_a_unix_socket_is_owner_only_and_removed_on_exit() {
    let (home, fakes) = setup(&[(Family::Anthropic, "an")]);
    let socket = home.path().join("omc.sock");
    let serve = Serve::start(&home, &["--socket", socket.to_str().unwrap(), "--json"]);
    let doc = serve.json();
    assert_eq!(doc["address"], format!("unix:{}", socket.display()));
    assert_eq!(mode(&socket), 0o600, "the socket is open to others");
    let token = doc["token"].as_str().unwrap();
    let base = doc["env"]["ANTHROPIC_BASE_URL"].as_str().unwrap();
    assert_eq!(base, "http://localhost/anthropic");
    let (status, body) = curl(
        Family::Anthropic,
        base,
        token,
        &["--unix-socket", socket.to_str().unwrap()],
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello"), "{body}");
    assert_eq!(fakes[0].server().requests().len(), 1);
    // A second serve on the same path is refused, clearly.
    let second = run(home
        .cmd()
        .args(["serve", "--socket", socket.to_str().unwrap()]));
    assert_eq!(code(&second), 2, "{}", stderr(&second));
    assert!(
        stderr(&second).contains("already exists"),
        "{}",
        stderr(&second)
    );
    let (code, stderr) = serve.stop("INT");
    assert_eq!(code, 0, "{stderr}");
    assert!(!socket.exists(), "the socket was left behind");
}

#[test]
fn a_token_past_its_ttl_gets_401_in_the_family_format_saying_it_expired() {
    let (home, fakes) = setup(&[(Family::Gemini, "ge")]);
    let before = Instant::now();
    let serve = Serve::start(&home, &["--ttl", "4s", "--json"]);
    let after = Instant::now();
    let doc = serve.json();
    assert!(doc["expires_at"].is_string(), "{doc}");
    let token = doc["token"].as_str().unwrap();
    let base = doc["env"]["GOOGLE_GEMINI_BASE_URL"].as_str().unwrap();
    let (status, body) = curl(Family::Gemini, base, token, &[]);
    assert!(
        before.elapsed() < Duration::from_secs(4),
        "too slow to test"
    );
    assert_eq!(status, 200, "{body}");
    std::thread::sleep(
        (after + Duration::from_millis(4300)).saturating_duration_since(Instant::now()),
    );
    let (status, body) = curl(Family::Gemini, base, token, &[]);
    assert_eq!(status, 401, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["status"], "UNAUTHENTICATED", "{body}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    assert_eq!(
        fakes[0].server().requests().len(),
        1,
        "an expired call was forwarded"
    );
    assert_eq!(serve.stop("TERM").0, 0);
}

#[test]
fn token_file_holds_the_token_privately_and_the_printed_lines_read_it() {
    let (home, _fakes) = setup(&[(Family::OpenAi, "main")]);
    let file = home.path().join("token");
    let serve = Serve::start(&home, &["--token-file", file.to_str().unwrap()]);
    assert_eq!(mode(&file), 0o600);
    let token = std::fs::read_to_string(&file).unwrap();
    assert!(token.starts_with("omc-proxy-"), "{token}");
    let lines = serve.stdout();
    assert!(!lines.contains(&token), "the token was printed: {lines}");
    let evaluated = Command::new("sh")
        .args([
            "-c",
            "eval \"$1\"; printf '%s' \"$OPENAI_API_KEY\"",
            "sh",
            &lines,
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&evaluated), token, "{lines}");
    let base = exported(&lines, "OPENAI_BASE_URL");
    assert_eq!(curl(Family::OpenAi, &base, &token, &[]).0, 200);
    // An existing file is never overwritten.
    let again = run(home
        .cmd()
        .args(["serve", "--token-file", file.to_str().unwrap()]));
    assert_eq!(code(&again), 2, "{}", stderr(&again));
    assert_eq!(serve.stop("TERM").0, 0);
    assert!(!file.exists(), "the dead token's file was left behind");
}

#[test]
fn serve_refuses_a_non_loopback_address_unless_remote_is_allowed_over_tls() {
    let (home, _fakes) = setup(&[(Family::OpenAi, "main")]);
    let out = run(home.cmd().args(["serve", "--listen", "0.0.0.0"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a loopback address"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--allow-remote"), "{}", stderr(&out));
    let out = run(home
        .cmd()
        .args(["serve", "--listen", "0.0.0.0", "--allow-remote"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--tls-cert"), "{}", stderr(&out));

    let have_openssl = Command::new("openssl").arg("version").output().is_ok();
    if !require(have_openssl, "openssl", None) {
        return;
    }
    let cert = home.path().join("cert.pem");
    let key = home.path().join("key.pem");
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048"])
        .args(["-nodes", "-days", "1", "-subj", "/CN=omc-test"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let serve = Serve::start(
        &home,
        &[
            "--json",
            "--listen",
            "0.0.0.0",
            "--allow-remote",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let doc = serve.json();
    let token = doc["token"].as_str().unwrap();
    let base = doc["env"]["OPENAI_BASE_URL"].as_str().unwrap();
    assert!(base.starts_with("https://127.0.0.1:"), "{doc}");
    let (status, body) = curl(
        Family::OpenAi,
        base,
        token,
        &["--cacert", cert.to_str().unwrap()],
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello"), "{body}");
    assert_eq!(serve.stop("TERM").0, 0);
}

/// A program that makes one chat call in `argv[1]`'s family through the variables omc set,
/// and prints status and body.
const CLIENT: &str = r#"
import os, sys, urllib.request, urllib.error
family = sys.argv[1]
if family == "openai":
    url = os.environ["OPENAI_BASE_URL"] + "/chat/completions"
    headers = {"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]}
    body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}'
else:
    url = os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages"
    headers = {"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"}
    body = '{"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}'
headers["Content-Type"] = "application/json"
req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
try:
    with urllib.request.urlopen(req) as r:
        print(r.status); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); sys.stdout.write(e.read().decode())
"#;

#[test]
fn fallback_takes_a_429_or_5xx_call_to_the_other_credential_and_the_ledger_says_which() {
    for (failure, kind) in [
        (
            Behaviour::rate_limited(Family::OpenAi, Some("20")),
            "rate_limited",
        ),
        (Behaviour::server_error(Family::OpenAi), "server"),
    ] {
        let (home, fakes) = setup(&[(Family::OpenAi, "main"), (Family::OpenAi, "spare")]);
        fakes[0].server().push(failure);
        let out = run(home.cmd().args([
            "exec",
            "--proxy",
            "--credential",
            "main",
            "--fallback",
            "spare",
            "--",
            "python3",
            "-c",
            CLIENT,
            "openai",
        ]));
        let text = ok(&out);
        assert!(text.starts_with("200\n"), "{kind}: {text}");
        assert!(text.contains("Hello"), "{kind}: {text}");
        assert_eq!(fakes[0].server().requests().len(), 1, "{kind}");
        assert_eq!(fakes[1].server().requests().len(), 1, "{kind}");
        let rows = ledger(&home);
        assert_eq!(rows.len(), 2, "{kind}: {rows:?}");
        assert_eq!(rows[0].0, "main");
        assert_eq!(rows[0].1, "error");
        assert!(
            rows[0].2.as_deref().is_some_and(|k| k.starts_with(kind)),
            "{rows:?}"
        );
        assert_eq!(
            rows[1],
            ("spare".to_owned(), "ok".to_owned(), None),
            "{kind}"
        );
        // Without a fallback the program gets the provider's own answer.
        fakes[0]
            .server()
            .push(Behaviour::rate_limited(Family::OpenAi, None));
        let out = run(home.cmd().args([
            "exec",
            "--proxy",
            "--credential",
            "main",
            "--",
            "python3",
            "-c",
            CLIENT,
            "openai",
        ]));
        assert!(stdout(&out).starts_with("429\n"), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("rate_limit_exceeded"),
            "{}",
            stdout(&out)
        );
        assert_eq!(fakes[1].server().requests().len(), 1);
    }
}

#[test]
fn serve_falls_back_too_and_a_fallback_of_another_family_is_refused() {
    let (home, fakes) = setup(&[
        (Family::Anthropic, "an"),
        (Family::Anthropic, "an2"),
        (Family::Gemini, "ge"),
    ]);
    fakes[0].server().push(Behaviour::overloaded());
    let serve = Serve::start(
        &home,
        &["--json", "--credential", "an", "--fallback", "an2"],
    );
    let doc = serve.json();
    let (status, body) = curl(
        Family::Anthropic,
        doc["env"]["ANTHROPIC_BASE_URL"].as_str().unwrap(),
        doc["token"].as_str().unwrap(),
        &[],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(serve.stop("TERM").0, 0);
    let rows = ledger(&home);
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["an", "an2"]
    );
    assert_eq!(
        (rows[0].1.as_str(), rows[1].1.as_str()),
        ("error", "ok"),
        "{rows:?}"
    );
    let entries = proxy_entries(&home);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["credential"], "an, an2");
    assert_eq!(entries[0]["detail"], "serve, 1 call, fallback an2");

    let out = run(home
        .cmd()
        .args(["serve", "--credential", "an", "--fallback", "ge"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no proxied credential speaks its API"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exec_proxy_leaves_one_audit_entry_with_its_credentials_command_and_calls() {
    let (home, _fakes) = setup(&[(Family::OpenAi, "oa"), (Family::Anthropic, "an")]);
    let script = "import subprocess, sys\nfor f in ['openai', 'anthropic', 'openai']:\n    subprocess.run([sys.executable, '-c', sys.argv[1], f], check=True)\n";
    let out = run(home.cmd().args([
        "exec",
        "--proxy",
        "--credential",
        "oa",
        "--credential",
        "an",
        "--",
        "python3",
        "-c",
        script,
        CLIENT,
    ]));
    let text = ok(&out);
    assert_eq!(text.matches("200\n").count(), 3, "{text}");
    let entries = proxy_entries(&home);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["credential"], "oa, an");
    assert_eq!(entries[0]["detail"], "exec python3, 3 calls");
}

/// Whether `path` (if it exists) contains `needle`.
fn file_has(path: &Path, needle: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| contains(&b, needle))
}

#[test]
fn at_trace_the_key_and_the_token_stay_out_of_logs_the_database_and_the_child() {
    let (home, _fakes) = setup(&[(Family::OpenAi, "oa"), (Family::Anthropic, "an")]);
    let saved = home.path().join("seen");
    // The child keeps what it was given (its environment and the token) and, after its calls,
    // a copy of omc's database and WAL as they are while omc still runs.
    let script = r#"
import os, shutil, subprocess, sys
saved, data = sys.argv[2], sys.argv[3]
proc = "/proc/%d/environ" % os.getpid()
if os.path.exists(proc):
    env = open(proc, "rb").read()
else:
    env = "\0".join(k + "=" + v for k, v in os.environ.items()).encode()
open(saved + ".environ", "wb").write(env)
open(saved + ".token", "w").write(os.environ["OPENAI_API_KEY"])
for f in ["openai", "anthropic"]:
    subprocess.run([sys.executable, "-c", sys.argv[1], f], check=True)
for name, to in [("omc.db", ".db"), ("omc.db-wal", ".wal")]:
    if os.path.exists(os.path.join(data, name)):
        shutil.copy(os.path.join(data, name), saved + to)
"#;
    let out = run(home
        .cmd()
        .env("OMC_LOG", "trace")
        .env("RUST_LOG", "trace")
        .args([
            "-vvv",
            "exec",
            "--proxy",
            "--credential",
            "oa,an",
            "--",
            "python3",
            "-c",
            script,
            CLIENT,
            saved.to_str().unwrap(),
            home.data().to_str().unwrap(),
        ]));
    let text = ok(&out);
    assert_eq!(text.matches("200\n").count(), 2, "{text}");
    let token = std::fs::read_to_string(saved.with_extension("token")).unwrap();
    assert!(token.starts_with("omc-proxy-"), "{token}");
    let log = stderr(&out);
    // The trace log is really on: it shows the proxy at work.
    assert!(log.contains("TRACE") && log.contains("proxying"), "{log}");
    let environ = std::fs::read(saved.with_extension("environ")).unwrap();
    assert!(
        !contains(&environ, CANARY),
        "the key reached the child's environment"
    );
    assert!(contains(&environ, &token));
    for (what, hay) in [("stderr", log.as_bytes()), ("stdout", text.as_bytes())] {
        assert!(!contains(hay, CANARY), "the key is in omc's {what}");
        assert!(!contains(hay, &token), "the token is in omc's {what}");
    }
    let db = home.db();
    let wal = db.with_file_name("omc.db-wal");
    let (db_then, wal_then) = (saved.with_extension("db"), saved.with_extension("wal"));
    assert!(db.exists() && db_then.exists());
    // The calls were being recorded when the copies were made.
    assert!(
        file_has(&db_then, "gpt-4o-mini") || file_has(&wal_then, "gpt-4o-mini"),
        "the copies do not hold the ledger rows"
    );
    for file in [&db, &wal, &db_then, &wal_then] {
        assert!(!file_has(file, CANARY), "the key is in {}", file.display());
        assert!(
            !file_has(file, &token),
            "the token is in {}",
            file.display()
        );
    }
}
