//! `omc usage`: what the runs cost, grouped.

use clap::{Args, ValueEnum};

use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{GroupBy, UsageRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// How far back: 24h, 7d, 30d…
    #[arg(long, default_value = "7d", value_name = "DURATION")]
    pub since: String,

    /// How to group the runs
    #[arg(long, value_enum, default_value_t = GroupBy::Day)]
    pub group_by: GroupBy,

    /// Output format (--json is the same as --format json)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Runs of every profile, not just the current one (implied by --group-by profile)
    #[arg(long)]
    pub all_profiles: bool,

    /// Bars of tokens and cost per day under the table (auto: on a terminal)
    #[arg(long, value_enum, default_value_t = crate::chart::Show::Auto, value_name = "WHEN")]
    pub chart: crate::chart::Show,
}

pub fn run(ctx: &Ctx, args: &UsageArgs) -> Result<()> {
    let since = crate::time::since(&args.since).ok_or_else(|| {
        Error::usage_hint(
            format!("invalid --since '{}'", args.since),
            "use e.g. 24h, 7d, 30d",
        )
    })?;
    let all = args.all_profiles || args.group_by == GroupBy::Profile;
    let rows = ctx
        .store()?
        .usage(since, args.group_by, (!all).then(|| ctx.profile()))?;
    let format = if ctx.global.json {
        Format::Json
    } else {
        args.format
    };
    match format {
        Format::Json => ctx.out.json(&serde_json::json!({
            "since": crate::time::rfc3339(since),
            "group_by": format!("{:?}", args.group_by).to_lowercase(),
            "rows": rows,
            "total": total(&rows),
        })),
        Format::Csv => write_csv(&rows),
        Format::Table => {
            let mut table = ctx.out.table(&[
                "GROUP",
                "RUNS",
                "ERRORS",
                "INPUT TOKENS",
                "OUTPUT TOKENS",
                "COST (USD)",
                "MEAN LATENCY",
            ]);
            let t = total(&rows);
            for r in rows.iter().chain(std::iter::once(&t)) {
                table.add_row(vec![
                    crate::terminal::line(&r.group).into_owned(),
                    r.runs.to_string(),
                    r.errors.to_string(),
                    r.input_tokens.to_string(),
                    r.output_tokens.to_string(),
                    match r.cost_usd {
                        Some(c) => format!("{c:.6}"),
                        None => format!("≥{:.6} (some unknown)", r.known_cost_usd),
                    },
                    r.mean_latency_ms
                        .map_or("-".into(), |l| format!("{l:.0} ms")),
                ]);
            }
            ctx.out.print_table(&table)?;
            let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
            if args.group_by == GroupBy::Day && !rows.is_empty() && args.chart.wanted(terminal) {
                ctx.out.line("")?;
                for line in day_chart(&rows) {
                    ctx.out.line(line)?;
                }
            }
            Ok(())
        }
    }
}

/// One line per day: a bar of its tokens and one of its cost, each scaled to the busiest day.
fn day_chart(rows: &[UsageRow]) -> Vec<String> {
    let tokens = |r: &UsageRow| (r.input_tokens + r.output_tokens) as f64;
    let cost = |r: &UsageRow| r.cost_usd.unwrap_or(r.known_cost_usd);
    let most_tokens = rows.iter().map(tokens).fold(0.0, f64::max);
    let most_cost = rows.iter().map(cost).fold(0.0, f64::max);
    let token_text: Vec<String> = rows.iter().map(|r| format!("{} tok", tokens(r))).collect();
    let text_width = token_text.iter().map(String::len).max().unwrap_or(0);
    rows.iter()
        .zip(&token_text)
        .map(|(r, t)| {
            format!(
                "{:<10}  {:<24}  {t:>text_width$}  {:<12}  ${:.6}",
                r.group,
                crate::chart::bar(tokens(r), most_tokens, 24),
                crate::chart::bar(cost(r), most_cost, 12),
                cost(r)
            )
        })
        .collect()
}

/// The sum of every group.
pub fn total(rows: &[UsageRow]) -> UsageRow {
    let runs: u64 = rows.iter().map(|r| r.runs).sum();
    let latency_sum: f64 = rows
        .iter()
        .filter_map(|r| r.mean_latency_ms.map(|l| l * r.runs as f64))
        .fold(0.0, |a, b| a + b);
    UsageRow {
        group: "total".into(),
        runs,
        errors: rows.iter().map(|r| r.errors).sum(),
        input_tokens: rows.iter().map(|r| r.input_tokens).sum(),
        output_tokens: rows.iter().map(|r| r.output_tokens).sum(),
        estimated_runs: rows.iter().map(|r| r.estimated_runs).sum(),
        // Folded from +0.0: `f64`'s `Sum` starts at -0.0, which an empty total would print.
        cost_usd: rows
            .iter()
            .map(|r| r.cost_usd)
            .sum::<Option<f64>>()
            .map(|c| c + 0.0),
        known_cost_usd: rows
            .iter()
            .map(|r| r.known_cost_usd)
            .fold(0.0, |a, b| a + b),
        mean_latency_ms: (runs > 0).then(|| latency_sum / runs as f64),
    }
}

fn write_csv(rows: &[UsageRow]) -> Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    let err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => crate::output::stdout_error(io),
        other => Error::Other(format!("cannot write CSV: {other:?}")),
    };
    w.write_record([
        "group",
        "runs",
        "errors",
        "input_tokens",
        "output_tokens",
        "estimated_runs",
        "cost_usd",
        "mean_latency_ms",
    ])
    .map_err(err)?;
    for r in rows {
        w.write_record([
            crate::table::csv_cell(&r.group),
            r.runs.to_string(),
            r.errors.to_string(),
            r.input_tokens.to_string(),
            r.output_tokens.to_string(),
            r.estimated_runs.to_string(),
            r.cost_usd.map_or(String::new(), |c| format!("{c:.8}")),
            r.mean_latency_ms
                .map_or(String::new(), |l| format!("{l:.1}")),
        ])
        .map_err(err)?;
    }
    w.flush().map_err(crate::output::stdout_error)
}
