//! The agent loop: a plain loop with explicit state. Each turn is one model call on the first
//! preference that works; its tool calls are approved, run and answered; the loop ends when the
//! model stops calling tools or a limit is hit. It never prints: it emits [`AgentEvent`]s, and
//! asks for approval through [`Frontend`], so the terminal and the JSON renderer share it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::approval::{self, Answer, Policy, Requirement};
use super::models::Resolved;
use super::tools::Registry;
use super::transcript::{AgentState, CallRecord, StopReason, Transcript, Turn, TurnUsage};
use crate::error::{Error, Result};
use crate::pricing::Prices;
use crate::provider::{
    ChatRequest, ChatResponse, Client, Conversation, Event, Message, ProviderError, Target,
    ToolResult, ToolSpec, estimate_tokens,
};
use crate::store::{FailKind, RunEnd, RunKind, RunStart, RunStatus, Store};

/// The same tool with the same arguments this many times in a run stops it.
pub const REPEAT_LIMIT: usize = 3;

/// What the loop reports as it goes.
#[derive(Debug)]
pub enum AgentEvent<'a> {
    /// A turn starts on this preference.
    TurnStart { turn: u32, preference: &'a str },
    /// A piece of the assistant's text.
    Text(&'a str),
    /// The turn's reply is complete (before it is recorded): `omc bench --agent` times the
    /// final answer to here. `recording`: the run's recording time so far ([`Loop::recording`]).
    Replied { turn: u32, recording: Duration },
    /// A preference failed before any text; the next one takes over.
    FellBack {
        from: &'a str,
        to: &'a str,
        error: &'a str,
    },
    /// A tool call is about to run.
    ToolStart {
        name: &'a str,
        arguments: &'a serde_json::Value,
    },
    /// It ran (or was declined).
    ToolEnd {
        name: &'a str,
        ok: bool,
        summary: &'a str,
        duration: Duration,
    },
    /// It was declined (by the user or `--deny`); the model is told.
    Declined { name: &'a str, by_flag: bool },
    /// A granted credential went into a tool's environment (first use in this run).
    Granted {
        tool: &'a str,
        credentials: &'a [String],
    },
}

/// The loop's way out to the person: events, and approval questions.
pub trait Frontend {
    fn event(&mut self, e: AgentEvent<'_>);
    /// Ask whether `name` may run with `arguments`. `None`: there is no one to ask.
    fn approve(
        &mut self,
        entry: &super::tools::Entry,
        arguments: &serde_json::Value,
    ) -> Result<Option<Answer>>;
}

/// One usable model preference with its key.
pub struct Candidate {
    pub resolved: Resolved,
    pub key: SecretString,
}

/// Everything a run needs besides the store, the client and the tools.
pub struct Setup {
    pub profile: String,
    pub candidates: Vec<Candidate>,
    pub temperature: Option<f32>,
    pub max_tokens: u32,
    pub max_turns: u32,
    pub budget: super::file::Budget,
    pub stream: bool,
    /// The agent's `tool_choice`, turn by turn (see [`super::file::tool_choice_for`]).
    pub tool_choice: Vec<crate::provider::ToolChoice>,
}

/// How a run ended for the caller: the stop reason is in the transcript; `Err` is a failure
/// that is not an agent stop (provider error, daily limit).
pub struct Loop<'a> {
    pub setup: &'a Setup,
    pub store: &'a mut Store,
    pub client: &'a Client,
    pub prices: &'a Prices,
    pub registry: &'a mut Registry,
    pub policy: &'a mut Policy,
    pub transcript: &'a mut Transcript,
    pub recipient: &'a age::x25519::Recipient,
    /// Time spent recording the run (transcript and ledger writes), which `omc bench --agent`
    /// leaves out of the time to answer, as the request bench's writer thread keeps its
    /// writes out of a request's timings.
    pub recording: Duration,
}

enum TurnOutcome {
    Reply(Box<ChatResponse>),
    Failed(ProviderError),
    Interrupted,
}

impl Loop<'_> {
    /// Store the transcript as it stands.
    pub fn save(&mut self, status: AgentState) -> Result<()> {
        let t0 = Instant::now();
        let r = self.save_untimed(status);
        self.recording += t0.elapsed();
        r
    }

    fn save_untimed(&mut self, status: AgentState) -> Result<()> {
        self.transcript.sum();
        let sealed = self.transcript.seal(self.recipient)?;
        let t = &self.transcript.totals;
        self.store.update_agent_run(
            self.transcript.run_id,
            &crate::store::AgentRunUpdate {
                status: status.as_str(),
                finished: status.finished(),
                turns: self.transcript.turns.len() as u32,
                input_tokens: t.usage.input_tokens.unwrap_or(0),
                output_tokens: t.usage.output_tokens.unwrap_or(0),
                cost_usd: t.cost_usd,
                transcript: &sealed,
            },
        )
    }

    fn stop(&mut self, reason: StopReason, detail: Option<String>) -> Result<StopReason> {
        self.transcript.stop_reason = Some(reason);
        self.transcript.stop_detail = detail;
        self.save(AgentState::Stopped(reason))?;
        Ok(reason)
    }

    fn over_budget(&self) -> Option<String> {
        let t = &self.transcript.totals;
        let used = t.usage.input_tokens.unwrap_or(0) + t.usage.output_tokens.unwrap_or(0);
        if let Some(max) = self.setup.budget.tokens
            && used >= max
        {
            return Some(format!("the run used {used} tokens of its budget of {max}"));
        }
        if let (Some(max), Some(spent)) = (self.setup.budget.cost_usd, t.cost_usd)
            && spent >= max
        {
            return Some(format!(
                "the run spent ${} of its budget of ${}",
                crate::pricing::usd(spent),
                crate::pricing::usd(max)
            ));
        }
        None
    }

    /// Run the loop to its end. `conv` holds the system prompt and the user's message.
    pub async fn run(
        &mut self,
        mut conv: Conversation,
        ui: &mut (dyn Frontend + Send),
    ) -> Result<StopReason> {
        let interrupted = crate::runtime::interrupted();
        tokio::pin!(interrupted);

        // MCP servers start once per run, before the first request declares their tools.
        let started = tokio::select! {
            r = self.registry.start_servers() => r,
            _ = &mut interrupted => return self.stop(StopReason::Interrupted, None),
        };
        if let Err(e) = started {
            self.save(AgentState::Error)?;
            return Err(Error::Other(e));
        }
        // A server holds its granted keys from its start, whether or not a tool of it is called.
        for (server, creds) in self.registry.server_grants() {
            let detail = format!("agent {} MCP server {server}", self.transcript.agent);
            self.audit_grant(&detail, &creds)?;
            ui.event(AgentEvent::Granted {
                tool: &server,
                credentials: &creds,
            });
        }
        let tools: Vec<ToolSpec> = self
            .registry
            .decls()
            .into_iter()
            .map(|d| ToolSpec {
                name: d.name,
                description: d.description.into_raw(),
                parameters: d.parameters,
            })
            .collect();
        // An MCP tool is known only once its server lists it.
        for c in &self.setup.tool_choice {
            if let crate::provider::ToolChoice::Named(name) = c
                && !tools.iter().any(|t| &t.name == name)
            {
                self.save(AgentState::Error)?;
                return Err(Error::usage_hint(
                    format!("tool_choice names '{name}', which no tool of the agent is called"),
                    "name one of the tools `omc agent check NAME` lists",
                ));
            }
        }
        let mut current = 0usize;
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut granted: Vec<String> = Vec::new();
        loop {
            if self.transcript.turns.len() as u32 >= self.setup.max_turns {
                let detail = format!("it reached max_turns ({})", self.setup.max_turns);
                return self.stop(StopReason::MaxTurns, Some(detail));
            }
            if let Some(why) = self.over_budget() {
                return self.stop(StopReason::Budget, Some(why));
            }
            let turn_no = self.transcript.turns.len() as u32 + 1;
            // One model call, falling back along the preferences until one answers.
            let (resp, cand_idx, run_id) = loop {
                let cand = &self.setup.candidates[current];
                let r = &cand.resolved;
                ui.event(AgentEvent::TurnStart {
                    turn: turn_no,
                    preference: &r.preference,
                });
                let mut req = ChatRequest::new(r.model.clone(), conv.clone());
                req.tools = tools.clone();
                req.tool_choice = super::file::tool_choice_for(&self.setup.tool_choice, turn_no);
                req.temperature = self.setup.temperature;
                req.max_tokens = Some(self.setup.max_tokens);
                req.stream = self.setup.stream;
                let reserve =
                    estimate_tokens(&conv.text_for_estimate()) + u64::from(self.setup.max_tokens);
                let t0 = Instant::now();
                let (run_id, warning) = match self.store.begin_run(&RunStart {
                    profile: &self.setup.profile,
                    credential: Some((&r.credential.name, &r.credential.id)),
                    provider: r.spec.id,
                    model: &r.model,
                    kind: RunKind::Agent,
                    agent: Some(&self.transcript.agent),
                    reserve_tokens: reserve,
                }) {
                    Ok(x) => x,
                    Err(e) => {
                        self.save(AgentState::Error)?;
                        return Err(e);
                    }
                };
                self.recording += t0.elapsed();
                if let Some(w) = warning {
                    tracing::warn!("{w}");
                }
                let target = Target {
                    spec: r.spec,
                    base_url: r.credential.base_url.as_deref(),
                    key: &cand.key,
                };
                let mut streamed_text = false;
                let mut partial = String::new();
                let outcome = {
                    let mut on_event = |e: Event<'_>| {
                        if let Event::Text(d) = e
                            && !d.text.is_empty()
                        {
                            streamed_text = true;
                            partial.push_str(d.text);
                            ui.event(AgentEvent::Text(d.text));
                        }
                    };
                    tokio::select! {
                        r = self.client.converse(&target, &req, &mut on_event) => match r {
                            Ok(resp) => TurnOutcome::Reply(Box::new(resp)),
                            Err(e) => TurnOutcome::Failed(e),
                        },
                        _ = &mut interrupted => TurnOutcome::Interrupted,
                    }
                };
                match outcome {
                    TurnOutcome::Reply(resp) => {
                        ui.event(AgentEvent::Replied {
                            turn: turn_no,
                            recording: self.recording,
                        });
                        break (resp, current, run_id);
                    }
                    TurnOutcome::Interrupted => {
                        self.store.finish_run(
                            run_id,
                            &RunEnd {
                                status: RunStatus::Interrupted,
                                ..RunEnd::default()
                            },
                        )?;
                        // What the model said before the stop stays in the transcript.
                        if !partial.is_empty() {
                            self.transcript.text = partial.clone();
                            self.transcript.turns.push(Turn {
                                preference: r.preference.clone(),
                                credential: r.credential.name.clone(),
                                provider: r.spec.id.to_owned(),
                                model: r.model.clone(),
                                text: partial,
                                tool_calls: Vec::new(),
                                usage: TurnUsage::default(),
                                cost_usd: None,
                                ttft_ms: None,
                                latency_ms: 0.0,
                                finish_reason: Some("interrupted".into()),
                            });
                        }
                        return self.stop(StopReason::Interrupted, None);
                    }
                    TurnOutcome::Failed(e) => {
                        self.store.finish_run(
                            run_id,
                            &RunEnd {
                                status: RunStatus::Error,
                                error_kind: Some(FailKind::Provider(e.kind)),
                                ..RunEnd::default()
                            },
                        )?;
                        let next = current + 1;
                        if e.falls_back() && !streamed_text && next < self.setup.candidates.len() {
                            let msg = e.clone().into_error(r.spec.id).to_string();
                            ui.event(AgentEvent::FellBack {
                                from: &r.preference,
                                to: &self.setup.candidates[next].resolved.preference,
                                error: &msg,
                            });
                            // Later turns stay on the preference that works.
                            current = next;
                            continue;
                        }
                        self.save(AgentState::Error)?;
                        return Err(e.into_error(r.spec.id));
                    }
                }
            };
            let r = &self.setup.candidates[cand_idx].resolved;
            let cost = self
                .prices
                .get(r.spec.id, &resp.model)
                .or_else(|| self.prices.get(r.spec.id, &r.model))
                .and_then(|p| Some(p.cost(resp.usage.input_tokens?, resp.usage.output_tokens?)));
            let t0 = Instant::now();
            self.store.finish_run(
                run_id,
                &RunEnd {
                    status: RunStatus::Ok,
                    model: Some(&resp.model),
                    input_tokens: resp.usage.input_tokens,
                    output_tokens: resp.usage.output_tokens,
                    estimated: resp.usage.estimated,
                    ttft_ms: resp.ttft().map(ms),
                    latency_ms: Some(ms(resp.latency())),
                    cost_usd: cost,
                    ..RunEnd::default()
                },
            )?;
            self.recording += t0.elapsed();
            conv.push(resp.message.clone());
            self.transcript.text = resp.text.clone();
            self.transcript.turns.push(Turn {
                preference: r.preference.clone(),
                credential: r.credential.name.clone(),
                provider: r.spec.id.to_owned(),
                model: resp.model.clone(),
                text: resp.text.clone(),
                tool_calls: Vec::new(),
                usage: TurnUsage {
                    input_tokens: resp.usage.input_tokens,
                    output_tokens: resp.usage.output_tokens,
                    estimated: resp.usage.estimated,
                },
                cost_usd: cost,
                ttft_ms: resp.ttft().map(ms),
                latency_ms: ms(resp.latency()),
                finish_reason: resp.finish_reason.clone(),
            });
            self.save(AgentState::Running)?;

            let calls: Vec<_> = resp.tool_calls().cloned().collect();
            if calls.is_empty() {
                return self.stop(StopReason::Done, None);
            }
            if let Some(why) = self.over_budget() {
                return self.stop(StopReason::Budget, Some(why));
            }
            let mut results = Vec::new();
            for call in &calls {
                let args = serde_json::Value::Object(call.arguments.clone());
                let mut record = CallRecord {
                    id: call.id.clone(),
                    name: call.name.clone(),
                    arguments: args.clone(),
                    approved: false,
                    result: String::new(),
                    is_error: true,
                    duration_ms: 0.0,
                };
                let key = format!("{}\u{0}{}", call.name, args);
                let count = seen.entry(key).or_insert(0);
                *count += 1;
                if *count >= REPEAT_LIMIT {
                    let detail = format!(
                        "the model called {} with the same arguments {REPEAT_LIMIT} times",
                        call.name
                    );
                    return self.stop(StopReason::RepeatedCall, Some(detail));
                }
                if let Err(e) = call.valid_arguments() {
                    record.result = format!(
                        "{e}. Call the tool again with arguments that are one JSON object matching its parameters."
                    );
                    ui.event(AgentEvent::ToolEnd {
                        name: &call.name,
                        ok: false,
                        summary: "malformed arguments",
                        duration: Duration::ZERO,
                    });
                    results.push(ToolResult::error(&call.id, record.result.clone()));
                    self.push_record(record);
                    continue;
                }
                let run = match self.registry.get(&call.name) {
                    None => true,
                    Some(entry) => match approval::requirement(self.policy, &entry.tool_ref()) {
                        Requirement::Skip => true,
                        Requirement::Forbidden => {
                            ui.event(AgentEvent::Declined {
                                name: &call.name,
                                by_flag: true,
                            });
                            record.result = format!(
                                "The user declined this call of {} (--deny); do not call it again. \
                                 Go on without it, or explain what you needed it for.",
                                call.name
                            );
                            false
                        }
                        Requirement::NeedsApproval => match ui.approve(entry, &args) {
                            Err(Error::Interrupted) => {
                                // Ctrl-C at the question: the tool does not run.
                                self.push_record(CallRecord {
                                    result: "not run: interrupted at the approval question".into(),
                                    ..record
                                });
                                return self.stop(StopReason::Interrupted, None);
                            }
                            Err(e) => return Err(e),
                            Ok(None) => {
                                self.push_record(CallRecord {
                                    result: "not run: it needs approval and there was no \
                                             terminal to ask on"
                                        .into(),
                                    ..record
                                });
                                let detail = format!(
                                    "tool {} needs approval and there is no terminal to ask on",
                                    call.name
                                );
                                return self.stop(StopReason::ApprovalNeeded, Some(detail));
                            }
                            Ok(Some(Answer::Yes)) => true,
                            Ok(Some(Answer::Always)) => {
                                self.policy.always.insert(call.name.clone());
                                true
                            }
                            Ok(Some(Answer::No)) => {
                                ui.event(AgentEvent::Declined {
                                    name: &call.name,
                                    by_flag: false,
                                });
                                record.result = format!(
                                    "The user declined this call of {}. Go on without it, or \
                                     ask the user what to do instead.",
                                    call.name
                                );
                                false
                            }
                        },
                    },
                };
                if !run {
                    results.push(ToolResult::error(&call.id, record.result.clone()));
                    self.push_record(record);
                    continue;
                }
                // A command tool gets its keys when it runs; servers were audited at their start.
                let creds = match self.registry.get(&call.name) {
                    Some(e) if e.server.is_none() => self.registry.credentials_of(&call.name),
                    _ => Vec::new(),
                };
                if !creds.is_empty() && !granted.contains(&call.name) {
                    granted.push(call.name.clone());
                    let detail = format!("agent {} tool {}", self.transcript.agent, call.name);
                    self.audit_grant(&detail, &creds)?;
                    ui.event(AgentEvent::Granted {
                        tool: &call.name,
                        credentials: &creds,
                    });
                }
                ui.event(AgentEvent::ToolStart {
                    name: &call.name,
                    arguments: &args,
                });
                let out = tokio::select! {
                    out = self.registry.call(&call.name, &args) => out,
                    _ = &mut interrupted => {
                        // The call's future is dropped: its process group is killed.
                        self.push_record(CallRecord {
                            result: "interrupted".into(),
                            ..record
                        });
                        return self.stop(StopReason::Interrupted, None);
                    }
                };
                ui.event(AgentEvent::ToolEnd {
                    name: &call.name,
                    ok: !out.is_error,
                    summary: &out.summary,
                    duration: out.duration,
                });
                record.approved = true;
                record.is_error = out.is_error;
                record.duration_ms = ms(out.duration);
                record.result = out.content.clone();
                results.push(ToolResult {
                    call_id: call.id.clone(),
                    content: out.content,
                    is_error: out.is_error,
                });
                self.push_record(record);
            }
            conv.push(Message::tool_results(results));
            self.save(AgentState::Running)?;
        }
    }

    fn push_record(&mut self, record: CallRecord) {
        if let Some(turn) = self.transcript.turns.last_mut() {
            turn.tool_calls.push(record);
        }
    }

    fn audit_grant(&mut self, detail: &str, creds: &[String]) -> Result<()> {
        let t0 = Instant::now();
        let r = self.audit_grant_untimed(detail, creds);
        self.recording += t0.elapsed();
        r
    }

    fn audit_grant_untimed(&mut self, detail: &str, creds: &[String]) -> Result<()> {
        let mut used = Vec::new();
        for name in creds {
            if let Ok((c, _)) = self.store.credential(&self.setup.profile, name) {
                used.push(c);
            }
        }
        let refs: Vec<&crate::store::Credential> = used.iter().collect();
        self.store.mark_used(&refs, "agent-grant", Some(detail))
    }
}

use crate::time::ms;
