use omc::bench::compare::compare_targets as compare_with;
use omc::bench::compare::{MIN_EFFECT, Verdict};

/// With the default practical threshold.
fn compare_targets(
    base: &[omc::bench::TargetSummary],
    cur: &[omc::bench::TargetSummary],
) -> omc::bench::Comparison {
    compare_with(base, cur, MIN_EFFECT)
}
use omc::bench::export::render_comparison;
use omc::bench::{check_comparable, compare};

use crate::mock::{summary, target_summary};
use crate::report::sample_report;

#[test]
fn runs_with_another_configuration_are_refused_unless_forced() {
    let a = sample_report();
    let mut b = sample_report();
    b.id = Some("7".into());
    b.config.max_tokens = Some(64);
    b.config_hash = b.config.hash();
    let e = check_comparable(&a, &b, false).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    let msg = e.to_string();
    assert!(msg.contains("(max_tokens)"), "{msg}");
    assert!(msg.contains("2026-01-02T03:04:05Z and 7"), "{msg}");
    assert!(e.hint().unwrap().contains("--force"));
    assert!(check_comparable(&a, &b, true).is_ok());
    let c = compare(&a, &b, true, MIN_EFFECT).unwrap();
    assert!(!c.same_config);
    assert!(render_comparison(&c).contains("configured differently"));

    // More runs measure the same thing more precisely: comparable.
    let mut more = sample_report();
    more.config.runs = 100;
    more.config_hash = more.config.hash();
    assert!(check_comparable(&a, &more, false).is_ok());
}

#[test]
fn changes_are_judged_with_the_uncertainty() {
    let base = vec![
        target_summary("openai/a", Some(summary(50, 100.0, 2.0))),
        target_summary("gone/x", Some(summary(50, 100.0, 2.0))),
    ];
    let cur = vec![
        target_summary("openai/a", Some(summary(50, 130.0, 2.0))),
        target_summary("new/y", Some(summary(50, 100.0, 2.0))),
    ];
    let c = compare_targets(&base, &cur);
    assert_eq!(c.only_in_base, ["gone/x"]);
    assert_eq!(c.only_in_current, ["new/y"]);
    let d = &c.targets[0].deltas;
    let p50 = d.iter().find(|d| d.metric == "ttft.p50").unwrap();
    assert_eq!(p50.verdict, Verdict::Worse);
    assert!((p50.change - 0.3).abs() < 1e-12);
    assert!((p50.change_low - (126.0 / 104.0 - 1.0)).abs() < 1e-12);

    let within = compare_targets(
        &base[..1],
        &[target_summary("openai/a", Some(summary(50, 103.0, 2.0)))],
    );
    let p50 = within.targets[0]
        .deltas
        .iter()
        .find(|d| d.metric == "ttft.p50")
        .unwrap();
    assert_eq!(p50.verdict, Verdict::Unchanged);

    let faster = compare_targets(
        &base[..1],
        &[target_summary("openai/a", Some(summary(50, 70.0, 2.0)))],
    );
    // 50 samples say nothing about a p95 or a p99 (a p99 of 50 is the maximum): only the mean,
    // p50 and p90 are judged.
    for d in &faster.targets[0].deltas {
        let judged = ["ttft.mean", "ttft.p50", "ttft.p90"].contains(&d.metric.as_str());
        let want = if judged {
            Verdict::Better
        } else {
            Verdict::TooFewSamples
        };
        assert_eq!(d.verdict, want, "{}", d.metric);
    }
    // Regression: such a statistic read "-30% [-30%, -30%] no significant change"; it says
    // why there is no verdict instead.
    let text = render_comparison(&faster);
    assert!(
        text.contains("too few samples (p95 needs ≥ 100 per run)"),
        "{text}"
    );
    let many = |v: f64| target_summary("openai/a", Some(summary(600, v, 2.0)));
    let c = compare_targets(&[many(100.0)], &[many(70.0)]);
    assert!(
        c.targets[0]
            .deltas
            .iter()
            .all(|d| d.verdict == Verdict::Better)
    );
    // (70 − 4)/(100 + 4) − 1 and (70 + 4)/(100 − 4) − 1.
    let text = render_comparison(&faster);
    assert!(text.contains("-30% [-36.5%, -22.9%]"), "{text}");
    assert!(text.contains("better"), "{text}");
    // The Markdown keeps the interval, and lists only what changed.
    let md = omc::bench::export::markdown_comparison(&faster);
    assert!(
        md.contains("| openai/a | `ttft.p50` | -30% [-36.5%, -22.9%] | better |"),
        "{md}"
    );
    assert!(!md.contains("ttft.p99"), "{md}");
    assert_eq!(
        omc::bench::export::markdown_comparison(&within),
        "No significant change.\n"
    );
}

#[test]
fn higher_throughput_is_better() {
    let mk = |p50: f64| {
        let mut t = target_summary("openai/a", None);
        t.tps = Some(summary(600, p50, 1.0));
        t
    };
    let c = compare_targets(&[mk(100.0)], &[mk(150.0)]);
    assert!(
        c.targets[0]
            .deltas
            .iter()
            .all(|d| d.verdict == Verdict::Better)
    );
    let c = compare_targets(&[mk(100.0)], &[mk(50.0)]);
    assert!(
        c.targets[0]
            .deltas
            .iter()
            .all(|d| d.verdict == Verdict::Worse)
    );
}

#[test]
fn a_real_but_tiny_change_is_negligible_not_worse() {
    // 100 000 samples with a tiny spread: a 1 % slowdown is far beyond the noise, and below
    // the 2 % anyone would act on.
    let big = |v: f64| target_summary("openai/a", Some(summary(100_000, v, 0.05)));
    let c = compare_targets(&[big(100.0)], &[big(101.0)]);
    let p50 = c.targets[0]
        .deltas
        .iter()
        .find(|d| d.metric == "ttft.p50")
        .unwrap();
    assert_eq!(p50.verdict, Verdict::Negligible, "{p50:?}");
    assert!(render_comparison(&c).contains("negligible"));
    // Asked to care about any change (--min-effect 0), it is worse; 3 % is worse by default.
    let strict = compare_with(&[big(100.0)], &[big(101.0)], 0.0);
    assert!(
        strict.targets[0]
            .deltas
            .iter()
            .any(|d| d.verdict == Verdict::Worse)
    );
    let c = compare_targets(&[big(100.0)], &[big(103.0)]);
    assert!(
        c.targets[0]
            .deltas
            .iter()
            .all(|d| d.verdict == Verdict::Worse)
    );
}
