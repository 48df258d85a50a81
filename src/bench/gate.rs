//! `--fail-if EXPR`: thresholds and regressions that turn a benchmark into a CI check.
//!
//! Grammar: `QUANTITY OP VALUE` or `regress(METRIC.STAT) OP PERCENT`, where OP is one of
//! `>`, `>=`, `<`, `<=` (regressions: `>`, `>=`), and the gate fails when the expression holds.
//! Every gate is checked against every target; one verdict per gate × target.

use serde::{Deserialize, Serialize};

use super::stats::{Metric, Stat, Summary, TargetSummary, rel_change};
use crate::error::{Error, Result};

const EXAMPLES: &str = "valid gates look like: ttft.p95>800ms, e2e.p50>2s, tpot.p50>50ms, \
     error_rate>1%, cost.total>0.50, tps.p50<30, rps<5, regress(ttft.p50)>10%";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    pub(crate) fn holds(self, observed: f64, threshold: f64) -> bool {
        match self {
            Op::Gt => observed > threshold,
            Op::Ge => observed >= threshold,
            Op::Lt => observed < threshold,
            Op::Le => observed <= threshold,
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }

    pub(crate) fn negated(self) -> &'static str {
        match self {
            Op::Gt => "<=",
            Op::Ge => "<",
            Op::Lt => ">=",
            Op::Le => ">",
        }
    }
}

/// What a threshold gate reads from a target's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    Stat(Metric, Stat),
    ErrorRate,
    CostTotal,
    CostPerRequest,
    Rps,
}

/// How a quantity's values are written and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Ms,
    Fraction,
    Usd,
    TokPerS,
    ReqPerS,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Ms => "ms",
            Unit::Fraction => "fraction",
            Unit::Usd => "usd",
            Unit::TokPerS => "tok/s",
            Unit::ReqPerS => "req/s",
        }
    }

    fn show(self, v: f64) -> String {
        match self {
            Unit::Ms => fmt_ms(v),
            Unit::Fraction => format!("{}%", trim_num(v * 100.0, 2)),
            Unit::Usd => format!("${}", trim_num(v, 6)),
            Unit::TokPerS => format!("{} tok/s", trim_num(v, 1)),
            Unit::ReqPerS => format!("{} req/s", trim_num(v, 2)),
        }
    }
}

impl Quantity {
    fn unit(self) -> Unit {
        match self {
            Quantity::Stat(m, _) if m.is_time() => Unit::Ms,
            Quantity::Stat(..) => Unit::TokPerS,
            Quantity::ErrorRate => Unit::Fraction,
            Quantity::CostTotal | Quantity::CostPerRequest => Unit::Usd,
            Quantity::Rps => Unit::ReqPerS,
        }
    }

    fn name(self) -> String {
        match self {
            Quantity::Stat(m, s) => format!("{}.{}", m.name(), s.name()),
            Quantity::ErrorRate => "error_rate".into(),
            Quantity::CostTotal => "cost.total".into(),
            Quantity::CostPerRequest => "cost.per_request".into(),
            Quantity::Rps => "rps".into(),
        }
    }

