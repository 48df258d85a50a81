//! `--fail-if` for agent benchmarks: the same grammar and verdicts as request gates
//! (`crate::bench::gate`), over the quantities of an agent run, checked per task × target.
//!
//! Quantities: `success` (a fraction: `success<0.95`, `success<95%`), `answer|model|tool|ttft.
//! STAT` (times: `answer.p95>20s`), `turns.STAT`, `cost.mean`, `cost.total` (dollars); and
//! `regress(answer|model|tool|ttft.STAT)>PERCENT` against `--baseline`, noise-aware as for
//! requests.

use super::report::AgentSummary;
use crate::bench::gate::{
    GateStatus, GateVerdict, Op, bad, fmt_ms, regress_verdict, split_expr, split_value, trim_num,
};
use crate::bench::stats::{Stat, Summary};
use crate::error::{Error, Result};

const EXAMPLES: &str = "agent gates look like: success<0.95, answer.p95>20s, cost.mean>0.01, \
     turns.max>5, tool.p50>2s, ttft.p90>800ms, regress(answer.p50)>10%";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Series {
    Answer,
    Model,
    Tool,
    Ttft,
    Turns,
}

impl Series {
    fn parse(s: &str) -> Option<Series> {
        Some(match s {
            "answer" => Series::Answer,
            "model" => Series::Model,
            "tool" => Series::Tool,
            "ttft" => Series::Ttft,
            "turns" => Series::Turns,
            _ => return None,
        })
    }

    fn read(self, t: &AgentSummary) -> Option<&Summary> {
        match self {
            Series::Answer => t.answer.as_ref(),
            Series::Model => t.model_time.as_ref(),
            Series::Tool => t.tool_time.as_ref(),
            Series::Ttft => t.ttft.as_ref(),
            Series::Turns => t.turns.as_ref(),
        }
    }

