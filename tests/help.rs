//! Help and man pages read like gh's or cargo's: a command's own flags first, the global ones
//! under their own heading, and man pages with EXAMPLES, EXIT STATUS and ENVIRONMENT.

#[path = "support/common.rs"]
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn omc(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .env_clear()
        .env("OMC_HOME", "/nonexistent/omc-home")
        .args(args)
        .output()
        .unwrap();
    ok(&out)
}

fn man_page(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man").join(name)).unwrap()
}

/// The parser declares the global flags only on the root and on the command being run (not on
/// all 26): a flag given before the command, after it, or after a nested one must mean the same.
#[test]
fn global_flags_mean_the_same_before_and_after_the_command() {
    let home = Home::new();
    ok(&home.add("echo", "e1", "anything-at-all-1234"));
    ok(&run(home.cmd().args(["profile", "add", "work"])));
    ok(&run_stdin(
        home.cmd().args([
            "--profile",
            "work",
            "add",
            "echo",
            "--name",
            "w1",
            "--no-validate",
            "--key-stdin",
        ]),
        "anything-at-all-5678",
    ));
    let names = |args: &[&str]| -> Vec<String> {
        let json: serde_json::Value = serde_json::from_str(&ok(&run(home.cmd().args(args))))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        json.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&["--json", "list"]), ["e1"]);
    assert_eq!(names(&["list", "--json"]), ["e1"]);
    assert_eq!(names(&["--profile", "work", "list", "--json"]), ["w1"]);
    assert_eq!(names(&["list", "--json", "--profile", "work"]), ["w1"]);
    assert_eq!(names(&["list", "--json", "--profile=work"]), ["w1"]);
    // The later one wins, as clap has it for a global flag given at both levels.
    assert_eq!(
        names(&["--profile", "nope", "list", "--json", "--profile", "work"]),
        ["w1"]
    );
    // OMC_PROFILE is the flag's default; a flag on the line, at either level, beats it.
    let from_env = |args: &[&str]| {
        let out = run(home.cmd().env("OMC_PROFILE", "work").args(args));
        ok(&out)
    };
    assert!(from_env(&["list"]).contains("w1"));
    assert!(from_env(&["list", "--profile", "default"]).contains("e1"));
    assert!(from_env(&["--profile", "default", "list"]).contains("e1"));
    // Nested commands: before the group, between it and its command, after both.
    for args in [
        &["--json", "master", "status"][..],
        &["master", "--json", "status"],
        &["master", "status", "--json"],
    ] {
        let out = ok(&run(home.cmd().args(args)));
        serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    }
    // -q and -v conflict within one level, as before.
    let out = run(home.cmd().args(["list", "-q", "-v"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    // A global flag's own errors read the same at either level.
    for args in [
        &["--color", "mauve", "list"][..],
        &["list", "--color", "mauve"],
    ] {
        let out = run(home.cmd().args(args));
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(
            stderr(&out).contains("invalid value 'mauve' for '--color <WHEN>'"),
            "{}",
            stderr(&out)
        );
    }
}

/// Regression: `omc add --help` interleaved --profile, --json, -q, -v, --color with --name,
/// --key-stdin…
#[test]
fn help_lists_the_commands_own_flags_before_the_global_ones() {
    for help in [omc(&["add", "--help"]), omc(&["add", "-h"])] {
        let own = help.find("Options:").expect("an Options heading");
        let global = help
            .find("Global options:")
            .expect("a Global options heading");
        assert!(own < global, "{help}");
        let (own_section, global_section) = help.split_at(global);
        for flag in ["--name", "--key-stdin", "--key-env", "--no-validate"] {
            assert!(own_section[own..].contains(flag), "{flag}: {help}");
        }
        for flag in [
            "--profile",
            "--json",
            "--quiet",
            "--verbose",
            "--color",
            "--no-input",
        ] {
            assert!(
                !own_section.contains(flag),
                "{flag} among add's own: {help}"
            );
            assert!(global_section.contains(flag), "{flag}: {help}");
        }
    }
    // The man page has the same split.
    let page = man_page("omc-add.1");
    let global = page.find(".SH \"GLOBAL OPTIONS\"").expect("GLOBAL OPTIONS");
    assert!(page.find(".SH OPTIONS").unwrap() < global);
    assert!(page[global..].contains("\\-\\-profile"));
}

#[test]
fn profile_is_not_offered_where_it_means_nothing() {
    for sub in ["init", "completions", "man"] {
        let help = omc(&[sub, "--help"]);
        assert!(!help.contains("--profile"), "{sub}: {help}");
        assert!(help.contains("--json"), "{sub} keeps the other globals");
        assert!(
            !man_page(&format!("omc-{sub}.1")).contains("\\-\\-profile"),
            "{sub}"
        );
    }
    assert!(omc(&["list", "--help"]).contains("--profile"));
    // Still accepted (scripts that pass it everywhere keep working), before or after the command.
    let home = Home::new();
    ok(&run(home.cmd().args(["--profile", "work", "init"])));
    let home = Home::new();
    ok(&run(home.cmd().args(["init", "--profile", "work"])));
}

#[test]
fn man_pages_have_examples_exit_status_and_environment() {
    let top = man_page("omc.1");
    for section in [".SH EXAMPLES", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT"] {
        assert!(top.contains(section), "omc.1 lacks {section}");
    }
    for var in ["OMC_HOME", "OMC_MASTER_KEY", "OMC_PROFILE", "NO_COLOR"] {
        assert!(top.contains(var), "{var}");
    }
    // The examples have their own section, not clap's "EXTRA".
    assert!(!top.contains(".SH EXTRA"));
    for page in ["omc-add.1", "omc-run.1", "omc-bench.1", "omc-exec.1"] {
        let text = man_page(page);
        assert!(text.contains(".SH EXAMPLES"), "{page}");
        assert!(text.contains(".SH \"EXIT STATUS\""), "{page}");
        assert!(!text.contains(".SH ENVIRONMENT"), "{page}");
    }
    assert!(man_page("omc-exec.1").contains(".B 127"));
    assert!(man_page("omc-bench.1").contains(".B 9\n"));
    // Every page says how it exits.
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("man")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(".SH \"EXIT STATUS\""), "{}", path.display());
    }
}

