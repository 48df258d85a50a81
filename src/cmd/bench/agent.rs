//! `omc bench --agent NAME|PATH`: the agent's whole loop, run N times per task × target,
//! timed, checked, stored beside request benchmarks, reported and gated.
//!
//! The agent is prepared as `omc run --agent` prepares it ([`Session`]: read once, hashed,
//! trusted on that hash; servers only for a trusted agent). Approval is settled before
//! anything is sent: a tool that would ask stops the bench, naming the flag that settles it.

use sha2::Digest;

use super::agent_loop::{self, Job, Shared, Target, Worker};
use super::agent_prep::{
    check_approval, evaluate, load_tasks, prepare, refuse_request_flags, resolve_baseline,
    resolve_targets, spec_of, start_workers, write_lines,
};
use super::{MeasureArgs, format_for, print};
use crate::agent::approval::Policy;
use crate::agent::run::{Candidate, Setup};
use crate::agent::{Dirs, Session};
use crate::bench::agent::{self as ab, AgentAcc, AgentConfig, AgentReport, TaskInfo};
use crate::bench::{Format, Load, TargetSpec};
use crate::cmd::Ctx;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::pricing::Prices;
use crate::provider::{Client, ClientOptions};
use crate::store::{BenchStatus, Store};

/// At most this many runs in flight with `--rate` (each holds a store connection and its own
/// MCP servers).
const OPEN_LOOP_WORKERS: usize = 16;

