use std::path::PathBuf;
use std::sync::Arc;

use omc::bench::{
    BenchReport, Format, GateStatus, Load, Plan, Price, Progress, RequestRecord, Stop, gate,
    render, run,
};
use omc::provider::ErrorKind;

use crate::mock::{MockExecutor, MockTarget, config, summary, target, target_summary};

/// A two-target run on the paused clock: exact, so its renderings can be compared verbatim.
pub fn sample_report() -> BenchReport {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let ex = Arc::new(MockExecutor::new(vec![
        MockTarget::new(100, 10, 11).jitter(&[0, 10, 20, 30, 40]),
        MockTarget::new(150, 5, 21)
            .jitter(&[0, 50])
            .failing_every(4, ErrorKind::Server),
    ]));
    let targets = vec![
        target("openai", "gpt-4o-mini"),
        omc::bench::TargetSpec {
            provider: "anthropic".into(),
            model: "claude-haiku-4-5".into(),
            credential: "work".into(),
        },
    ];
    let mut cfg = config(
        targets,
        &["short", "long"],
        10,
        Load::Closed { concurrency: 2 },
    );
    cfg.warmup = 1;
    let plan = Plan::new(&cfg, vec![Some(Price::new(0.15, 0.60)), None]);
    let out = rt
        .block_on(run(
            &plan,
            ex,
            |_: &RequestRecord| Ok(()),
            |_: &Progress| {},
            &Stop::new(),
        ))
        .unwrap();
    let mut report = BenchReport::new(
        cfg,
        "2026-01-02T03:04:05Z".into(),
        out.wall,
        out.targets,
        out.interrupted,
    );
    report.by_prompt = out.by_prompt;
    let gates = gate::parse_all(&["ttft.p95>150ms", "error_rate>10%"]).unwrap();
    report.gates = omc::bench::evaluate(&gates, &report.targets, None).unwrap();
    report
}

/// Compare with `tests/bench/snapshots/NAME`; `OMC_UPDATE_SNAPSHOTS=1` rewrites it (review the
/// diff before committing).
fn snapshot(name: &str, actual: &str) {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "bench",
        "snapshots",
        name,
    ]
    .iter()
    .collect();
    if std::env::var_os("OMC_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with OMC_UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert_eq!(actual, expected, "snapshot {name} differs");
}

#[test]
fn table_snapshot() {
    snapshot(
        "report.table.txt",
        &render(&sample_report(), Format::Table, false).unwrap(),
    );
}

#[test]
fn markdown_snapshot() {
    snapshot(
        "report.md",
        &render(&sample_report(), Format::Markdown, false).unwrap(),
    );
}

#[test]
fn csv_snapshot() {
    snapshot(
        "report.csv",
        &render(&sample_report(), Format::Csv, false).unwrap(),
    );
}

#[test]
fn json_snapshot() {
    snapshot(
        "report.json",
        &render(&sample_report(), Format::Json, false).unwrap(),
    );
}

#[test]
fn the_sample_run_measured_what_the_mock_injected() {
    // Guards the snapshots: they are only worth comparing if they hold the right numbers.
    let r = sample_report();
    // Two prompts: each target × prompt is summed up too, and the parts add up to the whole.
    assert_eq!(r.by_prompt.len(), 4);
    for t in &r.targets {
        let parts: Vec<_> = r
            .by_prompt
            .iter()
            .filter(|p| p.target == t.target)
            .collect();
        let names: Vec<_> = parts.iter().map(|p| p.prompt.as_deref().unwrap()).collect();
        assert_eq!(names, ["short", "long"]);
        assert_eq!(parts.iter().map(|p| p.ok).sum::<u64>(), t.ok);
        assert_eq!(parts.iter().map(|p| p.failed).sum::<u64>(), t.failed);
        assert_eq!(
            parts.iter().map(|p| p.output_tokens).sum::<u64>(),
            t.output_tokens
        );
    }
    let a = &r.targets[0];
    assert_eq!((a.ok, a.failed), (20, 0));
    let ttft = a.ttft.unwrap();
    // Jitter 0..40 ms cycled evenly on 100 ms: mean 120, exact extremes.
    assert_eq!((ttft.mean, ttft.min, ttft.max), (120.0, 100.0, 140.0));
    // 3 significant digits: p50 within 0.1% of 120.
    assert!((ttft.p50 - 120.0).abs() <= 0.12, "{}", ttft.p50);
    assert_eq!(a.tpot.unwrap().p50, 10.0);
    // 20 × (10 × $0.15 + 11 × $0.60) / 1M.
    assert_eq!(a.cost_total_usd, Some(0.000162));
    let b = &r.targets[1];
    assert_eq!((b.ok, b.failed, b.error_rate), (15, 5, 0.25));
    assert_eq!(b.target, "anthropic/claude-haiku-4-5@work");
    assert_eq!(b.cost_total_usd, None);
    let statuses: Vec<_> = r.gates.iter().map(|g| g.status).collect();
    assert_eq!(
        statuses,
        [
            GateStatus::Pass,
            GateStatus::Fail,
            GateStatus::Pass,
            GateStatus::Fail
        ]
    );
}

