//! Security round (issue 9, items 4–7): untrusted text on the terminal, PowerShell quoting,
//! bounds on every input, and process hygiene. Each test pins a finding of the review and fails
//! without its fix. The binary is the real one; providers are local servers on loopback.

#[path = "support/common.rs"]
mod common;
mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use support::fake_provider::{Behaviour, Family, Reply};
use support::server::Fake;

const KEY: &str = "sk-openai-GOODKEY-4f1c9a7e2b";
/// What the review sent: a window-title OSC, then "clear the screen".
const HOSTILE: &str = "\x1b]0;owned\x07\x1b[2J";
const SHOWN: &str = "\\x1b]0;owned\\x07\\x1b[2J";

fn no_escape(bytes: &[u8]) -> bool {
    !bytes.contains(&0x1b) && !bytes.contains(&0x07)
}

#[track_caller]
fn assert_escaped(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        no_escape(bytes),
        "{what}: raw escape bytes reach the terminal: {text:?}"
    );
    assert!(
        text.contains(SHOWN),
        "{what}: the text is shown escaped: {text:?}"
    );
}

fn hostile_error() -> Behaviour {
    let body = serde_json::json!({"error": {"message": format!("bad request {HOSTILE}"),
        "type": "invalid_request_error"}});
    Behaviour::error(400, body.to_string())
}

/// A home with one credential pointing at `fake`, stored without a live check.
fn home_at(fake: &Fake) -> Home {
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--base-url",
            &fake.server().base_url(),
            "--no-validate",
            "--key-stdin",
        ]),
        KEY,
    ));
    home
}

#[test]
fn provider_error_text_is_shown_escaped_by_add_validate_models_and_run() {
    let fake = Fake::start(Family::OpenAi, KEY);

    fake.server().push(hostile_error());
    let add = run_stdin(
        Home::new().cmd().args([
            "add",
            "openai",
            "--base-url",
            &fake.server().base_url(),
            "--key-stdin",
        ]),
        KEY,
    );
    assert_ne!(code(&add), 0);
    assert_escaped(&add.stderr, "add");

    let home = home_at(&fake);
    fake.server().push(hostile_error());
    let validate = run(home.cmd().args(["validate", "openai"]));
    assert_ne!(code(&validate), 0);
    assert_escaped(&validate.stdout, "validate DETAIL");
    assert!(no_escape(&validate.stderr), "{}", stderr(&validate));

    fake.server().push(hostile_error());
    let models = run(home.cmd().args(["models"]));
    assert_ne!(code(&models), 0);
    assert_escaped(&models.stderr, "models");

    fake.server().push(hostile_error());
    let r = run(home.cmd().args(["run", "hi"]));
    assert_ne!(code(&r), 0);
    assert_escaped(&r.stderr, "run");
}

#[test]
fn stored_fields_and_not_found_names_are_shown_escaped() {
    let home = Home::new();
    ok(&home.add("openai", "work", "sk-openai-STOREDFIELDS-123456"));
    // A store written by an older omc, or edited by hand, may hold anything.
    let db = rusqlite::Connection::open(home.db()).unwrap();
    db.execute(
        "UPDATE credentials SET model = ?1, base_url = ?2",
        [
            format!("gpt{HOSTILE}"),
            format!("http://x/{HOSTILE}\u{202e}"),
        ],
    )
    .unwrap();
    drop(db);
    let list = run(home.cmd().args(["list", "--color", "never"]));
    assert_escaped(&list.stdout, "list");
    assert!(stdout(&list).contains("\\u{202e}"), "{}", stdout(&list));

    // The actor comes from $USER, the detail names the program `exec` ran.
    let program = format!("prog{HOSTILE}");
    let exec = run(home
        .cmd()
        .env("USER", format!("mallory{HOSTILE}"))
        .args(["exec", "--", &program]));
    assert_eq!(code(&exec), 127, "{}", stderr(&exec));
    assert_escaped(&exec.stderr, "exec's 'command not found'");
    let audit = run(home.cmd().args(["audit", "--color", "never"]));
    assert_escaped(&audit.stdout, "audit");
    assert!(
        stdout(&audit).contains("mallory\\x1b"),
        "{}",
        stdout(&audit)
    );
    assert!(stdout(&audit).contains("prog\\x1b"), "{}", stdout(&audit));

    let key = run(home.cmd().args(["key", &format!("nope{HOSTILE}")]));
    assert_eq!(code(&key), 3);
    assert_escaped(&key.stderr, "not found");
}

