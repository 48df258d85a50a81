//! `omc bench [flags]`: resolve targets and prompts, check limits, run, store, report, gate.

use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::executor::{Endpoint, HttpExecutor};
use super::prompts::{self, BenchPrompt};
use super::writer::RecordWriter;
use super::{FormatArg, MeasureArgs, format_for, print};
use crate::bench::compare::compare_targets;
use crate::bench::gate::{self, Gate};
use crate::bench::{
    BenchConfig, BenchReport, Format, Load, Phase, Plan, Price, PromptInfo, RequestRecord,
    RunOutcome, Stop, TargetSpec, render,
};
use crate::cmd::Ctx;
use crate::config::Config;
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::pricing::Prices;
use crate::provider::{ChatRequest, Client, ClientOptions};
use crate::store::{
    BenchStatus, Credential, FailKind, RunEnd, RunKind, RunStart, RunStatus, Store,
};

/// What the usage ledger gets per target: everything spent, warmups and failures included.
#[derive(Debug, Default, Clone, Copy)]
struct Spend {
    requests: u64,
    failed: u64,
    input_tokens: u64,
    output_tokens: u64,
    estimated: bool,
    cost: f64,
    priced: bool,
}

impl Spend {
    fn add(&mut self, r: &RequestRecord) {
        self.requests += 1;
        self.failed += u64::from(!r.is_ok());
        self.input_tokens += r.input_tokens.unwrap_or(0);
        self.output_tokens += r.output_tokens.unwrap_or(0);
        self.estimated |= r.estimated;
        if let Some(c) = r.cost_usd {
            self.cost += c;
            self.priced = true;
        }
    }
}

/// A resolved target: the credential, the model, and the model's price.
struct ResolvedTarget {
    cred: Credential,
    spec: TargetSpec,
    price: Option<Price>,
}

pub fn run(ctx: &Ctx, args: &MeasureArgs) -> Result<()> {
    let flags = check_flags(ctx, args)?;
    let mut creds = ctx.credentials()?;
    let targets = resolve_targets(creds.as_mut(), args, &flags.prices)?;
    let mut config = build_config(args, &targets, &flags.prompts, flags.timeout)?;
    // A schema changes what is asked: runs with another (or none) do not compare as the same.
    config.schema = flags.schema.as_ref().map(|s| s.schema.clone());
    let config_hash = config.hash();
    let baseline = resolve_baseline(ctx, creds.store(), args, &config_hash)?;
    let mut files = OutputFiles::create(args)?;
    let ledger = open_ledger(ctx, creds.store(), &targets)?;
    let (store, endpoints) = reveal_keys(creds, &targets, &config_hash, &ledger)?;
    let executor = build_executor(
        args,
        &targets,
        &flags.prompts,
        flags.timeout,
        endpoints,
        flags.schema.as_ref(),
    )?;
    let mut plan = build_plan(&config, &targets);
    plan.schema = flags.schema;

    let (outcome, mut m) = measure(
        ctx,
        store,
        &config,
        &config_hash,
        &plan,
        executor,
        &mut files,
        &ledger,
    )?;
    let report = build_report(
        config,
        outcome,
        m.run_id,
        m.started_ms,
        baseline,
        &flags.gates,
    )?;
    let json = store_report(&mut m.store, m.run_id, &ledger, &m.spend, &targets, &report)?;
    let out_error = print_report(
        ctx,
        args,
        flags.format,
        &report,
        json,
        &m,
        files.out.as_mut(),
    )?;
    exit_status(ctx, &report, out_error)
}

/// What the flags alone decide. Everything they can get wrong fails here, before anything is
/// opened, sent or stored.
struct Flags {
    gates: Vec<Gate>,
    format: Format,
    timeout: Duration,
    prompts: Vec<BenchPrompt>,
    prices: Prices,
    /// `--schema`, parsed before anything is sent.
    schema: Option<crate::schema::OutputSchema>,
}

