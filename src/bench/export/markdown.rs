//! GitHub-flavoured Markdown, for `$GITHUB_STEP_SUMMARY`.

use super::{Exporter, baseline_name, error_lines, summary_rows, text_columns};
use crate::bench::compare::{Comparison, Delta, Verdict};
use crate::bench::gate::GateStatus;
use crate::bench::report::BenchReport;
use crate::bench::stats::TargetSummary;
use crate::error::Result;

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn export(&self, report: &BenchReport) -> Result<String> {
        Ok(render(report))
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

fn markdown_table(targets: &[TargetSummary], by_prompt: bool) -> String {
    let (header, rows) = summary_rows(targets, by_prompt);
    let text_columns = text_columns(by_prompt);
    let mut out = format!("| {} |\n", header.join(" | "));
    let align: Vec<&str> = (0..header.len())
        .map(|i| if i < text_columns { "---" } else { "---:" })
        .collect();
    out.push_str(&format!("| {} |\n", align.join(" | ")));
    for row in rows {
        let row: Vec<String> = row.iter().map(|c| md_escape(c)).collect();
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

fn render(report: &BenchReport) -> String {
    let mut out = String::from("## omc bench\n\n");
    out.push_str(&markdown_table(&report.targets, false));
    if !report.by_prompt.is_empty() {
        out.push_str("\n### By prompt\n\n");
        out.push_str(&markdown_table(&report.by_prompt, true));
    }
    if report.interrupted {
        out.push_str("\n> **Interrupted**: these results cover only the requests that finished.\n");
    }
    let errors = error_lines(report);
    if !errors.is_empty() {
        out.push_str("\n**Errors**\n\n");
        for l in errors {
            match l.strip_prefix("  ") {
                Some(first) => out.push_str(&format!("  - {}\n", md_escape(first))),
                None => out.push_str(&format!("- {}\n", md_escape(&l))),
            }
        }
    }
    if let Some(r) = &report.ranking {
        out.push_str("\n**Ranking**\n\n");
        for l in r.lines() {
            out.push_str(&format!("- {}\n", md_escape(&l)));
        }
    }
    if let Some(c) = &report.comparison {
        // The changes the comparison judged real (the unchanged ones would drown them).
        out.push_str(&format!(
            "\n### Against baseline run {}\n\n{}",
            baseline_name(report),
            markdown_comparison(c)
        ));
    }
    if !report.gates.is_empty() {
        out.push_str(
            "\n### Gates\n\n| Gate | Target | Verdict | Detail |\n| --- | --- | --- | --- |\n",
        );
        for v in &report.gates {
            let mark = match v.status {
                GateStatus::Pass => "✅ pass",
                GateStatus::Fail => "❌ fail",
                GateStatus::Inconclusive => "⚠️ inconclusive",
            };
            out.push_str(&format!(
                "| `{}` | {} | {mark} | {} |\n",
                v.expr,
                md_escape(&v.target),
                md_escape(&v.message)
            ));
        }
    }
    out
}

/// A comparison for a CI step summary: the statistics that changed beyond the noise, each with
/// its interval; "No significant change." when none did.
pub fn markdown_comparison(c: &Comparison) -> String {
    let mut rows = String::new();
    for t in &c.targets {
        let changed = |d: &&Delta| matches!(d.verdict, Verdict::Better | Verdict::Worse);
        for d in t.deltas.iter().filter(changed) {
            rows.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                md_escape(&t.target),
                d.metric,
                d.change_text(),
                d.verdict_word()
            ));
        }
    }
    let mut out = if rows.is_empty() {
        "No significant change.\n".to_owned()
    } else {
        format!(
            "| Target | Metric | Change [interval] | Verdict |\n| --- | --- | ---: | --- |\n{rows}"
        )
    };
    for l in &c.only_in_base {
        out.push_str(&format!("\n- only in the base run: {}", md_escape(l)));
    }
    for l in &c.only_in_current {
        out.push_str(&format!("\n- only in the current run: {}", md_escape(l)));
    }
    if !c.only_in_base.is_empty() || !c.only_in_current.is_empty() {
        out.push('\n');
    }
    if !c.same_config {
        out.push_str("\n> The runs were configured differently (compared with `--force`).\n");
    }
    out
}