    fn is_time(self) -> bool {
        self != Series::Turns
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Quantity {
    Success,
    Stat(Series, Stat, &'static str),
    CostMean,
    CostTotal,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Threshold(Quantity, Op, f64),
    Regress(Series, Stat, &'static str, Op, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentGate {
    pub expr: String,
    kind: Kind,
}

impl AgentGate {
    pub fn needs_baseline(&self) -> bool {
        matches!(self.kind, Kind::Regress(..))
    }
}

fn wrong(input: &str, why: impl std::fmt::Display) -> Error {
    match bad(input, why) {
        Error::Usage { message, .. } => Error::usage_hint(message, EXAMPLES),
        e => e,
    }
}

fn series_stat(input: &str, s: &str) -> Result<(Series, Stat, &'static str)> {
    let (m, st) = s.split_once('.').ok_or_else(|| {
        wrong(
            input,
            format_args!(
                "unknown quantity '{s}'; use success, cost.mean, cost.total or SERIES.STAT"
            ),
        )
    })?;
    let series = Series::parse(m).ok_or_else(|| {
        wrong(
            input,
            format_args!("unknown series '{m}'; series are answer, model, tool, ttft, turns"),
        )
    })?;
    let stat =
        Stat::parse(st).ok_or_else(|| wrong(input, format_args!("unknown statistic '{st}'")))?;
    Ok((series, stat, stat.name()))
}

/// Parse one agent `--fail-if`.
pub fn parse(input: &str) -> Result<AgentGate> {
    let (expr, lower, op, rhs) = split_expr(input)?;
    let (value, unit) = split_value(input, &rhs)?;
    let unit = unit.to_ascii_lowercase();
    let kind = if let Some(inner) = lower
        .strip_prefix("regress(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (series, stat, name) = series_stat(input, inner)?;
        if !series.is_time() || (stat.quantile().is_none() && stat != Stat::Mean) {
            return Err(wrong(
                input,
                "regress() takes a time and a statistic with an uncertainty, e.g. answer.p50",
            ));
        }
        if !matches!(op, Op::Gt | Op::Ge) || unit != "%" {
            return Err(wrong(input, "a regression gate is regress(X)>PERCENT"));
        }
        Kind::Regress(series, stat, name, op, value / 100.0)
    } else {
        let q = match lower.as_str() {
            "success" => Quantity::Success,
            "cost.mean" => Quantity::CostMean,
            "cost.total" => Quantity::CostTotal,
            other => {
                let (s, st, name) = series_stat(input, other)?;
                Quantity::Stat(s, st, name)
            }
        };
        let v = match (q, unit.as_str()) {
            (Quantity::Success, "%") if value <= 100.0 => value / 100.0,
            (Quantity::Success, "") if value <= 1.0 => value,
            (Quantity::Success, _) => {
                return Err(wrong(
                    input,
                    "success is a fraction (0.95) or a percentage (95%)",
                ));
            }
            (Quantity::CostMean | Quantity::CostTotal, "" | "usd") => value,
            (Quantity::Stat(s, ..), "") if !s.is_time() => value,
            (Quantity::Stat(s, ..), "ms") if s.is_time() => value,
            (Quantity::Stat(s, ..), "s") if s.is_time() => value * 1e3,
            (Quantity::Stat(s, ..), "us" | "µs") if s.is_time() => value / 1e3,
            (Quantity::Stat(s, ..), _) if s.is_time() => {
                return Err(wrong(
                    input,
                    format_args!("a time needs a unit: {rhs}ms or {rhs}s"),
                ));
            }
            _ => return Err(wrong(input, format_args!("'{rhs}' has the wrong unit"))),
        };
        Kind::Threshold(q, op, v)
    };
    Ok(AgentGate { expr, kind })
}

pub fn parse_all(exprs: &[String]) -> Result<Vec<AgentGate>> {
    exprs.iter().map(|e| parse(e)).collect()
}

fn show(q: Quantity, v: f64) -> String {
    match q {
        Quantity::Success => format!("{}%", trim_num(v * 100.0, 2)),
        Quantity::CostMean | Quantity::CostTotal => format!("${}", trim_num(v, 6)),
        Quantity::Stat(s, ..) if s.is_time() => fmt_ms(v),
        Quantity::Stat(..) => trim_num(v, 2),
    }
}

fn name(q: Quantity) -> String {
    match q {
        Quantity::Success => "success".into(),
        Quantity::CostMean => "cost.mean".into(),
        Quantity::CostTotal => "cost.total".into(),
        Quantity::Stat(s, _, stat) => format!("{}.{stat}", series_name(s)),
    }
}

fn series_name(s: Series) -> &'static str {
    match s {
        Series::Answer => "answer",
        Series::Model => "model",
        Series::Tool => "tool",
        Series::Ttft => "ttft",
        Series::Turns => "turns",
    }
}

fn unit(q: Quantity) -> &'static str {
    match q {
        Quantity::Success => "fraction",
        Quantity::CostMean | Quantity::CostTotal => "usd",
        Quantity::Stat(s, ..) if s.is_time() => "ms",
        Quantity::Stat(..) => "count",
    }
}

fn read(q: Quantity, t: &AgentSummary) -> std::result::Result<f64, String> {
    match q {
        Quantity::Success if t.runs == 0 => Err("no run finished".into()),
        Quantity::Success => Ok(t.success_rate),
        Quantity::CostMean => t
            .cost_mean_usd
            .ok_or_else(|| format!("no price known for {}", t.model)),
        Quantity::CostTotal => t
            .cost_total_usd
            .ok_or_else(|| format!("no price known for {}", t.model)),
        Quantity::Stat(s, stat, _) => s
            .read(t)
            .map(|x| x.get(stat))
            .ok_or_else(|| "no run measured it (none answered)".into()),
    }
}

impl AgentGate {
    fn check(&self, t: &AgentSummary, baseline: Option<&AgentSummary>) -> GateVerdict {
        let mut v = GateVerdict {
            expr: self.expr.clone(),
            target: t.label(),
            status: GateStatus::Fail,
            observed: None,
            threshold: 0.0,
            unit: String::new(),
            bound: None,
            message: String::new(),
        };
        match self.kind {
            Kind::Threshold(q, op, threshold) => {
                v.threshold = threshold;
                v.unit = unit(q).into();
                match read(q, t) {
                    Err(why) => v.message = format!("{} cannot be checked: {why}", name(q)),
                    Ok(observed) => {
                        v.observed = Some(observed);
                        let sym = if op.holds(observed, threshold) {
                            op.symbol()
                        } else {
                            v.status = GateStatus::Pass;
                            op.negated()
                        };
                        v.message = format!(
                            "{} = {} {sym} {}",
                            name(q),
                            show(q, observed),
                            show(q, threshold)
                        );
                    }
                }
                v
            }
            Kind::Regress(series, stat, stat_name, op, threshold) => {
                let label = format!("{}.{stat_name}", series_name(series));
                v.threshold = threshold;
                v.unit = "fraction".into();
                v.status = GateStatus::Inconclusive;
                let Some(base_t) = baseline else {
                    v.message = format!("{} is not in the baseline", t.label());
                    return v;
                };
                let Some(cur) = series.read(t) else {
                    v.status = GateStatus::Fail;
                    v.message = format!("{label} cannot be checked: no run answered");
                    return v;
                };
                let Some(base) = series.read(base_t) else {
                    v.message = format!("the baseline has no {label} for {}", t.label());
                    return v;
                };
                regress_verdict(v, &label, cur, base, stat, op, threshold, false, true)
            }
        }
    }
}

/// Every gate against every task × target; `baseline` required when a gate is a regression
/// (empty: `--baseline last` found none, and those gates say so, inconclusively).
pub fn evaluate(
    gates: &[AgentGate],
    targets: &[AgentSummary],
    baseline: Option<&[AgentSummary]>,
) -> Result<Vec<GateVerdict>> {
    if baseline.is_none() {
        crate::bench::gate::no_baseline(
            gates
                .iter()
                .find(|g| g.needs_baseline())
                .map(|g| g.expr.as_str()),
        )?;
    }
    let first_run = baseline.is_some_and(<[AgentSummary]>::is_empty);
    let mut out = Vec::new();
    for g in gates {
        for t in targets {
            let base =
                baseline.and_then(|b| b.iter().find(|x| x.task == t.task && x.target == t.target));
            let mut v = g.check(t, base);
            if first_run && g.needs_baseline() {
                v.message = "no earlier run with this configuration to compare with: this run \
                             is the baseline for the next (--baseline last)"
                    .into();
            }
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_gates_parse_and_refuse_what_they_cannot_check() {
        assert!(parse("success<0.95").is_ok());
        assert!(parse("success < 95%").is_ok());
        assert!(parse("answer.p95>20s").is_ok());
        assert!(parse("cost.mean>0.01").is_ok());
        assert!(parse("turns.max>5").is_ok());
        assert!(parse("regress(answer.p50)>10%").unwrap().needs_baseline());
        for bad in [
            "success<2",
            "answer.p95>20",
            "regress(turns.p50)>10%",
            "e2e.p50>1s",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