fn check_flags(ctx: &Ctx, args: &MeasureArgs) -> Result<Flags> {
    let gates = gate::parse_all(&args.fail_if)?;
    if args.baseline.is_none() {
        gate::evaluate(&gates, &[], None)?;
    }
    let format = args.format.resolve(ctx.global.json);
    if ctx.global.json && !matches!(args.format, FormatArg::Table | FormatArg::Json) {
        ctx.out
            .warn("--json prints the JSON report; --format is ignored (use --out FILE for both)");
    }
    let timeout = humantime::parse_duration(&args.timeout).map_err(|_| {
        Error::usage_hint(
            format!("invalid --timeout '{}'", args.timeout),
            "use e.g. 30s or 2m",
        )
    })?;
    let prompts = prompts::collect(&args.level, &args.prompt, args.suite.as_deref())?;
    let config_file = Config::load(&ctx.paths.config_file)?;
    let prices = Prices::load(&config_file.prices)?;
    let schema = match &args.schema {
        Some(arg) => Some(crate::schema::OutputSchema::parse(arg)?),
        None => None,
    };
    Ok(Flags {
        schema,
        gates,
        format,
        timeout,
        prompts,
        prices,
    })
}

/// The run's configuration (what its hash covers), validated.
fn build_config(
    args: &MeasureArgs,
    targets: &[ResolvedTarget],
    prompts: &[BenchPrompt],
    timeout: Duration,
) -> Result<BenchConfig> {
    let config = BenchConfig {
        targets: targets.iter().map(|t| t.spec.clone()).collect(),
        prompts: prompts
            .iter()
            .map(|p| {
                PromptInfo::new(
                    &p.name,
                    p.system.as_deref(),
                    &p.text,
                    Some(max_tokens(p, args)),
                )
            })
            .collect(),
        runs: args.runs,
        warmup: args.warmup.unwrap_or(match (args.rate, args.concurrency) {
            (None, Some(c)) => c,
            _ => 1,
        }),
        load: match args.rate {
            Some(rate) => Load::Open { rate },
            None => Load::Closed {
                concurrency: args.concurrency.unwrap_or(1),
            },
        },
        order: args.order,
        max_tokens: args.max_tokens,
        stream: !args.no_stream,
        timeout_ms: timeout.as_millis().min(u128::from(u64::MAX)) as u64,
        seed: args.seed.unwrap_or_else(rand::random),
        echo_delay: targets
            .iter()
            .any(|t| t.spec.provider == "echo")
            .then(|| std::env::var(crate::provider::echo::DELAY_VAR).ok())
            .flatten(),
        schema: None,
    };
    config.validate()?;
    Ok(config)
}

/// `--out` and `--requests-out`, created before anything is spent or recorded: a path that
/// cannot be written is a usage error now, not a finished run thrown away at the end.
struct OutputFiles {
    out: Option<std::fs::File>,
    requests: Option<(std::fs::File, std::path::PathBuf)>,
}

impl OutputFiles {
    fn create(args: &MeasureArgs) -> Result<Self> {
        let out = args
            .out
            .as_deref()
            .map(|p| create(p, "--out"))
            .transpose()?;
        let requests = args
            .requests_out
            .as_deref()
            .map(|p| Ok::<_, Error>((create(p, "--requests-out")?, p.to_path_buf())))
            .transpose()?;
        Ok(OutputFiles { out, requests })
    }
}

/// One usage-ledger row per target. Refuses before spending anything when the profile is
/// already at a limit (exit 8): the one reserved token makes "at the limit" count as over, since
/// any request would pass it.
fn open_ledger(ctx: &Ctx, store: &mut Store, targets: &[ResolvedTarget]) -> Result<Vec<i64>> {
    let mut ledger = Vec::with_capacity(targets.len());
    for t in targets {
        let (id, warning) = store.begin_run(&RunStart {
            profile: ctx.profile(),
            credential: Some((&t.cred.name, &t.cred.id)),
            provider: &t.spec.provider,
            model: &t.spec.model,
            kind: RunKind::Bench,
            agent: None,
            reserve_tokens: 1,
        })?;
        if let Some(w) = warning {
            ctx.out.warn(w);
        }
        ledger.push(id);
    }
    Ok(ledger)
}

