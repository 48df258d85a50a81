//! `omc bench`: run a benchmark (the default action), and its history: `history`, `show`,
//! `compare`. The measuring, statistics, gates and reports are `crate::bench`; this wires them
//! to credentials, the provider client, SQLite and the terminal.

mod agent;
mod agent_loop;
mod agent_prep;
mod executor;
mod history;
mod prompts;
mod run;
mod writer;

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::Ctx;
use crate::bench::{Format, Order};
use crate::error::Result;

pub use prompts::Level;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: Option<BenchCommand>,

    #[command(flatten)]
    pub run: MeasureArgs,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// List stored benchmark runs, newest first
    History(history::HistoryArgs),
    /// Show a stored run's report again, in any format
    Show(history::ShowArgs),
    /// Compare two stored runs, target by target
    Compare(history::CompareArgs),
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
    Markdown,
}

impl FormatArg {
    /// `--json` wins: it promises one JSON document on stdout.
    fn resolve(self, json: bool) -> Format {
        match (json, self) {
            (true, _) | (_, FormatArg::Json) => Format::Json,
            (_, FormatArg::Table) => Format::Table,
            (_, FormatArg::Csv) => Format::Csv,
            (_, FormatArg::Markdown) => Format::Markdown,
        }
    }
}

/// The flags of a benchmark run.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// Credentials to benchmark, comma-separated or repeated [default: the profile's default
    /// credential]
    #[arg(long, value_name = "NAME,…", value_delimiter = ',', add = crate::complete::credentials())]
    pub credential: Vec<String>,

    /// Benchmark these providers' default credentials (comma-separated or repeated)
    #[arg(long, value_name = "PROVIDER,…", value_delimiter = ',', add = crate::complete::providers())]
    pub provider: Vec<String>,

    /// Models to ask each credential for, comma-separated or repeated; targets are
    /// credentials × models [default: each credential's model, else its provider's default]
    #[arg(long, short, value_name = "MODEL,…", value_delimiter = ',', value_parser = crate::bounds::parse_model)]
    pub model: Vec<String>,

    /// Built-in prompts of increasing complexity, comma-separated or repeated [default: short,
    /// when no --prompt or --suite]
    #[arg(long, value_enum, value_delimiter = ',')]
    pub level: Vec<Level>,

    /// A prompt to send (repeatable)
    #[arg(long, value_name = "TEXT")]
    pub prompt: Vec<String>,

    /// A TOML file of named prompts ([[prompt]] name, text, optional system and max_tokens);
    /// with --agent, of tasks ([[task]] name, prompt, vars and checks)
    #[arg(long, value_name = "FILE.toml")]
    pub suite: Option<PathBuf>,

    /// Benchmark this agent's whole tool loop per task and target (a name from `omc agent
    /// list`, or a path to a .toml file)
    #[arg(long, value_name = "NAME|PATH", add = crate::complete::agents())]
    pub agent: Option<String>,

    /// With --agent: fill {{KEY}} in the agent's system prompt and the tasks (repeatable)
    #[arg(long = "var", value_name = "KEY=VALUE", requires = "agent", value_parser = crate::agent::file::parse_var)]
    pub vars: Vec<(String, String)>,

    /// With --agent: run these tools without asking: `all`, or tool (or MCP server) names
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "all|NAME,…",
        requires = "agent"
    )]
    pub approve: Vec<String>,

    /// With --agent: always decline these tools (the model is told)
    #[arg(long, value_delimiter = ',', value_name = "NAME,…", requires = "agent")]
    pub deny: Vec<String>,

    /// With --agent: stop a run after this many model calls [default: the agent's max_turns]
    #[arg(long, value_name = "N", requires = "agent", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_turns: Option<u32>,

    /// Measured requests per target × prompt
    #[arg(long, short = 'n', default_value_t = 10, value_name = "N")]
    pub runs: u32,

    /// Unmeasured requests per target before the measured ones (open connections, wake caches)
    /// [default: --concurrency, so every worker starts on an open connection; 1 with --rate]
    #[arg(long, value_name = "N")]
    pub warmup: Option<u32>,

    /// Requests in flight at once, each sent when the previous one ends (closed loop) [default: 1]
    #[arg(long, short = 'c', value_name = "C", conflicts_with = "rate")]
    pub concurrency: Option<u32>,

    /// Requests per second over all targets, Poisson arrivals, whatever the replies do (open loop)
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,

    /// Ask every request for JSON matching this schema (a JSON Schema file, inline JSON, or a
    /// spec such as 'name, age int'); the report gives each target's validity rate
    #[arg(long, value_name = "FILE|JSON|SPEC")]
    pub schema: Option<String>,

    /// Most tokens to generate per request [default: the prompt's own, else 1024]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: Option<u32>,

    /// Give up on a request after this long
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub timeout: String,

    /// Wait for whole responses instead of streaming (no time to first token)
    #[arg(long)]
    pub no_stream: bool,

    /// Report format on stdout (--json is --format json)
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Also write the report to FILE, in the format its extension says (.json, .csv, .md),
    /// else --format's
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Write every request (warmups included, flagged) to FILE as JSON Lines, as they finish
    #[arg(long, value_name = "FILE")]
    pub requests_out: Option<PathBuf>,

    /// Compare with a stored run: its id, or `last` (the latest run with the same configuration)
    #[arg(long, value_name = "ID|last", add = crate::complete::bench_runs())]
    pub baseline: Option<String>,

    /// Fail (exit 9) when EXPR holds for any target, e.g. ttft.p95>800ms, error_rate>1%,
    /// regress(ttft.p50)>10% (repeatable)
    #[arg(long = "fail-if", value_name = "EXPR")]
    pub fail_if: Vec<String>,

    /// The order measured requests are sent in: round-robin over targets, or a seeded shuffle
    /// of every request (so prompts are mixed too)
    #[arg(long, value_enum, default_value_t = Order::Interleaved)]
    pub order: Order,

    /// Seed for the Poisson arrivals and `--order shuffled` [default: random; the report
    /// records it]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// A latency histogram per target under the table (TTFT; end-to-end with --no-stream)
    /// [auto: on a terminal, with the table format]
    #[arg(long, value_enum, default_value_t = crate::chart::Show::Auto, value_name = "WHEN")]
    pub histogram: crate::chart::Show,
}

