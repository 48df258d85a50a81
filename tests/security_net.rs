//! What omc reads from files, pipes and servers is bounded; a token never goes to another host in
//! clear or through a redirect; a fragment of a key is redacted like the key. The real binary
//! against local servers that speak just enough HTTP. No test sends anything past loopback:
//! `0.0.0.0` stands for "another host" (omc must treat it as one; Linux delivers a connection to
//! it on loopback, so a listener there sees what a remote host would have).

#[path = "support/common.rs"]
mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const TOKEN: &str = "hvs.CANARY-TOKEN-5e1d0c9b8a7f";

/// What a scripted server answers to one request.
enum Answer {
    Bytes(Vec<u8>),
    /// These response headers, then a body of spaces without end (until 2 GiB or 60 s, or the
    /// client goes away).
    Flood(String),
}

/// A loopback server answering each request (one per connection) as a closure says, and
/// keeping every byte it received.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Server {
    fn start(answer: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<u8>>> = Arc::default();
        let answer = Arc::new(answer);
        let record = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let (answer, record) = (answer.clone(), record.clone());
                std::thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match conn.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => break,
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let len = text
                        .lines()
                        .filter_map(|l| l.split_once(':'))
                        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.trim().parse().ok())
                        .unwrap_or(0usize);
                    let mut body = vec![0u8; len.min(1 << 20)];
                    let _ = conn.read_exact(&mut body);
                    {
                        let mut r = record.lock().unwrap();
                        r.extend_from_slice(&head);
                        r.extend_from_slice(&body);
                    }
                    match answer(&text) {
                        Answer::Bytes(b) => {
                            let _ = conn.write_all(&b);
                        }
                        Answer::Flood(headers) => {
                            if conn.write_all(headers.as_bytes()).is_err() {
                                return;
                            }
                            let chunk = vec![b' '; 64 * 1024];
                            let started = Instant::now();
                            let mut sent = 0usize;
                            while started.elapsed() < Duration::from_secs(60) && sent < (2 << 30) {
                                if conn.write_all(&chunk).is_err() {
                                    return;
                                }
                                sent += chunk.len();
                            }
                        }
                    }
                });
            }
        });
        Server { port, seen }
    }

    /// Everything received so far, as text.
    fn seen(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// An HTTP/1.1 reply with a JSON (or other) body.
fn reply(status: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        out.push_str("content-type: application/json\r\n");
    }
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    Answer::Bytes(out.into_bytes())
}

/// The request path of a request head.
fn path_of(head: &str) -> String {
    head.split_whitespace().nth(1).unwrap_or("/").to_owned()
}

/// A server that redirects every request (307, path kept) to `to` on another host.
fn redirector(to: &Server) -> Server {
    let port = to.port;
    Server::start(move |head| {
        let location = format!("http://localhost:{port}{}", path_of(head));
        reply(
            "307 Temporary Redirect",
            &[("location", location.as_str())],
            "",
        )
    })
}

/// A process past this much resident memory is killed: reading without a bound would otherwise
/// take the machine's memory before the time limit.
const MEMORY_CAP_KIB: u64 = 1 << 20;

/// Run `cmd`; kill it and return `None` if it has not finished within `limit` or holds more than
/// [`MEMORY_CAP_KIB`]. Also the most memory (resident, in KiB) it was seen to hold.
fn run_watched(cmd: &mut Command, stdin: Option<&str>, limit: Duration) -> Option<(Output, u64)> {
    let stdin = match stdin {
        Some(path) => Stdio::from(std::fs::File::open(path).unwrap()),
        None => Stdio::null(),
    };
    let mut child = cmd
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained on threads, so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let status_file = format!("/proc/{}/status", child.id());
    let started = Instant::now();
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit || peak > MEMORY_CAP_KIB {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    };
    Some((output, peak))
}

fn vault_profile(home: &Home, name: &str, address: &str, extra: &[&str]) -> Output {
    run(home
        .cmd()
        .args([
            "profile",
            "add",
            name,
            "--backend",
            "vault",
            "--address",
            address,
        ])
        .args(extra))
}

fn mkfifo(path: &Path) {
    let o = Command::new("mkfifo").arg(path).output().unwrap();
    assert!(o.status.success(), "mkfifo: {}", stderr(&o));
}

