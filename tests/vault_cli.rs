//! The credential commands, run as a user would: the real binary, a real SQLite file, real age.

#[path = "support/common.rs"]
mod common;

use common::*;

/// Each provider id (docs/prompts.md) with the variables `exec`/`env` must set.
const PROVIDERS: &[(&str, &[&str])] = &[
    ("openai", &["OPENAI_API_KEY"]),
    ("anthropic", &["ANTHROPIC_API_KEY"]),
    ("gemini", &["GEMINI_API_KEY", "GOOGLE_API_KEY"]),
    ("deepseek", &["DEEPSEEK_API_KEY"]),
    ("openrouter", &["OPENROUTER_API_KEY"]),
    ("groq", &["GROQ_API_KEY"]),
    ("mistral", &["MISTRAL_API_KEY"]),
    ("xai", &["XAI_API_KEY"]),
    ("ollama", &["OLLAMA_API_KEY"]),
    ("openai-compatible", &["OPENAI_COMPATIBLE_API_KEY"]),
    ("echo", &["OMC_ECHO_API_KEY"]),
];

fn key_for(provider: &str) -> String {
    format!("sk-{provider}-Zq81rT0pXw3Ka9Lm{}", &provider[..2])
}

#[test]
fn every_provider_round_trips_through_stdin_and_env() {
    let home = Home::new();
    for (i, (provider, vars)) in PROVIDERS.iter().enumerate() {
        let key = key_for(provider);
        let mut add = home.cmd();
        add.args(["add", provider, "--no-validate"]);
        if *provider == "openai-compatible" {
            add.args(["--base-url", "http://127.0.0.1:9/v1"]);
        }
        // Alternate the two non-interactive ways in.
        let out = if i % 2 == 0 {
            run_stdin(add.arg("--key-stdin"), &format!("{key}\n"))
        } else {
            run(add.args(["--key-env", "MY_KEY"]).env("MY_KEY", &key))
        };
        ok(&out);

        // `key` prints exactly the secret.
        let printed = ok(&run(home.cmd().args(["key", provider])));
        assert_eq!(printed, format!("{key}\n"), "{provider}");

        // `exec` sets the provider's variables, strips the master-key ones.
        let script = format!(
            "{} ; echo MK=${{OMC_MASTER_KEY:-unset}} PP=${{OMC_PASSPHRASE:-unset}} MKF=${{OMC_MASTER_KEY_FILE:-unset}}",
            vars.iter()
                .map(|v| format!("echo {v}=${v}"))
                .collect::<Vec<_>>()
                .join(";")
        );
        let out = ok(&run(home
            .cmd()
            .env("OMC_PASSPHRASE", "should-not-leak")
            .args(["exec", "--credential", provider, "--", "sh", "-c", &script])));
        for v in *vars {
            assert!(out.contains(&format!("{v}={key}\n")), "{provider}: {out}");
        }
        assert!(out.contains("MK=unset PP=unset MKF=unset"), "{out}");
        if *provider == "openai-compatible" {
            let out = ok(&run(home.cmd().args([
                "exec",
                "--credential",
                provider,
                "--",
                "sh",
                "-c",
                "echo $OPENAI_COMPATIBLE_BASE_URL",
            ])));
            assert_eq!(out, "http://127.0.0.1:9/v1\n");
        }
    }

    // `list` shows only the last four characters: table and JSON.
    let table = ok(&run(home.cmd().arg("list")));
    let json = ok(&run(home.cmd().args(["list", "--json"])));
    for (provider, _) in PROVIDERS {
        let key = key_for(provider);
        let tail = &key[key.len() - 4..];
        for shown in [&table, &json] {
            assert!(
                !shown.contains(&key[..key.len() - 4]),
                "{provider} leaked: {shown}"
            );
            assert!(!shown.contains(&key[3..]), "{provider} leaked: {shown}");
        }
        assert!(table.contains(&format!("…{tail}")), "{table}");
    }
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), PROVIDERS.len());
    assert_eq!(
        parsed[0]["key"]
            .as_str()
            .unwrap()
            .chars()
            .filter(|c| *c != '…')
            .count(),
        7
    );

    // `env` prints lines that a shell can eval back into the exact keys.
    let out = ok(&run(home.cmd().args(["env"]).env("OMC_ECHO", "")));
    for (provider, vars) in PROVIDERS {
        for v in *vars {
            assert!(
                out.contains(&format!("export {v}='{}'", key_for(provider))),
                "{out}"
            );
        }
    }
    // The same hermetic environment, with a shell evaluating omc's output.
    let evald = ok(&run(std::process::Command::new("sh")
        .env_clear()
        .envs(
            home.cmd()
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .arg("-c")
        .arg(format!(
            "eval \"$({BIN} env --provider anthropic)\"; printf %s \"$ANTHROPIC_API_KEY\""
        ))));
    assert_eq!(evald, key_for("anthropic"));
}

