//! Per-target statistics in constant memory: an HDR histogram (3 significant digits) per metric
//! for percentiles, Welford's running mean and variance, exact min and max. No sample is kept:
//! records are streamed to disk by the caller, so a 100,000-request run costs what a 10-request
//! one does.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::config::TargetSpec;
use super::record::{RequestRecord, ms};

/// What is measured per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Ttft,
    E2e,
    Tpot,
    Gap,
    Tps,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::Ttft,
        Metric::E2e,
        Metric::Tpot,
        Metric::Gap,
        Metric::Tps,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Ttft => "ttft",
            Metric::E2e => "e2e",
            Metric::Tpot => "tpot",
            Metric::Gap => "gap",
            Metric::Tps => "tps",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Metric::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The unit summaries are in: milliseconds, or output tokens per second.
    pub fn unit(self) -> &'static str {
        if self.is_time() { "ms" } else { "tok/s" }
    }

    pub fn is_time(self) -> bool {
        self != Metric::Tps
    }

    pub fn higher_is_better(self) -> bool {
        self == Metric::Tps
    }

    /// The label tables use: `TTFT`, `E2E`, …
    pub fn title(self) -> &'static str {
        match self {
            Metric::Ttft => "TTFT",
            Metric::E2e => "E2E",
            Metric::Tpot => "TPOT",
            Metric::Gap => "gap",
            Metric::Tps => "tok/s",
        }
    }
}

/// A statistic of a metric's distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    Mean,
    Min,
    P50,
    P90,
    P95,
    P99,
    Max,
}

impl Stat {
    pub const ALL: [Stat; 7] = [
        Stat::Mean,
        Stat::Min,
        Stat::P50,
        Stat::P90,
        Stat::P95,
        Stat::P99,
        Stat::Max,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::Min => "min",
            Stat::P50 => "p50",
            Stat::P90 => "p90",
            Stat::P95 => "p95",
            Stat::P99 => "p99",
            Stat::Max => "max",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Stat::ALL.into_iter().find(|x| x.name() == s)
    }

    pub fn quantile(self) -> Option<f64> {
        match self {
            Stat::P50 => Some(0.50),
            Stat::P90 => Some(0.90),
            Stat::P95 => Some(0.95),
            Stat::P99 => Some(0.99),
            _ => None,
        }
    }

    /// The fewest samples from which this statistic's uncertainty can be told: 2 for the mean;
    /// for percentile p, 5 / min(p, 1 − p) (p50: 10, p90: 50, p95: 100, p99: 500), so that at
    /// least 5 samples lie beyond it on each side and the interval of its rank stays inside
    /// the sample. With fewer, a p99 is simply the maximum, its interval collapses to nothing,
    /// and any change would look certain. `None` for min and max, which have no interval.
    pub fn min_samples(self) -> Option<u64> {
        match self {
            Stat::Mean => Some(2),
            s => s.quantile().map(|p| (5.0 / p.min(1.0 - p)).round() as u64),
        }
    }
}

/// Standard errors of the estimates that have one. For the mean, std/√n. For a percentile, the
/// distribution-free 95% interval of an order statistic (ranks n·p ± 1.96·√(n·p·(1−p)), read off
/// the histogram) divided by 2 × 1.96: no normality is assumed of latencies, which are not normal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StdErrors {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
}

/// One metric's distribution over a target's successful requests, in [`Metric::unit`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: u64,
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub std: f64,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub se: StdErrors,
}

impl Summary {
    pub fn get(&self, s: Stat) -> f64 {
        match s {
            Stat::Mean => self.mean,
            Stat::Min => self.min,
            Stat::P50 => self.p50,
            Stat::P90 => self.p90,
            Stat::P95 => self.p95,
            Stat::P99 => self.p99,
            Stat::Max => self.max,
        }
    }

    /// `None` for min and max: extremes have no useful standard error.
    pub fn se_of(&self, s: Stat) -> Option<f64> {
        match s {
            Stat::Mean => Some(self.se.mean),
            Stat::P50 => Some(self.se.p50),
            Stat::P90 => Some(self.se.p90),
            Stat::P95 => Some(self.se.p95),
            Stat::P99 => Some(self.se.p99),
            Stat::Min | Stat::Max => None,
        }
    }
}

