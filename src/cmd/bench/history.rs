//! `omc bench history`, `omc bench show ID`, `omc bench compare A B`.

use std::path::PathBuf;

use clap::Args;

use super::{FormatArg, format_for, print, write_file};
use crate::bench::export::{markdown_comparison, render_comparison};
use crate::bench::gate::{fmt_ms, trim_num};
use crate::bench::render;
use crate::cmd::Ctx;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Show at most N runs
    #[arg(long, default_value_t = 20, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The run's id (see `omc bench history`), or `last`
    #[arg(add = crate::complete::bench_runs())]
    pub id: String,

    /// Report format (--json is --format json)
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Also write the report to FILE, in the format its extension says
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The base run's id (`last`: the latest run with a report)
    #[arg(add = crate::complete::bench_runs())]
    pub base: String,
    /// The run compared with it (`last`: the latest run with a report)
    #[arg(add = crate::complete::bench_runs())]
    pub current: String,
    /// Compare even when the runs were configured differently
    #[arg(long)]
    pub force: bool,
    /// The smallest change called better or worse; a change beyond the noise but smaller is
    /// "negligible" (e.g. 2%, 0.5%, 0)
    #[arg(long, value_name = "PERCENT", default_value = "2%", value_parser = parse_percent)]
    pub min_effect: f64,
    /// Output format (markdown: for a CI step summary)
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
}

/// What a comparison can be printed as: it has no CSV form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Table,
    /// As --json
    Json,
    Markdown,
}

pub fn history(ctx: &Ctx, args: &HistoryArgs) -> Result<()> {
    let store = ctx.store()?;
    let rows = store.bench_history(ctx.profile(), args.limit)?;
    if ctx.global.json {
        return ctx.out.json(&rows);
    }
    if rows.is_empty() {
        ctx.out
            .note(format!("no benchmark runs in profile '{}'", ctx.profile()));
        return Ok(());
    }
    let mut t = ctx.out.table(&[
        "ID", "STARTED", "KIND", "STATUS", "TARGETS", "REQUESTS", "FAILED", "WALL", "COST",
        "GATES", "CONFIG",
    ]);
    for r in rows {
        t.add_row(vec![
            r.id,
            crate::time::ago(r.started_at_ms),
            r.kind.clone(),
            r.status.as_str().to_owned(),
            r.targets.join(", "),
            r.requests.to_string(),
            r.failed.to_string(),
            r.wall_ms.map_or_else(|| "–".into(), fmt_ms),
            r.cost_total_usd
                .map_or_else(|| "–".into(), |c| format!("${}", trim_num(c, 6))),
            match r.gates {
                g if g.pass + g.fail + g.inconclusive == 0 => "–".into(),
                g if g.fail > 0 => format!("{} failed", g.fail),
                g if g.inconclusive > 0 => format!("{} inconclusive", g.inconclusive),
                g => format!("{} passed", g.pass),
            },
            r.config_hash[..12.min(r.config_hash.len())].to_owned(),
        ]);
    }
    ctx.out.print_table(&t)
}

pub fn show(ctx: &Ctx, args: &ShowArgs) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve_bench_id(ctx.profile(), &args.id)?;
    let format = args.format.resolve(ctx.global.json);
    if store.bench_kind(&id)? == "agent" {
        return super::agent::show(ctx, &store.agent_bench_report(&id)?, format, &args.out);
    }
    let report = store.bench_report(&id)?;
    if let Some(path) = &args.out {
        write_file(path, &render(&report, format_for(path, format), false)?)?;
    }
    print(&render(&report, format, ctx.out.color)?)
}

pub fn compare(ctx: &Ctx, args: &CompareArgs) -> Result<()> {
    let store = ctx.store()?;
    let base_id = store.resolve_bench_id(ctx.profile(), &args.base)?;
    let current_id = store.resolve_bench_id(ctx.profile(), &args.current)?;
    if store.bench_kind(&base_id)? == "agent" || store.bench_kind(&current_id)? == "agent" {
        let base = store.agent_bench_report(&base_id)?;
        let current = store.agent_bench_report(&current_id)?;
        let c = crate::bench::agent::compare::compare(&base, &current, args.force)?;
        return match (ctx.global.json, args.format) {
            (true, _) | (_, CompareFormat::Json) => ctx.out.json(&c),
            (_, CompareFormat::Markdown) => print(&format!(
                "## omc bench --agent: run {current_id} against run {base_id}\n\n{}",
                crate::bench::agent::compare::markdown(&c)
            )),
            (_, CompareFormat::Table) => print(&format!(
                "Run {current_id} against base run {base_id}:\n{}",
                crate::bench::agent::compare::table(&c)
            )),
        };
    }
    let base = store.bench_report(&base_id)?;
    let current = store.bench_report(&current_id)?;
    let c = crate::bench::compare(&base, &current, args.force, args.min_effect)?;
    match (ctx.global.json, args.format) {
        (true, _) | (_, CompareFormat::Json) => ctx.out.json(&c),
        (_, CompareFormat::Markdown) => print(&format!(
            "## omc bench: run {current_id} against run {base_id}\n\n{}",
            markdown_comparison(&c)
        )),
        (_, CompareFormat::Table) => print(&format!(
            "Run {current_id} against base run {base_id}:\n{}",
            render_comparison(&c)
        )),
    }
}

/// `2%`, `0.5%` or `0` as a fraction.
fn parse_percent(s: &str) -> std::result::Result<f64, String> {
    let n = s.trim().trim_end_matches('%');
    match n.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..100.0).contains(&v) => Ok(v / 100.0),
        _ => Err(format!("'{s}' is not a percentage from 0 to 100 (e.g. 2%)")),
    }
}