#[test]
fn exec_passes_the_child_exit_code_through() {
    let home = Home::new();
    ok(&home.add("openai", "openai", "sk-exit-code-test-0000000000"));
    let out = run(home.cmd().args(["exec", "--", "sh", "-c", "exit 42"]));
    assert_eq!(code(&out), 42);
    let out = run(home.cmd().args(["exec", "--", "sh", "-c", "kill -TERM $$"]));
    assert_eq!(code(&out), 128 + 15);
    // Ctrl-C goes to the child; omc stays and reports the child's exit code.
    let out = run(home.cmd().args([
        "exec",
        "--",
        "sh",
        "-c",
        "kill -INT $PPID; sleep 0.3; echo survived; exit 7",
    ]));
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_eq!(stdout(&out), "survived\n");
    // A command that cannot start: 127 when it does not exist, 126 when it cannot run, as
    // the shell and env(1) say.
    let out = run(home.cmd().args(["exec", "--", "no-such-program-omc"]));
    assert_eq!(code(&out), 127, "{}", stderr(&out));
    assert!(stderr(&out).contains("command not found: no-such-program-omc"));
    let not_executable = home.path().join("plain-file");
    std::fs::write(&not_executable, "#!/bin/sh\n").unwrap();
    let out = run(home.cmd().args(["exec", "--"]).arg(&not_executable));
    assert_eq!(code(&out), 126, "{}", stderr(&out));
}

