//! One request's measurements: what `--requests-out` writes as a JSON line, what the store keeps,
//! and what the per-target statistics are fed from.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::provider::{ChatResponse, ErrorKind, ProviderError};

/// The shortest generation window (first to last token) that time per output token and
/// tokens/s are computed over; below it they are null.
pub const MIN_GENERATION_WINDOW: Duration = Duration::from_millis(1);

pub use crate::pricing::Price;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Error,
}

/// Where and when one request was sent, and what it is part of.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// [`crate::bench::TargetSpec::label`].
    pub target: &'a str,
    pub credential: &'a str,
    pub prompt: &'a str,
    /// Index of this request among its target × prompt's runs (or its warmups).
    pub run: u32,
    pub warmup: bool,
    /// When the measured phase (or the warmup) began; offsets are relative to it.
    pub run_start: Instant,
    /// When the request was due: the Poisson arrival time in an open loop, the moment a worker
    /// picked it up in a closed loop. Latencies are measured from here, so a client that falls
    /// behind its schedule shows up as latency instead of silently sending later
    /// (coordinated omission).
    pub scheduled: Instant,
    /// When the result (reply or error) was in hand; the end of a failed request.
    pub completed: Instant,
    pub price: Option<Price>,
    /// With `--schema`: what each answer must match.
    pub schema: Option<&'a crate::schema::OutputSchema>,
}

/// Durations are milliseconds as `f64` (microsecond resolution is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub target: String,
    pub credential: String,
    pub prompt: String,
    pub run: u32,
    pub warmup: bool,
    /// Offset of the scheduled send from the start of the phase.
    pub scheduled_ms: f64,
    /// How late the request actually left compared with its schedule (client-side lag).
    pub queue_ms: f64,
    /// Scheduled time → first non-empty content delta.
    pub ttft_ms: Option<f64>,
    /// Scheduled time → reply complete (or → failure).
    pub e2e_ms: f64,
    /// Time per output token after the first: (last − first token) / (output tokens − 1).
    pub tpot_ms: Option<f64>,
    /// Mean gap between content chunks: (last − first token) / (chunks − 1). The summary's
    /// `gap` is the distribution of every single gap, not of these means.
    pub gap_ms: Option<f64>,
    /// The longest gap between two content chunks: the worst stall in the stream.
    #[serde(default)]
    pub max_gap_ms: Option<f64>,
    /// Output tokens per second over the generation window: (tokens − 1) / (last − first token),
    /// the tokens produced after the first one over the time they took; null when that window
    /// is shorter than [`MIN_GENERATION_WINDOW`].
    pub tps: Option<f64>,
    pub chunks: u32,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// Token counts were estimated by omc because the provider reported none.
    pub estimated: bool,
    /// `None` when the model has no price or the token counts are unknown.
    pub cost_usd: Option<f64>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The provider's id for the request, to look a slow or failed one up with the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// With `--schema`: whether a successful answer matched the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_valid: Option<bool>,
}

pub(crate) use crate::time::ms;

fn ms_between(from: Instant, to: Instant) -> f64 {
    ms(to.saturating_duration_since(from))
}

/// The name an error kind has in JSON (`rate_limited`, `model_not_found`, …).
pub fn error_kind_name(kind: ErrorKind) -> String {
    kind.as_str().to_owned()
}

impl RequestRecord {
    pub fn new(a: &Attempt<'_>, result: &Result<ChatResponse, ProviderError>) -> Self {
        let mut r = RequestRecord {
            target: a.target.to_owned(),
            credential: a.credential.to_owned(),
            prompt: a.prompt.to_owned(),
            run: a.run,
            warmup: a.warmup,
            scheduled_ms: ms_between(a.run_start, a.scheduled),
            queue_ms: 0.0,
            ttft_ms: None,
            e2e_ms: ms_between(a.scheduled, a.completed),
            tpot_ms: None,
            gap_ms: None,
            max_gap_ms: None,
            tps: None,
            chunks: 0,
            input_tokens: None,
            output_tokens: None,
            estimated: false,
            cost_usd: None,
            status: Status::Ok,
            error_kind: None,
            http_status: None,
            error: None,
            request_id: None,
            schema_valid: None,
        };
        match result {
            Ok(resp) => r.fill_ok(a, resp),
            Err(e) => {
                r.status = Status::Error;
                r.error_kind = Some(error_kind_name(e.kind));
                r.http_status = e.status;
                r.error = Some(e.message.clone());
                r.request_id = e.request_id.clone();
            }
        }
        r
    }

    fn fill_ok(&mut self, a: &Attempt<'_>, resp: &ChatResponse) {
        // A closed-loop worker stamps `scheduled` just before calling the executor, which stamps
        // `started` just after; should a clock quirk put `started` first, measure from it.
        let origin = a.scheduled.min(resp.started);
        self.queue_ms = ms_between(a.scheduled, resp.started);
        self.e2e_ms = ms_between(origin, resp.finished);
        self.ttft_ms = resp
            .first_token
            .filter(|_| resp.streamed)
            .map(|t| ms_between(origin, t));
        self.chunks = resp.chunks;
        self.input_tokens = resp.usage.input_tokens;
        self.output_tokens = resp.usage.output_tokens;
        self.estimated = resp.usage.estimated;
        self.request_id = resp.request_id.clone();
        self.schema_valid = a.schema.map(|s| s.check_answer(&resp.text).is_ok());

        if let (Some(first), Some(last)) = (resp.first_token, resp.last_token) {
            let window = last.saturating_duration_since(first);
            if window > Duration::ZERO {
                // Tokens that all arrived within a millisecond came together (one read, or a
                // provider with nothing to wait for): dividing by that window would report
                // millions of tokens/s, a number about the clock, not the provider.
                if let Some(tokens) = resp
                    .usage
                    .output_tokens
                    .filter(|&t| t >= 2 && window >= MIN_GENERATION_WINDOW)
                {
                    let after_first = (tokens - 1) as f64;
                    self.tpot_ms = Some(ms(window) / after_first);
                    self.tps = Some(after_first / window.as_secs_f64());
                }
                if resp.chunks >= 2 {
                    self.gap_ms = Some(ms(window) / f64::from(resp.chunks - 1));
                }
            }
        }
        self.max_gap_ms = resp.gaps.iter().max().map(|g| ms(*g));

        // Both counts or no cost: a half-known count would report a cost that looks exact.
        if let (Some(price), Some(inp), Some(out)) =
            (a.price, resp.usage.input_tokens, resp.usage.output_tokens)
        {
            self.cost_usd = Some(price.cost(inp, out));
        }
    }

    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }
}
