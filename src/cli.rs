//! The command line, declared once: clap derives parsing, help, completions and man pages.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Init(cmd::init::InitArgs),
    /// Store an API key (validated with a live call first)
    Add(cmd::add::AddArgs),
    /// List credentials, keys masked
    #[command(visible_alias = "ls")]
    List(cmd::list::ListArgs),
    /// Make a credential the profile's default (and its provider's)
    Default(cmd::default::DefaultArgs),
    /// Delete a credential: the key is destroyed, an audit tombstone stays
    #[command(visible_alias = "rm")]
    Delete(cmd::delete::DeleteArgs),
    /// Replace a credential's key
    Rotate(cmd::rotate::RotateArgs),
    /// Print a credential's key to stdout, for scripts
    Key(cmd::key::KeyArgs),
    /// Run a command with provider keys in its environment
    Exec(cmd::exec::ExecArgs),
    /// Print provider keys as shell lines to eval
    Env(cmd::env::EnvArgs),
    /// Import keys from llm, aichat, a dotenv file, the environment, or a sharing bundle
    Import(cmd::import::ImportArgs),
    /// Share credentials: one age file for teammates' age or SSH public keys
    Export(cmd::export::ExportArgs),
    /// Manage profiles
    #[command(subcommand)]
    Profile(cmd::profile::ProfileCommand),
    /// Inspect or rotate the master key
    #[command(subcommand)]
    Master(cmd::master::MasterCommand),
    /// Keep a `file` store's master key unlocked in the kernel keyring for a while (Linux)
    Unlock(cmd::lock::UnlockArgs),
    /// Drop the master key `omc unlock` keeps
    Lock(cmd::lock::LockArgs),
    /// Check credentials with a live call that spends no tokens
    Validate(cmd::validate::ValidateArgs),
    /// Send a prompt with a stored credential and stream the answer
    Run(cmd::run::RunArgs),
    /// Agents: TOML files with a system prompt, models, tools and limits
    #[command(subcommand)]
    Agent(cmd::agent::AgentCommand),
    /// List the models a provider offers
    Models(cmd::models::ModelsArgs),
    /// Benchmark providers: latency, throughput and cost, with history and CI gates
    Bench(cmd::bench::BenchArgs),
    /// Token use and cost of past runs
    Usage(cmd::usage::UsageArgs),
    /// Daily token and cost limits for the profile
    #[command(subcommand)]
    Limit(cmd::limit::LimitCommand),
    /// Show who did what to which credential
    Audit(cmd::audit::AuditArgs),
    /// Check the keyring, the master key, file modes and the database
    Doctor(cmd::doctor::DoctorArgs),
    /// Print a shell completion script
    Completions(cmd::completions::CompletionsArgs),
    /// Print or write the man pages
    Man(cmd::man::ManArgs),
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

/// Parse `std::env::args` with [`command`].
pub fn try_parse() -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let mut matches = command().try_get_matches()?;
    Cli::from_arg_matches_mut(&mut matches)
}