#[test]
fn duplicate_names_and_duplicate_secrets_are_refused() {
    let home = Home::new();
    ok(&home.add("openai", "work", "sk-dup-aaaaaaaaaaaaaaaaaaaa"));
    let out = home.add("openai", "work", "sk-dup-bbbbbbbbbbbbbbbbbbbb");
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    let out = home.add("openai", "other", "sk-dup-aaaaaaaaaaaaaaaaaaaa");
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("already stored"), "{}", stderr(&out));
    // Another profile may hold the same secret.
    ok(&run_stdin(
        home.cmd().args([
            "--profile",
            "ci",
            "add",
            "openai",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-dup-aaaaaaaaaaaaaaaaaaaa",
    ));
}

#[test]
fn defaults_follow_the_user() {
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-default-aaaaaaaaaaaaaaaaaaaa"));
    ok(&home.add("openai", "b", "sk-default-bbbbbbbbbbbbbbbbbbbb"));
    ok(&home.add("anthropic", "c", "sk-ant-default-cccccccccccccccc"));
    // The first credential is the profile's default, and the first of each provider its own.
    assert_eq!(
        ok(&run(home.cmd().arg("key"))),
        "sk-default-aaaaaaaaaaaaaaaaaaaa\n"
    );
    ok(&run(home.cmd().args(["default", "b"])));
    assert_eq!(
        ok(&run(home.cmd().arg("key"))),
        "sk-default-bbbbbbbbbbbbbbbbbbbb\n"
    );
    let env = ok(&run(home.cmd().args(["env", "--provider", "openai"])));
    assert!(env.contains("sk-default-bbbbbbbbbbbbbbbbbbbb"), "{env}");
    // Two credentials of one provider would set the same variable.
    let out = run(home
        .cmd()
        .args(["env", "--credential", "a", "--credential", "b"]));
    assert_eq!(code(&out), 2);
    let out = run(home.cmd().args(["default", "nope"]));
    assert_eq!(code(&out), 3);
}

#[test]
fn delete_keeps_a_tombstone_and_purge_removes_it() {
    let home = Home::new();
    ok(&home.add("openai", "gone", "sk-delete-aaaaaaaaaaaaaaaaaaaa"));
    ok(&home.add("openai", "kept", "sk-delete-bbbbbbbbbbbbbbbbbbbb"));
    // Without a terminal, delete needs --yes and says so.
    let out = run(home.cmd().args(["delete", "gone"]));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    ok(&run(home.cmd().args(["delete", "gone", "--yes"])));
    assert_eq!(code(&run(home.cmd().args(["key", "gone"]))), 3);
    let all = ok(&run(home.cmd().args([
        "list",
        "--include-deleted",
        "--json",
    ])));
    let all: serde_json::Value = serde_json::from_str(&all).unwrap();
    let gone = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "gone")
        .unwrap();
    assert!(gone["deleted_at"].is_string());
    // The default moved to the remaining credential.
    assert_eq!(
        ok(&run(home.cmd().arg("key"))),
        "sk-delete-bbbbbbbbbbbbbbbbbbbb\n"
    );
    // The name is free again, and the secret may be stored again.
    ok(&home.add("openai", "gone", "sk-delete-aaaaaaaaaaaaaaaaaaaa"));
    ok(&run(home
        .cmd()
        .args(["delete", "gone", "--yes", "--purge"])));
    let names = |home: &Home| -> Vec<String> {
        let all = ok(&run(home.cmd().args([
            "list",
            "--include-deleted",
            "--json",
        ])));
        let all: serde_json::Value = serde_json::from_str(&all).unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    // The first delete's tombstone is still there; --purge on the name removes it.
    assert!(names(&home).contains(&"gone".to_owned()));
    ok(&run(home
        .cmd()
        .args(["delete", "gone", "--yes", "--purge"])));
    assert_eq!(names(&home), ["kept"]);
    let again = run(home.cmd().args(["delete", "gone", "--yes", "--purge"]));
    assert_eq!(code(&again), 3, "{}", stderr(&again));
    let audit = ok(&run(home.cmd().args(["audit", "--json"])));
    for action in ["\"add\"", "\"delete\"", "\"purge\"", "\"key\""] {
        assert!(audit.contains(action), "{audit}");
    }
}

#[test]
fn rotate_replaces_the_secret() {
    let home = Home::new();
    ok(&home.add("openai", "r", "sk-rotate-old-aaaaaaaaaaaaaaaa"));
    ok(&run_stdin(
        home.cmd()
            .args(["rotate", "r", "--no-validate", "--key-stdin"]),
        "sk-rotate-new-bbbbbbbbbbbbbbbb",
    ));
    assert_eq!(
        ok(&run(home.cmd().args(["key", "r"]))),
        "sk-rotate-new-bbbbbbbbbbbbbbbb\n"
    );
    let list = ok(&run(home.cmd().arg("list")));
    assert!(list.contains("…bbbb"), "{list}");
}

#[test]
fn profiles_separate_credentials() {
    let home = Home::new();
    ok(&home.add("openai", "openai", "sk-profile-default-aaaaaaaaaa"));
    ok(&run_stdin(
        home.cmd().args([
            "--profile",
            "work",
            "add",
            "openai",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-profile-work-bbbbbbbbbbbbb",
    ));
    assert_eq!(
        ok(&run(home
            .cmd()
            .env("OMC_PROFILE", "work")
            .args(["key", "openai"]))),
        "sk-profile-work-bbbbbbbbbbbbb\n"
    );
    ok(&run(home.cmd().args(["profile", "rename", "work", "job"])));
    // Renaming does not break the ciphertext binding.
    assert_eq!(
        ok(&run(home.cmd().args(["--profile", "job", "key", "openai"]))),
        "sk-profile-work-bbbbbbbbbbbbb\n"
    );
    let out = run(home.cmd().args(["profile", "remove", "job"]));
    assert_eq!(code(&out), 1, "non-empty profile must not be removed");
    ok(&run(home.cmd().args([
        "--profile",
        "job",
        "delete",
        "openai",
        "--yes",
    ])));
    ok(&run(home.cmd().args(["profile", "remove", "job"])));
    let list = ok(&run(home.cmd().args(["profile", "list", "--json"])));
    assert!(!list.contains("\"job\""), "{list}");
    assert_eq!(code(&run(home.cmd().args(["--profile", "job", "list"]))), 3);
}

#[test]
fn list_works_without_any_master_key() {
    let home = Home::new();
    ok(&home.add("openai", "openai", "sk-list-nokey-aaaaaaaaaaaaaa"));
    // No OMC_MASTER_KEY, no keyring: list must not need to unlock.
    let out = ok(&run(home.bare().arg("list")));
    assert!(out.contains("…aaaa"), "{out}");
    // key does need it, and says how to provide it.
    let out = run(home.bare().args(["key", "openai"]));
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("OMC_MASTER_KEY"), "{}", stderr(&out));
}

#[test]
fn nothing_prompts_without_a_terminal() {
    let home = Home::new();
    let out = run(home.cmd().args(["add", "openai", "--no-validate"]));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--key-stdin"), "{}", stderr(&out));
    let out = run(home
        .cmd()
        .args(["--no-input", "add", "openai", "--no-validate"]));
    assert_eq!(code(&out), 2);
    let out = run(home.bare().args(["init", "--backend", "file"]));
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("OMC_PASSPHRASE"), "{}", stderr(&out));
    assert!(!home.db().exists(), "a failed init leaves no store");
}

#[test]
fn secrets_are_never_accepted_as_argument_values() {
    let out = run(Home::new().cmd().args(["add", "openai", "--key", "sk-x"]));
    assert_eq!(code(&out), 2);
}

#[test]
fn unknown_provider_is_a_usage_error() {
    let out = Home::new().add("nope", "x", "sk-aaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("known providers"), "{}", stderr(&out));
}

#[test]
fn openai_compatible_needs_a_base_url() {
    let out = Home::new().add("openai-compatible", "x", "sk-aaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--base-url"), "{}", stderr(&out));
}

#[test]
fn list_table_reads_like_gh() {
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai-compatible",
            "--name",
            "local",
            "--model",
            "qwen",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-table-aaaaaaaaaaaaaaaa1234",
    ));
    ok(&home.add("anthropic", "claude", "sk-ant-table-bbbbbbbbbbbb5678"));
    ok(&run(home.cmd().args(["key", "claude"])));
    let table = ok(&run(home.cmd().arg("list")));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    let cols: Vec<Vec<&str>> = lines
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0]
            .split("  ")
            .filter(|c| !c.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>(),
        [
            "NAME",
            "PROVIDER",
            "KEY",
            "DEFAULT",
            "MODEL",
            "BASE URL",
            "VALIDATED",
            "LAST USED",
            "CREATED"
        ]
    );
    // Sorted by provider, then name; every column lines up under its header.
    assert_eq!(
        &cols[1][..5],
        ["claude", "anthropic", "sk-ant-…5678", "provider", "-"]
    );
    assert_eq!(
        &cols[2][..6],
        [
            "local",
            "openai-compatible",
            "sk-…1234",
            "*",
            "qwen",
            "http://127.0.0.1:9/v1"
        ]
    );
    let key_col = lines[0].find("KEY").unwrap();
    assert_eq!(
        lines[1].chars().skip(key_col).take(3).collect::<String>(),
        "sk-"
    );
    assert!(
        lines[1].contains("s ago"),
        "claude was just used: {}",
        lines[1]
    );
    assert!(lines[2].contains("never"), "{}", lines[2]);
}