#[test]
fn powershell_env_lines_double_every_quote_character() {
    let home = Home::new();
    let key = "sk-a\u{2019};Remove-Item(\"x\");\u{2018}b'c\u{201a}\u{201b}";
    ok(&home.add("openai", "openai", key));
    let out = ok(&run(home.cmd().args(["env", "--shell", "powershell"])));
    assert_eq!(
        out.trim_end(),
        "$env:OPENAI_API_KEY = 'sk-a\u{2019}\u{2019};Remove-Item(\"x\");\u{2018}\u{2018}b''c\u{201a}\u{201a}\u{201b}\u{201b}'"
    );
}

/// Runs `cmd` with stdin from `stdin` (a file), killing it after `limit`: `None` if it had to
/// be killed, as an unbounded read would be.
fn run_within(
    cmd: &mut Command,
    stdin: Option<&str>,
    limit: Duration,
) -> Option<std::process::Output> {
    if let Some(path) = stdin {
        cmd.stdin(std::fs::File::open(path).unwrap());
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn keys_are_bounded_and_invisible_characters_refused() {
    let home = Home::new();
    for (key, what) in [
        (
            "\u{feff}sk-openai-BOMKEY-123456",
            "U+FEFF (BYTE ORDER MARK), at position 1",
        ),
        (
            "sk-openai-\u{200b}ZWSKEY-123456",
            "U+200B (ZERO WIDTH SPACE), at position 11",
        ),
        (
            "sk-openai-ZWJKEY\u{200d}-123456",
            "U+200D (ZERO WIDTH JOINER)",
        ),
    ] {
        let out = home.add("openai", "openai", key);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains(what), "{}", stderr(&out));
        assert!(
            !contains(&out.stderr, "KEY-123456"),
            "never the key: {}",
            stderr(&out)
        );
    }
    let long = format!("sk-{}", "a".repeat(16 * 1024));
    let out = home.add("openai", "openai", &long);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("at most 16384"), "{}", stderr(&out));

    // An endless stdin is not read to its end.
    let out = run_within(
        home.cmd()
            .args(["add", "openai", "--no-validate", "--key-stdin"]),
        Some("/dev/zero"),
        Duration::from_secs(10),
    )
    .expect("--key-stdin < /dev/zero must stop reading");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_nothing_stored(&home);
}