/// Histogram values are integers: the metric's unit × 1000 (microseconds for times,
/// milli-tokens/s for throughput).
const SCALE: f64 = 1000.0;
const Z95: f64 = 1.959_964;

/// Constant-memory accumulator for one metric.
#[derive(Debug, Clone)]
pub struct MetricAcc {
    hist: Histogram<u64>,
    n: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for MetricAcc {
    fn default() -> Self {
        MetricAcc {
            hist: Histogram::new(3).expect("3 significant digits is a valid histogram"),
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl MetricAcc {
    pub fn new() -> Self {
        Self::default()
    }

    /// Negative, NaN and infinite values are ignored: no metric can have them, and one would
    /// poison the running mean.
    pub fn record(&mut self, v: f64) {
        if !v.is_finite() || v < 0.0 {
            return;
        }
        self.n += 1;
        let d = v - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (v - self.mean);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        let scaled = (v * SCALE).round() as u64;
        // `record` grows the auto-resizing histogram; `saturating_record` would clamp to its
        // current top instead. Saturate only past the largest trackable value (~146 years).
        if self.hist.record(scaled).is_err() {
            self.hist.saturating_record(scaled);
        }
    }

    pub fn len(&self) -> u64 {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The value at quantile `q`: the midpoint of the histogram bucket holding the nearest-rank
    /// sample (half the bucket's width of error at most, where the bucket's upper edge would be
    /// biased high by all of it), kept within the exact min and max.
    fn quantile(&self, q: f64) -> f64 {
        let v = self.hist.value_at_quantile(q.clamp(0.0, 1.0));
        (self.hist.median_equivalent(v) as f64 / SCALE).clamp(self.min, self.max)
    }

    fn quantile_se(&self, p: f64) -> f64 {
        let h = Z95 * (p * (1.0 - p) / self.n as f64).sqrt();
        let lo = self.quantile(p - h);
        let hi = self.quantile(p + h);
        (hi - lo) / (2.0 * Z95)
    }

    pub fn summary(&self) -> Option<Summary> {
        if self.n == 0 {
            return None;
        }
        let std = if self.n > 1 {
            (self.m2 / (self.n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Summary {
            n: self.n,
            mean: r3(self.mean),
            std: r3(std),
            min: r3(self.min),
            p50: r3(self.quantile(0.50)),
            p90: r3(self.quantile(0.90)),
            p95: r3(self.quantile(0.95)),
            p99: r3(self.quantile(0.99)),
            max: r3(self.max),
            se: StdErrors {
                mean: r3(std / (self.n as f64).sqrt()),
                p50: r3(self.quantile_se(0.50)),
                p90: r3(self.quantile_se(0.90)),
                p95: r3(self.quantile_se(0.95)),
                p99: r3(self.quantile_se(0.99)),
            },
        })
    }
}

/// Rounded to the thousandth (microseconds for times): finer digits are noise, and stable
/// numbers keep snapshots and diffs of reports readable.
pub(crate) fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Everything known about one target, per measured request, in constant memory.
#[derive(Debug, Clone)]
pub struct TargetStats {
    spec: TargetSpec,
    label: String,
    /// Set for one prompt's share of a target (the per-prompt breakdown).
    prompt: Option<String>,
    metrics: [MetricAcc; 5],
    ok: u64,
    errors: BTreeMap<String, u64>,
    first_errors: BTreeMap<String, String>,
    input_tokens: u64,
    output_tokens: u64,
    estimated: u64,
    cost: f64,
    priced: u64,
    unpriced: u64,
    /// With `--schema`: successful answers checked, and those that matched.
    schema_checked: u64,
    schema_valid: u64,
}

impl TargetStats {
    pub fn new(spec: TargetSpec) -> Self {
        TargetStats {
            label: spec.label(),
            prompt: None,
            spec,
            metrics: Default::default(),
            ok: 0,
            errors: BTreeMap::new(),
            first_errors: BTreeMap::new(),
            input_tokens: 0,
            output_tokens: 0,
            estimated: 0,
            cost: 0.0,
            priced: 0,
            unpriced: 0,
            schema_checked: 0,
            schema_valid: 0,
        }
    }

    /// The statistics of one prompt's requests to `spec`.
    pub fn for_prompt(spec: TargetSpec, prompt: &str) -> Self {
        TargetStats {
            prompt: Some(prompt.to_owned()),
            ..TargetStats::new(spec)
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn metric(&self, m: Metric) -> &MetricAcc {
        &self.metrics[m as usize]
    }

    /// Count one request. Warmup requests are ignored: they exist to open connections and wake
    /// caches, not to be measured. Latency metrics come from successful requests only. `gaps`
    /// are the request's gaps between content chunks, each one counted in the `gap` metric
    /// (a stall shows in its tail instead of being averaged away).
    pub fn record(&mut self, r: &RequestRecord, gaps: &[Duration]) {
        if r.warmup {
            return;
        }
        if !r.is_ok() {
            let kind = r.error_kind.clone().unwrap_or_else(|| "unknown".into());
            if let Some(message) = &r.error {
                self.first_errors
                    .entry(kind.clone())
                    .or_insert_with(|| first_line(message, 200));
            }
            *self.errors.entry(kind).or_default() += 1;
            return;
        }
        self.ok += 1;
        let values = [r.ttft_ms, Some(r.e2e_ms), r.tpot_ms, None, r.tps];
        for (acc, v) in self.metrics.iter_mut().zip(values) {
            if let Some(v) = v {
                acc.record(v);
            }
        }
        let gap = &mut self.metrics[Metric::Gap as usize];
        for g in gaps {
            gap.record(ms(*g));
        }
        self.input_tokens += r.input_tokens.unwrap_or(0);
        self.output_tokens += r.output_tokens.unwrap_or(0);
        self.estimated += u64::from(r.estimated);
        if let Some(valid) = r.schema_valid {
            self.schema_checked += 1;
            self.schema_valid += u64::from(valid);
        }
        match r.cost_usd {
            Some(c) => {
                self.cost += c;
                self.priced += 1;
            }
            None => self.unpriced += 1,
        }
    }

    /// `wall`: the measured phase's duration, the same for every target since their requests
    /// are interleaved over it.
    pub fn summary(&self, wall: Duration) -> TargetSummary {
        let failed: u64 = self.errors.values().sum();
        let requests = self.ok + failed;
        let secs = wall.as_secs_f64();
        let per_s = |x: u64| if secs > 0.0 { r3(x as f64 / secs) } else { 0.0 };
        let [ttft, e2e, tpot, gap, tps] = self.metrics.each_ref().map(MetricAcc::summary);
        TargetSummary {
            target: self.label.clone(),
            prompt: self.prompt.clone(),
            provider: self.spec.provider.clone(),
            model: self.spec.model.clone(),
            credential: self.spec.credential.clone(),
            requests,
            ok: self.ok,
            failed,
            errors: self.errors.clone(),
            first_errors: self.first_errors.clone(),
            error_rate: if requests > 0 {
                failed as f64 / requests as f64
            } else {
                0.0
            },
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            estimated_usage: self.estimated,
            requests_per_s: per_s(self.ok),
            output_tokens_per_s: per_s(self.output_tokens),
            cost_total_usd: (self.priced > 0).then_some(round_usd(self.cost)),
            cost_per_request_usd: (self.priced > 0)
                .then(|| round_usd(self.cost / self.priced as f64)),
            unpriced: self.unpriced,
            ttft,
            e2e,
            tpot,
            gap,
            tps,
            schema_valid: (self.schema_checked > 0).then_some(self.schema_valid),
            schema_validity: (self.schema_checked > 0)
                .then(|| r3(self.schema_valid as f64 / self.schema_checked as f64)),
        }
    }
}

/// An error message's first line, at most `max` characters, for a report line.
fn first_line(message: &str, max: usize) -> String {
    let line = message.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

/// To a millionth of a dollar: below that, float noise.
fn round_usd(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A target's results: what reports, gates and comparisons read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSummary {
    /// [`TargetSpec::label`].
    pub target: String,
    /// In the per-prompt breakdown, the prompt these requests sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    pub provider: String,
    pub model: String,
    pub credential: String,
    /// Measured requests that finished, ok or not.
    pub requests: u64,
    pub ok: u64,
    pub failed: u64,
    /// Failed requests by error kind (`timeout`, `rate_limited`, …).
    pub errors: BTreeMap<String, u64>,
    /// The first failed request's error message, by kind: what to look at first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub first_errors: BTreeMap<String, String>,
    /// failed / requests, a fraction.
    pub error_rate: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Successful requests whose token counts omc estimated.
    pub estimated_usage: u64,
    /// Successful requests per second of the measured phase (goodput: a fast failure is not
    /// throughput).
    pub requests_per_s: f64,
    /// Output tokens per second of the measured phase, all requests together.
    pub output_tokens_per_s: f64,
    /// `None` when no request could be priced (the model is not in the price table).
    pub cost_total_usd: Option<f64>,
    pub cost_per_request_usd: Option<f64>,
    /// Successful requests without a cost (no price, or no token counts).
    pub unpriced: u64,
    pub ttft: Option<Summary>,
    pub e2e: Option<Summary>,
    pub tpot: Option<Summary>,
    pub gap: Option<Summary>,
    pub tps: Option<Summary>,
    /// With `--schema`: successful answers that matched the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_valid: Option<u64>,
    /// With `--schema`: `schema_valid / ok`, a fraction (the validity rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_validity: Option<f64>,
}

impl TargetSummary {
    pub fn metric(&self, m: Metric) -> Option<&Summary> {
        match m {
            Metric::Ttft => self.ttft.as_ref(),
            Metric::E2e => self.e2e.as_ref(),
            Metric::Tpot => self.tpot.as_ref(),
            Metric::Gap => self.gap.as_ref(),
            Metric::Tps => self.tps.as_ref(),
        }
    }
}

/// How many standard errors the conservative bounds step away from a point estimate. With two,
/// each side alone is exceeded by chance about 2.3% of the time (normal approximation of the
/// estimate's sampling error); a bound needs both sides to err at once to mislead.
pub const K_SE: f64 = 2.0;

/// A relative change `current / base − 1` with a conservative interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RelChange {
    pub point: f64,
    /// (cur − K·se_cur) / (base + K·se_base) − 1: the smallest change the data supports.
    pub low: f64,
    /// (cur + K·se_cur) / (base − K·se_base) − 1: the largest; +∞ when the base's interval
    /// reaches zero.
    pub high: f64,
}

/// The interval takes each estimate to the end of its ±K·se range that is least favourable to
/// the claim being tested, rather than a delta-method σ: it stays valid for skewed latency
/// distributions and small n, at the price of being wide, which is the right side to err on
/// for a gate that fails CI jobs.
pub fn rel_change(base: f64, se_base: f64, cur: f64, se_cur: f64) -> RelChange {
    let lo_den = base + K_SE * se_base;
    let hi_den = base - K_SE * se_base;
    RelChange {
        point: cur / base - 1.0,
        low: (cur - K_SE * se_cur).max(0.0) / lo_den - 1.0,
        high: if hi_den > 0.0 {
            (cur + K_SE * se_cur) / hi_den - 1.0
        } else {
            f64::INFINITY
        },
    }
}

/// The ratio a / b with its standard error by first-order error propagation:
/// σ_r = r · √((σ_a/a)² + (σ_b/b)²), as hyperfine reports "1.42 ± 0.08 times faster".
pub fn ratio(a: f64, se_a: f64, b: f64, se_b: f64) -> (f64, f64) {
    let r = a / b;
    let rel = ((se_a / a).powi(2) + (se_b / b).powi(2)).sqrt();
    (r, r * rel)
}