#[test]
fn a_missing_default_says_what_is_missing() {
    let home = Home::new();
    ok(&home.add("openai", "work", "sk-proj-aaaaaaaaaaaaaaaaaaaa1234"));
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["--profile", "ghost", "key"],
            "profile 'ghost' not found",
            "omc profile list",
        ),
        (
            &["--profile", "ghost", "key", "work"],
            "profile 'ghost' not found",
            "omc profile list",
        ),
        (
            &["run", "hi", "--provider", "anthropic"],
            "profile 'default' has no anthropic credential",
            "omc add anthropic",
        ),
        (&["key", "nope"], "credential 'nope' not found", "omc list"),
    ];
    for (args, message, hint) in cases {
        let out = run(home.cmd().args(args));
        assert_eq!(code(&out), 3, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(hint), "{args:?}: {}", stderr(&out));
    }
    ok(&run(home.cmd().args(["delete", "work", "--yes"])));
    let out = run(home.cmd().args(["run", "hi"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("profile 'default' has no credentials"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn color_follows_the_flag_and_never_reaches_json() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    let esc =
        |o: &std::process::Output| contains(&o.stdout, "\x1b[") || contains(&o.stderr, "\x1b[");
    // In a pipe, auto means none; `always` colours doctor's statuses, errors and their hints.
    let plain = run(home.cmd().args(["doctor"]));
    assert!(!esc(&plain), "{}", stdout(&plain));
    let coloured = run(home.cmd().args(["--color", "always", "doctor"]));
    assert!(
        contains(&coloured.stdout, "\x1b[32mok\x1b[0m"),
        "{}",
        stdout(&coloured)
    );
    let error = run(home.cmd().args(["--color", "always", "key", "nope"]));
    assert_eq!(code(&error), 3);
    assert!(
        stderr(&error).starts_with("omc: \x1b[1;31merror\x1b[0m: credential 'nope' not found"),
        "{}",
        stderr(&error)
    );
    assert!(
        stderr(&error).contains("\x1b[1;36mhint\x1b[0m: "),
        "{}",
        stderr(&error)
    );
    for args in [
        &["--color", "never", "key", "nope"][..],
        &["--color", "never", "doctor"],
    ] {
        assert!(!esc(&run(home.cmd().args(args))), "{args:?}");
    }
    // JSON is data: never coloured.
    let json = run(home.cmd().args(["--color", "always", "doctor", "--json"]));
    assert!(!contains(&json.stdout, "\x1b["), "{}", stdout(&json));
}

#[test]
fn small_ux_details() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    // A key-value table has no blank header line.
    let status = ok(&run(home.cmd().args(["master", "status"])));
    assert!(status.starts_with(" store "), "{status:?}");
    // Renames say from what.
    ok(&run(home.cmd().args(["profile", "add", "a"])));
    let out = run(home.cmd().args(["profile", "rename", "a", "b"]));
    assert!(
        stderr(&out).contains("Profile 'a' renamed to 'b'"),
        "{}",
        stderr(&out)
    );
    // Without $USER, the audit trail still says who: the uid.
    let audit = ok(&run(home.cmd().args(["audit", "--json"])));
    assert!(audit.contains("\"actor\": \"uid "), "{audit}");
    // A mistyped OMC_LOG is reported, not silently dropped.
    let out = run(home.cmd().env("OMC_LOG", "bogus[[").arg("list"));
    assert_eq!(code(&out), 0);
    assert!(
        stderr(&out).contains("OMC_LOG='bogus[[' is not a valid filter"),
        "{}",
        stderr(&out)
    );
    // Validation failures are summed up plainly, with the worst exit code.
    // (Port 9 on loopback: nothing listens, the connection is refused at once.)
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--name",
            "dead",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-unreachable-0000000000000",
    ));
    let out = run(home.cmd().args(["validate", "dead"]));
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 of 1 credential failed validation: dead"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_command_agrees_on_a_missing_store() {
    // A second shell without the first one's OMC_HOME: no store. No command may answer with an
    // empty list there (the credentials are not gone; this is the wrong place), and each names
    // the command that creates a store.
    let home = Home::new();
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["list", "--all-profiles"],
        &["usage"],
        &["audit"],
        &["profile", "list"],
        &["agent", "runs"],
        &["key", "openai"],
        &["run", "hi"],
        &["limit", "show"],
    ] {
        let out = run(home.cmd().args(args));
        assert_eq!(code(&out), 3, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("not found") && err.contains("omc init"),
            "{args:?}: {err}"
        );
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
    assert!(!home.db().exists(), "nothing created a store");
}

