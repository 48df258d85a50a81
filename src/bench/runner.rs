//! Scheduling: which request goes when, against an [`Executor`] that sends it.
//!
//! Closed loop (`--concurrency C`): C workers, each taking the next request from one shared,
//! interleaved list as soon as its previous one finishes. Open loop (`--rate R`): a dispatcher
//! draws exponential inter-arrival times (a Poisson process of rate R) and launches each request
//! at its scheduled instant whether or not earlier ones have finished; latency is counted from
//! that instant, so a stalled server or a client that falls behind shows up as latency instead
//! of as quietly fewer requests. tokio's timer wakes the dispatcher on the millisecond tick
//! after a due instant, so an open-loop request leaves up to 1 ms late (0.5 ms on average);
//! that lag is in its latency and in `queue_ms`, which says how much of it there was.
//!
//! Requests run as spawned tasks so they are timed on whichever core is free; the caller's
//! closures (sink, progress) run on the collecting task, off the timing path.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::config::{BenchConfig, Load, Order, TargetSpec};
use super::record::{Attempt, Price, RequestRecord};
use super::stats::{TargetStats, TargetSummary};
use crate::error::{Error, Result};
use crate::provider::{ChatResponse, ErrorKind, ProviderError};

/// Sends one request. Implemented by the HTTP layer for real runs and by a mock in tests.
///
/// Timings in the returned [`ChatResponse`] must come from the monotonic clock `Instant::now()`
/// uses (tokio's `Instant::now().into_std()` is the same clock, and the one a paused test
/// clock controls).
pub trait Executor: Send + Sync + 'static {
    fn execute(
        &self,
        target: usize,
        prompt: usize,
    ) -> impl Future<Output = Result<ChatResponse, ProviderError>> + Send;
}

/// Everything the runner needs, indexed the way the executor is.
#[derive(Debug, Clone)]
pub struct Plan {
    pub targets: Vec<TargetSpec>,
    /// Per target; `None` where the model has no price.
    pub prices: Vec<Option<Price>>,
    /// Prompt names, for the records.
    pub prompts: Vec<String>,
    pub runs: u32,
    pub warmup: u32,
    pub load: Load,
    pub order: Order,
    pub timeout: Duration,
    pub seed: u64,
    /// Closed loop: worker `i` sends its first request `i × stagger` after the start. Workers
    /// started in the same instant stay in lockstep, so every request's first token would
    /// arrive in a burst the client itself must queue; a small stagger measures the provider,
    /// not that burst. Zero unless the caller sets it.
    pub stagger: Duration,
    /// `--schema`: each successful answer is checked against it.
    pub schema: Option<crate::schema::OutputSchema>,
}

impl Plan {
    pub fn new(config: &BenchConfig, prices: Vec<Option<Price>>) -> Self {
        Plan {
            targets: config.targets.clone(),
            prices,
            prompts: config.prompts.iter().map(|p| p.name.clone()).collect(),
            runs: config.runs,
            warmup: config.warmup,
            load: config.load,
            order: config.order,
            timeout: Duration::from_millis(config.timeout_ms),
            seed: config.seed,
            stagger: Duration::ZERO,
            schema: None,
        }
    }
}

/// One request to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    pub target: usize,
    pub prompt: usize,
    /// Index among this target × prompt's runs (warmups: among the target's warmups).
    pub run: u32,
    pub warmup: bool,
}

/// The requests of one phase, in sending order, each computed from its index: a run of a
/// million requests keeps no list of them, so memory stays flat however long it runs (a
/// shuffled order keeps one 4-byte index per request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jobs {
    targets: usize,
    /// Prompts cycled through (warmups: one per round; measured: every prompt each run).
    prompts: usize,
    len: usize,
    warmup: bool,
    /// A seeded permutation of the indices, for `--order shuffled`.
    order: Option<std::sync::Arc<[u32]>>,
}