// ---- item 10: bounds ------------------------------------------------------------------------

#[test]
fn an_endless_engine_reply_ends_at_the_limit_in_bounded_memory() {
    let engine = Server::start(|_| {
        Answer::Flood(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n".into(),
        )
    });
    let home = Home::new();
    ok(&vault_profile(&home, "far", &engine.url(), &[]));
    for args in [&["list"][..], &["key", "some-name"]] {
        let (out, peak_kib) = run_watched(
            home.cmd()
                .env("VAULT_TOKEN", TOKEN)
                .args(["--profile", "far"])
                .args(args),
            None,
            Duration::from_secs(30),
        )
        .unwrap_or_else(|| panic!("{args:?} kept reading an endless reply"));
        let err = stderr(&out);
        assert_eq!(code(&out), 6, "{args:?}: {err}");
        assert!(
            err.contains("larger than") && err.contains("4 MiB"),
            "{args:?}: the error names the limit: {err}"
        );
        assert!(!err.contains(TOKEN), "{err}");
        assert!(
            peak_kib < 200 * 1024,
            "{args:?}: omc held {peak_kib} KiB reading a reply capped at 4 MiB"
        );
    }
}

#[test]
fn huge_import_sources_bundles_and_identities_are_refused_naming_the_limit() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let big = |name: &str, size: usize, line: &str| {
        let p = dir.path().join(name);
        let mut text = String::with_capacity(size + line.len());
        while text.len() <= size {
            text.push_str(line);
        }
        std::fs::write(&p, text).unwrap();
        p
    };
    let keys = big(
        "keys.json",
        5 << 20,
        "                                                                \n",
    );
    let dotenv = big(
        "big.env",
        5 << 20,
        "# a comment line in a very large file\n",
    );
    let aichat = big(
        "config.yaml",
        5 << 20,
        "# a comment line in a very large file\n",
    );
    let bundle = big("bundle.age", 17 << 20, "not an age file at all\n");
    let identity = big("id.txt", 2 << 20, "# AGE-SECRET-KEY comment line\n");
    let small_bundle = dir.path().join("small.age");
    std::fs::write(&small_bundle, "-----BEGIN AGE ENCRYPTED FILE-----\n").unwrap();
    for (args, limit) in [
        (vec!["import", "llm", keys.to_str().unwrap()], "4 MiB"),
        (vec!["import", "dotenv", dotenv.to_str().unwrap()], "4 MiB"),
        (vec!["import", "aichat", aichat.to_str().unwrap()], "4 MiB"),
        (
            vec!["import", "bundle", bundle.to_str().unwrap(), "--dry-run"],
            "16 MiB",
        ),
        (
            vec![
                "import",
                "bundle",
                small_bundle.to_str().unwrap(),
                "--identity",
                identity.to_str().unwrap(),
                "--dry-run",
            ],
            "1 MiB",
        ),
    ] {
        let out = run(home.cmd().args(&args));
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{args:?}: {err}");
        assert!(
            err.contains("larger than") && err.contains(limit),
            "{args:?}: {err}"
        );
    }
    // A config file and a benchmark suite too.
    ok(&home.add("echo", "e", "echo-key-not-secret"));
    let config = big("config.toml", 2 << 20, "# comment\n");
    let out = run(home
        .cmd()
        .args(["--config", config.to_str().unwrap(), "run", "hi"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("1 MiB"), "{}", stderr(&out));
}

#[test]
fn a_fifo_given_as_a_file_is_refused_without_waiting_for_a_writer() {
    let home = Home::new();
    ok(&home.add("echo", "e", "echo-key-not-secret"));
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let f = fifo.to_str().unwrap();
    for args in [
        &["import", "llm", f][..],
        &["import", "dotenv", f],
        &["import", "aichat", f],
        &["import", "bundle", f, "--dry-run"],
        &["--config", f, "run", "hi"],
        &["bench", "--suite", f, "--runs", "1"],
    ] {
        let (out, _) = run_watched(home.cmd().args(args), None, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{args:?} waited on a FIFO"));
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // The default config file, too.
    mkfifo(&home.data().join("config.toml"));
    let (out, _) = run_watched(
        home.cmd().args(["run", "hi"]),
        None,
        Duration::from_secs(10),
    )
    .expect("run waited on a FIFO config.toml");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn piped_tokens_and_prompts_stop_at_their_limits() {
    let engine = Server::start(|_| reply("500 Internal Server Error", &[], "{}"));
    let home = Home::new();
    ok(&home.add("echo", "e", "echo-key-not-secret"));
    ok(&vault_profile(&home, "team", &engine.url(), &[]));
    let limit = Duration::from_secs(30);
    let (out, _) = run_watched(
        home.cmd()
            .args(["profile", "login", "team", "--token-stdin"]),
        Some("/dev/zero"),
        limit,
    )
    .expect("--token-stdin < /dev/zero must stop reading");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("64 KiB"), "{}", stderr(&out));
    assert!(engine.seen().is_empty(), "nothing was sent to the engine");

    let (out, peak_kib) = run_watched(home.cmd().args(["run", "hi"]), Some("/dev/zero"), limit)
        .expect("omc run < /dev/zero must stop reading");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("64 MiB"), "{}", stderr(&out));
    assert!(peak_kib < 512 * 1024, "held {peak_kib} KiB");

    // Under the limit, a piped prompt still works.
    let out = run_stdin(home.cmd().args(["run"]), "piped prompt");
    assert!(ok(&out).contains("piped prompt"), "{}", stdout(&out));
}

// ---- item 11: no token in clear to another host ---------------------------------------------

#[test]
fn a_vault_profile_on_plain_http_to_another_host_needs_the_opt_in() {
    let home = Home::new();
    ok(&home.add("echo", "e", "echo-key-not-secret"));
    // Refused when added: nothing is stored, nothing is sent (add never connects).
    for address in ["http://10.1.2.3:8200", "http://vault.example.com:8200"] {
        let out = vault_profile(&home, "far", address, &[]);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("--allow-insecure-http") && stderr(&out).contains("in clear"),
            "{}",
            stderr(&out)
        );
    }
    let listed = ok(&run(home.cmd().args(["profile", "list", "--json"])));
    assert!(!listed.contains("\"far\""), "{listed}");
    // https and loopback need no flag.
    ok(&vault_profile(&home, "tls", "https://10.1.2.3:8200", &[]));
    ok(&vault_profile(&home, "local", "http://localhost:8200", &[]));
    ok(&vault_profile(&home, "v6", "http://[::1]:8200", &[]));

    // With the flag it is kept, and used: "another host" here is 0.0.0.0, which reaches the
    // loopback listener.
    let engine = Server::start(|_| reply("403 Forbidden", &[], r#"{"errors":["denied"]}"#));
    let far = format!("http://0.0.0.0:{}", engine.port);
    let out = vault_profile(&home, "far", &far, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    ok(&vault_profile(
        &home,
        "far",
        &far,
        &["--allow-insecure-http"],
    ));
    let out = run(home
        .cmd()
        .env("VAULT_TOKEN", TOKEN)
        .args(["--profile", "far", "list"]));
    assert_eq!(code(&out), 4, "the engine's refusal: {}", stderr(&out));
    assert!(engine.seen().contains(TOKEN), "opted in, the token is sent");

    // A profile stored without the opt-in (as before omc asked for one) is refused before any
    // connection.
    let before = engine.seen().len();
    let db = rusqlite::Connection::open(home.db()).unwrap();
    db.execute(
        "UPDATE profile_backends SET kind = 'vault' WHERE address = ?1",
        [&far],
    )
    .unwrap();
    drop(db);
    let out = run(home
        .cmd()
        .env("VAULT_TOKEN", TOKEN)
        .args(["--profile", "far", "list"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--allow-insecure-http"),
        "{}",
        stderr(&out)
    );
    assert_eq!(engine.seen().len(), before, "nothing was sent");
}

/// A home with an echo default and an agent `NAME` whose text is `toml`.
fn agent_home(name: &str, toml: &str) -> Home {
    let home = Home::new();
    ok(&home.add("echo", "echo", "echo-key-not-secret"));
    let dir = home.data().join("agents");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.toml")), toml).unwrap();
    home
}

#[test]
fn an_http_mcp_server_with_a_bearer_on_plain_http_to_another_host_needs_allow_http() {
    let server = Server::start(|_| reply("500 Internal Server Error", &[], "{}"));
    let canary = "sk-CANARY-MCPBEARER-0a1b2c3d4e";
    let agent = |extra: &str| {
        format!(
            "models = [\"echo\"]\n[mcp.far]\nurl = \"http://0.0.0.0:{}/mcp\"\n\
             bearer = \"credential:web\"\nheaders = {{ X-Api-Key = \"{canary}-H\" }}\n\
             approve = \"auto\"\n{extra}",
            server.port
        )
    };
    let home = agent_home("far", &agent(""));
    ok(&home.add("openai", "web", canary));
    let out = run(home.cmd().args(["run", "--agent", "far", "hi"]));
    assert_ne!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stderr(&out).contains("allow_http = true"),
        "{}",
        stderr(&out)
    );
    assert!(server.seen().is_empty(), "sent: {}", server.seen());

    // Opted in, the server is asked (and fails here, which is beside the point).
    std::fs::write(
        home.data().join("agents/far.toml"),
        agent("allow_http = true\n"),
    )
    .unwrap();
    let out = run(home.cmd().args(["run", "--agent", "far", "hi"]));
    assert_ne!(code(&out), 0, "{}", stdout(&out));
    assert!(server.seen().contains(canary), "{}", server.seen());
}

// ---- item 12: fragments of a key ------------------------------------------------------------

const PLAIN_KEY: &str = "plainlocal.key.42";
const FRAGMENT: &str = "plainlocal.key";

#[test]
fn a_fragment_of_the_key_echoed_by_a_provider_is_redacted_in_errors_and_logs() {
    let rejecting = Server::start(|_| {
        reply(
            "401 Unauthorized",
            &[("x-request-id", "req-plainlocal.key")],
            r#"{"error":{"message":"Incorrect API key provided: pla*****.42 (request from plainlocal.key)","type":"invalid_request_error","code":"invalid_api_key"}}"#,
        )
    });
    let base = format!("{}/v1", rejecting.url());
    let check = |out: &Output, what: &str| {
        let text = format!("{}{}", stdout(out), stderr(out));
        assert!(!text.contains(FRAGMENT), "{what}: {text}");
        assert!(!text.contains("lainlocal"), "{what}: {text}");
        assert!(text.contains("[REDACTED]"), "{what}: {text}");
    };
    let home = Home::new();
    let out = run_stdin(
        home.cmd()
            .args(["-vv", "add", "openai", "--base-url", &base, "--key-stdin"]),
        PLAIN_KEY,
    );
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    check(&out, "add -vv");
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--base-url",
            &base,
            "--no-validate",
            "--key-stdin",
        ]),
        PLAIN_KEY,
    ));
    let out = run(home.cmd().args(["-vv", "run", "hi"]));
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    check(&out, "run -vv");
    let out = run(home.cmd().args(["validate", "--json"]));
    check(&out, "validate");

    // An error event in the stream, and a request id header carrying the fragment.
    let streaming = Server::start(|head| {
        if head.starts_with("POST") {
            let body = "data: {\"error\":{\"message\":\"upstream refused the key plainlocal.key\",\"type\":\"server_error\"}}\n\n";
            reply("200 OK", &[("content-type", "text/event-stream")], body)
        } else {
            reply("404 Not Found", &[], "{}")
        }
    });
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--base-url",
            &format!("{}/v1", streaming.url()),
            "--no-validate",
            "--key-stdin",
        ]),
        PLAIN_KEY,
    ));
    let out = run(home.cmd().args(["-vv", "run", "hi"]));
    assert_ne!(code(&out), 0, "{}", stdout(&out));
    check(&out, "stream error event");

    let answering = Server::start(|_| {
        reply(
            "200 OK",
            &[("x-request-id", "req-plainlocal.key-7")],
            r#"{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#,
        )
    });
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--base-url",
            &format!("{}/v1", answering.url()),
            "--no-validate",
            "--key-stdin",
        ]),
        PLAIN_KEY,
    ));
    let out = run(home
        .cmd()
        .args(["-vv", "run", "hi", "--no-stream", "--json"]));
    let text = ok(&out);
    assert!(text.contains("hello"), "{text}");
    assert!(
        !text.contains(FRAGMENT),
        "the request id is dropped: {text}"
    );
    assert!(!stderr(&out).contains(FRAGMENT), "{}", stderr(&out));
}

