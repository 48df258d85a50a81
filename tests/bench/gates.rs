use omc::bench::gate::{self, GateKind, Op, Quantity};
use omc::bench::{GateStatus, Metric, Stat, TargetSummary, any_failed, evaluate, failure_message};

use crate::mock::{summary, target_summary};

fn threshold(expr: &str) -> (Quantity, Op, f64) {
    match gate::parse(expr).unwrap().kind {
        GateKind::Threshold {
            quantity,
            op,
            value,
        } => (quantity, op, value),
        k => panic!("{expr}: {k:?}"),
    }
}

#[test]
fn the_issue_examples_parse_to_canonical_units() {
    use Quantity::{CostTotal, ErrorRate, Rps};
    assert_eq!(
        threshold("ttft.p95>800ms"),
        (Quantity::Stat(Metric::Ttft, Stat::P95), Op::Gt, 800.0)
    );
    assert_eq!(threshold("e2e.p50>2s").2, 2000.0);
    assert_eq!(threshold("tpot.p50 > 50ms").1, Op::Gt);
    assert_eq!(threshold("gap.max>=1500us").2, 1.5);
    assert_eq!(threshold("error_rate>1%"), (ErrorRate, Op::Gt, 0.01));
    assert_eq!(threshold("error_rate>0.05").2, 0.05);
    assert_eq!(threshold("cost.total>0.50"), (CostTotal, Op::Gt, 0.5));
    assert_eq!(threshold("cost.per_request>$0.002").2, 0.002);
    assert_eq!(
        threshold("tps.p50<30"),
        (Quantity::Stat(Metric::Tps, Stat::P50), Op::Lt, 30.0)
    );
    assert_eq!(threshold("rps<=5"), (Rps, Op::Le, 5.0));
    assert_eq!(
        gate::parse("regress(ttft.p50)>10%").unwrap().kind,
        GateKind::Regress {
            metric: Metric::Ttft,
            stat: Stat::P50,
            op: Op::Gt,
            fraction: 0.1
        }
    );
    assert_eq!(
        gate::parse(" ttft.p95 > 800ms ").unwrap().expr,
        "ttft.p95>800ms"
    );
}

#[test]
fn bad_gates_are_usage_errors_with_examples() {
    for (expr, says) in [
        ("ttft.p95>800", "needs a unit"),
        ("ttft.p97>1s", "unknown statistic 'p97'"),
        ("latency.p50>1s", "unknown metric 'latency'"),
        ("ttft>1s", "unknown quantity 'ttft'"),
        ("ttft.p95 800ms", "no comparison"),
        (">800ms", "nothing before"),
        ("ttft.p95>", "no value"),
        ("ttft.p95>abc", "not a non-negative number"),
        ("ttft.p95>-5ms", "not a non-negative number"),
        ("ttft.p95>5kg", "is in ms, not 'kg'"),
        ("error_rate>5", "fraction from 0 to 1"),
        ("error_rate>150%", "at most 100%"),
        ("tps.p50<30ms", "is in tok/s"),
        (
            "regress(ttft.max)>10%",
            "needs a statistic with an uncertainty",
        ),
        ("regress(ttft.p50)<10%", "use > or >="),
        ("regress(ttft.p50)>10ms", "is a percentage"),
        ("1<x<2", "more than one comparison"),
    ] {
        let e = gate::parse(expr).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{expr}");
        let msg = e.to_string();
        assert!(msg.contains(says), "{expr}: {msg}");
        assert!(msg.contains(&format!("'{expr}'")), "{msg}");
        assert!(
            e.hint().unwrap().contains("regress(ttft.p50)>10%"),
            "{expr}"
        );
    }
}

fn one(expr: &str, t: &TargetSummary, base: Option<&TargetSummary>) -> omc::bench::GateVerdict {
    let g = gate::parse(expr).unwrap();
    g.check(t, base)
}

#[test]
fn thresholds_are_strict_or_inclusive_at_the_boundary() {
    let t = target_summary("openai/a", Some(summary(10, 800.0, 5.0)));
    let at = |e: &str| one(e, &t, None).status;
    assert_eq!(at("ttft.p50>800ms"), GateStatus::Pass);
    assert_eq!(at("ttft.p50>=800ms"), GateStatus::Fail);
    assert_eq!(at("ttft.p50>0.8s"), GateStatus::Pass);
    assert_eq!(at("ttft.p50>799.999ms"), GateStatus::Fail);
    assert_eq!(at("ttft.p50<800ms"), GateStatus::Pass);
    assert_eq!(at("ttft.p50<=800ms"), GateStatus::Fail);
    let v = one("ttft.p50>=800ms", &t, None);
    assert_eq!(v.observed, Some(800.0));
    assert_eq!(v.threshold, 800.0);
    assert_eq!(v.unit, "ms");
    assert_eq!(v.message, "ttft.p50 = 800 ms >= 800 ms");
    assert_eq!(
        one("ttft.p50>1s", &t, None).message,
        "ttft.p50 = 800 ms <= 1 s"
    );
}

