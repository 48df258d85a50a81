//! `omc run --agent NAME`: load the agent, resolve its models and grants, run its loop, render
//! what happens (text to stdout, tool activity to stderr, or one JSON document).

use std::io::{IsTerminal, Write};

use clap::Args;

use super::Ctx;
use super::run::RunArgs;
use crate::agent::approval::{self, Answer, Policy};
use crate::agent::command::cut;
use crate::agent::models::{self, Resolved};
use crate::agent::run::{AgentEvent, Candidate, Frontend, Loop, Setup};
use crate::agent::tools::{Entry, Registry};
use crate::agent::transcript::{StopReason, Totals, Transcript};
use crate::agent::{self, Agent, Dirs, Session};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::pricing::Prices;
use crate::provider::{Client, ClientOptions, Conversation, Message};
use crate::terminal::line;

/// How much of a tool result `--json` shows; the stored transcript keeps it whole.
const JSON_RESULT_CHARS: usize = 2000;

#[derive(Debug, Args)]
pub struct AgentRunArgs {
    /// Run this agent's tool loop (a name from `omc agent list`, or a path to a .toml file)
    #[arg(long, value_name = "NAME|PATH", add = crate::complete::agents())]
    pub agent: Option<String>,

    /// Fill {{KEY}} in the agent's system prompt (repeatable)
    #[arg(long = "var", value_name = "KEY=VALUE", requires = "agent", value_parser = agent::file::parse_var)]
    pub vars: Vec<(String, String)>,

    /// Run these tools without asking: `all`, or tool (or MCP server) names
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "all|NAME,…",
        requires = "agent"
    )]
    pub approve: Vec<String>,

    /// Always decline these tools (or MCP servers' tools); the model is told
    #[arg(long, value_delimiter = ',', value_name = "NAME,…", requires = "agent")]
    pub deny: Vec<String>,

    /// Stop after this many model calls [default: the agent's max_turns, else 10]
    #[arg(long, value_name = "N", requires = "agent", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_turns: Option<u32>,
}

/// The terminal: text to stdout as it streams, tool activity to stderr, questions on the tty.
struct Terminal {
    json: bool,
    /// Show escape sequences in the model's text escaped (stdout is a terminal, no `--raw`).
    neutralise: bool,
    quiet: bool,
    can_ask: bool,
    /// The last thing written to stdout did not end a line.
    open_line: bool,
    wrote_text: bool,
    write_error: Option<std::io::Error>,
}

impl Terminal {
    fn err_line(&self, line: String) {
        if !self.quiet && !self.json {
            eprintln!("{line}");
        }
    }
}

impl Frontend for Terminal {
    fn event(&mut self, e: AgentEvent<'_>) {
        match e {
            AgentEvent::Text(t) => {
                if self.json || self.write_error.is_some() {
                    return;
                }
                let mut out = std::io::stdout().lock();
                let shown = if self.neutralise {
                    crate::terminal::text(t)
                } else {
                    std::borrow::Cow::Borrowed(t)
                };
                if let Err(e) = out.write_all(shown.as_bytes()).and_then(|_| out.flush()) {
                    self.write_error = Some(e);
                }
                self.open_line = !t.ends_with('\n');
                self.wrote_text = true;
            }
            AgentEvent::TurnStart { turn, preference } => {
                tracing::info!(turn, preference, "agent turn");
            }
            AgentEvent::FellBack { from, to, error } => {
                // A warning, even with -q or --json, as `omc run --fallback` gives.
                eprintln!(
                    "omc: warning: {from} failed ({}); falling back to {to}",
                    line(error)
                );
            }
            AgentEvent::ToolStart { name, arguments } => {
                if self.open_line && !self.json && !self.quiet {
                    // Keep the tool line off the end of the streamed text.
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(b"\n").and_then(|_| out.flush());
                    self.open_line = false;
                }
                // The model chose the name and the arguments: shown escaped, as is all of it.
                self.err_line(format!(
                    "→ {} {}",
                    line(name),
                    line(&cut(&arguments.to_string(), 200))
                ));
            }
            AgentEvent::ToolEnd {
                ok,
                summary,
                duration,
                ..
            } => {
                let mark = if ok { "✓" } else { "✗" };
                // A tool's or server's own words (an error's stderr tail) can carry escapes.
                self.err_line(format!(
                    "{mark} {}, {} ms",
                    line(&cut(summary, 200)),
                    duration.as_millis()
                ));
            }
            AgentEvent::Declined { name, by_flag } => {
                let why = if by_flag { " (--deny)" } else { "" };
                self.err_line(format!("✗ {} declined{why}", line(name)));
            }
            AgentEvent::Granted { tool, credentials } => {
                tracing::info!(tool, credentials = ?credentials, "credentials granted to a tool");
            }
        }
    }

