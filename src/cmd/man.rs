//! `omc man [--out DIR]`: man pages generated from the clap definition, with the EXAMPLES,
//! EXIT STATUS and (on omc(1)) ENVIRONMENT sections clap cannot know. On a terminal the page
//! is shown through `man -l`; piped or with `--out` it is raw roff.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, CommandFactory};

use crate::cli::Cli;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write omc.1 and one page per subcommand (omc-add.1, …) into DIR instead of showing omc(1)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &ManArgs) -> Result<()> {
    match &args.out {
        None => {
            let page = render(&command(), "omc")?;
            if std::io::stdout().is_terminal() && show_with_man(&page) {
                return Ok(());
            }
            let mut out = std::io::stdout().lock();
            out.write_all(&page)
                .and_then(|()| out.flush())
                .map_err(crate::output::stdout_error)
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io_path("create", dir, e))?;
            for (name, page) in pages()? {
                let path = dir.join(name);
                std::fs::write(&path, page).map_err(|e| Error::io_path("write", &path, e))?;
            }
            Ok(())
        }
    }
}

/// Pipe the page into `man -l -`; false when `man` cannot be run, so the caller prints it.
fn show_with_man(page: &[u8]) -> bool {
    let Ok(mut child) = crate::process::Cmd::new("man")
        .args(["-l", "-"])
        .stdin(std::process::Stdio::piped())
        .start()
    else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The reader may quit (q) before reading it all: that is not an error.
        let _ = stdin.write_all(page);
    }
    child.wait().is_ok_and(|s| s.success())
}

/// Every page, by file name: `omc.1`, then `omc-SUB.1` and `omc-SUB-SUBSUB.1`.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    collect(&command(), "omc", &mut pages)?;
    Ok(pages)
}

/// The command tree without clap's `help` subcommands: `omc help X` is `omc X --help`, and a
/// man page must not point to an `omc-help(1)` that does not exist.
fn command() -> clap::Command {
    let mut cmd = crate::cli::finish(without_help_subcommands(Cli::command()));
    // Propagates the version and global flags into every subcommand's page.
    cmd.build();
    cmd
}

fn collect(cmd: &clap::Command, name: &str, pages: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    pages.push((format!("{name}.1"), render(cmd, name)?));
    for sub in cmd.get_subcommands() {
        collect(sub, &format!("{name}-{}", sub.get_name()), pages)?;
    }
    Ok(())
}

/// clap_mangen's page, with our sections before VERSION in place of its "EXTRA" (the `--help`
/// examples text, which has its own sections here).
fn render(cmd: &clap::Command, name: &str) -> Result<Vec<u8>> {
    let page = cmd
        .clone()
        .name(leak(name))
        .after_help(None::<&str>)
        .after_long_help(None::<&str>);
    let mut generated = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut generated)
        .map_err(|e| Error::io("cannot render a man page", e))?;
    let generated = String::from_utf8_lossy(&generated);

    let mut ours = String::new();
    let examples = examples(name);
    if !examples.is_empty() {
        ours.push_str(".SH EXAMPLES\n");
        for (what, command) in examples {
            ours.push_str(&format!(".PP\n{}\n.PP\n.RS 4\n.nf\n", text(what)));
            for line in command.lines() {
                ours.push_str(&format!("{}\n", text(line)));
            }
            ours.push_str(".fi\n.RE\n");
        }
    }
    ours.push_str(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in exit_status(name) {
        ours.push_str(&format!(".TP\n.B {code}\n{}\n", text(meaning)));
    }
    if name == "omc" {
        ours.push_str(".SH ENVIRONMENT\n");
        for (var, meaning) in ENVIRONMENT {
            ours.push_str(&format!(".TP\n.B {}\n{}\n", text(var), text(meaning)));
        }
    }
    let at = generated.find(".SH VERSION\n").unwrap_or(generated.len());
    Ok(format!("{}{ours}{}", &generated[..at], &generated[at..]).into_bytes())
}

