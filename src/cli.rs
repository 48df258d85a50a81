//! The command line, declared once: clap derives parsing, help, completions and man pages.

use std::path::PathBuf;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::cmd;

const EXAMPLES: &str = "\
Examples:
  omc add openai
  printf %s \"$KEY\" | omc add anthropic --key-stdin
  omc list
  omc exec -- python agent.py
  eval \"$(omc env)\"
  omc run \"Explain WAL mode in SQLite\" --json
  omc run --agent reviewer \"Review my change\" --approve git_diff
  omc bench --provider openai --fail-if 'ttft.p95>800ms'

Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 master key,
5 key rejected, 6 provider failure, 7 rate limited,
8 over a limit, 9 gate failed, 10 agent stopped early, 130 interrupted.
`omc exec` exits with its command's code (127: not found, 126: cannot run).";

#[derive(Debug, Parser)]
#[command(
    name = "omc",
    version,
    about = "Keep LLM API keys encrypted, run prompts against them, and benchmark providers",
    long_about = "omc keeps LLM API keys encrypted with age in a local SQLite store whose master \
key lives in the OS keyring (or comes from OMC_MASTER_KEY in CI), hands them to other programs, \
runs prompts against any stored credential, and benchmarks providers with history and CI gates.",
    propagate_version = true,
    max_term_width = 100,
    after_long_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, listed after the command's own under "Global options".
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Profile to work in
    #[arg(
        long,
        global = true,
        env = "OMC_PROFILE",
        default_value = "default",
        value_name = "NAME",
        add = crate::complete::profiles()
    )]
    pub profile: String,

    /// Print one JSON document on stdout, nothing else there
    #[arg(long, global = true)]
    pub json: bool,

    /// Print less: errors only on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Never prompt; fail with a message naming the flag to pass instead
    #[arg(long, global = true)]
    pub no_input: bool,

    /// Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the encrypted store and its master key
    Init(Lazy<cmd::init::InitArgs>),
    /// Store an API key (validated with a live call first)
    Add(Lazy<cmd::add::AddArgs>),
    /// List credentials, keys masked
    #[command(visible_alias = "ls")]
    List(Lazy<cmd::list::ListArgs>),
    /// Make a credential the profile's default (and its provider's)
    Default(Lazy<cmd::default::DefaultArgs>),
    /// Delete a credential: the key is destroyed, an audit tombstone stays
    #[command(visible_alias = "rm")]
    Delete(Lazy<cmd::delete::DeleteArgs>),
    /// Replace a credential's key
    Rotate(Lazy<cmd::rotate::RotateArgs>),
    /// Print a credential's key to stdout, for scripts
    Key(Lazy<cmd::key::KeyArgs>),
    /// Run a command with provider keys in its environment
    Exec(Lazy<cmd::exec::ExecArgs>),
    /// Print provider keys as shell lines to eval
    Env(Lazy<cmd::env::EnvArgs>),
    /// Serve the keys through a local proxy: programs get a token, never a key
    Serve(Lazy<cmd::serve::ServeArgs>),
    /// Import keys from llm, aichat, a dotenv file, the environment, or a sharing bundle
    Import(Lazy<cmd::import::ImportArgs>),
    /// Share credentials: one age file for teammates' age or SSH public keys
    Export(Lazy<cmd::export::ExportArgs>),
    /// Manage profiles
    #[command(subcommand)]
    Profile(Lazy<cmd::profile::ProfileCommand>),
    /// Inspect or rotate the master key
    #[command(subcommand)]
    Master(Lazy<cmd::master::MasterCommand>),
    /// Keep a `file` store's master key unlocked in the kernel keyring for a while (Linux)
    Unlock(Lazy<cmd::lock::UnlockArgs>),
    /// Drop the master key `omc unlock` keeps
    Lock(Lazy<cmd::lock::LockArgs>),
    /// Check credentials with a live call that spends no tokens
    Validate(Lazy<cmd::validate::ValidateArgs>),
    /// Send a prompt with a stored credential and stream the answer
    Run(Lazy<cmd::run::RunArgs>),
    /// Chat on a terminal: each exchange streamed, metered and stored like `omc run -c`
    Chat(Lazy<cmd::chat::ChatArgs>),
    /// Conversations and agent runs: list (no key needed), show, search, delete
    Log(Lazy<cmd::log::LogArgs>),
    /// Agents: TOML files with a system prompt, models, tools and limits
    #[command(subcommand)]
    Agent(Lazy<cmd::agent::AgentCommand>),
    /// List the models a provider offers
    Models(Lazy<cmd::models::ModelsArgs>),
    /// Benchmark providers: latency, throughput and cost, with history and CI gates
    Bench(Lazy<cmd::bench::BenchArgs>),
    /// Token use and cost of past runs
    Usage(Lazy<cmd::usage::UsageArgs>),
    /// Daily token and cost limits for the profile
    #[command(subcommand)]
    Limit(Lazy<cmd::limit::LimitCommand>),
    /// Show who did what to which credential
    Audit(Lazy<cmd::audit::AuditArgs>),
    /// Check the keyring, the master key, file modes and the database
    Doctor(Lazy<cmd::doctor::DoctorArgs>),
    /// Print a shell completion script
    Completions(Lazy<cmd::completions::CompletionsArgs>),
    /// Print or write the man pages
    Man(Lazy<cmd::man::ManArgs>),
}

