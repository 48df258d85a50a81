//! `omc run --agent NAME`: load the agent, resolve its models and grants, run its loop, render
//! what happens (text to stdout, tool activity to stderr, or one JSON document).

use std::io::{IsTerminal, Write};

use clap::Args;

use super::Ctx;
use super::run::RunArgs;
use crate::agent::approval::{Answer, Policy};
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
            AgentEvent::Replied { .. } => {}
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
                    clipped(&arguments.to_string(), ACTIVITY_CHARS)
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
                    clipped(summary, ACTIVITY_CHARS),
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

    /// The approval question, on the terminal (stderr): what will run, every byte of it.
    fn approve(&mut self, entry: &Entry, arguments: &serde_json::Value) -> Result<Option<Answer>> {
        if !self.can_ask {
            return Ok(None);
        }
        let question = Question::new(entry, arguments);
        let (rows, columns) = dialoguer::console::Term::stderr()
            .size_checked()
            .unwrap_or((24, 80));
        let (shown, whole) = question.first_view(usize::from(rows), usize::from(columns));
        eprintln!("{}\n{shown}", question.header);
        // Arguments too long to show at once run only once the person has seen all of them.
        let mut seen = whole;
        loop {
            let prompt = if seen {
                "Run it? [y]es, [n]o, [a]lways for this tool in this run, [v]iew the arguments again"
            } else {
                "Run it? [v]iew all the arguments first, [n]o"
            };
            let typed: String = dialoguer::Input::new()
                .with_prompt(prompt)
                .allow_empty(true)
                .interact_text()
                .map_err(|e| match e {
                    // Ctrl-C at the prompt (the terminal is raw while it reads a key).
                    dialoguer::Error::IO(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                        Error::Interrupted
                    }
                    e => Error::Other(format!("cannot read from the terminal: {e}")),
                })?;
            match (reply(&typed), seen) {
                (Reply::Answer(Answer::No), _) => return Ok(Some(Answer::No)),
                (Reply::Answer(a), true) => return Ok(Some(a)),
                (Reply::Answer(_), false) => eprintln!(
                    "The arguments were cut above: answer v to see all {} bytes of them before \
                     you answer y or a.",
                    thousands(question.bytes)
                ),
                (Reply::View, _) => {
                    eprintln!(
                        "{}\n  (end of the arguments: {} bytes)",
                        question.full,
                        thousands(question.bytes)
                    );
                    seen = true;
                }
                (Reply::Unknown, true) => eprintln!("answer y, n, a or v"),
                (Reply::Unknown, false) => eprintln!("answer v or n"),
            }
        }
    }
}

/// The most of a tool's arguments or result the activity line shows (a cut says so).
const ACTIVITY_CHARS: usize = 200;
/// The most of a call's arguments the approval question shows before the first answer; longer
/// arguments are shown whole when asked (`v`), and "yes" waits until they were.
const QUESTION_CHARS: usize = 2000;

/// `s` for the activity line: escaped, at most `max` characters of it, and when cut, saying so
/// and how much was left out.
fn clipped(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => line(s).into_owned(),
        Some((at, _)) => format!(
            "{}… (cut: {} more bytes)",
            line(&s[..at]),
            thousands(s.len() - at)
        ),
    }
}

/// `4213` as `4,213`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A tool call as the approval question shows it: every byte of its arguments, escaped.
struct Question {
    /// `omc: the agent wants to run NAME (hints), with N bytes of arguments:`
    header: String,
    /// The arguments as indented JSON (control characters in strings as JSON escapes), with
    /// whatever a terminal could still act on (C1 controls, bidi overrides) shown escaped.
    full: String,
    /// The arguments' size as the model sent them (compact JSON), in bytes.
    bytes: usize,
}

impl Question {
    fn new(entry: &Entry, arguments: &serde_json::Value) -> Question {
        let mut header = format!("omc: the agent wants to run {}", line(&entry.decl.name));
        let mut hints = Vec::new();
        if let Some(s) = &entry.server {
            hints.push(format!("MCP server {}", line(s)));
        }
        if entry.read_only == Some(true) {
            hints.push("the server says: read-only".into());
        }
        if entry.destructive == Some(true) {
            hints.push("the server says: destructive".into());
        }
        if !hints.is_empty() {
            header.push_str(&format!(" ({})", hints.join("; ")));
        }
        let bytes = arguments.to_string().len();
        header.push_str(&format!(", with {} bytes of arguments:", thousands(bytes)));
        let pretty = serde_json::to_string_pretty(arguments).unwrap_or_default();
        let full = crate::terminal::text(&pretty)
            .lines()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n");
        Question {
            header,
            full,
            bytes,
        }
    }

