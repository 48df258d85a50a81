//! The runs of `omc bench --agent`: a pool of workers, each with its own store connection and
//! tool registry (its MCP servers started once), driving the one agent loop
//! ([`crate::agent::run::Loop`], as `omc run --agent` does) through a headless [`Frontend`].
//!
//! Workers are futures on one thread: a run's time is model calls and tool processes, both
//! awaited, so C workers keep C runs in flight. Closed loop (`--concurrency C`): each worker
//! takes the next run when its last one ends. Open loop (`--rate R`): every run has a start
//! time (Poisson arrivals); a worker waits for it, and a run that found no free worker at its
//! time counts the wait as queueing.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::agent::approval::{Answer, Policy};
use crate::agent::run::{AgentEvent, Frontend, Loop, Setup};
use crate::agent::tools::{Entry, Registry};
use crate::agent::transcript::{StopReason, Totals, Transcript};
use crate::bench::TargetSpec;
use crate::bench::agent::{AgentRecord, Compiled};
use crate::error::{Error, Result};
use crate::pricing::Prices;
use crate::provider::{Client, Conversation, Message};
use crate::store::Store;

/// A task with its system prompt filled and its checks compiled.
pub struct Prepared {
    pub name: String,
    pub system: Option<String>,
    pub prompt: String,
    pub checks: Compiled,
}

/// A target: what it is, and the loop's setup on it (one model preference: no fallback, so a
/// run measures this target and no other).
pub struct Target {
    pub spec: TargetSpec,
    pub setup: Setup,
}

/// One run to make; `due`: its start time from the bench's start (open loop).
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub task: usize,
    pub target: usize,
    pub run: u32,
    pub due: Option<Duration>,
}

pub struct Worker {
    pub store: Store,
    pub registry: Registry,
}

/// What every run shares.
pub struct Shared<'a> {
    pub profile: &'a str,
    pub agent: &'a str,
    pub agent_path: &'a str,
    pub recipient: &'a age::x25519::Recipient,
    pub client: &'a Client,
    pub prices: &'a Prices,
    pub approve: &'a [String],
    pub deny: &'a [String],
    pub tasks: &'a [Prepared],
    pub targets: &'a [Target],
}

/// No one to show anything to and no one to ask: the bench made sure beforehand that no tool
/// would ask (see `agent::check_approval`). It notes when the last reply came.
#[derive(Default)]
struct Headless {
    /// When the last reply came, and the run's recording time until then.
    replied: Option<(Instant, Duration)>,
}

impl Frontend for Headless {
    fn event(&mut self, e: AgentEvent<'_>) {
        if let AgentEvent::Replied { recording, .. } = e {
            self.replied = Some((Instant::now(), recording));
        }
    }

    fn approve(&mut self, _: &Entry, _: &serde_json::Value) -> Result<Option<Answer>> {
        Ok(None)
    }
}

/// The jobs in the order they start: runs, then tasks, then targets, so targets interleave and
/// a provider's slow minute is spread over all of them.
pub fn jobs(tasks: usize, targets: usize, runs: u32) -> Vec<Job> {
    let mut out = Vec::with_capacity(tasks * targets * runs as usize);
    for run in 1..=runs {
        for task in 0..tasks {
            for target in 0..targets {
                out.push(Job {
                    task,
                    target,
                    run,
                    due: None,
                });
            }
        }
    }
    out
}

/// Poisson arrivals at `rate` per second, from `seed`.
pub fn schedule(jobs: &mut [Job], rate: f64, seed: u64) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut t = 0.0f64;
    for j in jobs {
        j.due = Some(Duration::from_secs_f64(t));
        let u: f64 = rng.r#gen::<f64>().max(f64::MIN_POSITIVE);
        t += -u.ln() / rate;
    }
}

/// How the runs went, besides their records.
pub struct Outcome {
    /// Ctrl-C stopped it.
    pub interrupted: bool,
    pub wall: Duration,
    /// A daily limit of the profile was reached: no run was started after it.
    pub limit: Option<Error>,
    /// Per target, the first run that failed with an error (not a stop, not a check).
    pub first_errors: Vec<Option<Error>>,
}

/// Run every job on `workers`, handing each record to `sink` as it finishes.
pub async fn run_all(
    sh: &Shared<'_>,
    workers: &mut [Worker],
    jobs: Vec<Job>,
    sink: impl FnMut(AgentRecord, Vec<serde_json::Value>),
) -> Outcome {
    let queue = RefCell::new(VecDeque::from(jobs));
    let sink = RefCell::new(sink);
    let stop = Cell::new(false);
    let limit = RefCell::new(None);
    let first_errors = RefCell::new((0..sh.targets.len()).map(|_| None).collect::<Vec<_>>());
    let start = Instant::now();
    let each = workers.iter_mut().map(|w| {
        let (queue, sink, stop) = (&queue, &sink, &stop);
        let (limit, first_errors) = (&limit, &first_errors);
        async move {
            while !stop.get() {
                let Some(job) = queue.borrow_mut().pop_front() else {
                    break;
                };
                let mut queue_ms = 0.0;
                if let Some(due) = job.due {
                    let at = start + due;
                    let now = Instant::now();
                    if at > now {
                        tokio::select! {
                            _ = tokio::time::sleep_until(at.into()) => {}
                            _ = crate::runtime::interrupted() => { stop.set(true); break; }
                        }
                    } else {
                        queue_ms = (now - at).as_secs_f64() * 1e3;
                    }
                }
                let (rec, lines, error) = one(sh, w, job, queue_ms).await;
                if rec.stop_reason == StopReason::Interrupted.as_str() {
                    stop.set(true);
                }
                match error {
                    Some(e @ Error::Limit { .. }) => {
                        stop.set(true);
                        limit.borrow_mut().get_or_insert(e);
                    }
                    Some(e) => {
                        first_errors.borrow_mut()[job.target].get_or_insert(e);
                    }
                    None => {}
                }
                (sink.borrow_mut())(rec, lines);
            }
        }
    });
    futures_util::future::join_all(each).await;
    Outcome {
        interrupted: stop.get() && limit.borrow().is_none(),
        wall: start.elapsed(),
        limit: limit.into_inner(),
        first_errors: first_errors.into_inner(),
    }
}