#[test]
fn base_urls_with_credentials_or_spaces_and_odd_models_are_refused() {
    let home = Home::new();
    let add = |extra: &[&str]| {
        let mut cmd = home.cmd();
        cmd.args(["add", "openai-compatible", "--no-validate", "--key-stdin"]);
        cmd.args(extra);
        run_stdin(&mut cmd, "sk-local-BOUNDS-000111222")
    };
    let out = add(&["--base-url", "http://admin:CANARYPASS@127.0.0.1:9/v1"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("user name or password"),
        "{}",
        stderr(&out)
    );
    assert!(!contains(&out.stderr, "CANARYPASS"), "{}", stderr(&out));
    for bad in [
        "http://127.0.0.1:9/v 1",
        "http://127.0.0.1:9/v1\n",
        "127.0.0.1:9/v1",
        "http://h/v1?x=1",
    ] {
        let out = add(&["--base-url", bad]);
        assert_eq!(code(&out), 2, "{bad:?}: {}", stderr(&out));
    }
    let long = "m".repeat(201);
    for bad in ["gpt 4o", "gpt\x1b[2J", "../../files", long.as_str()] {
        let out = add(&["--base-url", "http://127.0.0.1:9/v1", "--model", bad]);
        assert_eq!(code(&out), 2, "{bad:?}: {}", stderr(&out));
        assert!(no_escape(&out.stderr), "{}", stderr(&out));
    }
    assert_nothing_stored(&home);
    let out = add(&[
        "--base-url",
        "http://LOCALHOST:9/v1/",
        "--model",
        "org/model:free",
    ]);
    ok(&out);
    let list: serde_json::Value =
        serde_json::from_str(&ok(&run(home.cmd().args(["list", "--json"])))).unwrap();
    assert_eq!(list[0]["base_url"], "http://localhost:9/v1");
}

#[test]
fn master_key_file_is_read_bounded_and_a_readable_one_is_warned_about() {
    let home = Home::new();
    ok(&home.add("openai", "openai", "sk-openai-KEYFILE-0123456789"));
    let out = run_within(
        home.bare()
            .env("OMC_MASTER_KEY_FILE", "/dev/zero")
            .args(["key", "openai"]),
        None,
        Duration::from_secs(10),
    )
    .expect("OMC_MASTER_KEY_FILE=/dev/zero must stop reading");
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));

    let file = home.path().join("master.key");
    std::fs::write(&file, format!("# created: now\n{}\n", home.master_key)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(home
        .bare()
        .env("OMC_MASTER_KEY_FILE", &file)
        .args(["key", "openai"]));
    assert_eq!(ok(&out).trim(), "sk-openai-KEYFILE-0123456789");
    assert_eq!(
        stderr(&out).matches("readable by others").count(),
        1,
        "warned once: {}",
        stderr(&out)
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(home
        .bare()
        .env("OMC_MASTER_KEY_FILE", &file)
        .args(["key", "openai"]));
    ok(&out);
    assert!(!stderr(&out).contains("readable"), "{}", stderr(&out));
}

#[test]
fn an_invalid_keyring_timeout_is_a_usage_error() {
    let home = Home::new();
    for bad in ["abc", "0s", "5 parsecs"] {
        let out = run(home.cmd().env("OMC_KEYRING_TIMEOUT", bad).args(["list"]));
        assert_eq!(code(&out), 2, "{bad}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("OMC_KEYRING_TIMEOUT"),
            "{}",
            stderr(&out)
        );
    }
    ok(&run(home
        .cmd()
        .env("OMC_KEYRING_TIMEOUT", "2s")
        .args(["agent", "list"])));
}

/// No credential was stored: no store was made, or the one made holds none.
#[track_caller]
fn assert_nothing_stored(home: &Home) {
    let out = run(home.cmd().args(["list", "--json"]));
    if code(&out) == 3 {
        assert!(!home.db().exists(), "{}", stderr(&out));
    } else {
        assert_eq!(ok(&out).trim(), "[]");
    }
}

/// How a raw server answers every request: 200 with a body that never ends, fast or dripped.
#[derive(Clone, Copy)]
enum Endless {
    /// 64 KiB chunks as fast as the client reads (at most 2 GiB, then it gives up).
    Flood,
    /// One byte every 100 ms (for at most 60 s).
    Drip,
    /// An event stream whose events come every 100 ms and never finish the reply.
    DripStream,
}

/// A loopback server answering every request as `mode` says; returns its OpenAI-style base URL.
/// Each connection's loop is bounded in bytes and time and ends when the client goes away.
fn endless_server(mode: Endless) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let ctype = match mode {
                    Endless::DripStream => "text/event-stream",
                    _ => "application/json",
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\nconnection: close\r\n\r\n"
                );
                let started = Instant::now();
                let mut sent = 0usize;
                let chunk = vec![b' '; 64 * 1024];
                let event = "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"drip \"}}]}\n\n";
                while started.elapsed() < Duration::from_secs(60) && sent < (2 << 30) {
                    let piece: &[u8] = match mode {
                        Endless::Flood => &chunk,
                        Endless::Drip => b" ",
                        Endless::DripStream => event.as_bytes(),
                    };
                    if conn.write_all(piece).is_err() {
                        return;
                    }
                    sent += piece.len();
                    if !matches!(mode, Endless::Flood) {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            });
        }
    });
    format!("http://{addr}/v1")
}

/// A home with a credential pointing at `base`, stored unchecked.
fn home_pointing_at(base: &str) -> Home {
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--base-url",
            base,
            "--no-validate",
            "--key-stdin",
        ]),
        KEY,
    ));
    home
}

