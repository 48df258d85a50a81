//! What `omc bench --agent` measures: one [`AgentRecord`] per run of the loop, summed per task ×
//! target into an [`AgentSummary`], all of it in one [`AgentReport`] (stored beside request
//! runs, `kind = "agent"`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::task::Checks;
use crate::agent::transcript::Transcript;
use crate::bench::config::{Load, TargetSpec};
use crate::bench::gate::GateVerdict;
use crate::bench::report::BaselineRef;
use crate::bench::stats::{MetricAcc, Summary, r3};

pub const AGENT_SCHEMA_VERSION: u32 = 1;

/// What the configuration hash covers: runs with the same one are comparable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentConfig {
    pub agent: String,
    /// SHA-256 of the agent file's bytes.
    pub agent_sha256: String,
    pub targets: Vec<TargetSpec>,
    pub tasks: Vec<TaskInfo>,
    pub runs: u32,
    pub load: Load,
    pub stream: bool,
    pub timeout_ms: u64,
    pub max_turns: u32,
    pub approve: Vec<String>,
    pub deny: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo_delay: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub name: String,
    /// SHA-256 of the prompt (the prompt itself is not stored: it may be private).
    pub prompt_sha256: String,
    pub checks: Checks,
}

impl AgentConfig {
    pub fn hash(&self) -> String {
        let json = serde_json::to_string(self).expect("config serializes");
        hex(&Sha256::digest(json.as_bytes()))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One step of a run's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// `model` or `tool`.
    pub kind: StepKind,
    pub ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Model,
    Tool,
}

/// One run of the agent's loop on one task and target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentRecord {
    pub task: String,
    pub target: String,
    pub credential: String,
    pub run: u32,
    /// The stored agent run (`omc agent log ID`).
    pub agent_run: i64,
    /// Time from its start to the final answer (or to where it stopped), less omc's own
    /// recording of the run (`record_ms`).
    pub answer_ms: f64,
    /// Time omc spent recording the run: its encrypted transcript and ledger rows.
    pub record_ms: f64,
    /// How long it waited past its scheduled start for a free worker (open loop).
    pub queue_ms: f64,
    pub stop_reason: String,
    pub ok: bool,
    /// Why it failed: a stop, a provider error, or the first failed check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    pub turns: u32,
    pub model_ms: f64,
    pub tool_ms: f64,
    pub tool_calls: u32,
    pub ttft_ms: Vec<f64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    pub steps: Vec<Step>,
}

impl AgentRecord {
    /// The measurements of a finished transcript; `answer_ms` and the verdict are the caller's.
    pub fn from_transcript(t: &Transcript) -> AgentRecord {
        let mut steps = Vec::new();
        let (mut model_ms, mut tool_ms, mut calls) = (0.0, 0.0, 0);
        let mut ttft = Vec::new();
        for turn in &t.turns {
            model_ms += turn.latency_ms;
            steps.push(Step {
                kind: StepKind::Model,
                ms: r3(turn.latency_ms),
            });
            ttft.extend(turn.ttft_ms.map(r3));
            for c in &turn.tool_calls {
                calls += 1;
                tool_ms += c.duration_ms;
                steps.push(Step {
                    kind: StepKind::Tool,
                    ms: r3(c.duration_ms),
                });
            }
        }
        AgentRecord {
            task: String::new(),
            target: String::new(),
            credential: String::new(),
            run: 0,
            agent_run: t.run_id,
            answer_ms: 0.0,
            record_ms: 0.0,
            queue_ms: 0.0,
            stop_reason: t.stop_reason.map_or("error", |s| s.as_str()).to_owned(),
            ok: false,
            failure: None,
            turns: t.turns.len() as u32,
            model_ms: r3(model_ms),
            tool_ms: r3(tool_ms),
            tool_calls: calls,
            ttft_ms: ttft,
            input_tokens: t.totals.usage.input_tokens.unwrap_or(0),
            output_tokens: t.totals.usage.output_tokens.unwrap_or(0),
            cost_usd: t.totals.cost_usd,
            steps,
        }
    }
}

/// One task on one target, over its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSummary {
    pub task: String,
    pub target: String,
    pub provider: String,
    pub model: String,
    pub credential: String,
    pub runs: u64,
    /// Runs that answered and passed every check.
    pub ok: u64,
    pub failed: u64,
    pub success_rate: f64,
    /// Time to the final answer, over the runs that answered (whatever the checks said).
    pub answer: Option<Summary>,
    pub turns: Option<Summary>,
    /// Model time per run (every turn's request, first byte to last).
    pub model_time: Option<Summary>,
    /// Tool time per run.
    pub tool_time: Option<Summary>,
    /// Time to first token, per turn.
    pub ttft: Option<Summary>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub input_tokens_mean: f64,
    pub output_tokens_mean: f64,
    /// `None` when some run's cost is unknown (no price).
    pub cost_total_usd: Option<f64>,
    pub cost_mean_usd: Option<f64>,
    pub stop_reasons: BTreeMap<String, u64>,
    /// Why runs failed, by reason, and how many times.
    pub failures: BTreeMap<String, u64>,
    /// The steps of the run whose answer time is nearest the median: model, tool, model, …
    pub timeline: Vec<Step>,
}

