//! The one result struct of a benchmark run and its ranking; [`super::export`] renders it.
//!
//! The JSON is the contract (`schema/bench-report.schema.json`, `schema_version`); the other
//! formats are views of the same struct.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::compare::Comparison;
use super::config::BenchConfig;
use super::gate::GateVerdict;
use super::stats::{Metric, Stat, TargetSummary, r3, ratio};

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
