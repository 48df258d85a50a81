//! `omc bench compare A B` and `--baseline`: per-target changes between two runs, judged with
//! the same uncertainty rule as the regression gates ([`rel_change`]).

use serde::{Deserialize, Serialize};

use super::config::NOT_HASHED;
use super::gate::{fmt_ms, pct, trim_num};
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

/// Compare two reports, after [`check_comparable`].
pub fn compare(base: &BenchReport, current: &BenchReport, force: bool) -> Result<Comparison> {
    check_comparable(base, current, force)?;
    let mut c = compare_targets(&base.targets, &current.targets);
    c.base = base.id.clone();
    c.current = current.id.clone();
    c.same_config = base.config_hash == current.config_hash;
    Ok(c)
}

/// Compare targets matched by label.
pub fn compare_targets(base: &[TargetSummary], current: &[TargetSummary]) -> Comparison {
    let find = |set: &[TargetSummary], label: &str| set.iter().any(|t| t.target == label);
    let targets = current
        .iter()
        .filter_map(|cur| {
            let b = base.iter().find(|b| b.target == cur.target)?;
            Some(compare_target(b, cur))
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

fn compare_target(base: &TargetSummary, cur: &TargetSummary) -> TargetComparison {
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

fn verdict_word(d: &Delta) -> String {
    match d.verdict {
        Verdict::Better => "better".into(),
        Verdict::Worse => "worse".into(),
        Verdict::Unchanged => "no significant change".into(),
        Verdict::TooFewSamples => {
            let stat = d.metric.rsplit('.').next().unwrap_or(&d.metric);
            match d.min_samples {
                Some(n) => format!("too few samples ({stat} needs ≥ {n} per run)"),
                None => "too few samples".into(),
            }
        }
    }
}

/// The change and its interval; only the point change when the interval means nothing.
fn change_cell(d: &Delta) -> String {
    if d.verdict == Verdict::TooFewSamples {
        return pct(d.change);
    }
    format!(
        "{} [{}, {}]",
        pct(d.change),
        pct(d.change_low),
        pct(d.change_high.unwrap_or(f64::INFINITY))
    )
}

/// GitHub-flavoured Markdown (a CI step summary): the statistics that changed beyond the noise,
/// each with its interval; "No significant change." when none did.
pub fn markdown_comparison(c: &Comparison) -> String {
    let esc = |s: &str| s.replace('|', "\\|");
    let mut rows = String::new();
    for t in &c.targets {
        let changed = |d: &&Delta| matches!(d.verdict, Verdict::Better | Verdict::Worse);
        for d in t.deltas.iter().filter(changed) {
            rows.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                esc(&t.target),
                d.metric,
                change_cell(d),
                verdict_word(d)
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
        out.push_str(&format!("\n- only in the base run: {}", esc(l)));
    }
    for l in &c.only_in_current {
        out.push_str(&format!("\n- only in the current run: {}", esc(l)));
    }
    if !c.only_in_base.is_empty() || !c.only_in_current.is_empty() {
        out.push('\n');
    }
    if !c.same_config {
        out.push_str("\n> The runs were configured differently (compared with `--force`).\n");
    }
    out
}

/// A plain-text table of the comparison, one line per target × statistic.
pub fn render_comparison(c: &Comparison) -> String {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
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
                change_cell(d),
                verdict_word(d),
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