/// Plain text as a roff line: hyphens and backslashes escaped, no control character at the start.
fn text(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// (what it does, the command) per page.
fn examples(page: &str) -> &'static [(&'static str, &'static str)] {
    match page {
        "omc" => &[
            (
                "Store a key (from a hidden prompt), then run a prompt with it:",
                "omc add openai\nomc run \"Explain WAL mode in SQLite\"",
            ),
            (
                "Hand the keys to another program, or to this shell:",
                "omc exec -- python agent.py\neval \"$(omc env)\"",
            ),
            (
                "Benchmark a provider with a CI gate:",
                "omc bench --provider openai --fail-if 'ttft.p95>800ms'",
            ),
            (
                "Shell completion, e.g. for bash:",
                "source <(omc completions bash)",
            ),
        ],
        "omc-init" => &[
            (
                "A store whose master key lives in the OS keyring:",
                "omc init",
            ),
            (
                "A headless store; keep the printed key as the CI secret OMC_MASTER_KEY:",
                "omc init --backend env",
            ),
            (
                "A passphrase-protected master.age:",
                "OMC_PASSPHRASE=… omc init --backend file",
            ),
        ],
        "omc-add" => &[
            (
                "Prompt for the key, check it with the provider, store it:",
                "omc add openai",
            ),
            (
                "From a pipe or a variable, with a name and a model:",
                "printf %s \"$KEY\" | omc add anthropic --key-stdin\nomc add gemini --key-env GEMINI_API_KEY --name personal --model gemini-2.5-flash",
            ),
            (
                "A local OpenAI-compatible server:",
                "omc add openai-compatible --base-url http://localhost:8000/v1 --key-stdin < key.txt",
            ),
        ],
        "omc-list" => &[
            ("Masked keys, defaults, validation, last use:", "omc list"),
            (
                "Every profile, for scripts:",
                "omc list --json --all-profiles",
            ),
        ],
        "omc-default" => &[(
            "Make the credential named personal the default:",
            "omc default personal",
        )],
        "omc-delete" => &[(
            "Destroy a key without asking; a tombstone stays in the audit trail:",
            "omc delete openai --yes",
        )],
        "omc-rotate" => &[(
            "Replace a key with a new one from stdin, checked first:",
            "printf %s \"$NEW_KEY\" | omc rotate openai --key-stdin",
        )],
        "omc-key" => &[(
            "Use a key in a script:",
            "curl -H \"Authorization: Bearer $(omc key openai)\" https://api.openai.com/v1/models",
        )],
        "omc-exec" => &[
            (
                "Run a program with every provider's default key in its environment:",
                "omc exec -- python agent.py",
            ),
            (
                "Only one provider's:",
                "omc exec --provider openai -- pytest tests/llm",
            ),
        ],
        "omc-env" => &[
            ("Set the keys in this shell:", "eval \"$(omc env)\""),
            ("In fish:", "omc env --shell fish | source"),
        ],
        "omc-profile" => &[(
            "Keep work keys apart:",
            "omc profile add work\nomc --profile work add openai",
        )],
        "omc-master-rotate" => &[
            (
                "Re-encrypt every key to a new master key (keyring or file store):",
                "omc master rotate",
            ),
            (
                "An env store: the new identity is written to a file first:",
                "omc master rotate --new-key-file new-key.txt",
            ),
        ],
        "omc-validate" => &[(
            "Check every credential of the profile (no tokens spent):",
            "omc validate --all",
        )],
        "omc-run" => &[
            (
                "Stream an answer from the default credential:",
                "omc run \"Explain WAL mode in SQLite in two sentences.\"",
            ),
            (
                "Piped input is context; --json gives usage, cost and timings:",
                "git diff | omc run \"Write a commit message for this diff\" --json",
            ),
            (
                "Another provider and model, falling back on failure:",
                "omc run --provider anthropic --model claude-3-5-haiku-latest --fallback openai \"…\"",
            ),
        ],
        "omc-models" => &[("What a key can use:", "omc models --provider openai")],
        "omc-bench" => &[
            (
                "The default credential, 10 runs of the short prompt:",
                "omc bench",
            ),
            (
                "Two providers, every prompt size, 20 runs each:",
                "omc bench --provider openai,anthropic --level all --runs 20",
            ),
            (
                "A CI gate against the last comparable run:",
                "omc bench --baseline last --fail-if 'regress(ttft.p50)>10%' --fail-if 'error_rate>1%'",
            ),
            (
                "An offline dry run:",
                "OMC_ECHO_DELAY=ttft=50ms,token=5ms omc bench --provider echo",
            ),
        ],
        "omc-bench-show" => &[(
            "The latest run's report as Markdown:",
            "omc bench show last --format markdown",
        )],
        "omc-bench-compare" => &[(
            "Two runs, per target and metric:",
            "omc bench compare 12 last",
        )],
        "omc-usage" => &[
            ("Tokens and dollars per day, the last week:", "omc usage"),
            (
                "Per model over 30 days, as CSV:",
                "omc usage --since 30d --group-by model --format csv",
            ),
        ],
        "omc-limit-set" => &[(
            "At most 200,000 tokens and $5 a UTC day in this profile:",
            "omc limit set --daily-tokens 200000 --daily-cost 5",
        )],
        "omc-audit" => &[("The last 20 events:", "omc audit --limit 20")],
        "omc-doctor" => &[(
            "Check the set-up, as JSON for a bug report:",
            "omc doctor --json",
        )],
        "omc-completions" => &[
            ("bash (in ~/.bashrc):", "source <(omc completions bash)"),
            (
                "zsh (in ~/.zshrc, after compinit):",
                "source <(omc completions zsh)",
            ),
            (
                "fish:",
                "omc completions fish > ~/.config/fish/completions/omc.fish",
            ),
        ],
        "omc-man" => &[(
            "Install the pages for man(1):",
            "omc man --out ~/.local/share/man/man1",
        )],
        _ => &[],
    }
}

