use std::time::{Duration, Instant};

use omc::bench::record::{Attempt, Price, RequestRecord};
use omc::bench::stats::{MetricAcc, rel_change};
use omc::bench::{Metric, TargetStats};
use omc::provider::{ChatResponse, ErrorKind, ProviderError, Usage};

use crate::mock::target;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn percentiles_of_1_to_100_ms_are_the_nearest_ranks() {
    let mut acc = MetricAcc::new();
    // Descending input: the histogram must not depend on arrival order.
    for i in (1..=100).rev() {
        acc.record(f64::from(i));
    }
    let s = acc.summary().unwrap();
    assert_eq!(s.n, 100);
    assert_eq!(s.min, 1.0);
    assert_eq!(s.max, 100.0);
    assert_eq!(s.mean, 50.5);
    // Sample standard deviation of 1..=100: √(100·101/12) = 29.011.
    assert_eq!(s.std, 29.011);
    // 3 significant digits: within 0.1% of the exact nearest-rank value.
    for (got, want) in [(s.p50, 50.0), (s.p90, 90.0), (s.p95, 95.0), (s.p99, 99.0)] {
        assert!(close(got, want, want * 1e-3), "{got} vs {want}");
    }
    assert_eq!(s.se.mean, 2.901);
}

#[test]
fn percentiles_never_leave_the_exact_range() {
    let mut acc = MetricAcc::new();
    for _ in 0..10 {
        acc.record(123.456);
    }
    let s = acc.summary().unwrap();
    assert_eq!(
        (s.min, s.p50, s.p99, s.max),
        (123.456, 123.456, 123.456, 123.456)
    );
    assert_eq!(s.std, 0.0);
    assert_eq!(s.se.p50, 0.0);
}

#[test]
fn quantile_standard_error_follows_the_order_statistic_interval() {
    let mut acc = MetricAcc::new();
    for i in 1..=1000 {
        acc.record(f64::from(i));
    }
    let s = acc.summary().unwrap();
    // Ranks 500 ± 1.96·√(1000·¼) ≈ 469..531 → (531 − 469) / 3.92 ≈ 15.8.
    assert!(close(s.se.p50, 15.8, 0.6), "{}", s.se.p50);
    // The tail is estimated from fewer points around it, hence a smaller rank window here.
    assert!(s.se.p99 < s.se.p50, "{:?}", s.se);
}

#[test]
fn bad_values_are_ignored_not_averaged() {
    let mut acc = MetricAcc::new();
    acc.record(f64::NAN);
    acc.record(-1.0);
    acc.record(f64::INFINITY);
    assert!(acc.summary().is_none());
    acc.record(2.0);
    assert_eq!(acc.summary().unwrap().mean, 2.0);
}

#[test]
fn large_runs_keep_constant_size_accumulators() {
    // Not a memory measurement, but the property that gives one: the accumulator holds a
    // fixed-size histogram whatever the number of samples.
    let mut acc = MetricAcc::new();
    for i in 0..200_000u32 {
        acc.record(f64::from(i % 5000) + 0.5);
    }
    let s = acc.summary().unwrap();
    assert_eq!(s.n, 200_000);
    assert!(close(s.p50, 2500.0, 2.6), "{}", s.p50);
}

fn ok_record(t0: Instant, ttft: u64, e2e: u64, tokens: u64, warmup: bool) -> RequestRecord {
    let ms = Duration::from_millis;
    let resp = ChatResponse {
        text: String::new(),
        model: "m".into(),
        usage: Usage {
            input_tokens: Some(100),
            output_tokens: Some(tokens),
            estimated: false,
        },
        finish_reason: None,
        finish: None,
        message: Default::default(),
        started: t0,
        first_token: Some(t0 + ms(ttft)),
        last_token: Some(t0 + ms(e2e)),
        finished: t0 + ms(e2e),
        chunks: tokens as u32,
        streamed: true,
        gaps: Vec::new(),
        request_id: None,
    };
    let a = Attempt {
        target: "openai/gpt",
        credential: "openai",
        prompt: "short",
        run: 0,
        warmup,
        run_start: t0,
        scheduled: t0,
        completed: t0 + ms(e2e),
        price: Some(Price::new(1.0, 2.0)),
        schema: None,
    };
    RequestRecord::new(&a, &Ok(resp))
}

fn err_record(t0: Instant, kind: ErrorKind) -> RequestRecord {
    let a = Attempt {
        target: "openai/gpt",
        credential: "openai",
        prompt: "short",
        run: 0,
        warmup: false,
        run_start: t0,
        scheduled: t0,
        completed: t0 + Duration::from_millis(5),
        price: None,
        schema: None,
    };
    let e = ProviderError {
        kind,
        status: None,
        message: "x".into(),
        attempts: 3,
        request_id: None,
    };
    RequestRecord::new(&a, &Err(e))
}