/// On a terminal `omc man` shows the page formatted (through `man -l`), not raw roff; piped it
/// stays roff (checked in packaging.rs against the committed omc.1).
#[test]
fn omc_man_on_a_terminal_is_formatted() {
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !require(have("script") && have("man"), "script(1) or man(1)", None) {
        return;
    }
    let out = Command::new("script")
        .args(["-qec", &format!("'{BIN}' man"), "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OMC_HOME", "/nonexistent/omc-home")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("TERM", "dumb")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Drop terminal bold/underline (overstrike: a character and a backspace).
    let raw = stdout(&out);
    let mut plain = String::new();
    for c in raw.chars() {
        if c == '\u{8}' {
            plain.pop();
        } else {
            plain.push(c);
        }
    }
    assert!(plain.contains("General Commands Manual"), "{plain}");
    assert!(plain.contains("EXIT STATUS"), "{plain}");
    assert!(!plain.contains(".SH"), "raw roff on a terminal: {plain}");
}

/// The binary declares only the command being run to clap (`cli::Lazy`); its help must be the
/// one the whole tree gives (what completions and man pages are made from), for every command
/// and subcommand: the description, the flags and their order.
#[test]
fn every_commands_help_is_the_same_when_only_that_command_is_declared() {
    fn walk(cmd: &clap::Command, path: &mut Vec<String>, checked: &mut usize) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            path.push(sub.get_name().to_owned());
            let mut whole = omc::cli::command().term_width(100);
            whole.build();
            let mut expected = &mut whole;
            for name in path.iter() {
                expected = expected.find_subcommand_mut(name).unwrap();
            }
            let args: Vec<&str> = path.iter().map(String::as_str).chain(["-h"]).collect();
            assert_eq!(
                omc(&args),
                expected.render_help().to_string(),
                "omc {}",
                args.join(" ")
            );
            *checked += 1;
            walk(sub, path, checked);
            path.pop();
        }
    }
    let mut whole = omc::cli::command();
    whole.build();
    let mut checked = 0;
    walk(&whole, &mut Vec::new(), &mut checked);
    assert!(checked > 40, "only {checked} commands");
}

#[test]
fn mistyped_commands_and_names_get_a_suggestion() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    let cases: [(&[&str], i32, &str); 6] = [
        (&["rn", "hi"], 2, "did you mean 'run'?"),
        (&["ad"], 2, "did you mean 'add'?"),
        (&["agent", "shwo", "x"], 2, "did you mean 'show'?"),
        (&["key", "ech"], 3, "did you mean 'echo'?"),
        (
            &["exec", "python3", "-c", "1"],
            2,
            "put `--` before the command to run: omc exec [OPTIONS] -- python3",
        ),
        (
            &["add"],
            2,
            "one of openai, anthropic, gemini, deepseek, openrouter, groq, mistral, xai, ollama, openai-compatible, echo",
        ),
    ];
    for (args, want_code, tip) in cases {
        let out = run(home.cmd().args(args));
        assert_eq!(code(&out), want_code, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(tip), "{args:?}: {}", stderr(&out));
    }
    // Nothing close: no guess.
    let out = run(home.cmd().args(["zzzz"]));
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
}

#[test]
fn bare_add_on_a_terminal_offers_the_providers() {
    let home = Home::new();
    let mut child = home
        .on_a_pty("add")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !String::from_utf8_lossy(&seen).contains("offline, for dry runs") {
        assert!(
            std::time::Instant::now() < deadline,
            "no picker: {}",
            String::from_utf8_lossy(&seen)
        );
        let n = std::io::Read::read(&mut out, &mut buf).unwrap();
        assert!(n > 0, "omc ended: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(text.contains("Which provider is the key for?"), "{text}");
    assert!(
        text.contains("anthropic") && text.contains("https://api.anthropic.com"),
        "{text}"
    );
    // Killed at the question: nothing was stored.
    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !home.db().exists() || {
            let list = run(home.cmd().args(["list", "--json"]));
            stdout(&list).trim() == "[]"
        }
    );
}
