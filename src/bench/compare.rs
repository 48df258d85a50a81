//! `omc bench compare A B` and `--baseline`: per-target changes between two runs, judged with
//! the same uncertainty rule as the regression gates ([`rel_change`]).

use serde::{Deserialize, Serialize};

use super::config::NOT_HASHED;
use super::gate::pct;
use super::report::BenchReport;
use super::stats::{Metric, Stat, TargetSummary, rel_change};
use crate::error::{Error, Result};

/// Refuse to compare runs that measured different things (targets, prompts, load, max tokens,
/// streaming, timeout), unless the user insists.
pub fn check_comparable(base: &BenchReport, current: &BenchReport, force: bool) -> Result<()> {
    if force || base.config_hash == current.config_hash {
        return Ok(());
    }
    let name = |r: &BenchReport| r.id.clone().unwrap_or_else(|| r.started_at.clone());
    let differs = config_differences(base, current);
    Err(Error::usage_hint(
        format!(
            "runs {} and {} were configured differently ({}), so their numbers are not comparable",
            name(base),
            name(current),
            if differs.is_empty() {
                "configuration hash".into()
            } else {
                differs.join(", ")
            }
        ),
        "pass --force to compare them anyway",
    ))
}

/// Names of the hashed configuration fields that differ.
fn config_differences(a: &BenchReport, b: &BenchReport) -> Vec<String> {
    let (Ok(serde_json::Value::Object(x)), Ok(serde_json::Value::Object(y))) = (
        serde_json::to_value(&a.config),
        serde_json::to_value(&b.config),
    ) else {
        return Vec::new();
    };
    let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !NOT_HASHED.contains(&k.as_str()))
        .filter(|k| x.get(*k) != y.get(*k))
        .cloned()
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Better even allowing for both runs' uncertainty.
    Better,
    /// Worse even allowing for it.
    Worse,
    /// The interval includes no change.
    Unchanged,
    /// A change beyond the noise, but smaller than the practical threshold (`--min-effect`,
    /// 2 % by default): real, and too small to act on.
    Negligible,
    /// One run has too few samples for this statistic to have a spread (a p95 of 20 is about
    /// the maximum): no verdict either way.
    TooFewSamples,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// `ttft.p50`, …
    pub metric: String,
    pub base: f64,
    pub current: f64,
    /// current / base − 1.
    pub change: f64,
    /// The conservative interval of `change` ([`rel_change`]).
    pub change_low: f64,
    /// `None` when unbounded (the base's interval reaches zero).
    pub change_high: Option<f64>,
    pub verdict: Verdict,
    /// With [`Verdict::TooFewSamples`]: the samples per run the statistic needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_samples: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetComparison {
    pub target: String,
    pub error_rate_base: f64,
    pub error_rate_current: f64,
    pub deltas: Vec<Delta>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub base: Option<String>,
    pub current: Option<String>,
    pub same_config: bool,
    pub targets: Vec<TargetComparison>,
    pub only_in_base: Vec<String>,
    pub only_in_current: Vec<String>,
}

/// The statistics compared: the ones with a standard error.
const COMPARED: [Stat; 3] = [Stat::Mean, Stat::P50, Stat::P95];

/// The smallest relative change `compare` calls better or worse, unless told otherwise.
pub const MIN_EFFECT: f64 = 0.02;

/// Compare two reports, after [`check_comparable`]; a change smaller than `min_effect` (a
/// fraction) is [`Verdict::Negligible`] however certain.
pub fn compare(
    base: &BenchReport,
    current: &BenchReport,
    force: bool,
    min_effect: f64,
) -> Result<Comparison> {
    check_comparable(base, current, force)?;
    let mut c = compare_targets(&base.targets, &current.targets, min_effect);
    c.base = base.id.clone();
    c.current = current.id.clone();
    c.same_config = base.config_hash == current.config_hash;
    Ok(c)
}

/// Compare targets matched by label.
pub fn compare_targets(
    base: &[TargetSummary],
    current: &[TargetSummary],
    min_effect: f64,
) -> Comparison {
    let find = |set: &[TargetSummary], label: &str| set.iter().any(|t| t.target == label);
    let targets = current
        .iter()
        .filter_map(|cur| {
            let b = base.iter().find(|b| b.target == cur.target)?;
            Some(compare_target(b, cur, min_effect))
        })
        .collect();
    Comparison {
        base: None,
        current: None,
        same_config: true,
        targets,
        only_in_base: base
            .iter()
            .filter(|b| !find(current, &b.target))
            .map(|b| b.target.clone())
            .collect(),
        only_in_current: current
            .iter()
            .filter(|c| !find(base, &c.target))
            .map(|c| c.target.clone())
            .collect(),
    }
}

fn compare_target(base: &TargetSummary, cur: &TargetSummary, min_effect: f64) -> TargetComparison {
    let mut deltas = Vec::new();
    for m in Metric::ALL {
        let (Some(b), Some(c)) = (base.metric(m), cur.metric(m)) else {
            continue;
        };
        for s in COMPARED {
            let (bv, cv) = (b.get(s), c.get(s));
            if bv <= 0.0 {
                continue;
            }
            let ch = rel_change(bv, b.se_of(s).unwrap_or(0.0), cv, c.se_of(s).unwrap_or(0.0));
            // Too few samples to tell this statistic's spread (one sample; a p99 of 20): never
            // call it a change.
            let need = s.min_samples().unwrap_or(u64::MAX);
            let too_few = b.n < need || c.n < need;
            let verdict = if too_few {
                Verdict::TooFewSamples
            } else if ch.low <= 0.0 && ch.high >= 0.0 {
                Verdict::Unchanged
            } else if ch.point.abs() < min_effect {
                Verdict::Negligible
            } else if (ch.low > 0.0) != m.higher_is_better() {
                Verdict::Worse
            } else {
                Verdict::Better
            };
            deltas.push(Delta {
                metric: format!("{}.{}", m.name(), s.name()),
                base: bv,
                current: cv,
                change: ch.point,
                change_low: ch.low,
                change_high: ch.high.is_finite().then_some(ch.high),
                verdict,
                min_samples: too_few.then_some(need),
            });
        }
    }
    TargetComparison {
        target: cur.target.clone(),
        error_rate_base: base.error_rate,
        error_rate_current: cur.error_rate,
        deltas,
    }
}

impl Delta {
    /// The verdict in words, for tables.
    pub fn verdict_word(&self) -> String {
        match self.verdict {
            Verdict::Better => "better".into(),
            Verdict::Worse => "worse".into(),
            Verdict::Unchanged => "no significant change".into(),
            Verdict::Negligible => "negligible".into(),
            Verdict::TooFewSamples => {
                let stat = self.metric.rsplit('.').next().unwrap_or(&self.metric);
                match self.min_samples {
                    Some(n) => format!("too few samples ({stat} needs ≥ {n} per run)"),
                    None => "too few samples".into(),
                }
            }
        }
    }

    /// The change and its interval; only the point change when the interval means nothing.
    pub fn change_text(&self) -> String {
        if self.verdict == Verdict::TooFewSamples {
            return pct(self.change);
        }
        format!(
            "{} [{}, {}]",
            pct(self.change),
            pct(self.change_low),
            pct(self.change_high.unwrap_or(f64::INFINITY))
        )
    }
}
