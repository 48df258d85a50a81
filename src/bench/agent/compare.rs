//! `omc bench compare A B` for two agent benchmarks: per task × target, the time to answer
//! (p50, with the change's 95% interval from both runs' uncertainty, as request comparisons
//! have), the success rate and the cost per run.

use serde::Serialize;

use super::report::AgentReport;
use crate::bench::gate::{fmt_ms, pct, trim_num};
use crate::bench::stats::{Stat, rel_change};
use crate::error::{Error, Result};
use crate::table::Table;

#[derive(Debug, Clone, Serialize)]
pub struct AgentComparison {
    pub base: Option<String>,
    pub current: Option<String>,
    pub same_config: bool,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub task: String,
    pub target: String,
    pub answer_p50_ms: Option<(f64, f64)>,
    /// Relative change of the p50 time to answer: point, low, high (0.1 = 10% slower).
    pub answer_change: Option<(f64, f64, f64)>,
    /// `slower`, `faster`, or `within noise`.
    pub verdict: String,
    pub success_rate: (f64, f64),
    pub cost_mean_usd: (Option<f64>, Option<f64>),
}

pub fn compare(base: &AgentReport, current: &AgentReport, force: bool) -> Result<AgentComparison> {
    let same_config = base.config_hash == current.config_hash;
    if !same_config && !force {
        return Err(Error::usage_hint(
            "the two agent runs were configured differently (agent file, tasks, targets, runs \
             or load), so their numbers are not comparable",
            "compare anyway with --force",
        ));
    }
    let mut rows = Vec::new();
    for c in &current.targets {
        let Some(b) = base
            .targets
            .iter()
            .find(|b| b.task == c.task && b.target == c.target)
        else {
            continue;
        };
        let (change, verdict) = match (b.answer, c.answer) {
            (Some(bs), Some(cs)) if bs.p50 > 0.0 => {
                let r = rel_change(
                    bs.p50,
                    bs.se_of(Stat::P50).unwrap_or(0.0),
                    cs.p50,
                    cs.se_of(Stat::P50).unwrap_or(0.0),
                );
                let v = if r.low > 0.0 {
                    "slower"
                } else if r.high < 0.0 {
                    "faster"
                } else {
                    "within noise"
                };
                (Some((r.point, r.low, r.high)), v)
            }
            _ => (None, "no answers to compare"),
        };
        rows.push(Row {
            task: c.task.clone(),
            target: c.target.clone(),
            answer_p50_ms: b.answer.zip(c.answer).map(|(b, c)| (b.p50, c.p50)),
            answer_change: change,
            verdict: verdict.into(),
            success_rate: (b.success_rate, c.success_rate),
            cost_mean_usd: (b.cost_mean_usd, c.cost_mean_usd),
        });
    }
    Ok(AgentComparison {
        base: base.id.clone(),
        current: current.id.clone(),
        same_config,
        rows,
    })
}

const HEADER: [&str; 6] = [
    "Task · target",
    "Answer p50",
    "Change",
    "Verdict",
    "Success",
    "Cost/run",
];

fn cells(r: &Row) -> Vec<String> {
    let usd = |c: Option<f64>| c.map_or_else(|| "–".into(), |c| format!("${}", trim_num(c, 6)));
    let frac = |f: f64| format!("{}%", trim_num(f * 100.0, 1));
    vec![
        format!("{} · {}", r.task, r.target),
        r.answer_p50_ms.map_or_else(
            || "–".into(),
            |(b, c)| format!("{} → {}", fmt_ms(b), fmt_ms(c)),
        ),
        r.answer_change.map_or_else(
            || "–".into(),
            |(p, lo, hi)| format!("{} [{}, {}]", pct(p), pct(lo), pct(hi)),
        ),
        r.verdict.clone(),
        format!("{} → {}", frac(r.success_rate.0), frac(r.success_rate.1)),
        format!("{} → {}", usd(r.cost_mean_usd.0), usd(r.cost_mean_usd.1)),
    ]
}

pub fn table(c: &AgentComparison) -> String {
    let mut t = Table::new(&HEADER);
    for r in &c.rows {
        t.add_row(
            cells(r)
                .iter()
                .map(|s| crate::terminal::line(s).into_owned()),
        );
    }
    t.to_string()
}

pub fn markdown(c: &AgentComparison) -> String {
    let mut out = format!(
        "| {} |\n|---|---:|---:|---|---:|---:|\n",
        HEADER.join(" | ")
    );
    for r in &c.rows {
        let row: Vec<String> = cells(r)
            .iter()
            .map(|s| crate::terminal::line(s).replace('|', "\\|"))
            .collect();
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}