#[test]
fn error_rate_cost_and_rps_gates_read_the_target_totals() {
    let mut t = target_summary("openai/a", Some(summary(99, 100.0, 1.0)));
    t.requests = 100;
    t.failed = 1;
    t.error_rate = 0.01;
    t.cost_total_usd = Some(0.75);
    t.requests_per_s = 4.0;
    assert_eq!(one("error_rate>1%", &t, None).status, GateStatus::Pass);
    assert_eq!(one("error_rate>=1%", &t, None).status, GateStatus::Fail);
    assert_eq!(
        one("error_rate>0.5%", &t, None).message,
        "error_rate = 1% > 0.5%"
    );
    assert_eq!(one("cost.total>0.50", &t, None).status, GateStatus::Fail);
    assert_eq!(
        one("cost.total>0.50", &t, None).message,
        "cost.total = $0.75 > $0.5"
    );
    assert_eq!(one("rps<5", &t, None).status, GateStatus::Fail);
}

#[test]
fn nothing_to_check_fails_the_gate() {
    // Every request failed: a latency gate must not pass by default.
    let t = target_summary("openai/a", None);
    let v = one("ttft.p95>800ms", &t, None);
    assert_eq!(v.status, GateStatus::Fail);
    assert_eq!(v.observed, None);
    assert!(v.message.contains("cannot be checked"), "{}", v.message);
    let v = one("cost.total>1", &t, None);
    assert_eq!(v.status, GateStatus::Fail);
    assert!(v.message.contains("no price known for a"), "{}", v.message);
}

#[test]
fn regression_fails_only_beyond_the_noise() {
    let base = target_summary("openai/a", Some(summary(50, 100.0, 2.0)));
    let with = |p50: f64| target_summary("openai/a", Some(summary(50, p50, 2.0)));
    let gate = "regress(ttft.p50)>10%";

    // +30%, and at least (126/104 − 1) = +21% after noise: a real regression.
    let v = one(gate, &with(130.0), Some(&base));
    assert_eq!(v.status, GateStatus::Fail, "{}", v.message);
    assert!((v.observed.unwrap() - 0.3).abs() < 1e-12);
    assert!((v.bound.unwrap() - (126.0 / 104.0 - 1.0)).abs() < 1e-12);
    assert_eq!(
        v.message,
        "ttft.p50 100 ms → 130 ms (+30% worse; at least +21.2% allowing for noise) > +10%"
    );

    // +15% by the point estimate, only +6.7% for sure: inconclusive.
    let v = one(gate, &with(115.0), Some(&base));
    assert_eq!(v.status, GateStatus::Inconclusive, "{}", v.message);
    assert!(
        v.message
            .ends_with("above +10% but within measurement noise"),
        "{}",
        v.message
    );

    // +5%: pass.
    let v = one(gate, &with(105.0), Some(&base));
    assert_eq!(v.status, GateStatus::Pass);
    assert_eq!(
        v.message,
        "ttft.p50 100 ms → 105 ms (+5% worse, within noise of no change) <= +10%"
    );
    // Faster: pass, and said so.
    let v = one(gate, &with(80.0), Some(&base));
    assert_eq!(v.status, GateStatus::Pass);
    assert_eq!(v.message, "ttft.p50 100 ms → 80 ms (20% better) <= +10%");
}

#[test]
fn a_tail_percentile_of_few_samples_is_never_judged() {
    // 50 samples: their p99 is their maximum, and its interval collapses to nothing, so a
    // +30% "change" would look certain. It is inconclusive until there are 500 samples.
    let base = target_summary("openai/a", Some(summary(50, 100.0, 0.0)));
    let cur = target_summary("openai/a", Some(summary(50, 130.0, 0.0)));
    let v = one("regress(ttft.p99)>10%", &cur, Some(&base));
    assert_eq!(v.status, GateStatus::Inconclusive, "{}", v.message);
    assert!(v.message.contains("need 500 each"), "{}", v.message);
    let v = one("regress(ttft.p95)>10%", &cur, Some(&base));
    assert!(v.message.contains("need 100 each"), "{}", v.message);
    let many = |v: f64| target_summary("openai/a", Some(summary(500, v, 0.0)));
    let v = one("regress(ttft.p99)>10%", &many(130.0), Some(&many(100.0)));
    assert_eq!(v.status, GateStatus::Fail, "{}", v.message);
}

