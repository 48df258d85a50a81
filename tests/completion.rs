//! Shell completion that knows omc: the committed bash script, sourced in a real bash, asks the
//! real binary for provider ids, credential and profile names, and bench run ids.

#[path = "support/common.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

/// What bash would offer for `words` (the last one being completed), using the committed
/// completions/omc.bash and the binary under test as `omc`.
fn complete(cmd: &Command, words: &[&str]) -> (Vec<String>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/omc.bash");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let mut bash = Command::new("bash");
    bash.env_clear();
    if let Some(dir) = cmd.get_current_dir() {
        bash.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            bash.env(k, v);
        }
    }
    bash.env(
        "PATH",
        format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    )
    .arg("-c")
    .arg(
        r#"source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
_clap_complete_omc omc "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#,
    )
    .arg("_")
    .arg(script)
    .args(words)
    .stdin(Stdio::null());
    let out = bash.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let got = stdout(&out)
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('-'))
        .map(str::to_owned)
        .collect();
    (got, stderr(&out))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn completion_offers_providers_credentials_profiles_and_bench_runs() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "k-one"));
    ok(&home.add("echo", "work-echo", "k-two"));
    ok(&run_stdin(
        home.cmd().args([
            "--profile",
            "ci",
            "add",
            "echo",
            "--name",
            "ci-echo",
            "--key-stdin",
        ]),
        "k-three",
    ));
    ok(&run(home.cmd().args([
        "bench",
        "--provider",
        "echo",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--json",
    ])));

    // Subcommands, as .ci/run checks on the installed script.
    assert_eq!(complete(&home.cmd(), &["omc", "pro"]).0, ["profile"]);
    // Provider ids for `add` and `--provider`.
    assert_eq!(
        sorted(complete(&home.cmd(), &["omc", "add", "op"]).0),
        ["openai", "openai-compatible", "openrouter"]
    );
    assert_eq!(
        sorted(complete(&home.cmd(), &["omc", "run", "--provider", "g"]).0),
        ["gemini", "groq"]
    );
    // Credential names of the profile on the command line.
    for sub in ["default", "key", "delete", "rotate", "validate"] {
        assert_eq!(
            sorted(complete(&home.cmd(), &["omc", sub, ""]).0),
            ["echo", "work-echo"],
            "{sub}"
        );
    }
    assert_eq!(
        complete(&home.cmd(), &["omc", "exec", "--credential", "w"]).0,
        ["work-echo"]
    );
    assert_eq!(
        complete(&home.cmd(), &["omc", "--profile", "ci", "key", ""]).0,
        ["ci-echo"]
    );
    assert_eq!(
        complete(home.cmd().env("OMC_PROFILE", "ci"), &["omc", "key", ""]).0,
        ["ci-echo"]
    );
    // Comma-separated lists complete their last item.
    assert_eq!(
        sorted(complete(&home.cmd(), &["omc", "bench", "--credential", "echo,"]).0),
        ["echo,echo", "echo,work-echo"]
    );
    // Profile names.
    assert_eq!(
        sorted(complete(&home.cmd(), &["omc", "--profile", ""]).0),
        ["ci", "default"]
    );
    // Bench run ids, and `last`.
    assert_eq!(
        complete(&home.cmd(), &["omc", "bench", "show", ""]).0,
        ["last", "1"]
    );
    assert_eq!(
        complete(&home.cmd(), &["omc", "bench", "compare", "1", ""]).0,
        ["last", "1"]
    );
}