// ---- item 14: redirects ---------------------------------------------------------------------

#[test]
fn a_provider_redirect_to_another_host_never_carries_the_key() {
    for (provider, base_path) in [("openai", "/v1"), ("anthropic", ""), ("gemini", "")] {
        let second = Server::start(|_| reply("200 OK", &[], "{}"));
        let first = redirector(&second);
        let key = format!("sk-CANARY-REDIRECT-{provider}-0123456789");
        let home = Home::new();
        ok(&run_stdin(
            home.cmd().args([
                "add",
                provider,
                "--name",
                "r",
                "--base-url",
                &format!("{}{base_path}", first.url()),
                "--no-validate",
                "--key-stdin",
            ]),
            &key,
        ));
        for args in [
            &["validate", "r"][..],
            &["models", "r"],
            &["run", "hi", "--credential", "r"],
            &["run", "hi", "--credential", "r", "--no-stream"],
        ] {
            let out = run(home.cmd().args(args));
            assert_ne!(code(&out), 0, "{provider} {args:?}: {}", stdout(&out));
        }
        // A benchmark sends plain-http requests through its own lean client: no redirects
        // there either. (Its failed requests are part of the report, not its exit code.)
        run(home
            .cmd()
            .args(["bench", "--credential", "r", "--runs", "2", "--warmup", "0"]));
        assert!(
            first.seen().contains(&key),
            "{provider}: the first host is asked"
        );
        let seen = second.seen();
        assert!(
            !seen.contains(&key) && !seen.contains("CANARY"),
            "{provider}: the second host got the key: {seen}"
        );
    }
}