/// The command line as parsed, documented and completed: the derive, plus `--profile` hidden
/// where it means nothing (commands that work on the whole store, or on none).
pub fn command() -> clap::Command {
    finish(<Cli as clap::CommandFactory>::command())
}

/// [`command`] from a derived command the caller has adjusted first (`omc man`).
pub fn finish(cmd: clap::Command) -> clap::Command {
    // clap copies each global flag into every subcommand that lacks one of that name; giving
    // these a hidden copy first leaves them one that parses the same and is not listed.
    let hidden = cmd
        .get_arguments()
        .find(|a| a.get_id() == "profile")
        .expect("--profile is a global flag")
        .clone()
        .hide(true);
    cmd.mut_subcommands(|sub| match sub.get_name() {
        "init" | "completions" | "man" => sub.arg(hidden.clone()),
        _ => sub,
    })
}

/// Parse `std::env::args` with [`command`], declaring only the arguments of the command being
/// run (see [`Lazy`]).
pub fn try_parse() -> Result<Cli, clap::Error> {
    DEFER.store(true, Ordering::Relaxed);
    let cmd = command();
    // clap copies every global flag into every command before it parses (7 × 26 copies, a
    // quarter of `omc --version`'s instructions). Only the command being run needs them: the
    // root keeps its own as plain flags, and that command declares them, global, when it is
    // declared ([`with_globals`]). clap still carries a value given at either level to the
    // other: it merges the values of every global flag on the parsed path, wherever declared.
    let _ = GLOBALS.set(
        cmd.get_arguments()
            .filter(|a| a.is_global_set())
            .cloned()
            .collect(),
    );
    let mut cmd = cmd.mut_args(|a| a.global(false));
    let matches = cmd.try_get_matches_from_mut(std::env::args_os());
    // Later trees (`omc man`, `omc completions`) are whole again.
    DEFER.store(false, Ordering::Relaxed);
    // The tree is declarations and help text, never a value from the command line: it is left
    // to the process's end instead of being freed (and wiped by the zeroizing allocator) node
    // by node: 0.46 M instructions, a quarter of `omc --version` and 8 % of `omc key`.
    std::mem::forget(cmd);
    Cli::from_arg_matches_mut(&mut matches?)
}

/// Whether [`Lazy`] defers; true only while [`try_parse`] builds its tree.
static DEFER: AtomicBool = AtomicBool::new(false);

/// A command's arguments (or subcommands), declared to clap only once that command is the one
/// being parsed (`clap::Command::defer`): every `omc` process built all 26 commands' arguments,
/// help text included, before it could run one. Used by [`try_parse`] alone; help, errors and
/// usage for the command being run are built from the same declarations, then. Completions,
/// man pages and tests get the whole tree at once, in clap's usual order ([`command`]).
#[derive(Debug, Clone)]
pub struct Lazy<T>(pub T);

impl<T> std::ops::Deref for Lazy<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The root's global flags, for [`with_globals`]: set by [`try_parse`] alone.
static GLOBALS: OnceLock<Vec<clap::Arg>> = OnceLock::new();

/// `cmd` with the global flags [`try_parse`] took off the root, before its own arguments (where
/// clap's copies would have been), except one it declares itself (a hidden `--profile`).
fn with_globals(mut cmd: clap::Command) -> clap::Command {
    for a in GLOBALS.get().into_iter().flatten() {
        if cmd.get_arguments().all(|b| b.get_id() != a.get_id()) {
            cmd = cmd.arg(a.clone());
        }
    }
    cmd
}

/// `now(cmd)`, or, while [`try_parse`] builds its tree, `later(cmd)` once `cmd` is the command
/// being parsed.
fn declare(
    cmd: clap::Command,
    now: fn(clap::Command) -> clap::Command,
    later: fn(clap::Command) -> clap::Command,
) -> clap::Command {
    if DEFER.load(Ordering::Relaxed) {
        cmd.defer(later)
    } else {
        now(cmd)
    }
}