impl Jobs {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`th request sent. Targets alternate in every round, and the target that goes
    /// first rotates from round to round, so none is always sent right after a burst of the
    /// others.
    pub fn get(&self, i: usize) -> Option<Job> {
        if i >= self.len {
            return None;
        }
        let i = self.order.as_ref().map_or(i, |o| o[i] as usize);
        let (round, k) = (i / self.targets, i % self.targets);
        let target = (round + k) % self.targets;
        Some(if self.warmup {
            Job {
                target,
                prompt: round % self.prompts,
                run: round as u32,
                warmup: true,
            }
        } else {
            Job {
                target,
                prompt: round % self.prompts,
                run: (round / self.prompts) as u32,
                warmup: false,
            }
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = Job> + '_ {
        (0..self.len).filter_map(|i| self.get(i))
    }

    pub fn to_vec(&self) -> Vec<Job> {
        self.iter().collect()
    }
}

/// The warmup and measured requests, in sending order (see [`Jobs::get`]).
pub fn schedule(plan: &Plan) -> (Jobs, Jobs) {
    let targets = plan.targets.len().max(1);
    let warmup = Jobs {
        targets,
        prompts: plan.prompts.len().max(1),
        len: plan.targets.len() * plan.warmup as usize,
        warmup: true,
        order: None,
    };
    let len = plan.targets.len() * plan.prompts.len() * plan.runs as usize;
    let order = (plan.order == Order::Shuffled).then(|| {
        let mut order: Vec<u32> =
            (0..u32::try_from(len).expect("at most 4 billion requests")).collect();
        order.shuffle(&mut StdRng::seed_from_u64(plan.seed));
        order.into()
    });
    let measured = Jobs {
        targets,
        prompts: plan.prompts.len().max(1),
        len,
        warmup: false,
        order,
    };
    (warmup, measured)
}

/// Asks a running benchmark to stop sending (Ctrl-C). Requests in flight finish; the outcome
/// is marked interrupted.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<StopInner>);

#[derive(Debug, Default)]
struct StopInner {
    flag: AtomicBool,
    notify: Notify,
}

impl Stop {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn stop(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_stopped(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Warmup,
    Measure,
}

/// Reported when a phase starts (`done` 0) and after every finished request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
    pub failed: u64,
}

#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// In the plan's target order.
    pub targets: Vec<TargetSummary>,
    /// With several prompts, each target × prompt (target-major); else empty.
    pub by_prompt: Vec<TargetSummary>,
    /// First scheduled measured request → last measured completion.
    pub wall: Duration,
    pub interrupted: bool,
}

struct Done {
    job: Job,
    scheduled: Instant,
    completed: Instant,
    result: std::result::Result<ChatResponse, ProviderError>,
}

/// Most finished requests the collector takes at once.
const COLLECT_BATCH: usize = 1024;
/// How long the collector waits between looks at finished requests.
const COLLECT_EVERY: Duration = Duration::from_millis(1);

async fn call<E: Executor>(
    executor: &E,
    job: Job,
    timeout: Duration,
) -> std::result::Result<ChatResponse, ProviderError> {
    // A backstop: the HTTP layer has its own timeouts, but a hung executor must not hang the run.
    match tokio::time::timeout(timeout, executor.execute(job.target, job.prompt)).await {
        Ok(r) => r,
        Err(_) => Err(ProviderError {
            kind: ErrorKind::Timeout,
            status: None,
            message: format!(
                "no complete reply within {}",
                humantime::format_duration(timeout)
            ),
            attempts: 1,
            request_id: None,
        }),
    }
}

/// Run the warmup, then the measured requests. Every record (warmups included, flagged) goes to
/// `sink` as it completes; an error from `sink` stops the run and is returned. Returns the
/// per-target summaries of the measured requests.
pub async fn run<E, S, P>(
    plan: &Plan,
    executor: Arc<E>,
    mut sink: S,
    mut progress: P,
    stop: &Stop,
) -> Result<RunOutcome>
where
    E: Executor,
    S: FnMut(&RequestRecord) -> Result<()>,
    P: FnMut(&Progress),
{
    if plan.prices.len() != plan.targets.len() {
        return Err(Error::Other(format!(
            "bench plan: {} prices for {} targets",
            plan.prices.len(),
            plan.targets.len()
        )));
    }
    let mut stats: Vec<TargetStats> = plan.targets.iter().cloned().map(TargetStats::new).collect();
    // With several prompts, each target × prompt is summed up too: `[target × prompts + prompt]`.
    let mut by_prompt: Vec<TargetStats> = if plan.prompts.len() > 1 {
        plan.targets
            .iter()
            .flat_map(|t| {
                plan.prompts
                    .iter()
                    .map(|p| TargetStats::for_prompt(t.clone(), p))
            })
            .collect()
    } else {
        Vec::new()
    };
    let (warmup, measured) = schedule(plan);
    let mut hooks = Hooks {
        sink: &mut sink,
        progress: &mut progress,
    };

    if !warmup.is_empty() {
        run_phase(
            plan,
            &executor,
            warmup,
            Phase::Warmup,
            (&mut stats, &mut by_prompt),
            &mut hooks,
            stop,
        )
        .await?;
    }
    let wall = if stop.is_stopped() {
        Duration::ZERO
    } else {
        run_phase(
            plan,
            &executor,
            measured,
            Phase::Measure,
            (&mut stats, &mut by_prompt),
            &mut hooks,
            stop,
        )
        .await?
    };
    Ok(RunOutcome {
        targets: stats.iter().map(|s| s.summary(wall)).collect(),
        by_prompt: by_prompt.iter().map(|s| s.summary(wall)).collect(),
        wall,
        interrupted: stop.is_stopped(),
    })
}

struct Hooks<'a, S, P> {
    sink: &'a mut S,
    progress: &'a mut P,
}

/// Send `jobs` and collect them; returns the phase's wall time.
async fn run_phase<E, S, P>(
    plan: &Plan,
    executor: &Arc<E>,
    jobs: Jobs,
    phase: Phase,
    (stats, by_prompt): (&mut [TargetStats], &mut [TargetStats]),
    hooks: &mut Hooks<'_, S, P>,
    stop: &Stop,
) -> Result<Duration>
where
    E: Executor,
    S: FnMut(&RequestRecord) -> Result<()>,
    P: FnMut(&Progress),
{
    let total = jobs.len() as u64;
    // Before anything finishes: the phase and its size, so a progress display starts labelled.
    (hooks.progress)(&Progress {
        phase,
        done: 0,
        total,
        failed: 0,
    });
    let start = Instant::now();
    // Bounded: when recording falls behind (a provider faster than SQLite), senders wait instead
    // of piling finished requests up in memory (1.2 KB each: 390 MB at 300,000 echo requests).
    let (tx, mut rx) = mpsc::channel::<Done>(4 * COLLECT_BATCH);
    // Aborts every task if this future is dropped (the caller gave up on the run).
    let mut tasks = JoinSet::new();
    match plan.load {
        Load::Closed { concurrency } => {
            let jobs = Arc::new(jobs);
            let next = Arc::new(AtomicUsize::new(0));
            for worker in 0..(concurrency as usize).min(jobs.len()) {
                let delay = plan.stagger * worker as u32;
                let (jobs, next, tx, ex, stop) = (
                    jobs.clone(),
                    next.clone(),
                    tx.clone(),
                    executor.clone(),
                    stop.clone(),
                );
                let timeout = plan.timeout;
                tasks.spawn(async move {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    while !stop.is_stopped() {
                        let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            break;
                        };
                        let scheduled = Instant::now();
                        let result = call(&*ex, job, timeout).await;
                        let completed = Instant::now();
                        let done = Done {
                            job,
                            scheduled,
                            completed,
                            result,
                        };
                        if tx.send(done).await.is_err() {
                            break;
                        }
                    }
                });
            }
        }
        Load::Open { rate } => {
            let seed = plan.seed
                ^ if phase == Phase::Warmup {
                    0x5741_524d
                } else {
                    0
                };
            let (tx, ex, stop) = (tx.clone(), executor.clone(), stop.clone());
            let timeout = plan.timeout;
            tasks.spawn(async move {
                let mut rng = StdRng::seed_from_u64(seed);
                let mut inflight = JoinSet::new();
                let mut due = start;
                for job in jobs.iter() {
                    // Inverse-CDF draw of Exp(rate); 1 − u is in (0, 1], so the log is finite.
                    let u: f64 = rng.gen_range(0.0..1.0);
                    due += Duration::from_secs_f64(-(1.0 - u).ln() / rate);
                    let notified = stop.0.notify.notified();
                    tokio::pin!(notified);
                    // Registered before the flag is read, so a stop between the two still wakes us.
                    notified.as_mut().enable();
                    if stop.is_stopped() {
                        break;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep_until(due) => {}
                        _ = notified => break,
                    }
                    let (tx, ex) = (tx.clone(), ex.clone());
                    let scheduled = due;
                    inflight.spawn(async move {
                        let result = call(&*ex, job, timeout).await;
                        let completed = Instant::now();
                        let _ = tx
                            .send(Done {
                                job,
                                scheduled,
                                completed,
                                result,
                            })
                            .await;
                    });
                    // Reap finished tasks so a long run does not accumulate them.
                    while inflight.try_join_next().is_some() {}
                }
                while inflight.join_next().await.is_some() {}
            });
        }
    }
    drop(tx);

    let labels: Vec<String> = plan.targets.iter().map(TargetSpec::label).collect();
    let start_std = start.into_std();
    let mut done = 0u64;
    let mut failed = 0u64;
    let mut last = start;
    let mut sink_error = None;
    let mut arrived = Vec::with_capacity(COLLECT_BATCH);
    while rx.recv_many(&mut arrived, COLLECT_BATCH).await > 0 {
        for d in arrived.drain(..) {
            let job = d.job;
            let attempt = Attempt {
                target: &labels[job.target],
                credential: &plan.targets[job.target].credential,
                prompt: plan.prompts.get(job.prompt).map_or("", String::as_str),
                run: job.run,
                warmup: job.warmup,
                run_start: start_std,
                scheduled: d.scheduled.into_std(),
                completed: d.completed.into_std(),
                price: plan.prices[job.target],
                schema: plan.schema.as_ref(),
            };
            let record = RequestRecord::new(&attempt, &d.result);
            last = last.max(d.completed);
            done += 1;
            failed += u64::from(!record.is_ok());
            if phase == Phase::Measure {
                let gaps = d.result.as_ref().map_or(&[][..], |r| &r.gaps[..]);
                stats[job.target].record(&record, gaps);
                if let Some(s) = by_prompt.get_mut(job.target * plan.prompts.len() + job.prompt) {
                    s.record(&record, gaps);
                }
            }
            if sink_error.is_none()
                && let Err(e) = (hooks.sink)(&record)
            {
                // Results that cannot be saved are not worth waiting for.
                sink_error = Some(e);
                stop.stop();
            }
            (hooks.progress)(&Progress {
                phase,
                done,
                total,
                failed,
            });
        }
        // The workers stamp each request's times themselves, so collecting them a moment
        // later changes nothing measured; waking for each one would cost the runtime a
        // thread wake-up per request.
        if done < total {
            tokio::time::sleep(COLLECT_EVERY).await;
        }
    }
    while let Some(r) = tasks.join_next().await {
        if let Err(e) = r
            && e.is_panic()
        {
            return Err(Error::Other(format!("a benchmark task panicked: {e}")));
        }
    }
    match sink_error {
        Some(e) => Err(e),
        None => Ok(last - start),
    }
}