    fn read(self, t: &TargetSummary) -> std::result::Result<f64, String> {
        match self {
            Quantity::Stat(m, s) => t.metric(m).map(|x| x.get(s)).ok_or_else(|| {
                format!(
                    "no successful request measured {} (all failed, or {})",
                    m.name(),
                    match m {
                        Metric::Tpot | Metric::Tps =>
                            "replies of fewer than 2 tokens or not streamed",
                        Metric::Gap => "replies of one chunk or not streamed",
                        _ => "none ran",
                    }
                )
            }),
            Quantity::ErrorRate if t.requests == 0 => Err("no request finished".into()),
            Quantity::ErrorRate => Ok(t.error_rate),
            Quantity::CostTotal => t
                .cost_total_usd
                .ok_or_else(|| format!("no price known for {}", t.model)),
            Quantity::CostPerRequest => t
                .cost_per_request_usd
                .ok_or_else(|| format!("no price known for {}", t.model)),
            Quantity::Rps => Ok(t.requests_per_s),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum GateKind {
    Threshold {
        quantity: Quantity,
        op: Op,
        value: f64,
    },
    /// Fails when `metric.stat` is worse than the baseline's by more than `fraction`, even
    /// allowing for both runs' measurement uncertainty. "Worse" is higher for times, lower
    /// for tokens/s.
    Regress {
        metric: Metric,
        stat: Stat,
        op: Op,
        fraction: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// As the user wrote it, whitespace removed.
    pub expr: String,
    pub kind: GateKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateStatus {
    Pass,
    Fail,
    /// A regression whose point estimate exceeds the threshold while the uncertainty leaves
    /// room for it not to: reported, not failed.
    Inconclusive,
}

impl GateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GateStatus::Pass => "pass",
            GateStatus::Fail => "fail",
            GateStatus::Inconclusive => "inconclusive",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateVerdict {
    pub expr: String,
    pub target: String,
    pub status: GateStatus,
    /// The value checked, in `unit`; for a regression, the relative change (0.12 = 12% worse).
    /// `None` when there was nothing to check.
    pub observed: Option<f64>,
    pub threshold: f64,
    /// `ms`, `fraction`, `usd`, `tok/s` or `req/s`.
    pub unit: String,
    /// For a regression: the smallest regression the data supports (see [`rel_change`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<f64>,
    pub message: String,
}

pub fn any_failed(verdicts: &[GateVerdict]) -> bool {
    verdicts.iter().any(|v| v.status == GateStatus::Fail)
}

/// The message of the caller's `Error::Gate` (exit 9), naming every failed gate and target;
/// `None` when none failed.
pub fn failure_message(verdicts: &[GateVerdict]) -> Option<String> {
    let failed: Vec<String> = verdicts
        .iter()
        .filter(|v| v.status == GateStatus::Fail)
        .map(|v| format!("{} on {}", v.expr, v.target))
        .collect();
    match failed.len() {
        0 => None,
        1 => Some(format!("benchmark gate failed: {}", failed[0])),
        n => Some(format!("{n} benchmark gates failed: {}", failed.join(", "))),
    }
}

pub(crate) fn bad(expr: &str, why: impl std::fmt::Display) -> Error {
    Error::usage_hint(format!("invalid --fail-if '{expr}': {why}"), EXAMPLES)
}

impl std::str::FromStr for Gate {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        parse(s)
    }
}

/// `LHS OP RHS` with whitespace removed: the expression as written, its left side lower-cased,
/// the comparison, and the right side. Shared with the agent gates (`bench::agent::gate`).
pub(crate) fn split_expr(input: &str) -> Result<(String, String, Op, String)> {
    let expr: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(at) = expr.find(['<', '>']) else {
        return Err(bad(input, "no comparison (>, >=, < or <=)"));
    };
    let (lhs, rest) = expr.split_at(at);
    let (op, rhs) = match rest.as_bytes() {
        [b'>', b'=', ..] => (Op::Ge, &rest[2..]),
        [b'<', b'=', ..] => (Op::Le, &rest[2..]),
        [b'>', ..] => (Op::Gt, &rest[1..]),
        _ => (Op::Lt, &rest[1..]),
    };
    if lhs.is_empty() {
        return Err(bad(input, "nothing before the comparison"));
    }
    if rhs.is_empty() {
        return Err(bad(input, "no value after the comparison"));
    }
    if rhs.contains(['<', '>', '=']) {
        return Err(bad(input, "more than one comparison"));
    }
    let lower = lhs.to_ascii_lowercase();
    let rhs = rhs.to_owned();
    Ok((expr, lower, op, rhs))
}

/// Parse one `--fail-if` expression; a usage error (exit 2) with examples when it is wrong.
pub fn parse(input: &str) -> Result<Gate> {
    let (expr, lower, op, rhs) = split_expr(input)?;
    let rhs = rhs.as_str();

    let kind = if let Some(inner) = lower
        .strip_prefix("regress(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (metric, stat) = metric_stat(input, inner)?;
        if stat.quantile().is_none() && stat != Stat::Mean {
            return Err(bad(
                input,
                format_args!(
                    "regress() needs a statistic with an uncertainty (mean, p50, p90, p95, p99), not {}",
                    stat.name()
                ),
            ));
        }
        if !matches!(op, Op::Gt | Op::Ge) {
            return Err(bad(
                input,
                "a regression gate fails when the regression is above a percentage: use > or >=",
            ));
        }
        let (num, unit) = split_value(input, rhs)?;
        if unit != "%" {
            return Err(bad(
                input,
                "a regression threshold is a percentage, e.g. regress(ttft.p50)>10%",
            ));
        }
        GateKind::Regress {
            metric,
            stat,
            op,
            fraction: num / 100.0,
        }
    } else {
        let quantity = match lower.as_str() {
            "error_rate" => Quantity::ErrorRate,
            "cost.total" => Quantity::CostTotal,
            "cost.per_request" => Quantity::CostPerRequest,
            "rps" => Quantity::Rps,
            other => {
                let (m, s) = metric_stat(input, other)?;
                Quantity::Stat(m, s)
            }
        };
        let value = threshold_value(input, quantity, rhs)?;
        GateKind::Threshold {
            quantity,
            op,
            value,
        }
    };
    Ok(Gate { expr, kind })
}

/// Parse every `--fail-if`, stopping at the first bad one.
pub fn parse_all<S: AsRef<str>>(exprs: &[S]) -> Result<Vec<Gate>> {
    exprs.iter().map(|e| parse(e.as_ref())).collect()
}

fn metric_stat(input: &str, s: &str) -> Result<(Metric, Stat)> {
    let names = |xs: &mut dyn Iterator<Item = &'static str>| xs.collect::<Vec<_>>().join(", ");
    let Some((m, st)) = s.split_once('.') else {
        return Err(bad(
            input,
            format_args!(
                "unknown quantity '{s}'; use METRIC.STAT ({}), error_rate, cost.total, cost.per_request or rps",
                names(&mut Metric::ALL.iter().map(|m| m.name()))
            ),
        ));
    };
    let metric = Metric::parse(m).ok_or_else(|| {
        bad(
            input,
            format_args!(
                "unknown metric '{m}'; metrics are {}",
                names(&mut Metric::ALL.iter().map(|m| m.name()))
            ),
        )
    })?;
    let stat = Stat::parse(st).ok_or_else(|| {
        bad(
            input,
            format_args!(
                "unknown statistic '{st}'; statistics are {}",
                names(&mut Stat::ALL.iter().map(|s| s.name()))
            ),
        )
    })?;
    Ok((metric, stat))
}

/// Split `800ms` into (800, "ms"); a leading `$` is allowed (and dropped) for money.
pub(crate) fn split_value<'a>(input: &str, rhs: &'a str) -> Result<(f64, &'a str)> {
    let rhs = rhs.strip_prefix('$').unwrap_or(rhs);
    let end = rhs
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rhs.len());
    let (num, unit) = rhs.split_at(end);
    let value: f64 = num
        .parse()
        .map_err(|_| bad(input, format_args!("'{rhs}' is not a non-negative number")))?;
    Ok((value, unit))
}

fn threshold_value(input: &str, q: Quantity, rhs: &str) -> Result<f64> {
    let (v, unit) = split_value(input, rhs)?;
    let unit = unit.to_ascii_lowercase();
    match (q.unit(), unit.as_str()) {
        (Unit::Ms, "ms") => Ok(v),
        (Unit::Ms, "s") => Ok(v * 1e3),
        (Unit::Ms, "us" | "µs") => Ok(v / 1e3),
        // A bare time is refused rather than guessed: `e2e.p50>2` could mean 2 s or 2 ms.
        (Unit::Ms, "") => Err(bad(
            input,
            format_args!("a time needs a unit: {rhs}ms or {rhs}s"),
        )),
        // Over 100% a threshold could never be crossed: a gate that cannot fail is a typo.
        (Unit::Fraction, "%") if v <= 100.0 => Ok(v / 100.0),
        (Unit::Fraction, "%") => Err(bad(
            input,
            format_args!("{} is a fraction: at most 100%", q.name()),
        )),
        (Unit::Fraction, "") if v <= 1.0 => Ok(v),
        (Unit::Fraction, "") => Err(bad(
            input,
            format_args!("error_rate is a fraction from 0 to 1, or a percentage: {rhs}%"),
        )),
        (Unit::Usd, "" | "usd") => Ok(v),
        (Unit::TokPerS, "" | "tok/s") => Ok(v),
        (Unit::ReqPerS, "" | "/s" | "req/s") => Ok(v),
        (u, _) => Err(bad(
            input,
            format_args!("{} is in {}, not '{unit}'", q.name(), u.name()),
        )),
    }
}

impl Gate {
    pub fn needs_baseline(&self) -> bool {
        matches!(self.kind, GateKind::Regress { .. })
    }

    /// This gate's verdict for one target. `baseline`: the same target in the baseline run.
    pub fn check(&self, t: &TargetSummary, baseline: Option<&TargetSummary>) -> GateVerdict {
        match self.kind {
            GateKind::Threshold {
                quantity,
                op,
                value,
            } => self.check_threshold(t, quantity, op, value),
            GateKind::Regress {
                metric,
                stat,
                op,
                fraction,
            } => self.check_regress(t, baseline, metric, stat, op, fraction),
        }
    }

    fn verdict(&self, t: &TargetSummary, status: GateStatus, threshold: f64) -> GateVerdict {
        GateVerdict {
            expr: self.expr.clone(),
            target: t.target.clone(),
            status,
            observed: None,
            threshold,
            unit: String::new(),
            bound: None,
            message: String::new(),
        }
    }

    fn check_threshold(
        &self,
        t: &TargetSummary,
        q: Quantity,
        op: Op,
        threshold: f64,
    ) -> GateVerdict {
        let unit = q.unit();
        let mut v = self.verdict(t, GateStatus::Fail, threshold);
        v.unit = unit.name().into();
        match q.read(t) {
            // Nothing to check fails: a CI gate on latency must not pass because every
            // request errored.
            Err(why) => v.message = format!("{} cannot be checked: {why}", q.name()),
            Ok(observed) => {
                v.observed = Some(observed);
                let (status, sym) = if op.holds(observed, threshold) {
                    (GateStatus::Fail, op.symbol())
                } else {
                    (GateStatus::Pass, op.negated())
                };
                v.status = status;
                v.message = format!(
                    "{} = {} {sym} {}",
                    q.name(),
                    unit.show(observed),
                    unit.show(threshold)
                );
            }
        }
        v
    }

    fn check_regress(
        &self,
        t: &TargetSummary,
        baseline: Option<&TargetSummary>,
        metric: Metric,
        stat: Stat,
        op: Op,
        threshold: f64,
    ) -> GateVerdict {
        let name = format!("{}.{}", metric.name(), stat.name());
        let mut v = self.verdict(t, GateStatus::Inconclusive, threshold);
        v.unit = Unit::Fraction.name().into();
        let Some(base_t) = baseline else {
            v.message = format!("{} is not in the baseline", t.target);
            return v;
        };
        let Some(cur) = t.metric(metric) else {
            v.status = GateStatus::Fail;
            v.message = format!("{name} cannot be checked: no successful request measured it");
            return v;
        };
        let Some(base) = base_t.metric(metric) else {
            v.message = format!("the baseline has no {name} for {}", t.target);
            return v;
        };
        regress_verdict(
            v,
            &name,
            cur,
            base,
            stat,
            op,
            threshold,
            metric.higher_is_better(),
            metric.is_time(),
        )
    }
}

/// The noise-aware part of a regression gate, shared with the agent gates: `v` comes in with
/// its expression, target and threshold set; `cur` and `base` are the metric's summaries now
/// and in the baseline.
#[allow(clippy::too_many_arguments)]
pub(crate) fn regress_verdict(
    mut v: GateVerdict,
    name: &str,
    cur: &Summary,
    base: &Summary,
    stat: Stat,
    op: Op,
    threshold: f64,
    higher_is_better: bool,
    is_time: bool,
) -> GateVerdict {
    let need = stat.min_samples().unwrap_or(u64::MAX);
    if cur.n < need || base.n < need {
        v.message = format!(
            "too few samples to judge a change in {name} ({} now, {} in the baseline; \
         need {need} each: raise --runs)",
            cur.n, base.n
        );
        return v;
    }
    let (b, c) = (base.get(stat), cur.get(stat));
    let (se_b, se_c) = (
        base.se_of(stat).unwrap_or(0.0),
        cur.se_of(stat).unwrap_or(0.0),
    );
    if b <= 0.0 {
        v.message = format!("the baseline's {name} is 0: no relative change to compute");
        return v;
    }
    let change = rel_change(b, se_b, c, se_c);
    // Regression is "worse", so for throughput it is a fall.
    let (point, bound) = if higher_is_better {
        (-change.point, -change.high)
    } else {
        (change.point, change.low)
    };
    v.observed = Some(point);
    // An unbounded interval (the baseline's own could reach zero) has no JSON number.
    v.bound = bound.is_finite().then_some(bound);
    let u = if is_time { Unit::Ms } else { Unit::TokPerS };
    let change = if point < 0.0 {
        format!("{} better", pct(-point).trim_start_matches('+'))
    } else if bound > 0.0 {
        format!(
            "{} worse; at least {} allowing for noise",
            pct(point),
            pct(bound)
        )
    } else {
        format!("{} worse, within noise of no change", pct(point))
    };
    let detail = format!("{name} {} → {} ({change})", u.show(b), u.show(c));
    let limit = pct(threshold);
    let (status, message) = if op.holds(bound, threshold) {
        (
            GateStatus::Fail,
            format!("{detail} {} {limit}", op.symbol()),
        )
    } else if op.holds(point, threshold) {
        (
            GateStatus::Inconclusive,
            format!("{detail}: above {limit} but within measurement noise"),
        )
    } else {
        (
            GateStatus::Pass,
            format!("{detail} {} {limit}", op.negated()),
        )
    };
    v.status = status;
    v.message = message;
    v
}

/// A regression gate (`expr`) with no `--baseline` given: a usage error naming the flag.
pub(crate) fn no_baseline(expr: Option<&str>) -> Result<()> {
    match expr {
        Some(expr) => Err(Error::usage_hint(
            format!("--fail-if '{expr}' compares with a baseline, but none was given"),
            "pass --baseline ID or --baseline last",
        )),
        None => Ok(()),
    }
}

/// Check every gate against every target. `baseline`: the baseline run's targets, matched by
/// label; required when any gate is a regression.
pub fn evaluate(
    gates: &[Gate],
    targets: &[TargetSummary],
    baseline: Option<&[TargetSummary]>,
) -> Result<Vec<GateVerdict>> {
    if baseline.is_none() {
        no_baseline(
            gates
                .iter()
                .find(|g| g.needs_baseline())
                .map(|g| g.expr.as_str()),
        )?;
    }
    // `--baseline last` that found no earlier run with this configuration.
    let first_run = baseline.is_some_and(<[TargetSummary]>::is_empty);
    let mut out = Vec::with_capacity(gates.len() * targets.len());
    for g in gates {
        for t in targets {
            let base = baseline.and_then(|b| b.iter().find(|x| x.target == t.target));
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

/// `+12.3%`, `-4%`: signed, at most one decimal.
pub(crate) fn pct(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 {
            "+∞%".into()
        } else {
            "-∞%".into()
        };
    }
    let s = trim_num(x * 100.0, 1);
    if x >= 0.0 && !s.starts_with('-') {
        format!("+{s}%")
    } else {
        format!("{s}%")
    }
}

/// A time in ms shown the way people read it: `850 ms`, `1.25 s`, `12.5 ms`, `0.42 ms`.
pub(crate) fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{} s", trim_num(v / 1000.0, 3))
    } else if v >= 100.0 {
        format!("{} ms", trim_num(v, 1))
    } else {
        format!("{} ms", trim_num(v, 2))
    }
}

/// Fixed decimals, trailing zeros dropped: 2.50 → "2.5", 3.00 → "3".
pub(crate) fn trim_num(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.into() }
    } else {
        s
    }
}