pub fn run(ctx: &Ctx, args: &BenchArgs) -> Result<()> {
    match &args.command {
        None if args.run.agent.is_some() => agent::run(ctx, &args.run),
        None => run::run(ctx, &args.run),
        Some(BenchCommand::History(a)) => history::history(ctx, a),
        Some(BenchCommand::Show(a)) => history::show(ctx, a),
        Some(BenchCommand::Compare(a)) => history::compare(ctx, a),
    }
}

/// Write `text` to `path` whole (a partial report is worse than none).
fn write_file(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| crate::error::Error::io_path("write", path, e))
}

/// The format a file's extension names, else `fallback`.
fn format_for(path: &std::path::Path, fallback: Format) -> Format {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("md" | "markdown") => Format::Markdown,
        Some("txt") => Format::Table,
        _ => fallback,
    }
}

/// Print a rendered report on stdout.
fn print(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(crate::output::stdout_error)
}

#[cfg(test)]
mod tests {
    #[test]
    fn out_files_take_their_extensions_format() {
        use super::format_for;
        use crate::bench::Format;
        let p = std::path::Path::new;
        assert_eq!(format_for(p("r.json"), Format::Table), Format::Json);
        assert_eq!(format_for(p("r.MD"), Format::Table), Format::Markdown);
        assert_eq!(format_for(p("r.csv"), Format::Json), Format::Csv);
        assert_eq!(format_for(p("report"), Format::Csv), Format::Csv);
    }
}
