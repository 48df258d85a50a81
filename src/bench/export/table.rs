//! The table people read in a terminal, optionally coloured.

use comfy_table::{Cell, CellAlignment, Color, Table, presets};

use super::{Exporter, baseline_name, error_lines, summary_rows, text_columns};
use crate::bench::compare::Comparison;
use crate::bench::gate::{GateStatus, fmt_ms, trim_num};
use crate::bench::report::BenchReport;
use crate::bench::stats::TargetSummary;
use crate::error::Result;

pub struct TableExporter {
    /// ANSI colours: failures red, gate verdicts green/red/yellow.
    pub color: bool,
}

impl Exporter for TableExporter {
    fn export(&self, report: &BenchReport) -> Result<String> {
        Ok(render(report, self.color))
    }
}

fn new_table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

/// One summary table (of the targets, or of each target × prompt).
fn summary_table(targets: &[TargetSummary], by_prompt: bool, color: bool) -> String {
    let (header, rows) = summary_rows(targets, by_prompt);
    let text_columns = text_columns(by_prompt);
    let mut table = new_table(color);
    table.set_header(header);
    for (row, t) in rows.into_iter().zip(targets) {
        let cells: Vec<Cell> = row
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let c = Cell::new(v);
                let c = if i >= text_columns {
                    c.set_alignment(CellAlignment::Right)
                } else {
                    c
                };
                if color && i == text_columns + 1 && t.failed > 0 {
                    c.fg(Color::Red)
                } else {
                    c
                }
            })
            .collect();
        table.add_row(cells);
    }
    let mut out = table.to_string();
    out.push('\n');
    out
}

fn render(report: &BenchReport, color: bool) -> String {
    let mut out = summary_table(&report.targets, false, color);
    if !report.by_prompt.is_empty() {
        out.push_str("\nBy prompt:\n");
        out.push_str(&summary_table(&report.by_prompt, true, color));
    }
    if report.interrupted {
        out.push_str("\nInterrupted: these results cover only the requests that finished.\n");
    }
    let errors = error_lines(report);
    if !errors.is_empty() {
        out.push_str("\nErrors:\n");
        for l in errors {
            out.push_str(&format!("  {l}\n"));
        }
    }
    if let Some(r) = &report.ranking {
        out.push('\n');
        for l in r.lines() {
            out.push_str(&l);
            out.push('\n');
        }
    }
    if let Some(c) = &report.comparison {
        out.push_str(&format!(
            "\nAgainst baseline run {}:\n",
            baseline_name(report)
        ));
        out.push_str(&render_comparison(c));
    }
    if !report.gates.is_empty() {
        let mut g = new_table(color);
        g.set_header(vec!["Gate", "Target", "Verdict", "Detail"]);
        for v in &report.gates {
            let verdict = Cell::new(v.status.as_str());
            let verdict = match (color, v.status) {
                (false, _) => verdict,
                (true, GateStatus::Pass) => verdict.fg(Color::Green),
                (true, GateStatus::Fail) => verdict.fg(Color::Red),
                (true, GateStatus::Inconclusive) => verdict.fg(Color::Yellow),
            };
            g.add_row(vec![
                Cell::new(&v.expr),
                Cell::new(&v.target),
                verdict,
                Cell::new(&v.message),
            ]);
        }
        out.push('\n');
        out.push_str(&g.to_string());
        out.push('\n');
    }
    out
}

/// A comparison as plain text, one line per target × statistic.
pub fn render_comparison(c: &Comparison) -> String {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.force_no_tty();
    t.set_header(vec![
        "Target", "Metric", "Base", "Current", "Change", "Verdict",
    ]);
    for tc in &c.targets {
        for d in &tc.deltas {
            let show = |v: f64| {
                if d.metric.starts_with("tps.") {
                    format!("{} tok/s", trim_num(v, 1))
                } else {
                    fmt_ms(v)
                }
            };
            t.add_row(vec![
                tc.target.clone(),
                d.metric.clone(),
                show(d.base),
                show(d.current),
                d.change_text(),
                d.verdict_word(),
            ]);
        }
    }
    let mut out = t.to_string();
    out.push('\n');
    for l in &c.only_in_base {
        out.push_str(&format!("only in the base run: {l}\n"));
    }
    for l in &c.only_in_current {
        out.push_str(&format!("only in the current run: {l}\n"));
    }
    if !c.same_config {
        out.push_str("warning: the runs were configured differently (compared with --force)\n");
    }
    out
}
