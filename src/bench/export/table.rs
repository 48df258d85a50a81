//! The table people read in a terminal, optionally coloured.

use super::{Exporter, baseline_name, error_lines, summary_rows, text_columns};
use crate::bench::compare::Comparison;
use crate::bench::gate::{GateStatus, fmt_ms, trim_num};
use crate::bench::report::BenchReport;
use crate::bench::stats::TargetSummary;
use crate::error::Result;
use crate::table::{Align, GREEN, RED, Table, YELLOW, paint};

pub struct TableExporter {
    /// ANSI colours: failures red, gate verdicts green/red/yellow.
    pub color: bool,
}

impl Exporter for TableExporter {
    fn export(&self, report: &BenchReport) -> Result<String> {
        Ok(render(report, self.color))
    }
}

/// One summary table (of the targets, or of each target × prompt): text on the left, numbers
/// right-aligned, a non-zero Failed count in red.
fn summary_table(targets: &[TargetSummary], by_prompt: bool, color: bool) -> String {
    let (header, rows) = summary_rows(targets, by_prompt);
    let text_columns = text_columns(by_prompt);
    let mut table = Table::new(&header).right_align_from(text_columns);
    let failed_column = text_columns + 1;
    for (mut row, t) in rows.into_iter().zip(targets) {
        if color && t.failed > 0 {
            row[failed_column] = paint(true, RED, &row[failed_column]);
        }
        table.add_row(row);
    }
    table.to_string()
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
        let mut g = Table::new(&["Gate", "Target", "Verdict", "Detail"]);
        for v in &report.gates {
            let sgr = match v.status {
                GateStatus::Pass => GREEN,
                GateStatus::Fail => RED,
                GateStatus::Inconclusive => YELLOW,
            };
            g.add_row(vec![
                v.expr.clone(),
                v.target.clone(),
                paint(color, sgr, v.status.as_str()),
                v.message.clone(),
            ]);
        }
        out.push('\n');
        out.push_str(&g.to_string());
    }
    out
}

/// A comparison as plain text, one line per target × statistic.
pub fn render_comparison(c: &Comparison) -> String {
    use Align::{Left, Right};
    let mut t = Table::new(&["Target", "Metric", "Base", "Current", "Change", "Verdict"])
        .align(&[Left, Left, Right, Right, Right, Left]);
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