/// The exit codes a page's command can end with; omc(1) has them all.
fn exit_status(page: &str) -> Vec<(&'static str, &'static str)> {
    let all = EXIT_CODES.to_vec();
    let pick = |codes: &[&str]| -> Vec<(&'static str, &'static str)> {
        all.iter()
            .filter(|(c, _)| codes.contains(c))
            .copied()
            .collect()
    };
    match page {
        "omc" => all,
        "omc-completions" | "omc-man" => pick(&["0", "1", "2"]),
        "omc-exec" => {
            let mut codes = pick(&["1", "2", "3", "4"]);
            codes.insert(0, ("N", "the command's own exit code, when it ran"));
            codes.push(("126", "the command could not be run"));
            codes.push(("127", "the command was not found"));
            codes
        }
        "omc-run" => pick(&["0", "1", "2", "3", "4", "5", "6", "7", "8", "130"]),
        "omc-bench" => {
            let mut codes = pick(&["0", "1", "2", "3", "4", "8", "9", "130"]);
            codes.push((
                "5, 6, 7",
                "every measured request of a target failed: key rejected, provider or network failure, rate limited",
            ));
            codes
        }
        "omc-add" | "omc-rotate" | "omc-validate" | "omc-models" => {
            pick(&["0", "1", "2", "3", "4", "5", "6", "7"])
        }
        _ => pick(&["0", "1", "2", "3", "4"]),
    }
}

const EXIT_CODES: [(&str, &str); 12] = [
    ("0", "success"),
    (
        "1",
        "unexpected error, or a refusal: a name or secret already stored, a store that exists already, a declined confirmation",
    ),
    ("2", "usage error (bad flags or arguments)"),
    ("3", "not found (credential, profile, bench run)"),
    ("4", "master key unavailable, locked, or not this store's"),
    ("5", "the provider rejected the credential (401/403)"),
    ("6", "provider or network failure after retries"),
    ("7", "rate limited after retries (429)"),
    ("8", "a usage limit would be exceeded"),
    ("9", "a benchmark gate failed"),
    ("130", "interrupted (Ctrl-C, SIGTERM, SIGHUP)"),
    (
        "126, 127",
        "omc exec: its command could not be run, or was not found",
    ),
];

const ENVIRONMENT: [(&str, &str); 10] = [
    (
        "OMC_HOME",
        "the data dir (omc.db, master.age) and, when set, config.toml; default: $XDG_DATA_HOME/omc (~/.local/share/omc), config in $XDG_CONFIG_HOME/omc/config.toml",
    ),
    (
        "OMC_PROFILE",
        "the profile to work in (default: default), as --profile",
    ),
    (
        "OMC_MASTER_KEY",
        "the master identity (AGE-SECRET-KEY-1…), for stores without a keyring; never passed to commands omc runs",
    ),
    ("OMC_MASTER_KEY_FILE", "a file holding the master identity"),
    (
        "OMC_PASSPHRASE",
        "the passphrase of master.age (file stores)",
    ),
    (
        "OMC_KEYRING_TIMEOUT",
        "how long one OS keyring call may take (default: 5s)",
    ),
    (
        "OMC_LOG",
        "log filter for stderr (tracing EnvFilter syntax); -v, -vv and -q otherwise",
    ),
    (
        "OMC_ECHO_DELAY",
        "the echo provider's simulated delays, e.g. ttft=50ms,token=5ms",
    ),
    ("NO_COLOR", "no colour, as --color never"),
    ("CI", "CI=true never prompts, as --no-input"),
];

fn without_help_subcommands(cmd: clap::Command) -> clap::Command {
    cmd.disable_help_subcommand(true)
        .mut_subcommands(without_help_subcommands)
}

/// clap wants a `'static` name; man pages are rendered once per process, so leaking is fine.
fn leak(name: &str) -> &'static str {
    Box::leak(name.to_owned().into_boxed_str())
}
