//! One exporter per output format over the one [`BenchReport`] (as hyperfine's `export/`):
//! a table for people, JSON (the contract), CSV for spreadsheets, Markdown for CI summaries.

mod csv;
mod json;
mod markdown;
mod table;

pub use self::csv::CsvExporter;
pub use self::json::JsonExporter;
pub use self::markdown::{MarkdownExporter, markdown_comparison};
pub use self::table::{TableExporter, render_comparison};

use super::report::BenchReport;
use super::stats::{Metric, Stat, TargetSummary};
use crate::bench::gate::{fmt_ms, trim_num};
use crate::error::{Error, Result};

/// Renders a whole report in one format.
pub trait Exporter {
    fn export(&self, report: &BenchReport) -> Result<String>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

impl std::str::FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "markdown" | "md" => Ok(Format::Markdown),
            _ => Err(Error::usage_hint(
                format!("unknown format '{s}'"),
                "--format table|json|csv|markdown",
            )),
        }
    }
}

impl Format {
    /// The exporter for this format. `color`: ANSI colours in the table (the caller decides
    /// from `--color`, the TTY and `NO_COLOR`); other formats never have colour.
    pub fn exporter(self, color: bool) -> Box<dyn Exporter> {
        match self {
            Format::Table => Box::new(TableExporter { color }),
            Format::Json => Box::new(JsonExporter),
            Format::Csv => Box::new(CsvExporter),
            Format::Markdown => Box::new(MarkdownExporter),
        }
    }
}

/// Render the report in `format` (see [`Format::exporter`] for `color`).
pub fn render(report: &BenchReport, format: Format, color: bool) -> Result<String> {
    format.exporter(color).export(report)
}

const DASH: &str = "–";

fn stat_cell(t: &TargetSummary, m: Metric, s: Stat) -> String {
    match t.metric(m) {
        None => DASH.into(),
        Some(x) if m.is_time() => fmt_ms(x.get(s)),
        Some(x) => trim_num(x.get(s), 1),
    }
}

fn cost_cell(t: &TargetSummary) -> String {
    t.cost_total_usd
        .map_or_else(|| DASH.into(), |c| format!("${}", trim_num(c, 6)))
}

/// The columns shared by the table and Markdown views: of the targets, or (`by_prompt`) of
/// each target × prompt, with a Prompt column. The first `text_columns(by_prompt)` columns are
/// text, the rest numbers.
fn summary_rows(
    targets: &[TargetSummary],
    by_prompt: bool,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = vec!["Target"];
    if by_prompt {
        header.push("Prompt");
    }
    header.extend([
        "OK",
        "Failed",
        "TTFT p50",
        "TTFT p95",
        "E2E p50",
        "E2E p95",
        "TPOT p50",
        "tok/s p50",
        "req/s",
        "Cost",
    ]);
    // With --schema: the share of answers that matched it, after Failed.
    let schema = targets.iter().any(|t| t.schema_validity.is_some());
    if schema {
        header.insert(header.len() - 8, "Valid");
    }
    let rows = targets
        .iter()
        .map(|t| {
            let mut row = vec![t.target.clone()];
            if by_prompt {
                row.push(t.prompt.clone().unwrap_or_default());
            }
            row.extend([t.ok.to_string(), t.failed.to_string()]);
            if schema {
                row.push(validity_cell(t));
            }
            row.extend([
                stat_cell(t, Metric::Ttft, Stat::P50),
                stat_cell(t, Metric::Ttft, Stat::P95),
                stat_cell(t, Metric::E2e, Stat::P50),
                stat_cell(t, Metric::E2e, Stat::P95),
                stat_cell(t, Metric::Tpot, Stat::P50),
                stat_cell(t, Metric::Tps, Stat::P50),
                trim_num(t.requests_per_s, 2),
                cost_cell(t),
            ]);
            row
        })
        .collect();
    (header, rows)
}

/// `95% (19/20)`: answers that matched the schema, of the successful ones; `-` for none.
fn validity_cell(t: &TargetSummary) -> String {
    match (t.schema_validity, t.schema_valid) {
        (Some(rate), Some(valid)) => {
            format!("{}% ({valid}/{})", trim_num(rate * 100.0, 1), t.ok)
        }
        _ => "-".into(),
    }
}

/// How many leading columns of [`summary_rows`] hold text rather than numbers.
fn text_columns(by_prompt: bool) -> usize {
    if by_prompt { 2 } else { 1 }
}

/// Per target, its errors by kind, then (indented by two spaces) the first message of each.
fn error_lines(report: &BenchReport) -> Vec<String> {
    report
        .targets
        .iter()
        .filter(|t| !t.errors.is_empty())
        .flat_map(|t| {
            let kinds: Vec<String> = t.errors.iter().map(|(k, n)| format!("{n} {k}")).collect();
            let mut lines = vec![format!("{}: {}", t.target, kinds.join(", "))];
            for (kind, message) in &t.first_errors {
                // A provider's words: control characters shown, never sent to the terminal.
                lines.push(format!(
                    "  first {kind}: {}",
                    crate::terminal::line(message)
                ));
            }
            lines
        })
        .collect()
}

/// The id of the run the report was compared with, `?` when it has none.
fn baseline_name(report: &BenchReport) -> String {
    report
        .baseline
        .as_ref()
        .and_then(|b| b.id.clone())
        .unwrap_or_else(|| "?".into())
}
