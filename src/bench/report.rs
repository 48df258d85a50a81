//! The one result struct of a benchmark run, and its exporters: table, JSON, CSV, Markdown.
//!
//! The JSON is the contract (`schema/bench-report.schema.json`, `schema_version`); the other
//! formats are views of the same struct.

use std::time::Duration;

use comfy_table::{Cell, CellAlignment, Color, Table, presets};
use serde::{Deserialize, Serialize};

use super::compare::{Comparison, render_comparison};
use super::config::BenchConfig;
use super::gate::{GateStatus, GateVerdict, fmt_ms, trim_num};
use super::stats::{Metric, Stat, TargetSummary, r3, ratio};
use crate::error::{Error, Result};

/// Bumped when a field changes meaning or disappears; adding a field does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema_version: u32,
    /// The stored run's id, once the store has given it one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// Duration of the measured phase (warmup excluded).
    pub wall_ms: f64,
    /// The run was stopped (Ctrl-C) before every request was sent.
    pub interrupted: bool,
    pub config: BenchConfig,
    /// [`BenchConfig::hash`].
    pub config_hash: String,
    pub targets: Vec<TargetSummary>,
    /// With several prompts, each target × prompt on its own (each with `prompt` set), to
    /// compare providers across prompt sizes. Gates and rankings use `targets`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_prompt: Vec<TargetSummary>,
    /// `None` with fewer than two targets that measured the ranking metric.
    pub ranking: Option<Ranking>,
    pub gates: Vec<GateVerdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineRef>,
    /// Per-target changes against the baseline, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

/// Which stored run the regression gates compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRef {
    pub id: Option<String>,
    pub started_at: String,
    pub config_hash: String,
}

/// Targets from fastest to slowest on one statistic, hyperfine style.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// `ttft.p50` for streamed runs, `e2e.p50` otherwise.
    pub metric: String,
    pub entries: Vec<RankEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankEntry {
    pub target: String,
    /// The statistic, in ms.
    pub value: f64,
    /// value / the fastest's value (1 for the fastest).
    pub ratio: f64,
    /// Standard error of `ratio` by error propagation (0 for the fastest).
    pub ratio_err: f64,
}

impl BenchReport {
    /// A report without gates or baseline (set those fields after evaluating them).
    pub fn new(
        config: BenchConfig,
        started_at: String,
        wall: Duration,
        targets: Vec<TargetSummary>,
        interrupted: bool,
    ) -> Self {
        let ranking = rank(&targets, config.stream);
        BenchReport {
            schema_version: SCHEMA_VERSION,
            id: None,
            started_at,
            wall_ms: r3(wall.as_secs_f64() * 1e3),
            interrupted,
            config_hash: config.hash(),
            config,
            targets,
            by_prompt: Vec::new(),
            ranking,
            gates: Vec::new(),
            baseline: None,
            comparison: None,
        }
    }

    pub fn baseline_ref(&self) -> BaselineRef {
        BaselineRef {
            id: self.id.clone(),
            started_at: self.started_at.clone(),
            config_hash: self.config_hash.clone(),
        }
    }
}

/// Rank by time to first token when streaming (what a user waits for), by end-to-end latency
/// otherwise; p50 because it is robust to the odd stall the percentiles above it show.
pub fn rank(targets: &[TargetSummary], stream: bool) -> Option<Ranking> {
    let metric = if stream { Metric::Ttft } else { Metric::E2e };
    let mut measured: Vec<(&str, f64, f64)> = targets
        .iter()
        .filter_map(|t| {
            let s = t.metric(metric)?;
            Some((t.target.as_str(), s.p50, s.se.p50))
        })
        .collect();
    if measured.len() < 2 {
        return None;
    }
    measured.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (_, best, best_se) = measured[0];
    let entries = measured
        .iter()
        .enumerate()
        .map(|(i, &(target, value, se))| {
            let (ratio, err) = if i == 0 || best <= 0.0 {
                (1.0, 0.0)
            } else {
                ratio(value, se, best, best_se)
            };
            RankEntry {
                target: target.to_owned(),
                value,
                ratio: r3(ratio),
                ratio_err: r3(err),
            }
        })
        .collect();
    Some(Ranking {
        metric: format!("{}.{}", metric.name(), Stat::P50.name()),
        entries,
    })
}

impl Ranking {
    fn metric_title(&self) -> String {
        let (m, s) = self
            .metric
            .split_once('.')
            .unwrap_or((self.metric.as_str(), ""));
        match Metric::parse(m) {
            Some(metric) => format!("{} {s}", metric.title()),
            None => format!("{m} {s}"),
        }
    }