/// `declare` for a deferred `T`: the derive sets the command's description (the variant's doc
/// comment) after declaring its arguments, so it wins over the one a flattened struct's doc
/// comment sets; deferred, the arguments come last, and the description is put back.
fn keeping_about(cmd: clap::Command, declare: fn(clap::Command) -> clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = declare(cmd);
    let cmd = match about {
        Some(a) => cmd.about(a),
        None => cmd.about(None::<&str>),
    };
    match long_about {
        Some(a) => cmd.long_about(a),
        None => cmd.long_about(None::<&str>),
    }
}

fn args<T: Args>(cmd: clap::Command) -> clap::Command {
    keeping_about(cmd, T::augment_args)
}

fn args_for_update<T: Args>(cmd: clap::Command) -> clap::Command {
    keeping_about(cmd, T::augment_args_for_update)
}

fn subcommands<T: Subcommand>(cmd: clap::Command) -> clap::Command {
    keeping_about(cmd, T::augment_subcommands)
}

fn subcommands_for_update<T: Subcommand>(cmd: clap::Command) -> clap::Command {
    keeping_about(cmd, T::augment_subcommands_for_update)
}

fn later_args<T: Args>(cmd: clap::Command) -> clap::Command {
    args::<T>(with_globals(cmd))
}

fn later_args_for_update<T: Args>(cmd: clap::Command) -> clap::Command {
    args_for_update::<T>(with_globals(cmd))
}

fn later_subcommands<T: Subcommand>(cmd: clap::Command) -> clap::Command {
    subcommands::<T>(with_globals(cmd))
}

fn later_subcommands_for_update<T: Subcommand>(cmd: clap::Command) -> clap::Command {
    subcommands_for_update::<T>(with_globals(cmd))
}

impl<T: FromArgMatches> FromArgMatches for Lazy<T> {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(m).map(Lazy)
    }
    fn from_arg_matches_mut(m: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(m).map(Lazy)
    }
    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }
    fn update_from_arg_matches_mut(&mut self, m: &mut clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(m)
    }
}

impl<T: Args> Args for Lazy<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
    fn augment_args(cmd: clap::Command) -> clap::Command {
        declare(cmd, args::<T>, later_args::<T>)
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        declare(cmd, args_for_update::<T>, later_args_for_update::<T>)
    }
}

impl<T: Subcommand> Subcommand for Lazy<T> {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        declare(cmd, subcommands::<T>, later_subcommands::<T>)
    }
    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        declare(
            cmd,
            subcommands_for_update::<T>,
            later_subcommands_for_update::<T>,
        )
    }
    fn has_subcommand(name: &str) -> bool {
        T::has_subcommand(name)
    }
}

/// clap's usage error as omc prints it (after `omc: `), with omc's own tips: the subcommand a
/// mistyped one most likely meant (`rn` → `run`, `ad` → `add`: a prefix first, then the
/// spelling, among the commands at that level), and the `--` that `omc exec` needs before its
/// command.
pub fn usage_error_text(e: &clap::Error, args: &[String]) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let text = e.render().to_string();
    let text = text.strip_prefix("omc: ").unwrap_or(&text).to_owned();
    // The subcommands named on the command line before the offending word.
    let path = |word: &str| -> clap::Command {
        let mut cmd = command();
        for arg in args.iter().skip(1) {
            if arg == word {
                break;
            }
            match cmd.find_subcommand(arg) {
                Some(sub) => cmd = sub.clone(),
                None => continue,
            }
        }
        cmd
    };
    let with_tip = |tip: String| -> String {
        let mut lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("tip:"))
            .collect();
        // clap leaves an empty line where its own tip was.
        lines.dedup_by(|a, b| a.is_empty() && b.is_empty());
        let first = lines.first().copied().unwrap_or_default();
        let rest = lines.get(1..).unwrap_or_default().join("\n");
        format!("{first}\n\n  tip: {tip}\n{rest}\n")
    };
    match e.kind() {
        ErrorKind::InvalidSubcommand => {
            let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidSubcommand) else {
                return text;
            };
            let parent = path(word);
            let names: Vec<&str> = parent
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| s.get_name())
                .collect();
            match crate::suggest::nearest(word, names) {
                Some(near) => with_tip(format!("did you mean '{near}'?")),
                None => text,
            }
        }
        ErrorKind::UnknownArgument => {
            let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidArg) else {
                return text;
            };
            let in_exec = args
                .iter()
                .skip(1)
                .take_while(|a| *a != word)
                .any(|a| a == "exec")
                && !args.iter().any(|a| a == "--");
            if in_exec && !word.starts_with('-') {
                with_tip(format!(
                    "put `--` before the command to run: omc exec [OPTIONS] -- {word} …"
                ))
            } else {
                text
            }
        }
        _ => text,
    }
}
