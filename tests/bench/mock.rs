//! A fake provider with exact, virtual-time latencies, and builders for test data.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use omc::bench::{
    BenchConfig, Load, Order, PromptInfo, TargetSpec, TargetSummary,
    runner::Executor,
    stats::{StdErrors, Summary},
};
use omc::provider::{ChatResponse, ErrorKind, ProviderError, Usage};
use tokio::time::{Instant, sleep};

#[derive(Debug, Clone)]
pub struct MockTarget {
    pub ttft: Duration,
    pub per_token: Duration,
    pub tokens: u64,
    /// Every n-th call to this target (1-based) fails with `error` after `ttft`.
    pub fail_every: Option<usize>,
    pub error: ErrorKind,
    /// Added to the time to first token of successive calls, cycling: a spread to summarize.
    pub jitter_ms: Vec<u64>,
}

impl MockTarget {
    pub fn new(ttft_ms: u64, per_token_ms: u64, tokens: u64) -> Self {
        MockTarget {
            ttft: Duration::from_millis(ttft_ms),
            per_token: Duration::from_millis(per_token_ms),
            tokens,
            fail_every: None,
            error: ErrorKind::Server,
            jitter_ms: Vec::new(),
        }
    }

    pub fn jitter(mut self, ms: &[u64]) -> Self {
        self.jitter_ms = ms.to_vec();
        self
    }

    pub fn failing_every(mut self, n: usize, kind: ErrorKind) -> Self {
        self.fail_every = Some(n);
        self.error = kind;
        self
    }
}

pub struct MockExecutor {
    pub targets: Vec<MockTarget>,
    /// (target, prompt) in the order calls were made.
    pub calls: Mutex<Vec<(usize, usize)>>,
    /// When set, one request at a time is served: a server with a single slot.
    pub serial: Option<tokio::sync::Mutex<()>>,
}

impl MockExecutor {
    pub fn new(targets: Vec<MockTarget>) -> Self {
        MockExecutor {
            targets,
            calls: Mutex::new(Vec::new()),
            serial: None,
        }
    }

    pub fn serial(mut self) -> Self {
        self.serial = Some(tokio::sync::Mutex::new(()));
        self
    }

    pub fn calls(&self) -> Vec<(usize, usize)> {
        self.calls.lock().unwrap().clone()
    }
}

impl Executor for MockExecutor {
    fn execute(
        &self,
        target: usize,
        prompt: usize,
    ) -> impl Future<Output = Result<ChatResponse, ProviderError>> + Send {
        let nth = {
            let mut calls = self.calls.lock().unwrap();
            calls.push((target, prompt));
            calls.iter().filter(|c| c.0 == target).count()
        };
        let spec = self.targets[target].clone();
        async move {
            let _slot = match &self.serial {
                Some(m) => Some(m.lock().await),
                None => None,
            };
            let started = Instant::now();
            let jitter = match spec.jitter_ms.len() {
                0 => 0,
                n => spec.jitter_ms[(nth - 1) % n],
            };
            sleep(spec.ttft + Duration::from_millis(jitter)).await;
            let first = Instant::now();
            if spec.fail_every.is_some_and(|n| nth % n == 0) {
                return Err(ProviderError {
                    kind: spec.error,
                    status: Some(429),
                    message: "mock failure".into(),
                    attempts: 1,
                    request_id: None,
                });
            }
            let mut gaps = Vec::with_capacity(spec.tokens as usize);
            let mut last = first;
            for _ in 1..spec.tokens {
                sleep(spec.per_token).await;
                let now = Instant::now();
                gaps.push(now - last);
                last = now;
            }
            Ok(ChatResponse {
                text: "x".repeat(spec.tokens as usize),
                model: "m".into(),
                usage: Usage {
                    input_tokens: Some(10),
                    output_tokens: Some(spec.tokens),
                    estimated: false,
                },
                finish_reason: Some("stop".into()),
                finish: None,
                message: Default::default(),
                started: started.into_std(),
                first_token: Some(first.into_std()),
                last_token: Some(last.into_std()),
                finished: last.into_std(),
                chunks: spec.tokens as u32,
                streamed: true,
                gaps,
                request_id: None,
            })
        }
    }
}

pub fn target(provider: &str, model: &str) -> TargetSpec {
    TargetSpec {
        provider: provider.into(),
        model: model.into(),
        credential: provider.into(),
    }
}

pub fn config(targets: Vec<TargetSpec>, prompts: &[&str], runs: u32, load: Load) -> BenchConfig {
    BenchConfig {
        targets,
        prompts: prompts
            .iter()
            .map(|p| PromptInfo::new(p, None, &format!("text of {p}"), None))
            .collect(),
        runs,
        warmup: 0,
        load,
        order: Order::Interleaved,
        max_tokens: Some(256),
        stream: true,
        timeout_ms: 60_000,
        seed: 7,
        echo_delay: None,
        schema: None,
    }
}

/// A summary with the given p50 and its standard error; other fields plausible.
pub fn summary(n: u64, p50: f64, se_p50: f64) -> Summary {
    Summary {
        n,
        mean: p50,
        std: se_p50 * (n as f64).sqrt(),
        min: p50 * 0.5,
        p50,
        p90: p50 * 1.2,
        p95: p50 * 1.3,
        p99: p50 * 1.5,
        max: p50 * 2.0,
        se: StdErrors {
            mean: se_p50,
            p50: se_p50,
            p90: se_p50,
            p95: se_p50,
            p99: se_p50,
        },
    }
}

/// A target summary with a TTFT distribution and nothing else measured.
pub fn target_summary(label: &str, ttft: Option<Summary>) -> TargetSummary {
    let (provider, model) = label.split_once('/').unwrap();
    let ok = ttft.map_or(0, |s| s.n);
    TargetSummary {
        target: label.into(),
        prompt: None,
        provider: provider.into(),
        model: model.into(),
        credential: provider.into(),
        requests: ok,
        ok,
        failed: 0,
        errors: BTreeMap::new(),
        first_errors: BTreeMap::new(),
        error_rate: 0.0,
        input_tokens: 0,
        output_tokens: 0,
        estimated_usage: 0,
        requests_per_s: 0.0,
        output_tokens_per_s: 0.0,
        cost_total_usd: None,
        cost_per_request_usd: None,
        unpriced: 0,
        ttft,
        e2e: None,
        tpot: None,
        gap: None,
        tps: None,
        schema_valid: None,
        schema_validity: None,
    }
}