/// One run of the loop: timed from its start to its final reply, then checked; with its
/// `--requests-out` lines (the run, each turn, each tool call: timings and counts, never the
/// text, arguments or results, which stay in the encrypted transcript).
async fn one(
    sh: &Shared<'_>,
    w: &mut Worker,
    job: Job,
    queue_ms: f64,
) -> (AgentRecord, Vec<serde_json::Value>, Option<Error>) {
    let task = &sh.tasks[job.task];
    let target = &sh.targets[job.target];
    let mut transcript = Transcript {
        run_id: 0,
        agent: sh.agent.to_owned(),
        agent_path: sh.agent_path.to_owned(),
        started_at: crate::time::now_ms(),
        system: task.system.clone(),
        prompt: task.prompt.clone(),
        text: String::new(),
        stop_reason: None,
        stop_detail: None,
        turns: Vec::new(),
        totals: Totals::default(),
    };
    let mut ui = Headless::default();
    let mut recording = Duration::ZERO;
    let begun = w.store.begin_agent_run(sh.profile, sh.agent, sh.agent_path);
    let started = Instant::now();
    let result = match begun {
        Err(e) => Err(e),
        Ok(id) => {
            transcript.run_id = id;
            let mut policy = Policy::from_flags(sh.approve, sh.deny);
            let mut conv = Conversation::new(task.system.clone());
            conv.push(Message::user(task.prompt.clone()));
            let mut l = Loop {
                setup: &target.setup,
                store: &mut w.store,
                client: sh.client,
                prices: sh.prices,
                registry: &mut w.registry,
                policy: &mut policy,
                transcript: &mut transcript,
                recipient: sh.recipient,
                recording: Duration::ZERO,
            };
            let r = l.run(conv, &mut ui).await;
            recording = l.recording;
            r
        }
    };
    let ended = Instant::now();
    transcript.sum();
    let mut rec = AgentRecord::from_transcript(&transcript);
    rec.task = task.name.clone();
    rec.target = target.spec.label();
    rec.credential = target.spec.credential.clone();
    rec.run = job.run;
    rec.queue_ms = crate::bench::stats::r3(queue_ms);
    // The time to answer leaves out omc's own recording of the run (kept as `record_ms`).
    let (until, recorded) = match (&result, ui.replied) {
        (Ok(StopReason::Done), Some(at)) => at,
        _ => (ended, recording),
    };
    let answer = (until - started).saturating_sub(recorded);
    rec.answer_ms = crate::bench::stats::r3(answer.as_secs_f64() * 1e3);
    rec.record_ms = crate::bench::stats::r3(recording.as_secs_f64() * 1e3);
    let mut error = None;
    match result {
        Ok(StopReason::Done) => {
            rec.failure = task.checks.failure(&transcript);
            rec.ok = rec.failure.is_none();
        }
        Ok(reason) => {
            rec.failure = Some(match &transcript.stop_detail {
                Some(d) => format!("stopped ({}): {d}", reason.as_str()),
                None => format!("stopped ({})", reason.as_str()),
            });
        }
        Err(e) => {
            rec.stop_reason = "error".into();
            let msg = e.to_string();
            rec.failure = Some(msg.lines().next().unwrap_or("").chars().take(200).collect());
            error = Some(e);
        }
    }
    let lines = lines_of(&rec, &transcript);
    (rec, lines, error)
}

fn lines_of(rec: &AgentRecord, t: &Transcript) -> Vec<serde_json::Value> {
    use serde_json::json;
    let mut out = vec![json!({
        "type": "run",
        "task": rec.task,
        "target": rec.target,
        "run": rec.run,
        "agent_run": rec.agent_run,
        "ok": rec.ok,
        "failure": rec.failure,
        "stop_reason": rec.stop_reason,
        "answer_ms": rec.answer_ms,
        "queue_ms": rec.queue_ms,
        "record_ms": rec.record_ms,
        "turns": rec.turns,
        "model_ms": rec.model_ms,
        "tool_ms": rec.tool_ms,
        "tool_calls": rec.tool_calls,
        "input_tokens": rec.input_tokens,
        "output_tokens": rec.output_tokens,
        "cost_usd": rec.cost_usd,
    })];
    for (i, turn) in t.turns.iter().enumerate() {
        out.push(json!({
            "type": "turn",
            "task": rec.task,
            "target": rec.target,
            "run": rec.run,
            "agent_run": rec.agent_run,
            "turn": i + 1,
            "model": turn.model,
            "ttft_ms": turn.ttft_ms,
            "latency_ms": turn.latency_ms,
            "input_tokens": turn.usage.input_tokens,
            "output_tokens": turn.usage.output_tokens,
            "cost_usd": turn.cost_usd,
            "finish_reason": turn.finish_reason,
            "tool_calls": turn.tool_calls.len(),
        }));
        for c in &turn.tool_calls {
            out.push(json!({
                "type": "tool_call",
                "task": rec.task,
                "target": rec.target,
                "run": rec.run,
                "agent_run": rec.agent_run,
                "turn": i + 1,
                "name": c.name,
                "ran": c.approved,
                "is_error": c.is_error,
                "duration_ms": c.duration_ms,
            }));
        }
    }
    out
}