/// Each target's endpoint with its key, and the credentials marked used; the store back for
/// recording. On failure the ledger rows are closed as never started.
fn reveal_keys(
    mut creds: Box<dyn CredentialBackend + '_>,
    targets: &[ResolvedTarget],
    config_hash: &str,
    ledger: &[i64],
) -> Result<(Store, Vec<Endpoint>)> {
    let result = (|| {
        let mut endpoints = Vec::with_capacity(targets.len());
        for t in targets {
            endpoints.push(Endpoint {
                spec: crate::provider::require(&t.spec.provider)?,
                base_url: t.cred.base_url.clone(),
                key: creds.reveal(&t.cred)?,
            });
        }
        let mut used: Vec<&Credential> = Vec::new();
        for t in targets {
            if used.iter().all(|c| c.id != t.cred.id) {
                used.push(&t.cred);
            }
        }
        creds.mark_used(&used, "bench", Some(&config_hash[..12]))?;
        Ok(endpoints)
    })();
    let mut store = creds.into_store();
    match result {
        Ok(endpoints) => Ok((store, endpoints)),
        Err(e) => {
            abandon_ledger(&mut store, ledger);
            Err(e)
        }
    }
}

/// The HTTP executor: one request per target × prompt, no retries (a benchmark reports a 429
/// or a 500 as what it is, not as a slow success).
fn build_executor(
    args: &MeasureArgs,
    targets: &[ResolvedTarget],
    prompts: &[BenchPrompt],
    timeout: Duration,
    endpoints: Vec<Endpoint>,
    schema: Option<&crate::schema::OutputSchema>,
) -> Result<Arc<HttpExecutor>> {
    let requests: Vec<Vec<ChatRequest>> = targets
        .iter()
        .map(|t| {
            prompts
                .iter()
                .map(|p| ChatRequest {
                    max_tokens: Some(max_tokens(p, args)),
                    stream: !args.no_stream,
                    schema: schema.cloned(),
                    ..ChatRequest::prompt(t.spec.model.clone(), p.system.clone(), p.text.clone())
                })
                .collect()
        })
        .collect();
    let client = Client::new(ClientOptions {
        total_timeout: Some(timeout),
        read_timeout: None,
        max_retries: 0,
        lean_http: true,
        ..ClientOptions::default()
    })
    .map_err(|e| e.into_error("omc"))?;
    Ok(Arc::new(HttpExecutor::new(client, endpoints, requests)))
}

fn build_plan(config: &BenchConfig, targets: &[ResolvedTarget]) -> Plan {
    let mut plan = Plan::new(config, prices_of(targets));
    // Closed-loop workers start 1 ms apart (at most 250 ms in all) so they do not run in
    // lockstep: see `Plan::stagger`.
    if let Load::Closed { concurrency } = config.load {
        plan.stagger =
            Duration::from_millis(1).min(Duration::from_millis(250) / concurrency.max(1));
    }
    plan
}

/// A finished measurement, with the store back from the record writer.
struct Measured {
    store: Store,
    run_id: i64,
    started_ms: i64,
    labels: Vec<String>,
    /// Per target, for the usage ledger.
    spend: Vec<Spend>,
    /// Per target, its measured latencies (µs) counted in constant memory, for the histogram
    /// under the table.
    latencies: Vec<Latencies>,
}

