//! The CSV report: one wide row per target, for spreadsheets and `csvkit`.

use super::Exporter;
use crate::bench::report::BenchReport;
use crate::bench::stats::Metric;
use crate::error::{Error, Result};
use crate::table::csv_cell;

/// The fields of each metric in the CSV, in column order.
const CSV_STATS: [&str; 9] = ["n", "mean", "std", "min", "p50", "p90", "p95", "p99", "max"];

/// One wide row per target: a spreadsheet or `csvkit` user gets one line per thing compared,
/// and the columns are stable (`ttft_p95`, `e2e_mean`, … in the metric's unit; empty when the
/// metric was not measured). Errors by kind and gates are in the JSON only.
pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn export(&self, report: &BenchReport) -> Result<String> {
        render(report)
    }
}

fn render(report: &BenchReport) -> Result<String> {
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
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let csv_err = |e: ::csv::Error| Error::Other(format!("cannot write CSV: {e}"));
    w.write_record(&header).map_err(csv_err)?;
    let opt = |x: Option<f64>| x.map_or_else(String::new, |v| v.to_string());
    // The targets' rows (prompt empty), then each target × prompt's.
    for t in report.targets.iter().chain(&report.by_prompt) {
        // Names come from the user and the provider: never let a spreadsheet run one.
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
