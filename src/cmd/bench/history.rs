//! `omc bench history`, `omc bench show ID`, `omc bench compare A B`.

use std::path::PathBuf;

use clap::Args;

use super::{FormatArg, format_for, print, write_file};
use crate::bench::compare::render_comparison;
use crate::bench::gate::{fmt_ms, trim_num};
use crate::bench::render;
use crate::cmd::Ctx;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Show at most N runs
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The run's id (see `omc bench history`)
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
    /// The base run's id
    pub base: String,
    /// The run compared with it
    pub current: String,
    /// Compare even when the runs were configured differently
    #[arg(long)]
    pub force: bool,
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
        "ID", "STARTED", "STATUS", "TARGETS", "REQUESTS", "FAILED", "WALL", "COST", "CONFIG",
    ]);
    for r in rows {
        t.add_row(vec![
            r.id,
            crate::time::ago(r.started_at_ms),
            r.status.as_str().to_owned(),
            r.targets.join(", "),
            r.requests.to_string(),
            r.failed.to_string(),
            r.wall_ms.map_or_else(|| "–".into(), fmt_ms),
            r.cost_total_usd
                .map_or_else(|| "–".into(), |c| format!("${}", trim_num(c, 6))),
            r.config_hash[..12.min(r.config_hash.len())].to_owned(),
        ]);
    }
    ctx.out.print_table(&t)
}

pub fn show(ctx: &Ctx, args: &ShowArgs) -> Result<()> {
    let store = ctx.store()?;
    let report = store.bench_report(&args.id)?;
    let format = args.format.resolve(ctx.global.json);
    if let Some(path) = &args.out {
        write_file(path, &render(&report, format_for(path, format), false)?)?;
    }
    print(&render(&report, format, ctx.out.color)?)
}

pub fn compare(ctx: &Ctx, args: &CompareArgs) -> Result<()> {
    let store = ctx.store()?;
    let base = store.bench_report(&args.base)?;
    let current = store.bench_report(&args.current)?;
    let c = crate::bench::compare(&base, &current, args.force)?;
    if ctx.global.json {
        return ctx.out.json(&c);
    }
    print(&format!(
        "Run {} against base run {}:\n{}",
        args.current.trim(),
        args.base.trim(),
        render_comparison(&c)
    ))
}
