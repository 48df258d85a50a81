//! `omc chat` through the real binary on a pty (script(1)): typed lines in, streamed answers
//! out, commands, Ctrl-C stopping an answer without leaving, `-c` resuming with the right
//! history replayed to the provider, and a refusal without a terminal.

#[path = "support/common.rs"]
mod common;
mod support;

use std::io::Write;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::*;
use support::fake_provider::{Behaviour, Family, Reply};
use support::server::Fake;

fn have_script() -> bool {
    require(
        std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_ok(),
        "script(1)",
        None,
    )
}

/// Type `lines` into `omc ARGS` on a pty, one at a time (a line editor drops what is typed
/// ahead of its prompt), `\u{3}` being Ctrl-C; then wait for it to end.
fn session(home: &Home, args: &str, env: &[(&str, &str)], lines: &[(&str, u64)]) -> Output {
    // `Home::on_a_pty`'s environment, with `exec`: the shell script(1) starts must not be there
    // to die of the Ctrl-C (SIGINT goes to the pty's whole foreground group), which script
    // would report as omc's exit status.
    let pty = home.on_a_pty(args);
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qfec", &format!("exec '{BIN}' {args}"), "/dev/null"])
        .env_clear();
    for (k, v) in pty.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    for (line, wait_ms) in lines {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(*wait_ms));
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn chat_refuses_without_a_terminal_and_names_the_run_equivalent() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "x"));
    let out = run(home.cmd().arg("chat"));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("omc run -c"), "{}", stderr(&out));
}

#[test]
fn chat_streams_answers_runs_commands_and_survives_ctrl_c() {
    if !have_script() {
        return;
    }
    let home = Home::new();
    ok(&home.add("echo", "echo", "x"));
    let canary = "CANARY-CHAT-9e01";
    // A PNG's signature and a little more: what /attach sends with the next prompt.
    let png = home.path().join("pic.png");
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0u8; 24]);
    std::fs::write(&png, &bytes).unwrap();
    let attach = format!("/attach {}\n", png.display());
    let out = session(
        &home,
        "chat",
        &[("OMC_ECHO_DELAY", "token=80ms")],
        &[
            (&format!("{canary}\n"), 700),
            ("first \\\n", 300),
            ("second line\n", 900),
            ("/model echo-2\n", 300),
            ("/system SYS-TEXT\n", 300),
            ("/attach no-such-file.png\n", 300),
            // An answer of 20 words at 80 ms each, stopped after about five.
            ("a b c d e f g h i j k l m n o p q r s t\n", 500),
            ("\u{3}", 600),
            (&attach, 300),
            ("still here\n", 800),
            ("/new\n", 300),
            ("fresh start\n", 600),
            ("/exit\n", 500),
        ],
    );
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{:?} {text}\n{}",
        out.status,
        stderr(&out)
    );
    assert!(text.contains(&format!("echo: {canary}")), "{text}");
    assert!(
        text.contains("echo: first second line"),
        "multi-line input: {text}"
    );
    assert!(text.contains("model echo-2"), "{text}");
    assert!(
        text.contains("no-such-file.png"),
        "a missing file is named: {text}"
    );
    assert!(
        text.contains("attached ") && text.contains("1 file goes"),
        "{text}"
    );
    assert!(text.contains("answer stopped"), "{text}");
    assert!(
        !text.contains("echo: a b c d e f g h i j k l m n o p q r s t"),
        "{text}"
    );
    assert!(
        text.contains("echo: [image/png 32 bytes] still here"),
        "the chat went on after Ctrl-C: {text}"
    );

    // Two conversations, split by /new; the stopped answer is in neither.
    let rows = json(&ok(&run(home.bare().args(["log", "--json"]))));
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
    let first = json(&ok(&run(home.cmd().args(["log", "show", "1", "--json"]))));
    let messages = first["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 6, "{first}");
    assert_eq!(messages[0]["parts"][0]["text"], canary);
    assert_eq!(first["system"], "SYS-TEXT");
    assert_eq!(first["exchanges"][2]["model"], "echo-2");
    let second = json(&ok(&run(home.cmd().args(["log", "show", "2", "--json"]))));
    assert_eq!(second["messages"][0]["parts"][0]["text"], "fresh start");

    // Nothing typed reached a file in plaintext (no history file, no plaintext log).
    let mut dirs = vec![home.path().to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                assert!(
                    !contains(&bytes, canary),
                    "{} holds the prompt",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn chat_c_resumes_the_last_conversation_with_its_history() {
    if !have_script() {
        return;
    }
    let family = Family::OpenAi;
    let fake = Fake::start_any(family);
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--base-url",
            &fake.server().base_url(),
            "--key-stdin",
            "--no-validate",
        ]),
        "sk-openai-CHATKEY-0011223344",
    ));
    fake.server()
        .push(Behaviour::Reply(Reply::text(&["RUN-ANSWER"])));
    ok(&run(home.cmd().args([
        "run",
        "RUN-PROMPT",
        "--model",
        "fake-model-7",
    ])));
    fake.server()
        .push(Behaviour::Reply(Reply::text(&["CHAT-ANSWER"])));
    let out = session(
        &home,
        "chat -c",
        &[],
        &[("CHAT-PROMPT\n", 800), ("/exit\n", 400)],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("CHAT-ANSWER"), "{}", stdout(&out));
    let last = fake.server().requests().last().unwrap().json();
    assert_eq!(last["model"], "fake-model-7", "the model carried over");
    let body = last.to_string();
    let (a, b, c) = (
        body.find("RUN-PROMPT").unwrap(),
        body.find("RUN-ANSWER").unwrap(),
        body.find("CHAT-PROMPT").unwrap(),
    );
    assert!(a < b && b < c, "history in order: {body}");
    let rows = json(&ok(&run(home.bare().args(["log", "--json"]))));
    assert_eq!(
        rows.as_array().unwrap().len(),
        1,
        "one conversation: {rows}"
    );
    assert_eq!(rows[0]["exchanges"], 2);
}