pub fn run(ctx: &Ctx, args: &MeasureArgs) -> Result<()> {
    let name = args.agent.as_deref().expect("called with --agent");
    refuse_request_flags(args)?;
    let gates = ab::gate::parse_all(&args.fail_if)?;
    if args.baseline.is_none() {
        ab::evaluate(&gates, &[], None)?;
    }
    let format = args.format.resolve(ctx.global.json);
    let timeout = humantime::parse_duration(&args.timeout).map_err(|_| {
        Error::usage_hint(
            format!("invalid --timeout '{}'", args.timeout),
            "use e.g. 30s or 2m",
        )
    })?;
    let session = Session::open(&Dirs::from_env(), name)?;
    session.precheck_names("--approve", &args.approve)?;
    session.precheck_names("--deny", &args.deny)?;
    let agent = &session.agent;
    let tasks = load_tasks(args)?;
    let prepared = prepare(agent, &tasks, &args.vars)?;
    let policy = Policy::from_flags(&args.approve, &args.deny);
    // Command tools now, before a key is decrypted; MCP tools once their servers list them.
    check_approval(&session.listing().entries, &policy, &agent.name)?;
    let config_file = Config::load(&ctx.paths.config_file)?;
    let prices = Prices::load(&config_file.prices)?;

    let mut creds = ctx.credentials()?;
    let trusted = session.trusted(Some(creds.store()))?;
    let resolved = resolve_targets(creds.as_mut(), args, agent)?;
    let jobs_n = tasks.len() * resolved.len() * args.runs as usize;
    let workers_n = match args.rate {
        Some(_) => OPEN_LOOP_WORKERS,
        None => args.concurrency.unwrap_or(1).max(1) as usize,
    }
    .min(jobs_n.max(1));
    let mut candidates = Vec::with_capacity(resolved.len());
    for r in &resolved {
        candidates.push(Candidate {
            key: creds.reveal(&r.credential)?,
            resolved: r.clone(),
        });
    }
    let used: Vec<&crate::store::Credential> = resolved.iter().map(|r| &r.credential).collect();
    creds.mark_used(&used, "bench", Some(&format!("agent {}", agent.name)))?;
    let mut grants = Vec::with_capacity(workers_n);
    for _ in 0..workers_n {
        grants.push(crate::agent::grants::decrypt(creds.as_mut(), agent)?);
    }
    let mut store = creds.into_store();
    let recipient = crate::keys::parse_recipient(&store.meta.recipient)?;

    let specs: Vec<TargetSpec> = resolved.iter().map(spec_of).collect();
    let config = AgentConfig {
        agent: agent.name.clone(),
        agent_sha256: session.sha256.clone(),
        targets: specs.clone(),
        tasks: tasks
            .iter()
            .map(|t| TaskInfo {
                name: t.name.clone(),
                prompt_sha256: ab::report::hex(&sha2::Sha256::digest(t.prompt.as_bytes())),
                checks: t.checks.clone(),
            })
            .collect(),
        runs: args.runs,
        load: match args.rate {
            Some(rate) => Load::Open { rate },
            None => Load::Closed {
                concurrency: workers_n as u32,
            },
        },
        stream: !args.no_stream,
        timeout_ms: timeout.as_millis().min(u128::from(u64::MAX)) as u64,
        max_turns: args.max_turns.unwrap_or(agent.max_turns),
        approve: args.approve.clone(),
        deny: args.deny.clone(),
        echo_delay: specs
            .iter()
            .any(|t| t.provider == "echo")
            .then(|| std::env::var(crate::provider::echo::DELAY_VAR).ok())
            .flatten(),
    };
    let hash = config.hash();
    let baseline = resolve_baseline(ctx, &store, args, &hash)?;
    let mut out_file = args
        .out
        .as_deref()
        .map(|p| super::run::create(p, "--out"))
        .transpose()?;
    let mut requests = args
        .requests_out
        .as_deref()
        .map(|p| super::run::create(p, "--requests-out"))
        .transpose()?;

    let tls = resolved
        .iter()
        .any(|r| r.spec.needs_tls(r.credential.base_url.as_deref()));
    let client = Client::new(ClientOptions {
        total_timeout: Some(timeout),
        max_retries: 0,
        tls,
        ..ClientOptions::default()
    })
    .map_err(|e| e.into_error("omc"))?;
    let mut workers = Vec::with_capacity(workers_n);
    for g in grants {
        workers.push(Worker {
            store: Store::open_existing(&ctx.paths)?,
            registry: trusted.registry(g),
        });
    }
    start_workers(&mut workers, &policy, &agent.name)?;

    let started_ms = crate::time::now_ms();
    let config_json = serde_json::to_string(&config)
        .map_err(|e| Error::Other(format!("cannot serialize the configuration: {e}")))?;
    let run_id = store.begin_agent_bench(ctx.profile(), started_ms, &config_json, &hash)?;
    let setup = |c: Candidate| Setup {
        profile: ctx.profile().to_owned(),
        candidates: vec![c],
        temperature: agent.temperature,
        max_tokens: args
            .max_tokens
            .or(agent.max_tokens)
            .or(config_file.run.max_tokens)
            .unwrap_or(crate::provider::DEFAULT_MAX_TOKENS),
        max_turns: config.max_turns,
        budget: agent.budget,
        stream: !args.no_stream,
        tool_choice: agent.tool_choice.clone(),
    };
    let targets: Vec<Target> = specs
        .iter()
        .zip(candidates)
        .map(|(s, c)| Target {
            spec: s.clone(),
            setup: setup(c),
        })
        .collect();
    let mut jobs: Vec<Job> = agent_loop::jobs(tasks.len(), targets.len(), args.runs);
    if let Some(rate) = args.rate {
        agent_loop::schedule(&mut jobs, rate, args.seed.unwrap_or_else(rand::random));
    }
    let mut accs: Vec<AgentAcc> = tasks
        .iter()
        .flat_map(|t| specs.iter().map(|s| AgentAcc::new(&t.name, s.clone())))
        .collect();
    let path_text = session.found.path.display().to_string();
    let shared = Shared {
        profile: ctx.profile(),
        agent: &agent.name,
        agent_path: &path_text,
        recipient: &recipient,
        client: &client,
        prices: &prices,
        approve: &args.approve,
        deny: &args.deny,
        tasks: &prepared,
        targets: &targets,
    };
    let mut write_error = None;
    let outcome = crate::runtime::block_on(async {
        let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
        let labels: Vec<String> = specs.iter().map(TargetSpec::label).collect();
        let sink = |rec: ab::AgentRecord, lines: Vec<serde_json::Value>| {
            let ti = names.iter().position(|n| *n == rec.task).unwrap_or(0);
            let gi = labels.iter().position(|l| *l == rec.target).unwrap_or(0);
            accs[ti * labels.len() + gi].record(&rec);
            if let (Some(f), None) = (requests.as_mut(), &write_error) {
                write_error = write_lines(f, &lines).err();
            }
        };
        let r = agent_loop::run_all(&shared, &mut workers, jobs, sink).await;
        for w in &mut workers {
            w.registry.shutdown().await;
        }
        r
    })?;

    let summaries: Vec<_> = accs.iter().map(AgentAcc::summary).collect();
    let mut report = AgentReport {
        kind: "agent".into(),
        schema_version: ab::report::AGENT_SCHEMA_VERSION,
        id: Some(run_id.to_string()),
        started_at: crate::time::rfc3339(started_ms),
        wall_ms: crate::bench::stats::r3(outcome.wall.as_secs_f64() * 1e3),
        interrupted: outcome.interrupted,
        config,
        config_hash: hash,
        targets: summaries,
        gates: Vec::new(),
        baseline: baseline.as_ref().map(AgentReport::baseline_ref),
    };
    report.gates = evaluate(&gates, &report, baseline.as_ref(), args.baseline.is_some())?;
    let json = ab::render(&report, Format::Json, false)?;
    let status = if outcome.interrupted {
        BenchStatus::Interrupted
    } else {
        BenchStatus::Complete
    };
    store.finish_bench(run_id, Some(&json), status)?;
    print(&if format == Format::Json {
        json
    } else {
        ab::render(&report, format, ctx.out.color)?
    })?;
    if let (Some(path), Some(file)) = (&args.out, out_file.as_mut()) {
        let text = ab::render(&report, format_for(path, format), false)?;
        std::io::Write::write_all(file, text.as_bytes())
            .map_err(|e| Error::io_path("write", path, e))?;
    }
    if outcome.interrupted {
        return Err(Error::Interrupted);
    }
    if let Some(e) = outcome.limit {
        return Err(e);
    }
    if let Some(m) = crate::bench::gate::failure_message(&report.gates) {
        return Err(Error::Gate(m));
    }
    // A target none of whose runs got past an error (a rejected key, an outage) measured
    // nothing: exit with what went wrong, as a request benchmark does.
    for (i, first) in outcome.first_errors.into_iter().enumerate() {
        let runs = report
            .targets
            .iter()
            .filter(|t| t.target == specs[i].label());
        let dead = runs
            .clone()
            .all(|t| t.stop_reasons.keys().all(|k| k == "error"));
        if let (true, Some(e)) = (dead, first) {
            return Err(e);
        }
    }
    match (write_error, &args.requests_out) {
        (Some(e), Some(p)) => Err(Error::io_path("write", p, e)),
        _ => Ok(()),
    }
}

/// `omc bench show ID` of an agent run.
pub(super) fn show(
    ctx: &Ctx,
    report: &AgentReport,
    format: Format,
    out: &Option<std::path::PathBuf>,
) -> Result<()> {
    if let Some(path) = out {
        super::write_file(path, &ab::render(report, format_for(path, format), false)?)?;
    }
    print(&ab::render(report, format, ctx.out.color)?)
}