#[test]
fn doctor_on_a_locked_passphrase_store_without_a_terminal_says_locked_and_passes() {
    let home = Home::new();
    let with_pass = || {
        let mut c = home.bare();
        c.env("OMC_PASSPHRASE", "doctor-pass")
            .env("OMC_TEST_SCRYPT_LOG_N", "10");
        c
    };
    ok(&run(with_pass().args(["init", "--backend", "file"])));
    // No passphrase and no terminal: locked, which is a passphrase store's normal state.
    let out = run(home.bare().arg("doctor"));
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    let master = stdout(&out)
        .lines()
        .find(|l| l.trim_start().starts_with("master key"))
        .unwrap_or_default()
        .to_owned();
    assert!(
        master.contains("warn") && master.contains("locked"),
        "{master}"
    );
    assert!(!stdout(&out).contains("FAIL"), "{}", stdout(&out));
    // A wrong passphrase is still a failure.
    let out = run(home.bare().env("OMC_PASSPHRASE", "wrong").arg("doctor"));
    assert_eq!(code(&out), 1, "{}", stdout(&out));
}

#[test]
fn the_audit_names_the_uid_once() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    // Without $USER (as Home runs omc), the actor is the uid itself.
    let out = ok(&run(home.cmd().arg("audit")));
    let row = out.lines().nth(1).unwrap();
    assert_eq!(row.matches("uid ").count(), 1, "{row}");
    let out = ok(&run(home.cmd().env("USER", "alice").arg("audit")));
    assert!(out.lines().nth(1).unwrap().contains("uid "), "{out}");
}