#[test]
fn ranking_reads_like_hyperfine() {
    let mut fast = target_summary("openai/gpt-4o-mini", Some(summary(30, 100.0, 5.0)));
    fast.ok = 30;
    let slow = target_summary("anthropic/claude", Some(summary(30, 142.0, 4.0)));
    let mid = target_summary("gemini/flash", Some(summary(30, 120.0, 3.0)));
    let r = omc::bench::report::rank(&[slow, fast, mid], true).unwrap();
    assert_eq!(r.metric, "ttft.p50");
    let order: Vec<&str> = r.entries.iter().map(|e| e.target.as_str()).collect();
    assert_eq!(
        order,
        ["openai/gpt-4o-mini", "gemini/flash", "anthropic/claude"]
    );
    assert_eq!(
        r.lines(),
        [
            "openai/gpt-4o-mini 1.20 ± 0.07× faster (TTFT p50) than gemini/flash",
            "openai/gpt-4o-mini 1.42 ± 0.08× faster (TTFT p50) than anthropic/claude",
        ]
    );
    // A ratio within the noise of 1 is a tie, and said so.
    let a = target_summary("openai/a", Some(summary(30, 100.0, 5.0)));
    let b = target_summary("openai/b", Some(summary(30, 101.0, 5.0)));
    assert_eq!(
        omc::bench::report::rank(&[a, b], true).unwrap().lines(),
        ["openai/a is as fast as openai/b (TTFT p50: 1.01 ± 0.07×, within the noise)"]
    );
    // Non-streamed runs rank on end-to-end latency; one target has no ranking.
    let only = target_summary("a/b", Some(summary(3, 1.0, 0.1)));
    assert!(omc::bench::report::rank(&[only], true).is_none());
    assert!(omc::bench::report::rank(&[], false).is_none());
}

#[test]
fn json_round_trips_and_formats_parse() {
    let r = sample_report();
    let json = render(&r, Format::Json, false).unwrap();
    let back: BenchReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    assert_eq!("markdown".parse::<Format>().unwrap(), Format::Markdown);
    assert_eq!("CSV".parse::<Format>().unwrap(), Format::Csv);
    let e = "yaml".parse::<Format>().unwrap_err();
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn colour_only_when_asked() {
    let r = sample_report();
    assert!(!render(&r, Format::Table, false).unwrap().contains('\x1b'));
    assert!(render(&r, Format::Table, true).unwrap().contains('\x1b'));
    for f in [Format::Json, Format::Csv, Format::Markdown] {
        assert!(!render(&r, f, true).unwrap().contains('\x1b'), "{f:?}");
    }
}

#[test]
fn config_hash_ignores_sample_size_but_not_what_is_measured() {
    let r = sample_report();
    let h = r.config.hash();
    assert_eq!(h, r.config_hash);
    assert_eq!(h.len(), 64);
    assert!(
        h.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let mut c = r.config.clone();
    c.runs = 50;
    c.warmup = 0;
    c.seed = 1;
    assert_eq!(
        c.hash(),
        h,
        "runs, warmup and seed do not change what is measured"
    );
    let mut c = r.config.clone();
    c.targets[0].model = "gpt-4o".into();
    assert_ne!(c.hash(), h);
    let mut c = r.config.clone();
    c.load = Load::Closed { concurrency: 3 };
    assert_ne!(c.hash(), h);
    let mut c = r.config.clone();
    c.prompts[0] = omc::bench::PromptInfo::new("short", None, "another text", None);
    assert_ne!(c.hash(), h);
}

#[test]
fn canonical_json_sorts_keys_at_every_level() {
    let v = serde_json::json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": null}});
    assert_eq!(
        omc::bench::config::canonical_json(&v),
        r#"{"a":{"c":null,"z":[1,{"x":3,"y":2}]},"b":1}"#
    );
}

#[test]
fn configurations_that_cannot_run_are_usage_errors() {
    let ok = sample_report().config;
    assert!(ok.validate().is_ok());
    type Break = Box<dyn Fn(&mut omc::bench::BenchConfig)>;
    let broken: Vec<(Break, &str)> = vec![
        (Box::new(|c| c.targets.clear()), "--credential"),
        (Box::new(|c| c.prompts.clear()), "--level"),
        (Box::new(|c| c.runs = 0), "--runs"),
        (
            Box::new(|c| c.load = Load::Closed { concurrency: 0 }),
            "--concurrency",
        ),
        (Box::new(|c| c.load = Load::Open { rate: 0.0 }), "--rate"),
        (
            Box::new(|c| c.load = Load::Open { rate: f64::NAN }),
            "--rate",
        ),
        (Box::new(|c| c.timeout_ms = 0), "--timeout"),
    ];
    for (f, flag) in broken {
        let mut c = ok.clone();
        f(&mut c);
        let e = c.validate().unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = format!("{e} {}", e.hint().unwrap_or_default());
        assert!(text.contains(flag), "{text}");
    }
    assert_eq!(ok.measured_requests(), 2 * 2 * 10);
}

#[test]
fn prompt_digest_covers_the_system_prompt() {
    use omc::bench::PromptInfo;
    let plain = PromptInfo::new("p", None, "hello", Some(5));
    assert_eq!(plain.chars, 5);
    assert_eq!(plain.max_tokens, Some(5));
    assert_ne!(
        plain.sha256,
        PromptInfo::new("p", Some("be brief"), "hello", Some(5)).sha256
    );
    // The separator keeps "ab" + "c" apart from "a" + "bc".
    assert_ne!(
        PromptInfo::new("p", Some("ab"), "c", None).sha256,
        PromptInfo::new("p", Some("a"), "bc", None).sha256
    );
}
