//! What `omc bench --agent` settles before it runs anything: its flags, tasks and targets,
//! that no tool would ask for approval, the workers' MCP servers, the baseline.

use super::MeasureArgs;
use super::agent_loop::{Prepared, Worker};
use crate::agent::Agent;
use crate::agent::approval::{self, Policy, Requirement};
use crate::agent::models::{self, Resolved};
use crate::agent::tools::Entry;
use crate::bench::TargetSpec;
use crate::bench::agent::{self as ab, AgentGate, AgentReport, Task};
use crate::cmd::Ctx;
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::store::Store;

/// Flags of request benchmarks that mean nothing for an agent's: refused, not ignored.
pub(super) fn refuse_request_flags(args: &MeasureArgs) -> Result<()> {
    let refused = [
        (!args.level.is_empty(), "--level"),
        (args.warmup.is_some(), "--warmup"),
        (args.order != crate::bench::Order::Interleaved, "--order"),
    ];
    match refused.iter().find(|(set, _)| *set) {
        Some((_, flag)) => Err(Error::usage_hint(
            format!("{flag} does not apply to an agent benchmark"),
            "an agent benchmark runs its tasks (--suite with [[task]], or --prompt) per target",
        )),
        None => Ok(()),
    }
}

pub(super) fn load_tasks(args: &MeasureArgs) -> Result<Vec<Task>> {
    let mut tasks = match &args.suite {
        Some(path) => ab::task::load(path)?,
        None => Vec::new(),
    };
    for (i, p) in args.prompt.iter().enumerate() {
        tasks.push(Task {
            name: format!("prompt-{}", i + 1),
            prompt: p.clone(),
            vars: Vec::new(),
            checks: Default::default(),
        });
    }
    if tasks.is_empty() {
        return Err(Error::usage_hint(
            "an agent benchmark needs tasks",
            "pass --suite FILE.toml with [[task]] tables, or --prompt TEXT",
        ));
    }
    Ok(tasks)
}

/// Each task's system prompt, filled from `--var` and the task's own vars (which win).
pub(super) fn prepare(
    agent: &Agent,
    tasks: &[Task],
    vars: &[(String, String)],
) -> Result<Vec<Prepared>> {
    tasks
        .iter()
        .map(|t| {
            let mut all: Vec<(String, String)> = vars
                .iter()
                .filter(|(k, _)| !t.vars.iter().any(|(tk, _)| tk == k))
                .cloned()
                .collect();
            all.extend(t.vars.iter().cloned());
            let (system, _unused) = agent.system_prompt(&all)?;
            Ok(Prepared {
                name: t.name.clone(),
                system,
                prompt: t.prompt.clone(),
                checks: t.compile()?,
            })
        })
        .collect()
}

/// Refuse a tool that would ask: a benchmark has no one to ask, and a run stopped at the
/// question would measure nothing.
pub(super) fn check_approval(entries: &[Entry], policy: &Policy, agent: &str) -> Result<()> {
    for e in entries {
        if approval::requirement(policy, &e.tool_ref()) == Requirement::NeedsApproval {
            let name = crate::terminal::line(&e.decl.name);
            return Err(Error::usage_hint(
                format!(
                    "tool {name} of agent '{agent}' would ask for approval, and a benchmark has \
                     no one to ask"
                ),
                format!(
                    "pass --approve {name} (or --approve all) or --deny {name}, or set \
                     approve = \"auto\" on it in the agent file"
                ),
            ));
        }
    }
    Ok(())
}

/// Start every worker's MCP servers and check their tools' approval; on failure all stop.
pub(super) fn start_workers(workers: &mut [Worker], policy: &Policy, agent: &str) -> Result<()> {
    crate::runtime::block_on(async {
        let mut result = Ok(());
        for w in workers.iter_mut() {
            if let Err(e) = w.registry.start_servers().await {
                result = Err(Error::Other(e));
                break;
            }
        }
        if result.is_ok()
            && let Some(w) = workers.first()
        {
            // As `omc run --agent`: the flags' names against the tools the servers listed.
            let approve: Vec<String> = policy.approved.iter().cloned().collect();
            let deny: Vec<String> = policy.denied.iter().cloned().collect();
            result = w
                .registry
                .check_names("--approve", &approve)
                .and_then(|()| w.registry.check_names("--deny", &deny))
                .and_then(|()| check_approval(&w.registry.entries, policy, agent));
        }
        if result.is_err() {
            for w in workers.iter_mut() {
                w.registry.shutdown().await;
            }
        }
        result
    })?
}