#[test]
fn an_endless_unstreamed_body_is_cut_at_a_size_cap() {
    let base = endless_server(Endless::Flood);
    let home = home_pointing_at(&base);
    let limit = Duration::from_secs(30);
    for args in [
        &["validate"][..],
        &["models"],
        &["run", "hi", "--no-stream"],
    ] {
        let started = Instant::now();
        let out = run_within(home.cmd().args(args), None, limit)
            .unwrap_or_else(|| panic!("{args:?} read an endless body for {limit:?}"));
        assert_eq!(code(&out), 6, "{args:?}: {}", stderr(&out));
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(text.contains("larger than 32 MiB"), "{args:?}: {text}");
        eprintln!("{args:?}: stopped after {:?}", started.elapsed());
    }
    let fresh = Home::new();
    let out = run_within(
        fresh
            .cmd()
            .args(["add", "openai", "--base-url", &base, "--key-stdin"])
            .stdin(Stdio::piped()),
        None,
        limit,
    );
    // stdin is a closed pipe here: the key read fails before any request. Use a real one.
    drop(out);
    let mut child = fresh
        .cmd()
        .args(["add", "openai", "--base-url", &base, "--key-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(KEY.as_bytes())
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("add's check read an endless body for {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing was stored"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_dripped_unstreamed_body_hits_the_probe_time_limit() {
    let home = home_pointing_at(&endless_server(Endless::Drip));
    let out = run_within(
        home.cmd()
            .env("OMC_TEST_PROBE_TIMEOUT_MS", "1500")
            .args(["validate"]),
        None,
        Duration::from_secs(20),
    )
    .expect("validate waited on a dripped body past its limit");
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(stdout(&out).contains("timed out"), "{}", stdout(&out));
}

#[test]
fn a_dripped_stream_hits_the_run_limit() {
    let home = home_pointing_at(&endless_server(Endless::DripStream));
    std::fs::write(
        home.data().join("config.toml"),
        "[run]\ntimeout = \"1500ms\"\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = run_within(
        home.cmd().args(["run", "hi"]),
        None,
        Duration::from_secs(20),
    )
    .expect("a dripped stream held omc run past its limit");
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("drip drip"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("total limit is 1s 500ms"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn master_age_is_written_at_a_fixed_work_factor_and_a_costlier_one_refused() {
    let home = Home::new();
    let with_pass = |cmd: &mut Command| {
        cmd.env("OMC_PASSPHRASE", "correct horse");
    };
    let mut init = home.bare();
    with_pass(&mut init);
    ok(&run(init.args(["init", "--backend", "file"])));
    ok(&run_stdin(
        home.bare()
            .args(["add", "openai", "--no-validate", "--key-stdin"]),
        "sk-openai-SCRYPT-0123456789",
    ));
    let path = home.data().join("master.age");
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let stanza = text
        .lines()
        .find(|l| l.starts_with("-> scrypt "))
        .unwrap()
        .to_owned();
    assert!(stanza.ends_with(" 18"), "{stanza}");

    // The same file claiming 2^21: refused before any scrypt work (the header MAC, which would
    // catch the edit, is only checked after the key is derived).
    let edited = text.replacen(&stanza, &format!("{} 21", &stanza[..stanza.len() - 3]), 1);
    std::fs::write(&path, edited).unwrap();
    let mut key = home.bare();
    with_pass(&mut key);
    let started = Instant::now();
    let out = run(key.args(["key", "openai"]));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("work factor 21, above omc's limit of 20"),
        "{}",
        stderr(&out)
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// Tests that need Linux: /proc, prctl, and script(1) from util-linux.
#[cfg(target_os = "linux")]
mod linux {
    use super::*;

    /// Runs `cmd` with stdout and stderr on a pseudo-terminal, through script(1) from util-linux.
    fn on_pty(cmd: &Command) -> Vec<u8> {
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut line = quote(cmd.get_program().to_str().unwrap());
        for a in cmd.get_args() {
            line.push(' ');
            line.push_str(&quote(a.to_str().unwrap()));
        }
        let mut script = Command::new("script");
        script.args(["-q", "-e", "-c", &line, "/dev/null"]);
        script.env_clear();
        for (k, v) in cmd.get_envs() {
            if let Some(v) = v {
                script.env(k, v);
            }
        }
        script.env("SHELL", "/bin/sh").stdin(Stdio::null());
        let out = script.output().expect("script(1) from util-linux");
        out.stdout
    }

    #[test]
    fn model_output_is_byte_exact_in_a_pipe_and_neutralised_on_a_terminal_unless_raw() {
        let fake = Fake::start(Family::OpenAi, KEY);
        let home = home_at(&fake);
        let answer = ["Hello ", HOSTILE, " world\u{202e}!"];
        fake.server()
            .set_default(Behaviour::Reply(Reply::text(&answer)));

        for no_stream in [false, true] {
            let mut args = vec!["run", "hi", "--color", "never"];
            if no_stream {
                args.push("--no-stream");
            }
            let piped = ok(&run(home.cmd().args(&args)));
            assert_eq!(piped, answer.concat(), "piped output is byte-exact");

            let mut cmd = home.cmd();
            cmd.args(&args);
            let tty = on_pty(&cmd);
            let shown = String::from_utf8_lossy(&tty);
            assert!(no_escape(&tty), "escaped on a terminal: {shown:?}");
            assert!(
                shown.contains(&format!("Hello {SHOWN} world\\u{{202e}}!")),
                "{shown:?}"
            );

            args.push("--raw");
            let mut cmd = home.cmd();
            cmd.args(&args);
            let raw = on_pty(&cmd);
            assert!(
                contains(&raw, HOSTILE),
                "--raw passes the sequence: {:?}",
                String::from_utf8_lossy(&raw)
            );
        }
    }

    /// The pids of `pid`'s children, from /proc.
    fn children(pid: u32) -> Vec<u32> {
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    /// Every readable byte of `pid`'s memory, region by region (as root, or with ptrace rights).
    fn memory_contains(pid: u32, needle: &[u8]) -> bool {
        use std::io::{Seek, SeekFrom};
        let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
        let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
        for line in maps.lines() {
            let mut fields = line.split_whitespace();
            let (range, perms) = (fields.next().unwrap(), fields.next().unwrap());
            if !perms.starts_with('r') || line.ends_with("[vvar]") || line.ends_with("[vsyscall]") {
                continue;
            }
            let (start, end) = range.split_once('-').unwrap();
            let start = u64::from_str_radix(start, 16).unwrap();
            let end = u64::from_str_radix(end, 16).unwrap();
            let mut buf = vec![0u8; (end - start) as usize];
            if mem.seek(SeekFrom::Start(start)).is_err() || mem.read_exact(&mut buf).is_err() {
                continue;
            }
            if buf.windows(needle.len()).any(|w| w == needle) {
                return true;
            }
        }
        false
    }

    /// Whether this test runs with root's effective uid (and so may read any process's memory).
    fn is_root() -> bool {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
            .unwrap_or(false)
    }

    /// Ends a running `omc exec` and the child it started.
    fn stop(mut child: std::process::Child, pid: u32) {
        for grandchild in children(pid) {
            let _ = Command::new("kill").arg(grandchild.to_string()).status();
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// A running `omc exec -- sleep 30`, started with core dumps allowed (a soft limit of 1 MiB, as
    /// a shell's `ulimit -c` would set), and its pid once the child has started.
    fn exec_waiting(home: &Home, key: &str) -> (std::process::Child, u32) {
        ok(&home.add("openai", "openai", key));
        let omc = home.cmd();
        let mut sh = Command::new("sh");
        sh.env_clear();
        for (k, v) in omc.get_envs() {
            if let Some(v) = v {
                sh.env(k, v);
            }
        }
        // `exec` keeps the pid: the process the test inspects is omc itself.
        let child = sh
            .args(["-c", "ulimit -S -c 1024 && exec \"$0\" \"$@\""])
            .arg(omc.get_program())
            .args(["exec", "--", "sleep", "30"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        let started = Instant::now();
        while children(pid).is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "exec never started its child"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        (child, pid)
    }

    #[test]
    fn omc_cannot_dump_core() {
        let home = Home::new();
        let (child, pid) = exec_waiting(&home, "sk-openai-COREDUMP-0123456789abcdef");
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        let soft = core.split_whitespace().nth(4).unwrap();
        stop(child, pid);
        assert_eq!(soft, "0", "{core}");

        // The same call the binary makes, read back from the kernel in this process.
        omc::hardening::harden();
        assert_eq!(omc::hardening::dumpable(), Some(false));
    }

    #[test]
    fn exec_keeps_no_copy_of_the_key_while_it_waits() {
        let home = Home::new();
        let key = "sk-openai-WAITCANARY-9f8e7d6c5b4a39281706";
        let (child, pid) = exec_waiting(&home, key);
        if !is_root() {
            // Without CAP_SYS_PTRACE the scan cannot run, and need not: omc is not dumpable, so
            // its memory is closed even to its own user.
            let err = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap_err();
            stop(child, pid);
            assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
            return;
        }
        // The whole key, and its tail: the allocator reuses a freed buffer's first bytes for its own
        // lists, so an unwiped freed copy shows only from the middle on.
        let whole = memory_contains(pid, key.as_bytes());
        let tail = memory_contains(pid, &key.as_bytes()[key.len() - 24..]);
        let sleeper = children(pid)[0];
        let in_child = memory_contains(sleeper, key.as_bytes());
        stop(child, pid);
        assert!(
            in_child,
            "the scan works: the child's environment holds the key"
        );
        assert!(!whole, "omc holds a copy of the key while its child runs");
        assert!(
            !tail,
            "a freed copy of the key (std's Command environment) was not wiped"
        );
    }
}