/// Agent names wherever an agent is named: the user's agents and the project's (found walking
/// up from the current directory), without unlocking anything.
#[test]
fn completion_offers_agent_names_from_the_user_and_the_project() {
    let home = Home::new();
    let user = home.data().join("agents");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("reviewer.toml"), "description = \"Reviews\"\n").unwrap();
    std::fs::write(user.join("release.toml"), "models = [\"echo\"]\n").unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join(".omc/agents")).unwrap();
    std::fs::create_dir_all(project.path().join("src/deep")).unwrap();
    std::fs::write(project.path().join(".omc/agents/refactor.toml"), "").unwrap();
    std::fs::write(project.path().join(".omc/agents/notes.txt"), "").unwrap();
    let mut cmd = home.bare();
    cmd.current_dir(project.path().join("src/deep"));
    let all = ["refactor", "release", "reviewer"];
    assert_eq!(
        sorted(complete(&cmd, &["omc", "run", "--agent", ""]).0),
        all
    );
    assert_eq!(
        sorted(complete(&cmd, &["omc", "run", "--agent", "re"]).0),
        all
    );
    assert_eq!(
        complete(&cmd, &["omc", "run", "--agent", "rev"]).0,
        ["reviewer"]
    );
    for sub in ["show", "check", "trust"] {
        let (got, err) = complete(&cmd, &["omc", "agent", sub, ""]);
        assert_eq!(sorted(got), all, "{sub}");
        assert!(err.is_empty(), "{sub}: {err}");
    }
    // Outside the project only the user's agents are offered.
    let mut outside = home.bare();
    outside.current_dir(home.path());
    assert_eq!(
        sorted(complete(&outside, &["omc", "agent", "show", ""]).0),
        ["release", "reviewer"]
    );
}

/// Completion reads names only: no master key, no unlock, nothing written.
#[test]
fn completion_never_needs_the_master_key() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "k-one"));
    let before = std::fs::read(home.db()).unwrap();
    // `bare()`: no OMC_MASTER_KEY, so any attempt to unlock would fail.
    let (got, err) = complete(&home.bare(), &["omc", "key", ""]);
    assert_eq!(got, ["echo"]);
    assert!(err.is_empty(), "{err}");
    assert_eq!(std::fs::read(home.db()).unwrap(), before);
}

/// A missing, unreadable or corrupt store completes no names and prints nothing, but the
/// command line itself still completes.
#[test]
fn completion_is_silent_on_a_broken_store() {
    let home = Home::new();
    // No store at all.
    let (got, err) = complete(&home.cmd(), &["omc", "key", ""]);
    assert!(got.is_empty(), "{got:?}");
    assert!(err.is_empty(), "{err}");
    assert!(!home.db().exists(), "completion must not create a store");
    // Not a database.
    std::fs::create_dir_all(home.data()).unwrap();
    std::fs::write(home.db(), "this is not sqlite").unwrap();
    for words in [
        &["omc", "key", ""][..],
        &["omc", "--profile", ""],
        &["omc", "bench", "show", ""],
    ] {
        let (got, err) = complete(&home.cmd(), words);
        assert!(got.iter().all(|g| g == "last"), "{words:?}: {got:?}");
        assert!(err.is_empty(), "{words:?}: {err}");
    }
    assert_eq!(complete(&home.cmd(), &["omc", "pro"]).0, ["profile"]);
}

/// Regression: `omc completions bash | head -1` panicked with a broken pipe (exit 101).
#[test]
fn generators_into_a_closed_pipe_exit_0() {
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["man"],
        &["--help"],
    ] {
        let mut child = Command::new(BIN)
            .env_clear()
            .env("OMC_HOME", "/nonexistent/omc-home")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before omc writes (as `head -1` does after one line).
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
    }
    // And through a real pipe into `head -1`.
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{BIN}' completions bash | head -1 >/dev/null; '{BIN}' man | head -1 >/dev/null"
        ))
        .env("OMC_HOME", "/nonexistent/omc-home")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Each shell's script asks `omc` for completions with the same protocol the binary answers.
#[test]
fn every_shell_script_calls_back_into_omc() {
    for (shell, file) in [
        ("bash", "omc.bash"),
        ("zsh", "_omc"),
        ("fish", "omc.fish"),
        ("powershell", "_omc.ps1"),
        ("elvish", "omc.elv"),
    ] {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("completions")
                .join(file),
        )
        .unwrap();
        assert!(text.contains("OMC_COMPLETE"), "{shell}");
        assert!(text.contains(&format!("\"{shell}\"")) || text.contains(&format!("={shell}")));
    }
    // The answer for a shell that understands descriptions carries them.
    let home = Home::new();
    ok(&home.add("echo", "mine", "k-one"));
    let out = home
        .cmd()
        .env("OMC_COMPLETE", "fish")
        .args(["--", "omc", "key", ""])
        .output()
        .unwrap();
    let text = ok(&out);
    assert!(text.lines().any(|l| l == "mine\techo"), "{text}");
}