#[test]
fn target_stats_count_errors_by_kind_and_skip_warmups() {
    let t0 = Instant::now();
    let mut st = TargetStats::new(target("openai", "gpt"));
    st.record(&ok_record(t0, 100, 1000, 11, true), &[]); // warmup: not counted
    st.record(&ok_record(t0, 100, 1100, 11, false), &[]);
    st.record(&ok_record(t0, 300, 1300, 11, false), &[]);
    st.record(&err_record(t0, ErrorKind::RateLimited), &[]);
    st.record(&err_record(t0, ErrorKind::RateLimited), &[]);
    st.record(&err_record(t0, ErrorKind::Timeout), &[]);
    let s = st.summary(Duration::from_secs(2));
    assert_eq!((s.requests, s.ok, s.failed), (5, 2, 3));
    assert_eq!(s.errors.get("rate_limited"), Some(&2));
    assert_eq!(s.errors.get("timeout"), Some(&1));
    assert_eq!(s.error_rate, 0.6);
    assert_eq!(s.ttft.unwrap().mean, 200.0);
    assert_eq!(s.e2e.unwrap().n, 2);
    // Goodput: 2 successful requests over 2 s.
    assert_eq!(s.requests_per_s, 1.0);
    assert_eq!((s.input_tokens, s.output_tokens), (200, 22));
    assert_eq!(s.output_tokens_per_s, 11.0);
    // 100 in × $1/M + 11 out × $2/M = $0.000122 per request.
    assert_eq!(s.cost_total_usd, Some(0.000244));
    assert_eq!(s.cost_per_request_usd, Some(0.000122));
    assert_eq!(s.unpriced, 0);
    assert_eq!(st.metric(Metric::Tpot).len(), 2);
}

#[test]
fn every_chunk_gap_counts_so_a_stall_shows_in_the_tail() {
    let t0 = Instant::now();
    let mut st = TargetStats::new(target("openai", "gpt"));
    let ms = Duration::from_millis;
    // 50 requests streaming at 10 ms a chunk; one of them stalls for 500 ms once.
    for i in 0..50 {
        let mut gaps = vec![ms(10); 20];
        if i == 7 {
            gaps[3] = ms(500);
        }
        st.record(&ok_record(t0, 100, 1000, 21, false), &gaps);
    }
    // A warmup's and a failure's gaps are not counted.
    st.record(&ok_record(t0, 100, 1000, 21, true), &[ms(900)]);
    st.record(&err_record(t0, ErrorKind::Server), &[ms(900)]);
    let gap = st.summary(Duration::from_secs(1)).gap.unwrap();
    assert_eq!(gap.n, 50 * 20);
    // Within the histogram's 3 significant digits.
    assert!((gap.p50 - 10.0).abs() < 0.01, "{gap:?}");
    assert!((gap.p99 - 10.0).abs() < 0.01, "{gap:?}");
    // The stall is the maximum, where a per-request mean would have hidden it (34.5 ms).
    assert_eq!(gap.max, 500.0);
}

#[test]
fn a_target_with_only_failures_has_no_latency_and_no_cost() {
    let t0 = Instant::now();
    let mut st = TargetStats::new(target("openai", "gpt"));
    st.record(&err_record(t0, ErrorKind::Server), &[]);
    let s = st.summary(Duration::from_secs(1));
    assert!(s.ttft.is_none() && s.e2e.is_none());
    assert_eq!(s.cost_total_usd, None);
    assert_eq!(s.error_rate, 1.0);
    assert_eq!(s.requests_per_s, 0.0);
}

#[test]
fn relative_change_interval_moves_both_estimates_against_the_claim() {
    let c = rel_change(100.0, 2.0, 130.0, 2.0);
    assert!(close(c.point, 0.30, 1e-12));
    assert!(close(c.low, 126.0 / 104.0 - 1.0, 1e-12));
    assert!(close(c.high, 134.0 / 96.0 - 1.0, 1e-12));
    // A base whose interval reaches zero bounds nothing above.
    assert!(rel_change(1.0, 1.0, 2.0, 0.0).high.is_infinite());
}

#[test]
fn ratio_error_propagates_both_relative_errors() {
    let (r, e) = omc::bench::stats::ratio(142.0, 4.0, 100.0, 5.0);
    assert!(close(r, 1.42, 1e-12));
    let want = 1.42 * ((4.0f64 / 142.0).powi(2) + (5.0f64 / 100.0).powi(2)).sqrt();
    assert!(close(e, want, 1e-12), "{e}");
}