    /// "openai/gpt-4o-mini 1.42 ± 0.08× faster (TTFT p50) than anthropic/claude-haiku-4-5".
    pub fn lines(&self) -> Vec<String> {
        let Some(first) = self.entries.first() else {
            return Vec::new();
        };
        let title = self.metric_title();
        self.entries[1..]
            .iter()
            .map(|e| {
                // A ratio within two standard errors of 1 is no difference worth a word.
                if e.ratio - 2.0 * e.ratio_err <= 1.0 {
                    format!(
                        "{} is as fast as {} ({title}: {:.2} ± {:.2}×, within the noise)",
                        first.target, e.target, e.ratio, e.ratio_err
                    )
                } else {
                    format!(
                        "{} {:.2} ± {:.2}× faster ({title}) than {}",
                        first.target, e.ratio, e.ratio_err, e.target
                    )
                }
            })
            .collect()
    }
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

/// Render the report. `color`: ANSI colours in the table (the caller decides from `--color`,
/// the TTY and `NO_COLOR`); other formats never have colour.
pub fn render(report: &BenchReport, format: Format, color: bool) -> Result<String> {
    match format {
        Format::Table => Ok(render_table(report, color)),
        Format::Json => render_json(report),
        Format::Csv => render_csv(report),
        Format::Markdown => Ok(render_markdown(report)),
    }
}

pub fn render_json(report: &BenchReport) -> Result<String> {
    let mut s = serde_json::to_string_pretty(report)
        .map_err(|e| Error::Other(format!("cannot serialize the report: {e}")))?;
    s.push('\n');
    Ok(s)
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
/// each target × prompt, with a Prompt column.
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
    let rows = targets
        .iter()
        .map(|t| {
            let mut row = vec![t.target.clone()];
            if by_prompt {
                row.push(t.prompt.clone().unwrap_or_default());
            }
            row.extend([
                t.ok.to_string(),
                t.failed.to_string(),
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
    let text_columns = if by_prompt { 2 } else { 1 };
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

pub fn render_table(report: &BenchReport, color: bool) -> String {
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
        let base = report
            .baseline
            .as_ref()
            .and_then(|b| b.id.clone())
            .unwrap_or_else(|| "?".into());
        out.push_str(&format!("\nAgainst baseline run {base}:\n"));
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

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// GitHub-flavoured Markdown, for `$GITHUB_STEP_SUMMARY`.
fn markdown_table(targets: &[TargetSummary], by_prompt: bool) -> String {
    let (header, rows) = summary_rows(targets, by_prompt);
    let text_columns = if by_prompt { 2 } else { 1 };
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

pub fn render_markdown(report: &BenchReport) -> String {
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
        out.push_str(&markdown_comparison(report, c));
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

/// The changes the comparison judged real (the unchanged ones would drown them).
fn markdown_comparison(report: &BenchReport, c: &Comparison) -> String {
    let base = report
        .baseline
        .as_ref()
        .and_then(|b| b.id.clone())
        .unwrap_or_else(|| "?".into());
    format!(
        "\n### Against baseline run {base}\n\n{}",
        super::compare::markdown_comparison(c)
    )
}

/// The fields of each metric in the CSV, in column order.
const CSV_STATS: [&str; 9] = ["n", "mean", "std", "min", "p50", "p90", "p95", "p99", "max"];

/// One wide row per target: a spreadsheet or `csvkit` user gets one line per thing compared,
/// and the columns are stable (`ttft_p95`, `e2e_mean`, … in the metric's unit; empty when the
/// metric was not measured). Errors by kind and gates are in the JSON only.
pub fn render_csv(report: &BenchReport) -> Result<String> {
    let mut header: Vec<String> = [
        "target",
        "prompt",
        "provider",
        "model",
        "credential",
        "requests",
        "ok",
        "failed",
        "error_rate",
        "requests_per_s",
        "output_tokens_per_s",
        "input_tokens",
        "output_tokens",
        "cost_total_usd",
        "cost_per_request_usd",
    ]
    .map(String::from)
    .to_vec();
    for m in Metric::ALL {
        for s in CSV_STATS {
            header.push(format!("{}_{s}", m.name()));
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Other(format!("cannot write CSV: {e}"));
    w.write_record(&header).map_err(csv_err)?;
    let opt = |x: Option<f64>| x.map_or_else(String::new, |v| v.to_string());
    // The targets' rows (prompt empty), then each target × prompt's.
    for t in report.targets.iter().chain(&report.by_prompt) {
        // Names come from the user and the provider: never let a spreadsheet run one.
        use crate::output::csv_cell;
        let mut row = vec![
            csv_cell(&t.target),
            csv_cell(t.prompt.as_deref().unwrap_or_default()),
            csv_cell(&t.provider),
            csv_cell(&t.model),
            csv_cell(&t.credential),
            t.requests.to_string(),
            t.ok.to_string(),
            t.failed.to_string(),
            t.error_rate.to_string(),
            t.requests_per_s.to_string(),
            t.output_tokens_per_s.to_string(),
            t.input_tokens.to_string(),
            t.output_tokens.to_string(),
            opt(t.cost_total_usd),
            opt(t.cost_per_request_usd),
        ];
        for m in Metric::ALL {
            match t.metric(m) {
                None => row.extend(CSV_STATS.iter().map(|_| String::new())),
                Some(s) => {
                    row.push(s.n.to_string());
                    for v in [s.mean, s.std, s.min, s.p50, s.p90, s.p95, s.p99, s.max] {
                        row.push(v.to_string());
                    }
                }
            }
        }
        w.write_record(&row).map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Other(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Other(format!("CSV is not UTF-8: {e}")))
}