/// Record the run's start, drive the runner with a progress bar and Ctrl-C handling, and
/// write every request's record as it completes. On failure the stored run and the ledger
/// rows are closed as failed.
#[allow(clippy::too_many_arguments)]
fn measure(
    ctx: &Ctx,
    mut store: Store,
    config: &BenchConfig,
    config_hash: &str,
    plan: &Plan,
    executor: Arc<HttpExecutor>,
    files: &mut OutputFiles,
    ledger: &[i64],
) -> Result<(RunOutcome, Measured)> {
    let started_ms = crate::time::now_ms();
    let config_json = serde_json::to_string(config)
        .map_err(|e| Error::Other(format!("cannot serialize the configuration: {e}")))?;
    let run_id = store.begin_bench(ctx.profile(), started_ms, &config_json, config_hash)?;
    let writer = RecordWriter::start(store, run_id, files.requests.take())?;

    let labels: Vec<String> = config.targets.iter().map(TargetSpec::label).collect();
    let mut spend = vec![Spend::default(); labels.len()];
    let mut latencies: Vec<Latencies> = (0..labels.len()).map(|_| Latencies::new()).collect();
    let stream = config.stream;
    let bar = progress_bar(ctx);
    let stop = Stop::new();
    let outcome = crate::runtime::block_on_multi(async {
        let watcher = tokio::spawn(watch_interrupts(stop.clone(), ctx.out.quiet));
        let sink = |r: &RequestRecord| {
            if let Some(i) = labels.iter().position(|l| *l == r.target) {
                spend[i].add(r);
                let latency = if stream { r.ttft_ms } else { Some(r.e2e_ms) };
                if let (false, true, Some(ms)) = (r.warmup, r.is_ok(), latency) {
                    latencies[i].record(ms);
                }
            }
            writer.send(r)
        };
        let mut phase = None;
        let progress = |p: &crate::bench::Progress| {
            if phase != Some(p.phase) {
                // A phase of its own: the count, rate and eta start again from zero.
                phase = Some(p.phase);
                bar.disable_steady_tick();
                bar.reset();
                bar.set_prefix("");
                bar.set_length(p.total);
                bar.set_message(match p.phase {
                    Phase::Warmup => "warm-up",
                    Phase::Measure => "measuring",
                });
                // Last: the bar is drawn only once its length and label are set.
                bar.set_style(bar_style());
            }
            bar.set_position(p.done);
            if p.failed > 0 {
                bar.set_prefix(format!("{} failed", p.failed));
            }
        };
        let out = crate::bench::run(plan, executor, sink, progress, &stop).await;
        watcher.abort();
        out
    })?;
    bar.finish_and_clear();
    let (mut store, written) = writer.finish();

    match (outcome, written) {
        (Ok(outcome), Ok(_)) => Ok((
            outcome,
            Measured {
                store,
                run_id,
                started_ms,
                labels,
                spend,
                latencies,
            },
        )),
        (Err(e), _) | (Ok(_), Err(e)) => {
            let _ = store.finish_bench(run_id, None, BenchStatus::Failed);
            finish_ledger(&mut store, ledger, &spend, &plan.prices, RunStatus::Error)?;
            Err(e)
        }
    }
}

/// The report of the measured run: its summaries, the comparison with the baseline, and the
/// gates' verdicts.
fn build_report(
    config: BenchConfig,
    outcome: RunOutcome,
    run_id: i64,
    started_ms: i64,
    baseline: Option<BenchReport>,
    gates: &[Gate],
) -> Result<BenchReport> {
    let mut report = BenchReport::new(
        config,
        crate::time::rfc3339(started_ms),
        outcome.wall,
        outcome.targets,
        outcome.interrupted,
    );
    report.id = Some(run_id.to_string());
    report.by_prompt = outcome.by_prompt;
    if let Some(base) = &baseline {
        report.baseline = Some(base.baseline_ref());
        let mut c = compare_targets(
            &base.targets,
            &report.targets,
            crate::bench::compare::MIN_EFFECT,
        );
        c.base = base.id.clone();
        c.current = report.id.clone();
        c.same_config = base.config_hash == report.config_hash;
        report.comparison = Some(c);
    }
    report.gates = evaluate(gates, &report, baseline.as_ref())?;
    Ok(report)
}

/// Store the report (as JSON, which it returns) and close the ledger rows with what was spent.
fn store_report(
    store: &mut Store,
    run_id: i64,
    ledger: &[i64],
    spend: &[Spend],
    targets: &[ResolvedTarget],
    report: &BenchReport,
) -> Result<String> {
    let json = render(report, Format::Json, false)?;
    let (status, ledger_status) = if report.interrupted {
        (BenchStatus::Interrupted, RunStatus::Interrupted)
    } else {
        (BenchStatus::Complete, RunStatus::Ok)
    };
    store.finish_bench(run_id, Some(&json), status)?;
    finish_ledger(store, ledger, spend, &prices_of(targets), ledger_status)?;
    Ok(json)
}

