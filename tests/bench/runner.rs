use std::sync::Arc;
use std::time::Duration;

use omc::bench::{
    Load, Order, Phase, Plan, Progress, RequestRecord, RunOutcome, Stop, run, schedule,
};
use omc::error::Error;
use omc::provider::ErrorKind;

use crate::mock::{MockExecutor, MockTarget, config, target};

fn plan(nt: usize, prompts: &[&str], runs: u32, warmup: u32, load: Load) -> Plan {
    let targets = (0..nt).map(|i| target(&format!("p{i}"), "m")).collect();
    let mut c = config(targets, prompts, runs, load);
    c.warmup = warmup;
    Plan::new(&c, vec![None; nt])
}

async fn go(
    plan: &Plan,
    ex: &Arc<MockExecutor>,
) -> (RunOutcome, Vec<RequestRecord>, Vec<Progress>) {
    let mut records = Vec::new();
    let mut progress = Vec::new();
    let out = run(
        plan,
        ex.clone(),
        |r: &RequestRecord| {
            records.push(r.clone());
            Ok(())
        },
        |p: &Progress| progress.push(*p),
        &Stop::new(),
    )
    .await
    .unwrap();
    (out, records, progress)
}

#[test]
fn targets_are_interleaved_with_a_rotating_first() {
    let p = plan(3, &["a", "b"], 2, 2, Load::Closed { concurrency: 1 });
    let (warm, measured) = schedule(&p);
    let (warm, measured) = (warm.to_vec(), measured.to_vec());
    let w: Vec<(usize, usize)> = warm.iter().map(|j| (j.target, j.prompt)).collect();
    assert_eq!(w, [(0, 0), (1, 0), (2, 0), (1, 1), (2, 1), (0, 1)]);
    assert!(warm.iter().all(|j| j.warmup));
    let m: Vec<(usize, usize, u32)> = measured
        .iter()
        .map(|j| (j.target, j.prompt, j.run))
        .collect();
    assert_eq!(
        m,
        [
            (0, 0, 0),
            (1, 0, 0),
            (2, 0, 0),
            (1, 1, 0),
            (2, 1, 0),
            (0, 1, 0),
            (2, 0, 1),
            (0, 0, 1),
            (1, 0, 1),
            (0, 1, 1),
            (1, 1, 1),
            (2, 1, 1),
        ]
    );
}

#[test]
fn shuffled_order_is_seeded_and_keeps_every_request() {
    let mut p = plan(3, &["a", "b"], 5, 0, Load::Closed { concurrency: 1 });
    p.order = Order::Shuffled;
    let a = schedule(&p).1.to_vec();
    let b = schedule(&p).1.to_vec();
    assert_eq!(a, b, "same seed, same order");
    let plain = schedule(&{
        let mut q = p.clone();
        q.order = Order::Interleaved;
        q
    })
    .1
    .to_vec();
    assert_ne!(a, plain);
    let mut sorted = a.clone();
    sorted.sort_by_key(|j| (j.run, j.prompt, j.target));
    let mut want = plain.clone();
    want.sort_by_key(|j| (j.run, j.prompt, j.target));
    assert_eq!(sorted, want);
    p.seed = 8;
    assert_ne!(schedule(&p).1.to_vec(), a, "another seed, another order");
}

#[tokio::test(start_paused = true)]
async fn closed_loop_sends_in_schedule_order_and_excludes_warmup() {
    let ex = Arc::new(MockExecutor::new(vec![
        MockTarget::new(100, 10, 11), // e2e 200 ms
        MockTarget::new(50, 5, 21),   // e2e 150 ms
    ]));
    let p = plan(2, &["a", "b"], 3, 2, Load::Closed { concurrency: 1 });
    let (out, records, progress) = go(&p, &ex).await;

    let (warm, measured) = schedule(&p);
    let (warm, measured) = (warm.to_vec(), measured.to_vec());
    let sent: Vec<_> = warm
        .iter()
        .chain(&measured)
        .map(|j| (j.target, j.prompt))
        .collect();
    assert_eq!(ex.calls(), sent, "one worker sends exactly the schedule");

    assert_eq!(records.len(), 4 + 12);
    assert_eq!(records.iter().filter(|r| r.warmup).count(), 4);
    assert!(
        records[..4].iter().all(|r| r.warmup),
        "warmup finishes before measuring"
    );
    assert_eq!(records[4].target, "p0/m");
    assert_eq!(records[4].prompt, "a");

    let t0 = &out.targets[0];
    assert_eq!((t0.requests, t0.ok, t0.failed), (6, 6, 0));
    let ttft = t0.ttft.unwrap();
    assert_eq!(
        (ttft.n, ttft.min, ttft.p50, ttft.max),
        (6, 100.0, 100.0, 100.0)
    );
    assert_eq!(t0.tpot.unwrap().p50, 10.0);
    assert_eq!(t0.e2e.unwrap().mean, 200.0);
    assert_eq!(t0.tps.unwrap().p50, 100.0);
    let t1 = &out.targets[1];
    assert_eq!(t1.ttft.unwrap().p50, 50.0);
    assert_eq!(t1.tpot.unwrap().p50, 5.0);
    assert_eq!(t1.e2e.unwrap().p99, 150.0);
    // One worker: the measured phase is the sum of the requests, 6 × 200 + 6 × 150 ms.
    assert_eq!(out.wall, Duration::from_millis(2100));
    assert_eq!(t0.requests_per_s, 2.857);
    assert!(!out.interrupted);

    // Each phase is announced before its first request finishes, then counts from 1.
    let warmup: Vec<_> = progress
        .iter()
        .filter(|p| p.phase == Phase::Warmup)
        .collect();
    assert_eq!(warmup.len(), 5);
    assert_eq!((warmup[0].done, warmup[0].total), (0, 4));
    let measure: Vec<_> = progress
        .iter()
        .filter(|p| p.phase == Phase::Measure)
        .collect();
    assert_eq!((measure[0].done, measure[0].total), (0, 12));
    assert_eq!(measure[1].done, 1);
    assert_eq!(
        *progress.last().unwrap(),
        Progress {
            phase: Phase::Measure,
            done: 12,
            total: 12,
            failed: 0
        }
    );
}