#[test]
fn regression_boundary_without_noise_is_strict_or_inclusive() {
    // Exactly +25% (200 → 250, both exact in binary), no uncertainty at all.
    let base = target_summary("openai/a", Some(summary(50, 200.0, 0.0)));
    let cur = target_summary("openai/a", Some(summary(50, 250.0, 0.0)));
    assert_eq!(
        one("regress(ttft.p50)>25%", &cur, Some(&base)).status,
        GateStatus::Pass
    );
    assert_eq!(
        one("regress(ttft.p50)>=25%", &cur, Some(&base)).status,
        GateStatus::Fail
    );
}

#[test]
fn throughput_regresses_when_it_falls() {
    let mk = |p50: f64| {
        let mut t = target_summary("openai/a", None);
        t.tps = Some(summary(40, p50, 1.0));
        t
    };
    let base = mk(100.0);
    let v = one("regress(tps.p50)>10%", &mk(50.0), Some(&base));
    assert_eq!(v.status, GateStatus::Fail, "{}", v.message);
    assert!((v.observed.unwrap() - 0.5).abs() < 1e-12);
    // 1 − (50 + 2)/(100 − 2)
    assert!((v.bound.unwrap() - (1.0 - 52.0 / 98.0)).abs() < 1e-12);
    assert_eq!(
        one("regress(tps.p50)>10%", &mk(150.0), Some(&base)).status,
        GateStatus::Pass
    );
}

#[test]
fn regression_without_comparable_data_is_inconclusive() {
    let cur = target_summary("openai/a", Some(summary(50, 300.0, 1.0)));
    let v = one("regress(ttft.p50)>10%", &cur, None);
    assert_eq!(v.status, GateStatus::Inconclusive);
    assert!(v.message.contains("not in the baseline"));
    let tiny = target_summary("openai/a", Some(summary(1, 100.0, 0.0)));
    let v = one("regress(ttft.p50)>10%", &cur, Some(&tiny));
    assert_eq!(v.status, GateStatus::Inconclusive);
    assert!(v.message.contains("too few samples"), "{}", v.message);
    // Nothing measured now is a failure, as for thresholds.
    let none = target_summary("openai/a", None);
    assert_eq!(
        one("regress(ttft.p50)>10%", &none, Some(&cur)).status,
        GateStatus::Fail
    );
}

#[test]
fn every_gate_is_checked_on_every_target_and_failures_are_named() {
    let fast = target_summary("openai/a", Some(summary(10, 300.0, 1.0)));
    let slow = target_summary("anthropic/b", Some(summary(10, 900.0, 1.0)));
    let gates = gate::parse_all(&["ttft.p50>800ms", "ttft.p50>2s"]).unwrap();
    let v = evaluate(&gates, &[fast, slow], None).unwrap();
    assert_eq!(v.len(), 4);
    let statuses: Vec<_> = v.iter().map(|v| (v.target.as_str(), v.status)).collect();
    assert_eq!(
        statuses,
        [
            ("openai/a", GateStatus::Pass),
            ("anthropic/b", GateStatus::Fail),
            ("openai/a", GateStatus::Pass),
            ("anthropic/b", GateStatus::Pass),
        ]
    );
    assert!(any_failed(&v));
    assert_eq!(
        failure_message(&v).unwrap(),
        "benchmark gate failed: ttft.p50>800ms on anthropic/b"
    );
    let e = omc::error::Error::Gate(failure_message(&v).unwrap());
    assert_eq!(e.exit_code(), 9);
    assert!(!any_failed(&v[..1]));
    assert_eq!(failure_message(&v[..1]), None);
}

#[test]
fn a_regression_gate_without_a_baseline_is_a_usage_error() {
    let gates = gate::parse_all(&["regress(e2e.p95)>5%"]).unwrap();
    let e = evaluate(&gates, &[], None).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.hint().unwrap().contains("--baseline"));
    // `--baseline last` with no earlier run: inconclusive, and the message says why.
    let t = target_summary("openai/a", Some(summary(50, 100.0, 2.0)));
    let v = evaluate(&gates, std::slice::from_ref(&t), Some(&[])).unwrap();
    assert_eq!(v[0].status, GateStatus::Inconclusive);
    assert!(
        v[0].message
            .starts_with("no earlier run with this configuration"),
        "{}",
        v[0].message
    );
}