impl AgentSummary {
    pub fn label(&self) -> String {
        format!("{} · {}", self.task, self.target)
    }
}

/// The accumulator behind one [`AgentSummary`].
pub struct AgentAcc {
    spec: TargetSpec,
    task: String,
    runs: u64,
    ok: u64,
    answer: MetricAcc,
    turns: MetricAcc,
    model: MetricAcc,
    tool: MetricAcc,
    ttft: MetricAcc,
    input: u64,
    output: u64,
    cost: f64,
    priced: bool,
    stops: BTreeMap<String, u64>,
    failures: BTreeMap<String, u64>,
    /// (answer ms, steps) of every answered run: runs are few, so this is small.
    timelines: Vec<(f64, Vec<Step>)>,
}

impl AgentAcc {
    pub fn new(task: &str, spec: TargetSpec) -> AgentAcc {
        AgentAcc {
            spec,
            task: task.to_owned(),
            runs: 0,
            ok: 0,
            answer: MetricAcc::new(),
            turns: MetricAcc::new(),
            model: MetricAcc::new(),
            tool: MetricAcc::new(),
            ttft: MetricAcc::new(),
            input: 0,
            output: 0,
            cost: 0.0,
            priced: true,
            stops: BTreeMap::new(),
            failures: BTreeMap::new(),
            timelines: Vec::new(),
        }
    }

    pub fn record(&mut self, r: &AgentRecord) {
        self.runs += 1;
        self.ok += u64::from(r.ok);
        *self.stops.entry(r.stop_reason.clone()).or_default() += 1;
        if let Some(f) = &r.failure {
            *self.failures.entry(f.clone()).or_default() += 1;
        }
        if r.stop_reason == "done" {
            self.answer.record(r.answer_ms);
            self.timelines.push((r.answer_ms, r.steps.clone()));
        }
        self.turns.record(f64::from(r.turns));
        self.model.record(r.model_ms);
        self.tool.record(r.tool_ms);
        for t in &r.ttft_ms {
            self.ttft.record(*t);
        }
        self.input += r.input_tokens;
        self.output += r.output_tokens;
        match r.cost_usd {
            Some(c) => self.cost += c,
            None => self.priced = false,
        }
    }

    pub fn summary(&self) -> AgentSummary {
        let n = self.runs.max(1) as f64;
        let answer = self.answer.summary();
        let timeline = match answer {
            Some(a) => self
                .timelines
                .iter()
                .min_by(|x, y| (x.0 - a.p50).abs().total_cmp(&(y.0 - a.p50).abs()))
                .map(|t| t.1.clone())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let priced = self.priced && self.runs > 0;
        AgentSummary {
            task: self.task.clone(),
            target: self.spec.label(),
            provider: self.spec.provider.clone(),
            model: self.spec.model.clone(),
            credential: self.spec.credential.clone(),
            runs: self.runs,
            ok: self.ok,
            failed: self.runs - self.ok,
            success_rate: if self.runs == 0 {
                0.0
            } else {
                r3(self.ok as f64 / n)
            },
            answer,
            turns: self.turns.summary(),
            model_time: self.model.summary(),
            tool_time: self.tool.summary(),
            ttft: self.ttft.summary(),
            input_tokens: self.input,
            output_tokens: self.output,
            input_tokens_mean: r3(self.input as f64 / n),
            output_tokens_mean: r3(self.output as f64 / n),
            cost_total_usd: priced.then_some(self.cost),
            cost_mean_usd: priced.then(|| self.cost / n),
            stop_reasons: self.stops.clone(),
            failures: self.failures.clone(),
            timeline,
        }
    }
}

/// The report of an agent benchmark: the JSON is stored, and the other formats are its views.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentReport {
    /// Always `agent`: tells this report from a request benchmark's.
    pub kind: String,
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub started_at: String,
    pub wall_ms: f64,
    pub interrupted: bool,
    pub config: AgentConfig,
    pub config_hash: String,
    /// One per task × target, tasks in suite order, targets in the order given.
    pub targets: Vec<AgentSummary>,
    pub gates: Vec<GateVerdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineRef>,
}

impl AgentReport {
    pub fn baseline_ref(&self) -> BaselineRef {
        BaselineRef {
            id: self.id.clone(),
            started_at: self.started_at.clone(),
            config_hash: self.config_hash.clone(),
        }
    }
}