/// `omc ARGS` on a terminal `columns` wide (script gives it a pty; COLUMNS sets the width).
fn on_a_terminal(home: &Home, args: &str, columns: u16) -> String {
    let out = home
        .on_a_pty(args)
        .env("COLUMNS", columns.to_string())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

#[test]
fn tables_fit_the_terminal_and_wide_shows_every_column() {
    if !require(
        std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_ok(),
        "script(1)",
        None,
    ) {
        return;
    }
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai-compatible",
            "--name",
            "local-llama-server",
            "--base-url",
            "http://localhost:8000/v1",
            "--model",
            "llama3-70b-instruct",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-local-aaaaaaaaaaaaaaaaaaaaaa",
    ));
    for (args, wide_only) in [
        ("list", &["BASE URL", "CREATED", "LAST USED"][..]),
        ("audit", &["WHO"][..]),
    ] {
        let narrow = on_a_terminal(&home, args, 80);
        assert!(
            narrow.lines().all(|l| l.chars().count() <= 80),
            "{args} at 80 columns:\n{narrow}"
        );
        let header = narrow.lines().next().unwrap();
        for col in wide_only {
            assert!(!header.contains(col), "{args}: {header}");
        }
        let wide = on_a_terminal(&home, &format!("{args} --wide"), 80);
        let header = wide.lines().next().unwrap();
        for col in wide_only {
            assert!(header.contains(col), "{args} --wide: {header}");
        }
        // A pipe gets every column, whatever the terminal.
        let piped = ok(&run(home.cmd().arg(args)));
        for col in wide_only {
            assert!(piped.lines().next().unwrap().contains(col), "{piped}");
        }
    }
}