pub(super) fn spec_of(r: &Resolved) -> TargetSpec {
    TargetSpec {
        provider: r.spec.id.to_owned(),
        model: r.model.clone(),
        credential: r.credential.name.clone(),
    }
}

/// `--credential`/`--provider` × `--model` when given (overriding the agent's `models`), else
/// the agent's models (each with `--model` when given), else the profile's default.
pub(super) fn resolve_targets(
    creds: &mut dyn CredentialBackend,
    args: &MeasureArgs,
    agent: &Agent,
) -> Result<Vec<Resolved>> {
    let mut heads: Vec<(String, Option<String>)> = args
        .credential
        .iter()
        .chain(&args.provider)
        .map(|h| (h.clone(), None))
        .collect();
    if heads.is_empty() {
        heads = agent
            .models
            .iter()
            .map(|p| {
                let (h, m) = models::split(p);
                (h.to_owned(), m.map(str::to_owned))
            })
            .collect();
    }
    if heads.is_empty() {
        heads.push((creds.default_name(None)?, None));
    }
    let mut out: Vec<Resolved> = Vec::new();
    for (head, own) in heads {
        let models: Vec<Option<String>> = if args.model.is_empty() {
            vec![own]
        } else {
            args.model.iter().cloned().map(Some).collect()
        };
        for m in models {
            let pref = match m {
                Some(m) => format!("{head}/{m}"),
                None => head.clone(),
            };
            let r = models::resolve(creds, &pref)?.ok_or_else(|| {
                Error::not_found("credential", head.clone())
                    .with_hint("see `omc list`; pass --credential NAME")
            })?;
            if !out
                .iter()
                .any(|o| o.credential.id == r.credential.id && o.model == r.model)
            {
                out.push(r);
            }
        }
    }
    Ok(out)
}

pub(super) fn resolve_baseline(
    ctx: &Ctx,
    store: &Store,
    args: &MeasureArgs,
    hash: &str,
) -> Result<Option<AgentReport>> {
    let Some(b) = args.baseline.as_deref() else {
        return Ok(None);
    };
    if b.trim().eq_ignore_ascii_case("last") {
        return match store.last_agent_bench_with_hash(ctx.profile(), hash)? {
            Some(id) => Ok(Some(store.agent_bench_report(&id.to_string())?)),
            None => {
                ctx.out.warn(
                    "no earlier complete agent run with this configuration: nothing to compare \
                     with yet",
                );
                Ok(None)
            }
        };
    }
    let report = store.agent_bench_report(b)?;
    if report.config_hash != hash {
        return Err(Error::usage_hint(
            format!(
                "baseline run {} was configured differently (agent file, tasks, targets, runs \
                 or load), so its numbers are not comparable",
                b.trim()
            ),
            "rerun with the baseline's flags and files",
        ));
    }
    Ok(Some(report))
}

pub(super) fn evaluate(
    gates: &[AgentGate],
    report: &AgentReport,
    baseline: Option<&AgentReport>,
    asked: bool,
) -> Result<Vec<crate::bench::GateVerdict>> {
    let base = match baseline {
        Some(b) => Some(b.targets.as_slice()),
        None if asked => Some(&[][..]),
        None => None,
    };
    ab::evaluate(gates, &report.targets, base)
}

pub(super) fn write_lines(
    f: &mut std::fs::File,
    lines: &[serde_json::Value],
) -> std::io::Result<()> {
    use std::io::Write;
    let mut buf = Vec::new();
    for l in lines {
        serde_json::to_writer(&mut buf, l)?;
        buf.push(b'\n');
    }
    f.write_all(&buf)
}
