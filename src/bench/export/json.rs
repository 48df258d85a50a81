//! The JSON report: the contract (`schema/bench-report.schema.json`).

use super::Exporter;
use crate::bench::report::BenchReport;
use crate::error::{Error, Result};

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn export(&self, report: &BenchReport) -> Result<String> {
        let mut s = serde_json::to_string_pretty(report)
            .map_err(|e| Error::Other(format!("cannot serialize the report: {e}")))?;
        s.push('\n');
        Ok(s)
    }
}