    fn approve(&mut self, entry: &Entry, arguments: &serde_json::Value) -> Result<Option<Answer>> {
        if !self.can_ask {
            return Ok(None);
        }
        let mut shown = format!("omc: the agent wants to run {}", line(&entry.decl.name));
        let mut hints = Vec::new();
        if let Some(s) = &entry.server {
            hints.push(format!("MCP server {s}"));
        }
        if entry.read_only == Some(true) {
            hints.push("the server says: read-only".into());
        }
        if entry.destructive == Some(true) {
            hints.push("the server says: destructive".into());
        }
        if !hints.is_empty() {
            shown.push_str(&format!(" ({})", hints.join("; ")));
        }
        shown.push('\n');
        shown.push_str(&crate::terminal::text(&pretty_args(arguments)));
        approval::ask(&shown).map(Some)
    }
}

/// Arguments as indented JSON with long strings cut.
fn pretty_args(v: &serde_json::Value) -> String {
    fn shorten(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::String(s) => serde_json::Value::String(cut(s, 300)),
            serde_json::Value::Array(a) => a.iter().map(shorten).collect(),
            serde_json::Value::Object(m) => m
                .iter()
                .map(|(k, v)| (k.clone(), shorten(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            other => other.clone(),
        }
    }
    let text = serde_json::to_string_pretty(&shorten(v)).unwrap_or_default();
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The preferences to run: the flags' one when given, else the file's.
fn preferences(args: &RunArgs, agent: &Agent) -> Vec<String> {
    let with_model = |head: &str| match &args.model {
        Some(m) => format!("{head}/{m}"),
        None => head.to_owned(),
    };
    if let Some(c) = &args.credential {
        return vec![with_model(c)];
    }
    if let Some(p) = &args.provider {
        return vec![with_model(p)];
    }
    match &args.model {
        Some(m) => agent
            .models
            .iter()
            .map(|p| format!("{}/{m}", models::split(p).0))
            .collect(),
        None => agent.models.clone(),
    }
}

pub fn run(ctx: &Ctx, args: &RunArgs) -> Result<()> {
    let a = &args.agent;
    let name = a.agent.as_deref().expect("called with --agent");
    if !args.fallback.is_empty() {
        return Err(Error::usage_hint(
            "--fallback does not apply to an agent",
            "list the preferences in the agent's models = [...]",
        ));
    }
    // One preparation for every agent session (see agent::session): the file read once,
    // bounded, hashed and parsed; trust on that hash; servers started only for a trusted agent,
    // each child shielded from the unlocked master key.
    let session = Session::open(&Dirs::from_env(), name)?;
    // Names that cannot be right are refused before anything is decrypted or started.
    session.precheck_names("--approve", &a.approve)?;
    session.precheck_names("--deny", &a.deny)?;
    let agent = &session.agent;
    let (system, unused) = agent.system_prompt(&a.vars)?;
    for u in unused {
        ctx.out.warn(format!(
            "--var {u}: agent '{}' has no {{{{{u}}}}} placeholder",
            agent.name
        ));
    }
    let system = match (&args.system, system) {
        (Some(extra), Some(s)) => Some(format!("{s}\n\n{extra}")),
        (Some(extra), None) => Some(extra.clone()),
        (None, s) => s,
    };
    let prompt = super::run::read_prompt(args.prompt.as_deref())?;
    let config = Config::load(&ctx.paths.config_file)?;
    let prices = Prices::load(&config.prices)?;
    let timeout = match args.timeout.as_deref().or(config.run.timeout.as_deref()) {
        Some(t) => Some(humantime::parse_duration(t).map_err(|_| {
            Error::usage_hint(format!("invalid timeout '{t}'"), "use e.g. 30s or 2m")
        })?),
        None => None,
    };

    let mut creds = ctx.credentials()?;
    let trusted = session.trusted(Some(creds.store()))?;
    let prefs = preferences(args, agent);
    let (resolved, missing) = models::resolve_all(creds.as_mut(), &prefs)?;
    for m in &missing {
        ctx.out.warn(format!(
            "model preference '{m}' has no credential in profile '{}'; skipped",
            ctx.profile()
        ));
    }
    // Every key this run needs is decrypted before its first child starts.
    let candidates: Vec<Candidate> = resolved
        .into_iter()
        .map(|r: Resolved| {
            let secret = creds.reveal(&r.credential)?;
            Ok(Candidate {
                resolved: r,
                key: secret,
            })
        })
        .collect::<Result<_>>()?;
    let used: Vec<&crate::store::Credential> =
        candidates.iter().map(|c| &c.resolved.credential).collect();
    creds.mark_used(&used, "run", Some(&format!("agent {}", agent.name)))?;
    let grants = agent::grants::decrypt(creds.as_mut(), agent)?;
    let mut store = creds.into_store();
    let recipient = crate::vault::parse_recipient(&store.meta.recipient)?;
    let tls = candidates.iter().any(|c| {
        c.resolved
            .spec
            .needs_tls(c.resolved.credential.base_url.as_deref())
    });
    let client = Client::new(ClientOptions {
        total_timeout: timeout,
        tls,
        ..ClientOptions::default()
    })
    .map_err(|e| e.into_error("omc"))?;

    // The servers start now, so --approve / --deny are checked against the tools they list
    // before anything reaches the model or runs.
    let mut registry = trusted.registry(grants);
    start_servers(&mut registry)?;
    let named = registry
        .check_names("--approve", &a.approve)
        .and_then(|()| registry.check_names("--deny", &a.deny));
    if let Err(e) = named {
        crate::runtime::block_on(registry.shutdown())?;
        return Err(e);
    }

    let setup = Setup {
        profile: ctx.profile().to_owned(),
        candidates,
        temperature: args.temperature.or(agent.temperature),
        max_tokens: args
            .max_tokens
            .or(agent.max_tokens)
            .or(config.run.max_tokens)
            .unwrap_or(crate::provider::DEFAULT_MAX_TOKENS),
        max_turns: a.max_turns.unwrap_or(agent.max_turns),
        budget: agent.budget,
        stream: !args.no_stream,
        tool_choice: agent.tool_choice.clone(),
    };
    let path_text = session.found.path.display().to_string();
    let run_id = match store.begin_agent_run(ctx.profile(), &agent.name, &path_text) {
        Ok(id) => id,
        Err(e) => {
            crate::runtime::block_on(registry.shutdown())?;
            return Err(e);
        }
    };
    let mut transcript = Transcript {
        run_id,
        agent: agent.name.clone(),
        agent_path: path_text,
        started_at: crate::time::now_ms(),
        system: system.clone(),
        prompt: prompt.clone(),
        text: String::new(),
        stop_reason: None,
        stop_detail: None,
        turns: Vec::new(),
        totals: Totals::default(),
    };
    let mut policy = Policy::from_flags(&a.approve, &a.deny);
    let mut term = Terminal {
        json: ctx.global.json,
        // As `omc run`: model text is untrusted on a terminal unless --raw; a pipe gets it exact.
        neutralise: !args.raw && std::io::stdout().is_terminal(),
        quiet: ctx.global.quiet,
        can_ask: ctx.ui.allowed,
        open_line: false,
        wrote_text: false,
        write_error: None,
    };
    let mut conv = Conversation::new(system);
    conv.push(Message::user(prompt));
    let result = crate::runtime::block_on(async {
        let mut l = Loop {
            setup: &setup,
            store: &mut store,
            client: &client,
            prices: &prices,
            registry: &mut registry,
            policy: &mut policy,
            transcript: &mut transcript,
            recipient: &recipient,
        };
        let r = l.run(conv, &mut term).await;
        // Servers go down however the loop ended, Ctrl-C included.
        l.registry.shutdown().await;
        r
    })?;
    if let Some(e) = term.write_error.take() {
        return Err(crate::output::stdout_error(e));
    }
    let reason = result?;
    if ctx.global.json {
        let mut shown = transcript.clone();
        for turn in &mut shown.turns {
            for c in &mut turn.tool_calls {
                c.result = cut(&c.result, JSON_RESULT_CHARS);
            }
        }
        let mut doc = serde_json::to_value(&shown).map_err(|e| Error::Other(e.to_string()))?;
        if let Some(m) = doc.as_object_mut() {
            // The prompt and system prompt are the caller's own; the transcript keeps them.
            m.remove("prompt");
            m.remove("system");
        }
        ctx.out.json(&doc)?;
    } else if term.open_line && std::io::stdout().is_terminal() {
        let _ = writeln!(std::io::stdout());
    }
    let _ = term.wrote_text;
    stopped(reason, &transcript, agent)
}

/// Start the agent's MCP servers (none: nothing to do); Ctrl-C meanwhile stops them and exits
/// 130.
fn start_servers(registry: &mut Registry) -> Result<()> {
    crate::runtime::block_on(async {
        let interrupted = crate::runtime::interrupted();
        let started = tokio::select! {
            r = registry.start_servers() => r.map_err(Error::Other),
            _ = interrupted => Err(Error::Interrupted),
        };
        if started.is_err() {
            registry.shutdown().await;
        }
        started
    })?
}

/// Exit 10 (or 130) with the reason when the run did not finish.
fn stopped(reason: StopReason, t: &Transcript, agent: &Agent) -> Result<()> {
    let detail = t.stop_detail.clone().unwrap_or_default();
    let (message, hint) = match reason {
        StopReason::Done => return Ok(()),
        StopReason::Interrupted => return Err(Error::Interrupted),
        StopReason::MaxTurns => (
            format!("agent '{}' stopped: {detail}", agent.name),
            "raise it with --max-turns N (or max_turns in the agent file)".to_owned(),
        ),
        StopReason::RepeatedCall => (
            format!("agent '{}' stopped: {detail}", agent.name),
            "the model is looping; rephrase the prompt or fix the tool".to_owned(),
        ),
        StopReason::Budget => (
            format!("agent '{}' stopped: {detail}", agent.name),
            "raise budget in the agent file".to_owned(),
        ),
        StopReason::ApprovalNeeded => {
            let tool = detail
                .split_whitespace()
                .nth(1)
                .unwrap_or("NAME")
                .to_owned();
            (
                format!("agent '{}' stopped: {detail}", agent.name),
                format!("pass --approve {tool} (or --approve all) to allow it, or --deny {tool}"),
            )
        }
    };
    Err(Error::AgentStopped {
        message: format!("{message} (run {}; `omc agent log {}`)", t.run_id, t.run_id),
        hint,
    })
}