#[test]
fn an_engine_redirect_to_another_host_never_carries_the_token() {
    let second = Server::start(|_| reply("200 OK", &[], r#"{"data":{"keys":[]}}"#));
    let first = redirector(&second);
    let home = Home::new();
    ok(&vault_profile(&home, "r", &first.url(), &[]));
    let out = run(home
        .cmd()
        .env("VAULT_TOKEN", TOKEN)
        .args(["--profile", "r", "list"]));
    assert_ne!(code(&out), 0, "{}", stdout(&out));
    let out = run_stdin(
        home.cmd().args(["profile", "login", "r", "--token-stdin"]),
        TOKEN,
    );
    assert_ne!(code(&out), 0, "{}", stdout(&out));
    let out = run_stdin(
        home.cmd()
            .args(["profile", "login", "r", "--role-id", "role-1"]),
        "secret-id-CANARY-77",
    );
    assert_ne!(code(&out), 0, "{}", stdout(&out));
    assert!(first.seen().contains(TOKEN), "the first host is asked");
    let seen = second.seen();
    assert!(
        !seen.contains(TOKEN) && !seen.contains("CANARY"),
        "the second host got the token: {seen}"
    );
}

#[test]
fn an_mcp_server_redirect_to_another_host_never_carries_the_bearer_or_headers() {
    let second = Server::start(|_| reply("200 OK", &[], "{}"));
    let first = redirector(&second);
    let canary = "sk-CANARY-MCPREDIRECT-99aa88bb";
    let home = agent_home(
        "r",
        &format!(
            "models = [\"echo\"]\n[mcp.r]\nurl = \"{}/mcp\"\nbearer = \"credential:web\"\n\
             headers = {{ X-Api-Key = \"{canary}-H\" }}\napprove = \"auto\"\n",
            first.url()
        ),
    );
    ok(&home.add("openai", "web", canary));
    let out = run(home.cmd().args(["run", "--agent", "r", "hi"]));
    assert_ne!(code(&out), 0, "{}", stdout(&out));
    assert!(first.seen().contains(canary), "the first host is asked");
    let seen = second.seen();
    assert!(
        !seen.contains("CANARY"),
        "the second host got the bearer or a header: {seen}"
    );
}