/// The report on stdout (with histograms under a table), then in `--out`. A file that cannot
/// be written is returned, not raised: it must lose neither the report nor the gates.
fn print_report(
    ctx: &Ctx,
    args: &MeasureArgs,
    format: Format,
    report: &BenchReport,
    json: String,
    m: &Measured,
    out_file: Option<&mut std::fs::File>,
) -> Result<Option<Error>> {
    print(&if format == Format::Json {
        json
    } else {
        render(report, format, ctx.out.color)?
    })?;
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let always = args.histogram == crate::chart::Show::Always;
    match format {
        Format::Table if args.histogram.wanted(terminal) => {
            print(&histograms(&m.labels, &m.latencies, report.config.stream))?;
        }
        // Markdown renders a chart as a code block; only when asked for (a step summary is
        // read in a browser, not on the terminal `auto` looks at).
        Format::Markdown if always => {
            let charts = histograms(&m.labels, &m.latencies, report.config.stream);
            if !charts.is_empty() {
                print(&format!("\n```text{charts}```\n"))?;
            }
        }
        Format::Json | Format::Csv if always => ctx.out.warn(
            "--histogram always: a JSON or CSV report has no place for a chart; it is drawn \
             under the table and markdown reports",
        ),
        _ => {}
    }
    let (Some(path), Some(file)) = (&args.out, out_file) else {
        return Ok(None);
    };
    let text = render(report, format_for(path, format), false)?;
    Ok(std::io::Write::write_all(file, text.as_bytes())
        .and_then(|_| file.sync_all())
        .err()
        .map(|e| Error::io_path("write", path, e)))
}

