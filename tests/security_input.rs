//! Security round (issue 9, items 4–7): untrusted text on the terminal, PowerShell quoting,
//! bounds on every input, and process hygiene. Each test pins a finding of the review and fails
//! without its fix. The binary is the real one; providers are local servers on loopback.

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
    assert!(no_escape(bytes), "{what}: raw escape bytes reach the terminal: {text:?}");
    assert!(text.contains(SHOWN), "{what}: the text is shown escaped: {text:?}");
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
    let exec = run(home.cmd().env("USER", format!("mallory{HOSTILE}")).args([
        "exec",
        "--",
        &program,
    ]));
    assert_eq!(code(&exec), 127, "{}", stderr(&exec));
    assert_escaped(&exec.stderr, "exec's 'command not found'");
    let audit = run(home.cmd().args(["audit", "--color", "never"]));
    assert_escaped(&audit.stdout, "audit");
    assert!(stdout(&audit).contains("mallory\\x1b"), "{}", stdout(&audit));
    assert!(stdout(&audit).contains("prog\\x1b"), "{}", stdout(&audit));

    let key = run(home.cmd().args(["key", &format!("nope{HOSTILE}")]));
    assert_eq!(code(&key), 3);
    assert_escaped(&key.stderr, "not found");
}

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
    fake.server().set_default(Behaviour::Reply(Reply::text(&answer)));

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
        assert!(shown.contains(&format!("Hello {SHOWN} world\\u{{202e}}!")), "{shown:?}");

        args.push("--raw");
        let mut cmd = home.cmd();
        cmd.args(&args);
        let raw = on_pty(&cmd);
        assert!(contains(&raw, HOSTILE), "--raw passes the sequence: {:?}", String::from_utf8_lossy(&raw));
    }
}

#[test]
fn powershell_env_lines_double_every_quote_character() {
    let home = Home::new();
    let key = "sk-a\u{2019};Remove-Item x;\u{2018}b'c\u{201a}\u{201b}";
    ok(&home.add("openai", "openai", key));
    let out = ok(&run(home.cmd().args(["env", "--shell", "powershell"])));
    assert_eq!(
        out.trim_end(),
        "$env:OPENAI_API_KEY = 'sk-a\u{2019}\u{2019};Remove-Item x;\u{2018}\u{2018}b''c\u{201a}\u{201a}\u{201b}\u{201b}'"
    );
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

/// A running `omc exec -- sleep 30`, its pid once the child has started, and the key it holds.
fn exec_waiting(home: &Home, key: &str) -> (std::process::Child, u32) {
    ok(&home.add("openai", "openai", key));
    let child = home
        .cmd()
        .args(["exec", "--", "sleep", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let started = Instant::now();
    while children(pid).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "exec never started its child");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, pid)
}

#[test]
fn omc_cannot_dump_core() {
    let home = Home::new();
    let (mut child, pid) = exec_waiting(&home, "sk-openai-COREDUMP-0123456789abcdef");
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    let soft = core.split_whitespace().nth(4).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(soft, "0", "{core}");

    // The same call the binary makes, read back from the kernel in this process.
    omc::hardening::harden();
    assert_eq!(omc::hardening::dumpable(), Some(false));
}

#[test]
fn exec_keeps_no_copy_of_the_key_while_it_waits() {
    let home = Home::new();
    let key = "sk-openai-WAITCANARY-9f8e7d6c5b4a39281706";
    let (mut child, pid) = exec_waiting(&home, key);
    // The whole key, and its tail (a freed buffer's first bytes are reused by the allocator).
    let whole = memory_contains(pid, key.as_bytes());
    let tail = memory_contains(pid, &key.as_bytes()[key.len() - 24..]);
    let sleeper = children(pid)[0];
    let in_child = memory_contains(sleeper, key.as_bytes());
    let _ = child.kill();
    let _ = child.wait();
    assert!(in_child, "the scan works: the child's environment holds the key");
    assert!(!whole, "omc holds a copy of the key while its child runs");
    eprintln!("tail found: {tail}");
}
