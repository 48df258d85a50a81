use std::time::{Duration, Instant};

use omc::bench::record::{Attempt, Price, RequestRecord, Status};
use omc::provider::{ChatResponse, ErrorKind, ProviderError, Usage};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn response(t0: Instant, first: u64, last: u64, tokens: Option<u64>, chunks: u32) -> ChatResponse {
    ChatResponse {
        text: "hello".into(),
        model: "gpt-4o-mini".into(),
        usage: Usage {
            input_tokens: Some(1_000),
            output_tokens: tokens,
            estimated: true,
        },
        finish_reason: Some("stop".into()),
        finish: None,
        message: Default::default(),
        started: t0,
        first_token: Some(t0 + ms(first)),
        last_token: Some(t0 + ms(last)),
        finished: t0 + ms(last + 5),
        chunks,
        streamed: true,
        // One long stall among otherwise even gaps (the sum is last − first).
        gaps: match chunks {
            0 | 1 => Vec::new(),
            n => {
                let total = last - first;
                let stall = total / 2;
                let rest = (total - stall) as f64 / f64::from(n - 2).max(1.0);
                std::iter::once(ms(stall))
                    .chain((0..n - 2).map(|_| Duration::from_secs_f64(rest / 1e3)))
                    .collect()
            }
        },
        request_id: Some("req_ok_1".into()),
    }
}

fn attempt(run_start: Instant, scheduled: Instant, completed: Instant) -> Attempt<'static> {
    Attempt {
        target: "openai/gpt-4o-mini",
        credential: "openai",
        prompt: "short",
        run: 3,
        warmup: false,
        run_start,
        scheduled,
        completed,
        price: Some(Price::new(0.15, 0.60)),
        schema: None,
    }
}

#[test]
fn a_streamed_reply_yields_every_metric() {
    let t0 = Instant::now();
    let resp = response(t0, 200, 1200, Some(101), 51);
    let r = RequestRecord::new(&attempt(t0, t0, t0 + ms(1205)), &Ok(resp));
    assert_eq!(r.status, Status::Ok);
    assert_eq!(r.ttft_ms, Some(200.0));
    assert_eq!(r.e2e_ms, 1205.0);
    // (1200 − 200) ms over the 100 tokens after the first.
    assert_eq!(r.tpot_ms, Some(10.0));
    assert_eq!(r.tps, Some(100.0));
    // 50 gaps between 51 chunks: the mean, and the longest (the 500 ms stall).
    assert_eq!(r.gap_ms, Some(20.0));
    assert_eq!(r.max_gap_ms, Some(500.0));
    assert!(r.estimated);
    assert_eq!(r.request_id.as_deref(), Some("req_ok_1"));
    // 1000 × $0.15/M + 101 × $0.60/M.
    let cost = r.cost_usd.unwrap();
    assert!((cost - 0.0002106).abs() < 1e-12, "{cost}");
}

#[test]
fn open_loop_latency_counts_from_the_scheduled_instant() {
    let t0 = Instant::now();
    let scheduled = t0 + ms(100);
    // The client sent it 50 ms late: that wait belongs to the latency.
    let started = scheduled + ms(50);
    let resp = response(started, 200, 400, Some(3), 3);
    let r = RequestRecord::new(&attempt(t0, scheduled, started + ms(405)), &Ok(resp));
    assert_eq!(r.scheduled_ms, 100.0);
    assert_eq!(r.queue_ms, 50.0);
    assert_eq!(r.ttft_ms, Some(250.0));
    assert_eq!(r.e2e_ms, 455.0);
    // Generation-window metrics do not include the lag.
    assert_eq!(r.tpot_ms, Some(100.0));
}

#[test]
fn one_token_or_unknown_tokens_leave_per_token_metrics_empty() {
    let t0 = Instant::now();
    let one = RequestRecord::new(&attempt(t0, t0, t0), &Ok(response(t0, 10, 10, Some(1), 1)));
    assert_eq!((one.tpot_ms, one.tps, one.gap_ms), (None, None, None));
    let unknown = RequestRecord::new(&attempt(t0, t0, t0), &Ok(response(t0, 10, 90, None, 5)));
    assert_eq!((unknown.tpot_ms, unknown.tps), (None, None));
    assert_eq!(unknown.gap_ms, Some(20.0));
    // No token count, no cost: a guess would look exact.
    assert_eq!(unknown.cost_usd, None);
}

#[test]
fn an_unpriced_model_serializes_cost_as_null() {
    let t0 = Instant::now();
    let mut a = attempt(t0, t0, t0);
    a.price = None;
    let r = RequestRecord::new(&a, &Ok(response(t0, 10, 20, Some(2), 2)));
    let line = serde_json::to_string(&r).unwrap();
    assert!(line.contains(r#""cost_usd":null"#), "{line}");
    assert!(!line.contains('\n'));
    assert!(!line.contains("error_kind"), "{line}");
}

#[test]
fn a_failure_records_kind_status_and_time_to_failure() {
    let t0 = Instant::now();
    let e = ProviderError {
        kind: ErrorKind::RateLimited,
        status: Some(429),
        message: "slow down".into(),
        attempts: 3,
        request_id: Some("req_failed_1".into()),
    };
    let r = RequestRecord::new(&attempt(t0, t0, t0 + ms(30)), &Err(e));
    assert_eq!(r.status, Status::Error);
    assert_eq!(r.error_kind.as_deref(), Some("rate_limited"));
    assert_eq!(r.http_status, Some(429));
    assert_eq!(r.e2e_ms, 30.0);
    assert_eq!(r.ttft_ms, None);
    let v: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["request_id"], "req_failed_1");
    let back: RequestRecord = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}
