//! Bench details a user reads: numbers that mean something, and hashes that say what ran.

#[path = "support/common.rs"]
mod common;

use common::*;

fn bench_json(home: &Home, delay: Option<&str>) -> serde_json::Value {
    let mut cmd = home.cmd();
    if let Some(d) = delay {
        cmd.env("OMC_ECHO_DELAY", d);
    }
    let out = ok(&run(cmd.args([
        "bench",
        "--provider",
        "echo",
        "--runs",
        "3",
        "--warmup",
        "0",
        "--json",
    ])));
    serde_json::from_str(&out).unwrap()
}

/// Regression: a reply whose tokens all came at once reported `tok/s 16370368.5`, and
/// `compare` then showed +8383610%.
#[test]
fn tokens_per_second_needs_a_real_generation_window() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "k"));
    let instant = bench_json(&home, None);
    let t = &instant["targets"][0];
    assert_eq!(t["ok"], 3, "{t}");
    assert!(t["tps"].is_null(), "tok/s over no time: {}", t["tps"]);
    assert!(t["tpot"].is_null(), "{}", t["tpot"]);

    let paced = bench_json(&home, Some("ttft=1ms,token=2ms"));
    let tps = paced["targets"][0]["tps"]["p50"].as_f64().unwrap();
    // Two milliseconds a word: about 500 words/s, and nothing like millions.
    assert!((100.0..=600.0).contains(&tps), "{tps}");
}

#[test]
fn echo_delay_is_part_of_the_configuration_hash() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "k"));
    let plain = bench_json(&home, None);
    let slow = bench_json(&home, Some("ttft=1ms"));
    let slower = bench_json(&home, Some("ttft=2ms"));
    assert!(plain["config"].get("echo_delay").is_none());
    assert_eq!(slow["config"]["echo_delay"], "ttft=1ms");
    let hashes = [&plain, &slow, &slower].map(|r| r["config_hash"].as_str().unwrap().to_owned());
    assert_ne!(hashes[0], hashes[1]);
    assert_ne!(hashes[1], hashes[2]);
    // So `--baseline last` and `compare` keep runs with different delays apart.
    let out = run(home.cmd().args(["bench", "compare", "1", "2"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("echo_delay"), "{}", stderr(&out));
}

#[test]
fn bench_draws_a_latency_histogram_when_asked_or_on_a_terminal() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "k"));
    let bench = |extra: &[&str]| {
        let mut cmd = home.cmd();
        cmd.env("OMC_ECHO_DELAY", "ttft=1ms")
            .args([
                "bench",
                "--provider",
                "echo",
                "--runs",
                "5",
                "--warmup",
                "0",
            ])
            .args(extra);
        ok(&run(&mut cmd))
    };
    let drawn = bench(&["--histogram", "always"]);
    let at = drawn.find("TTFT, echo/echo-1:").expect(&drawn);
    let bars: Vec<&str> = drawn[at..]
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(!bars.is_empty(), "{drawn}");
    let counted: usize = bars
        .iter()
        .map(|l| {
            assert!(l.contains(" ms ["), "{l}");
            l.split(['[', ']'])
                .nth(1)
                .unwrap()
                .trim()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(
        counted, 5,
        "every measured request is in the histogram: {drawn}"
    );
    assert!(drawn.contains('█'), "{drawn}");
    // Piped, it is left out unless asked; JSON and CSV never carry it.
    assert!(!bench(&[]).contains("TTFT, "));
    let json = bench(&["--json", "--histogram", "always"]);
    serde_json::from_str::<serde_json::Value>(&json).expect("only JSON on stdout");
    assert!(!bench(&["--format", "csv", "--histogram", "always"]).contains('█'));
}

#[test]
fn usage_draws_bars_per_day_when_asked() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "k"));
    ok(&run(home.cmd().args(["run", "one two three four"])));
    let usage = |extra: &[&str]| ok(&run(home.cmd().arg("usage").args(extra)));
    let drawn = usage(&["--chart", "always"]);
    let today = drawn
        .lines()
        .find(|l| l.contains('█') && l.contains(" tok"))
        .unwrap_or_else(|| panic!("no bar line: {drawn}"));
    assert!(today.starts_with("20"), "a day first: {today}");
    assert!(today.contains('$'), "{today}");
    assert!(!usage(&[]).contains('█'), "piped: no chart unless asked");
    assert!(!usage(&["--format", "csv", "--chart", "always"]).contains('█'));
    assert!(!usage(&["--json", "--chart", "always"]).contains('█'));
    assert!(!usage(&["--group-by", "model", "--chart", "always"]).contains('█'));
}