#[tokio::test(start_paused = true)]
async fn concurrency_runs_that_many_at_once() {
    let ex = Arc::new(MockExecutor::new(vec![MockTarget::new(100, 10, 11); 2]));
    let p = plan(2, &["a"], 8, 0, Load::Closed { concurrency: 4 });
    let (out, records, _) = go(&p, &ex).await;
    assert_eq!(records.len(), 16);
    // 16 requests of 200 ms, four at a time.
    assert_eq!(out.wall, Duration::from_millis(800));
    // Latency is unaffected by concurrency on a server with free slots.
    assert_eq!(out.targets[0].e2e.unwrap().max, 200.0);
}

#[tokio::test(start_paused = true)]
async fn failures_are_counted_by_kind_and_not_timed() {
    let ex = Arc::new(MockExecutor::new(vec![
        MockTarget::new(100, 10, 11),
        MockTarget::new(100, 10, 11).failing_every(3, ErrorKind::RateLimited),
    ]));
    let p = plan(2, &["a"], 9, 0, Load::Closed { concurrency: 2 });
    let (out, records, progress) = go(&p, &ex).await;
    let t1 = &out.targets[1];
    assert_eq!((t1.requests, t1.ok, t1.failed), (9, 6, 3));
    assert_eq!(t1.errors.get("rate_limited"), Some(&3));
    assert!((t1.error_rate - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(t1.ttft.unwrap().n, 6);
    assert_eq!(out.targets[0].failed, 0);
    assert_eq!(records.iter().filter(|r| !r.is_ok()).count(), 3);
    assert_eq!(progress.last().unwrap().failed, 3);
}

#[tokio::test(start_paused = true)]
async fn the_timeout_backstop_turns_a_hung_request_into_a_timeout() {
    let ex = Arc::new(MockExecutor::new(vec![MockTarget::new(5_000, 10, 2)]));
    let mut p = plan(1, &["a"], 2, 0, Load::Closed { concurrency: 1 });
    p.timeout = Duration::from_secs(1);
    let (out, records, _) = go(&p, &ex).await;
    assert_eq!(out.targets[0].errors.get("timeout"), Some(&2));
    assert_eq!(records[0].e2e_ms, 1000.0);
    assert!(records[0].error.as_deref().unwrap().contains("1s"));
}

#[tokio::test(start_paused = true)]
async fn open_loop_keeps_its_schedule_and_counts_queueing_as_latency() {
    // A server that serves one request at a time, each taking 100 ms, offered 20 requests/s:
    // it can do 10/s, so requests queue. A closed loop would hide this (each request waits for
    // the last, so latency stays 100 ms); the open loop must show it.
    let ex = Arc::new(MockExecutor::new(vec![MockTarget::new(50, 50, 2)]).serial());
    let p = plan(1, &["a"], 40, 0, Load::Open { rate: 20.0 });
    let (out, records, _) = go(&p, &ex).await;
    assert_eq!(records.len(), 40);
    let offsets: Vec<f64> = records.iter().map(|r| r.scheduled_ms).collect();
    let mut sorted = offsets.clone();
    sorted.sort_by(f64::total_cmp);
    // Arrivals span about 40 / 20 = 2 s (seeded, so exact every run; loose bound for the
    // Poisson spread).
    let span = sorted.last().unwrap() / 1000.0;
    assert!((1.2..3.0).contains(&span), "{span}");
    let e2e = out.targets[0].e2e.unwrap();
    // tokio's timer fires on the millisecond after the due instant: up to 1 ms of dispatch
    // lag, counted (as all lag is) in the latency and shown in queue_ms.
    assert!((100.0..101.0).contains(&e2e.min), "{e2e:?}");
    assert!(e2e.p99 > 500.0, "queueing is hidden: {e2e:?}");
    // The service itself stays 100 ms: the rest is time spent waiting after the schedule.
    assert!(records.iter().all(|r| r.e2e_ms >= 100.0));

    // Same server, closed loop with one worker: latency is just the service time.
    let ex = Arc::new(MockExecutor::new(vec![MockTarget::new(50, 50, 2)]).serial());
    let p = plan(1, &["a"], 40, 0, Load::Closed { concurrency: 1 });
    let (out, _, _) = go(&p, &ex).await;
    assert_eq!(out.targets[0].e2e.unwrap().p99, 100.0);
}

#[tokio::test(start_paused = true)]
async fn open_loop_arrivals_are_poisson_at_the_rate() {
    let ex = Arc::new(MockExecutor::new(vec![MockTarget::new(1, 1, 2); 2]));
    let p = plan(2, &["a"], 500, 0, Load::Open { rate: 100.0 });
    let (_, records, _) = go(&p, &ex).await;
    let mut t: Vec<f64> = records.iter().map(|r| r.scheduled_ms).collect();
    t.sort_by(f64::total_cmp);
    let gaps: Vec<f64> = std::iter::once(t[0])
        .chain(t.windows(2).map(|w| w[1] - w[0]))
        .collect();
    let n = gaps.len() as f64;
    let mean = gaps.iter().sum::<f64>() / n;
    let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (n - 1.0);
    // Exponential: mean 10 ms and coefficient of variation 1 (a fixed pacing would give 0).
    assert!((mean - 10.0).abs() < 1.0, "mean gap {mean}");
    let cv = var.sqrt() / mean;
    assert!((0.85..1.15).contains(&cv), "cv {cv}");
}

#[tokio::test(start_paused = true)]
async fn stopping_finishes_in_flight_requests_and_marks_the_run() {
    let ex = Arc::new(MockExecutor::new(vec![MockTarget::new(10, 10, 2)]));
    let p = plan(1, &["a"], 100, 0, Load::Closed { concurrency: 2 });
    let stop = Stop::new();
    let mut n = 0;
    let out = run(
        &p,
        ex.clone(),
        |_: &RequestRecord| {
            n += 1;
            if n == 5 {
                stop.stop();
            }
            Ok(())
        },
        |_: &Progress| {},
        &stop,
    )
    .await
    .unwrap();
    assert!(out.interrupted);
    assert!(out.targets[0].requests < 10, "{}", out.targets[0].requests);
    assert_eq!(out.targets[0].requests as usize, ex.calls().len());
}

#[tokio::test(start_paused = true)]
async fn a_failing_sink_stops_the_run_with_its_error() {
    let ex = Arc::new(MockExecutor::new(vec![MockTarget::new(10, 10, 2)]));
    let p = plan(1, &["a"], 50, 0, Load::Open { rate: 100.0 });
    let err = run(
        &p,
        ex.clone(),
        |_: &RequestRecord| Err(Error::Other("disk full".into())),
        |_: &Progress| {},
        &Stop::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    assert!(ex.calls().len() < 50);
}

/// Answers at once: what is left is the runner's own cost per request.
struct Instant0;

impl omc::bench::Executor for Instant0 {
    async fn execute(
        &self,
        _target: usize,
        _prompt: usize,
    ) -> Result<omc::provider::ChatResponse, omc::provider::ProviderError> {
        let now = std::time::Instant::now();
        Ok(omc::provider::ChatResponse {
            text: String::new(),
            model: "m".into(),
            usage: omc::provider::Usage {
                input_tokens: Some(10),
                output_tokens: Some(20),
                estimated: false,
            },
            finish_reason: None,
            finish: None,
            message: Default::default(),
            started: now,
            first_token: Some(now),
            last_token: Some(now),
            finished: now,
            chunks: 20,
            streamed: true,
            gaps: vec![std::time::Duration::ZERO; 19],
            request_id: None,
        })
    }
}

/// `cargo test --release --test bench runner_overhead -- --ignored --nocapture`: the runner's
/// ceiling in requests/s, far above the 2,000/s, so the HTTP path is what limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn runner_overhead() {
    let p = plan(4, &["a"], 25_000, 0, Load::Closed { concurrency: 64 });
    let mut lines = 0usize;
    let t = std::time::Instant::now();
    let out = run(
        &p,
        Arc::new(Instant0),
        |r: &RequestRecord| {
            // What a JSONL sink costs, minus the disk.
            lines += serde_json::to_string(r).unwrap().len();
            Ok(())
        },
        |_: &Progress| {},
        &Stop::new(),
    )
    .await
    .unwrap();
    let n: u64 = out.targets.iter().map(|t| t.ok).sum();
    assert_eq!(n, 100_000);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{n} requests in {secs:.2} s: {:.0} requests/s ({lines} bytes of JSONL)",
        n as f64 / secs
    );
    // Peak resident memory of the whole test process (Linux).
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let peak = status.lines().find(|l| l.starts_with("VmHWM"));
        println!("{}", peak.unwrap_or("VmHWM unknown"));
    }
}