/// What the exit code says, most important first: interrupted (130), a failed gate (9, what
/// CI asked about), a target whose every request failed (5, 7 or 6), a lost `--out`.
fn exit_status(ctx: &Ctx, report: &BenchReport, out_error: Option<Error>) -> Result<()> {
    if report.interrupted {
        return Err(Error::Interrupted);
    }
    let mut dead = all_failed(report);
    dead.sort_by_key(Error::exit_code);
    if let Some(m) = gate::failure_message(&report.gates) {
        for d in dead {
            ctx.out.warn(d);
        }
        return Err(Error::Gate(m));
    }
    if !dead.is_empty() {
        let first = dead.remove(0);
        for other in dead {
            ctx.out.warn(other);
        }
        return Err(first);
    }
    match out_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Creates (truncates) an output file named by `flag`, or says why it cannot (exit 2).
pub(super) fn create(path: &std::path::Path, flag: &str) -> Result<std::fs::File> {
    std::fs::File::create(path).map_err(|e| {
        Error::usage_hint(
            format!("cannot write {flag} {}: {e}", path.display()),
            "give a path in a directory that exists and that you can write",
        )
    })
}

/// A suite's own cap, else `--max-tokens`, else the level's cap, else 1024.
fn max_tokens(p: &BenchPrompt, args: &MeasureArgs) -> u32 {
    p.max_tokens
        .or(args.max_tokens)
        .or(p.level_max_tokens)
        .unwrap_or(crate::provider::DEFAULT_MAX_TOKENS)
}

fn prices_of(targets: &[ResolvedTarget]) -> Vec<Option<Price>> {
    targets.iter().map(|t| t.price).collect()
}

/// Credentials × models, in the order given, without duplicates.
fn resolve_targets(
    creds: &mut dyn CredentialBackend,
    args: &MeasureArgs,
    prices: &Prices,
) -> Result<Vec<ResolvedTarget>> {
    let mut names: Vec<String> = args.credential.clone();
    for p in &args.provider {
        let spec = crate::provider::require(p)?;
        let name = creds.default_name(Some(spec.id))?;
        names.push(name);
    }
    if names.is_empty() {
        names.push(creds.default_name(None)?);
    }
    let mut out: Vec<ResolvedTarget> = Vec::new();
    for name in names {
        let cred = creds.get(&name)?;
        let spec = crate::provider::require(&cred.provider)?;
        let models = if args.model.is_empty() {
            vec![
                cred.model
                    .clone()
                    .unwrap_or_else(|| spec.default_model.to_owned()),
            ]
        } else {
            args.model.clone()
        };
        for model in models {
            if out
                .iter()
                .any(|t| t.cred.id == cred.id && t.spec.model == model)
            {
                continue;
            }
            let price = prices
                .get(spec.id, &model)
                .map(|p| Price::new(p.input, p.output));
            out.push(ResolvedTarget {
                spec: TargetSpec {
                    provider: spec.id.to_owned(),
                    model,
                    credential: cred.name.clone(),
                },
                cred: cred.clone(),
                price,
            });
        }
    }
    Ok(out)
}

/// The baseline report, if `--baseline` names one. `last` with no earlier run of this
/// configuration is not an error: the first CI run has nothing to compare with, and its
/// regression gates are reported inconclusive.
fn resolve_baseline(
    ctx: &Ctx,
    store: &Store,
    args: &MeasureArgs,
    config_hash: &str,
) -> Result<Option<BenchReport>> {
    let Some(b) = args.baseline.as_deref() else {
        return Ok(None);
    };
    if b.trim().eq_ignore_ascii_case("last") {
        return match store.last_bench_with_hash(ctx.profile(), config_hash, None)? {
            Some(id) => Ok(Some(store.bench_report(&id.to_string())?)),
            None => {
                ctx.out.warn(
                    "no earlier complete run with this configuration (and a successful request): \
                     nothing to compare with yet",
                );
                Ok(None)
            }
        };
    }
    let report = store.bench_report(b)?;
    if report.config_hash != config_hash {
        return Err(Error::usage_hint(
            format!(
                "baseline run {} was configured differently (targets, prompts, load, max tokens, \
                 streaming or timeout), so its numbers are not comparable",
                b.trim()
            ),
            "rerun with the baseline's flags, or compare anyway with `omc bench compare A B --force`",
        ));
    }
    Ok(Some(report))
}

fn evaluate(
    gates: &[Gate],
    report: &BenchReport,
    baseline: Option<&BenchReport>,
) -> Result<Vec<gate::GateVerdict>> {
    let needs = gates.iter().any(Gate::needs_baseline);
    let base = match baseline {
        Some(b) => Some(b.targets.as_slice()),
        // `--baseline last` found none: every regression gate says so, inconclusively.
        None if needs => Some(&[][..]),
        None => None,
    };
    gate::evaluate(gates, &report.targets, base)
}

/// Measured latencies, counted: an HDR histogram of microseconds (3 significant digits), so a
/// run of a million requests draws its chart from a few kilobytes, not from every value.
struct Latencies(hdrhistogram::Histogram<u64>);

impl Latencies {
    fn new() -> Latencies {
        Latencies(hdrhistogram::Histogram::new(3).expect("3 significant digits is valid"))
    }

    fn record(&mut self, ms: f64) {
        if ms.is_finite() && ms >= 0.0 {
            // Auto-resizing: any latency fits.
            let _ = self.0.record((ms * 1000.0).round() as u64);
        }
    }

    /// `(ms, how many)` for each value recorded.
    fn points(&self) -> Vec<(f64, u64)> {
        self.0
            .iter_recorded()
            .map(|v| (v.value_iterated_to() as f64 / 1000.0, v.count_at_value()))
            .collect()
    }
}

/// One latency histogram per target that has latencies, as oha prints one.
fn histograms(labels: &[String], latencies: &[Latencies], stream: bool) -> String {
    let what = if stream { "TTFT" } else { "End-to-end latency" };
    let mut out = String::new();
    for (label, values) in labels.iter().zip(latencies) {
        let lines = crate::chart::histogram_of_counts(&values.points(), 8, 30, gate::fmt_ms);
        if lines.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{what}, {label}:\n"));
        for line in lines {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

/// When every measured request of a target failed, the run says nothing about that target's
/// speed: exit with what the provider said (5 rejected key, 7 rate limited, 6 otherwise).
fn all_failed(report: &BenchReport) -> Vec<Error> {
    let dead = report.targets.iter().filter(|t| t.ok == 0 && t.failed > 0);
    dead.map(|t| {
        let (kind, n) = t
            .errors
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(k, n)| (k.as_str(), *n))
            .unwrap_or(("unknown", 0));
        let provider = t.provider.clone();
        let message = match t.first_errors.get(kind) {
            Some(first) => format!(
                "every measured request to {} failed ({n} {kind}); the first said: {first}",
                t.target
            ),
            None => format!("every measured request to {} failed ({n} {kind})", t.target),
        };
        let e = match kind {
            "auth" => Error::Auth { provider, message },
            "rate_limited" => Error::RateLimited { provider, message },
            _ => Error::Provider { provider, message },
        };
        // The runner's own hints (--fallback) do not apply to a benchmark.
        let hint = match kind {
            "rate_limited" => "lower --concurrency or --rate, or wait and rerun".to_owned(),
            "auth" => format!("check the key: omc validate {}", t.credential),
            "timeout" => "raise --timeout, or check the provider's status".to_owned(),
            "model_not_found" => format!("pick a model it offers: omc models {}", t.credential),
            _ => format!(
                "check the network and the credential's base URL (`omc list`), then \
                 `omc validate {}`",
                t.credential
            ),
        };
        e.with_hint(hint)
    })
    .collect()
}

/// One ledger row per target: what the whole bench spent there, warmups included.
fn finish_ledger(
    store: &mut Store,
    ledger: &[i64],
    spend: &[Spend],
    prices: &[Option<Price>],
    status: RunStatus,
) -> Result<()> {
    for ((id, s), price) in ledger.iter().zip(spend).zip(prices) {
        let status = if status == RunStatus::Ok && s.requests > 0 && s.failed == s.requests {
            RunStatus::Error
        } else {
            status
        };
        store.finish_run(
            *id,
            &RunEnd {
                status,
                input_tokens: Some(s.input_tokens),
                output_tokens: Some(s.output_tokens),
                estimated: s.estimated,
                cost_usd: (s.priced || price.is_some()).then_some(s.cost),
                ..RunEnd::default()
            },
        )?;
    }
    Ok(())
}

/// The ledger rows of a bench that never started.
fn abandon_ledger(store: &mut Store, ledger: &[i64]) {
    for id in ledger {
        let _ = store.finish_run(
            *id,
            &RunEnd {
                input_tokens: Some(0),
                output_tokens: Some(0),
                ..RunEnd::failed(FailKind::NotStarted)
            },
        );
    }
}

fn progress_bar(ctx: &Ctx) -> ProgressBar {
    if ctx.out.quiet || !ctx.out.stderr_tty {
        return ProgressBar::hidden();
    }
    // Until the first request is counted there is no length: a labelled spinner, never an
    // empty count drawn as a full bar.
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>9} {spinner} connecting and sending the first requests",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message("starting");
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

/// The bar once a phase (warm-up, measuring) knows its length.
fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>9} [{bar:30}] {pos}/{len} {rate} eta {eta} {prefix}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1} req/s", s.per_sec());
            },
        )
        .progress_chars("=> ")
}

/// First Ctrl-C (or SIGTERM, SIGHUP): stop sending and let the requests in flight finish, so
/// the partial results are stored and reported. A second one quits at once.
async fn watch_interrupts(stop: Stop, quiet: bool) {
    crate::runtime::interrupted().await;
    stop.stop();
    if !quiet {
        eprintln!("\nomc: stopping: waiting for the requests in flight (Ctrl-C again to quit now)");
    }
    crate::runtime::interrupted().await;
    std::process::exit(130);
}