    /// What to show before the first answer on a terminal of `rows` × `columns`: all of the
    /// arguments when they fit (at most [`QUESTION_CHARS`], and the screen less the question's
    /// own lines), else their start and a line saying where they were cut. `true`: all of it.
    fn first_view(&self, rows: usize, columns: usize) -> (String, bool) {
        let columns = columns.max(20);
        let budget = rows.saturating_sub(4).max(3);
        // Wide characters take two columns: count every non-ASCII one as two, to be safe.
        let width = |c: char| if c.is_ascii() { 1 } else { 2 };
        let rows_of = |l: &str| l.chars().map(width).sum::<usize>().div_ceil(columns).max(1);
        let rows_needed: usize = self.full.lines().map(rows_of).sum();
        if self.full.chars().count() <= QUESTION_CHARS && rows_needed <= budget {
            return (self.full.clone(), true);
        }
        // The start, in the screen less the line that says where it was cut.
        let max_rows = budget - 1;
        let (mut used_rows, mut column, mut chars, mut end) = (1, 0, 0, 0);
        for (i, c) in self.full.char_indices() {
            if chars == QUESTION_CHARS {
                break;
            }
            if c == '\n' {
                if used_rows == max_rows {
                    break;
                }
                used_rows += 1;
                column = 0;
            } else {
                column += width(c);
                if column > columns {
                    if used_rows == max_rows {
                        break;
                    }
                    used_rows += 1;
                    column = width(c);
                }
            }
            chars += 1;
            end = i + c.len_utf8();
        }
        (
            format!(
                "{}…\n  (cut here: the arguments are {} bytes; answer v to see them all)",
                self.full[..end].trim_end_matches('\n'),
                thousands(self.bytes)
            ),
            false,
        )
    }
}

/// An answer typed at the approval question.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    Answer(Answer),
    View,
    Unknown,
}

fn reply(typed: &str) -> Reply {
    match typed.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Reply::Answer(Answer::Yes),
        "n" | "no" => Reply::Answer(Answer::No),
        "a" | "always" => Reply::Answer(Answer::Always),
        "v" | "view" => Reply::View,
        _ => Reply::Unknown,
    }
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
    let recipient = crate::keys::parse_recipient(&store.meta.recipient)?;
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
            recording: std::time::Duration::ZERO,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_activity_line_says_when_it_cut_and_by_how_much() {
        assert_eq!(clipped("short", 200), "short");
        let long = format!("{}\x1b[2J", "x".repeat(4500));
        assert_eq!(
            clipped(&long, 10),
            format!("{}… (cut: 4,494 more bytes)", "x".repeat(10))
        );
        assert_eq!(clipped("a\x1b]0;t\x07", 200), "a\\x1b]0;t\\x07");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    fn question(args: serde_json::Value) -> Question {
        let pretty = serde_json::to_string_pretty(&args).unwrap();
        Question {
            header: String::new(),
            full: crate::terminal::text(&pretty)
                .lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
            bytes: args.to_string().len(),
        }
    }

    #[test]
    fn arguments_that_fit_are_shown_whole_and_the_rest_only_with_where_they_were_cut() {
        let padded = format!("echo harmless{}; touch pwned", " ".repeat(280));
        let q = question(serde_json::json!({ "cmd": padded }));
        let (shown, whole) = q.first_view(24, 80);
        assert!(whole);
        assert!(shown.contains(&padded), "{shown}");

        // Past the character limit, or past the screen: cut, saying so.
        let long = format!("echo harmless{}; touch pwned", " ".repeat(5000));
        let q = question(serde_json::json!({ "cmd": long }));
        let (shown, whole) = q.first_view(1000, 1000);
        assert!(!whole);
        assert!(!shown.contains("touch"), "{shown}");
        // `{"cmd":""}` and the string.
        assert_eq!(q.bytes, 10 + long.len());
        assert!(
            shown.ends_with("(cut here: the arguments are 5,036 bytes; answer v to see them all)"),
            "{shown}"
        );
        let many: serde_json::Map<_, _> = (0..40)
            .map(|i| (format!("k{i:02}"), serde_json::json!(i)))
            .collect();
        let q = question(serde_json::Value::Object(many));
        assert!(q.first_view(100, 80).1);
        let (shown, whole) = q.first_view(24, 80);
        assert!(!whole);
        assert_eq!(shown.lines().count(), 20, "{shown}");
        // Escapes in the arguments stay escaped, in JSON's way or the terminal module's.
        let q = question(serde_json::json!({ "a": "\x1b[2J \u{9b}31m \u{202e}" }));
        assert!(
            q.full.contains(r#""\u001b[2J \u{9b}31m \u{202e}""#),
            "{}",
            q.full
        );
    }

    #[test]
    fn answers() {
        assert_eq!(reply(" Y "), Reply::Answer(Answer::Yes));
        assert_eq!(reply("always"), Reply::Answer(Answer::Always));
        assert_eq!(reply("n"), Reply::Answer(Answer::No));
        assert_eq!(reply("v"), Reply::View);
        assert_eq!(reply(""), Reply::Unknown);
    }
}
