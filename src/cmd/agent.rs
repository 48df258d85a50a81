//! `omc agent list | show | new | check | trust | runs | log`: agents as files, and their runs.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Ctx;
use crate::agent::file::McpTransport;
use crate::agent::tools::Registry;
use crate::agent::transcript::Transcript;
use crate::agent::{self, Agent, Dirs, Found, Origin};
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::time::rfc3339;

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// List the agents: yours, and the current project's (.omc/agents/)
    #[command(visible_alias = "ls")]
    List,
    /// Print an agent as resolved, with every tool's schema (MCP servers are started to list
    /// theirs)
    Show(NameArg),
    /// Write a commented agent file to start from
    New(NewArgs),
    /// Check agents: the file parses, credentials exist, programs are found, MCP servers start
    /// and list their tools [default: every agent]
    Check(CheckArgs),
    /// Trust a project agent (.omc/agents/NAME.toml) in this exact version, by its SHA-256
    Trust(NameArg),
    /// List agent runs, newest first (no key needed)
    Runs(RunsArgs),
    /// Print one agent run's transcript (decrypted with the master key)
    Log(LogArgs),
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// The agent's name, or the path of its .toml file
    #[arg(add = crate::complete::agents())]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The new agent's name (written to your agents dir), or a path ending in .toml
    pub name: String,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The agent's name or path [default: every agent]
    #[arg(add = crate::complete::agents())]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// How many runs, newest first
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Runs of every profile, not just the current one
    #[arg(long)]
    pub all_profiles: bool,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// The run's id (from `omc agent runs`), or `last`
    pub run: String,
}

pub fn run(ctx: &Ctx, command: &AgentCommand) -> Result<()> {
    let dirs = Dirs::from_env();
    match command {
        AgentCommand::List => list(ctx, &dirs),
        AgentCommand::Show(a) => show(ctx, &dirs, &a.name),
        AgentCommand::New(a) => new(ctx, &dirs, &a.name),
        AgentCommand::Check(a) => check(ctx, &dirs, a.name.as_deref()),
        AgentCommand::Trust(a) => trust(ctx, &dirs, &a.name),
        AgentCommand::Runs(a) => runs(ctx, a),
        AgentCommand::Log(a) => log(ctx, &a.run),
    }
}

/// Whether a project agent may run: `trusted`, `untrusted` or `changed`; others need no trust.
fn trust_state(store: Option<&Store>, found: &Found) -> Result<&'static str> {
    if found.origin != Origin::Project {
        return Ok("-");
    }
    let Some(store) = store else {
        return Ok("untrusted");
    };
    let (path, sha) = agent::trust::fingerprint(&found.path)?;
    Ok(match store.agent_trust(&path.to_string_lossy())? {
        Some(k) if k == sha => "trusted",
        Some(_) => "changed",
        None => "untrusted",
    })
}

#[derive(Serialize)]
struct ListItem {
    name: String,
    origin: Origin,
    path: PathBuf,
    trust: &'static str,
    description: Option<String>,
    /// The file does not parse: why.
    error: Option<String>,
    /// A user agent of the same name this project agent hides.
    shadows: Option<PathBuf>,
}

fn list(ctx: &Ctx, dirs: &Dirs) -> Result<()> {
    let store = Store::open(&ctx.paths)?;
    let mut items = Vec::new();
    for (found, shadows) in dirs.list()? {
        let (description, error) = match Agent::load(&found.name, &found.path) {
            Ok(a) => (a.description, None),
            Err(e) => (None, Some(e.to_string())),
        };
        items.push(ListItem {
            trust: trust_state(store.as_ref(), &found)?,
            name: found.name,
            origin: found.origin,
            path: found.path,
            description,
            error,
            shadows,
        });
    }
    if ctx.global.json {
        return ctx.out.json(&items);
    }
    if items.is_empty() {
        ctx.out.note(format!(
            "no agents yet; create one with `omc agent new NAME` (in {})",
            dirs.user_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        ));
        return Ok(());
    }
    let mut table = ctx
        .out
        .table(&["NAME", "WHERE", "TRUST", "DESCRIPTION", "PATH"]);
    for i in &items {
        let origin = match i.origin {
            Origin::User => "user",
            Origin::Project => "project",
            Origin::Path => "path",
        };
        let desc = match &i.error {
            Some(_) => "(does not parse: run `omc agent check`)".to_owned(),
            None => i.description.clone().unwrap_or_default(),
        };
        table.add_row(vec![
            i.name.clone(),
            origin.into(),
            i.trust.into(),
            desc,
            i.path.display().to_string(),
        ]);
    }
    ctx.out.print_table(&table)
}

#[derive(Serialize)]
struct ShowTool {
    name: String,
    kind: &'static str,
    server: Option<String>,
    description: String,
    approve: agent::file::Approve,
    credentials: Vec<String>,
    read_only_hint: Option<bool>,
    destructive_hint: Option<bool>,
    command: Option<Vec<String>>,
    parameters: serde_json::Value,
}

#[derive(Serialize)]
struct ShowOutput {
    name: String,
    path: PathBuf,
    origin: Origin,
    trust: &'static str,
    description: Option<String>,
    system: Option<String>,
    models: Vec<String>,
    temperature: Option<f32>,
    max_tokens: Option<u32>,
    max_turns: u32,
    budget: agent::file::Budget,
    tools: Vec<ShowTool>,
    mcp_servers: Vec<serde_json::Value>,
    /// Why MCP tools are missing from `tools`, if they are.
    mcp_error: Option<String>,
}

impl Serialize for agent::file::Budget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Budget", 2)?;
        st.serialize_field("tokens", &self.tokens)?;
        st.serialize_field("cost_usd", &self.cost_usd)?;
        st.end()
    }
}

/// Start the agent's MCP servers to list their tools: only for an agent that may run, with
/// its granted credentials when the store can be unlocked.
fn live_registry(ctx: &Ctx, found: &Found, agent: &Agent) -> Result<(Registry, Option<String>)> {
    let store = Store::open(&ctx.paths)?;
    let base =
        std::env::current_dir().map_err(|e| Error::io("cannot read the current directory", e))?;
    let trusted = match &store {
        Some(s) => agent::trust::check(s, found).is_ok(),
        None => found.origin != Origin::Project,
    };
    if !trusted {
        let reg = Registry::new(agent.clone(), Default::default(), base);
        let why = (!agent.mcp.is_empty())
            .then(|| "not started: the agent is not trusted (`omc agent trust`)".to_owned());
        return Ok((reg, why));
    }
    let grants = if agent.granted_credentials().is_empty() || agent.mcp.is_empty() {
        Default::default()
    } else {
        let store =
            store.ok_or_else(|| Error::not_found("store", ctx.paths.db().display().to_string()))?;
        agent::grants::decrypt(ctx.backend(store)?.as_mut(), agent)?
    };
    let mut reg = Registry::new(agent.clone(), grants, base);
    let err = crate::runtime::block_on(async {
        let r = reg.start_servers().await;
        reg.shutdown_keep_entries().await;
        r.err()
    })?;
    Ok((reg, err))
}

fn show(ctx: &Ctx, dirs: &Dirs, name: &str) -> Result<()> {
    let found = dirs.find(name)?;
    let agent = Agent::load(&found.name, &found.path)?;
    let store = Store::open(&ctx.paths)?;
    let trust = trust_state(store.as_ref(), &found)?;
    drop(store);
    let (reg, mcp_error) = live_registry(ctx, &found, &agent)?;
    let tools: Vec<ShowTool> = reg
        .entries
        .iter()
        .map(|e| {
            let cmd = agent
                .tools
                .iter()
                .find(|t| t.name == e.decl.name && e.server.is_none());
            ShowTool {
                name: e.decl.name.clone(),
                kind: if e.server.is_some() { "mcp" } else { "command" },
                server: e.server.clone(),
                description: e.decl.description.clone(),
                approve: e.approve,
                credentials: reg.credentials_of(&e.decl.name),
                read_only_hint: e.read_only,
                destructive_hint: e.destructive,
                command: cmd.map(|c| c.command.clone()),
                parameters: e.decl.parameters.clone(),
            }
        })
        .collect();
    let servers = agent
        .mcp
        .iter()
        .map(|s| {
            let (transport, target) = match &s.transport {
                McpTransport::Stdio { command, args, .. } => {
                    let mut argv = vec![command.clone()];
                    argv.extend(args.iter().cloned());
                    ("stdio", argv.join(" "))
                }
                McpTransport::Http { url, .. } => ("http", url.clone()),
            };
            serde_json::json!({
                "name": s.name, "transport": transport, "target": target,
                "tools": s.tools, "approve": s.approve, "credentials": s.credentials,
            })
        })
        .collect();
    let out = ShowOutput {
        name: agent.name.clone(),
        path: found.path.clone(),
        origin: found.origin,
        trust,
        description: agent.description.clone(),
        system: agent.system.clone(),
        models: agent.models.clone(),
        temperature: agent.temperature,
        max_tokens: agent.max_tokens,
        max_turns: agent.max_turns,
        budget: agent.budget,
        tools,
        mcp_servers: servers,
        mcp_error,
    };
    if ctx.global.json {
        return ctx.out.json(&out);
    }
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(s, "{} ({})", out.name, out.path.display());
    if let Some(d) = &out.description {
        let _ = writeln!(s, "  {d}");
    }
    if found.origin == Origin::Project {
        let _ = writeln!(s, "trust:      {trust}");
    }
    let models = if out.models.is_empty() {
        "(the profile's default credential)".to_owned()
    } else {
        out.models.join(", ")
    };
    let _ = writeln!(s, "models:     {models}");
    let _ = writeln!(s, "max_turns:  {}", out.max_turns);
    if let Some(t) = out.budget.tokens {
        let _ = writeln!(s, "budget:     {t} tokens");
    }
    if let Some(c) = out.budget.cost_usd {
        let _ = writeln!(s, "budget:     ${}", crate::pricing::usd(c));
    }
    if let Some(sys) = &out.system {
        let _ = writeln!(s, "system:\n  {}", sys.trim_end().replace('\n', "\n  "));
    }
    let _ = writeln!(s, "tools:");
    for t in &out.tools {
        let mut flags = vec![format!(
            "approve: {}",
            match t.approve {
                agent::file::Approve::Ask => "ask",
                agent::file::Approve::Auto => "auto",
            }
        )];
        if !t.credentials.is_empty() {
            flags.push(format!("credentials: {}", t.credentials.join(", ")));
        }
        if t.read_only_hint == Some(true) {
            flags.push("read-only (server's hint)".into());
        }
        if t.destructive_hint == Some(true) {
            flags.push("destructive (server's hint)".into());
        }
        let _ = writeln!(s, "  {} [{}] ({})", t.name, t.kind, flags.join("; "));
        if !t.description.is_empty() {
            let _ = writeln!(s, "    {}", t.description.lines().next().unwrap_or(""));
        }
        if let Some(c) = &t.command {
            let _ = writeln!(
                s,
                "    command: {}",
                serde_json::to_string(c).unwrap_or_default()
            );
        }
        let schema = serde_json::to_string_pretty(&t.parameters).unwrap_or_default();
        let _ = writeln!(s, "    parameters: {}", schema.replace('\n', "\n    "));
    }
    if let Some(e) = &out.mcp_error {
        let _ = writeln!(s, "  (MCP tools: {e})");
    }
    std::io::stdout()
        .lock()
        .write_all(s.as_bytes())
        .map_err(crate::output::stdout_error)
}

const TEMPLATE: &str = r#"# An omc agent. Run it with: omc run --agent NAME "your prompt"
# Every key is checked: a misspelt one is an error, not silently ignored.

description = "What this agent does, in one line"

# The system prompt. {{name}} placeholders are filled from --var name=VALUE.
system = """
You are a careful assistant working in {{project}}.
Use the tools when they help; say so when you do not know.
"""

# Ordered preferences: CREDENTIAL[/MODEL] or PROVIDER[/MODEL]. The first usable one runs; the
# next is used when one is missing or fails (429/5xx, timeout, unknown model).
# With none, the profile's default credential runs it.
# models = ["anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini"]

# max_turns = 10                      # model calls per run
# budget = { tokens = 50000, cost_usd = 0.25 }
# temperature = 0.2
# max_tokens = 1024

# A command tool: run as you, never through a shell. Each "{param}" becomes exactly one
# argument; the whole arguments object is also on the tool's stdin as JSON.
[[tool]]
name = "list_files"
description = "List the files in a directory of the project"
command = ["ls", "-la", "--", "{path}"]
parameters = { type = "object", properties = { path = { type = "string", description = "A directory" } }, required = ["path"] }
approve = "auto"          # "ask" (the default) asks before each call
# timeout = "60s"         # the tool and every process it started are killed after this
# max_output = 65536      # bytes of its output the model gets; the rest is cut, saying so
# options = true          # let a "{param}" value start with "-" (an option); by default
#                         # one is refused unless a "--" argument comes before it
# cwd = "."               # relative to where omc runs
# credentials = ["github"]  # these stored credentials' variables, in this tool's environment only

# An MCP server over stdio (or url = "https://…" for streamable HTTP, with headers and
# bearer = "credential:NAME"). Its tools are named time_<tool>.
# [mcp.time]
# command = "uvx"
# args = ["mcp-server-time"]
# tools = ["get_current_time"]   # allow-list; default: every tool it lists
# approve = "ask"
# max_output = 65536             # bytes of a result the model gets; the rest is cut, saying so
"#;

fn new(ctx: &Ctx, dirs: &Dirs, name: &str) -> Result<()> {
    let path = if agent::locate::is_path(name) {
        let p = PathBuf::from(name);
        if p.extension().is_none_or(|e| e != "toml") {
            return Err(Error::usage("an agent file's name ends in .toml"));
        }
        p
    } else {
        agent::locate::check_name(name)?;
        let dir = dirs.user_dir()?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io_path("create", dir, e))?;
        dir.join(format!("{name}.toml"))
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::conflict(
                format!("{} exists already", path.display()),
                "edit it, or pick another name",
            ),
            _ => Error::io_path("create", &path, e),
        })?;
    file.write_all(TEMPLATE.as_bytes())
        .map_err(|e| Error::io_path("write", &path, e))?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({ "path": path }));
    }
    ctx.out.line(path.display())?;
    ctx.out.note(format!(
        "edit it, check it with `omc agent check {}`, run it with `omc run --agent {} \"…\" --var project=…`",
        name, name
    ));
    Ok(())
}

#[derive(Serialize)]
struct CheckResult {
    name: String,
    path: PathBuf,
    ok: bool,
    problems: Vec<String>,
    /// Worth knowing, not failing: preferences that do not resolve while another does.
    notes: Vec<String>,
    tools: Vec<String>,
}

fn check_one(ctx: &Ctx, creds: Option<&mut dyn CredentialBackend>, found: &Found) -> CheckResult {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut tools = Vec::new();
    let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match Agent::load(&found.name, &found.path) {
        Err(e) => problems.push(e.to_string()),
        Ok(agent) => {
            if let Some(creds) = creds {
                if let Err(e) = agent::trust::check(creds.store(), found) {
                    problems.push(e.to_string());
                }
                let (ok, missing) = match agent::models::resolve_all(creds, &agent.models) {
                    Ok((ok, missing)) => (!ok.is_empty(), missing),
                    Err(e) => {
                        problems.push(e.to_string());
                        (true, vec![])
                    }
                };
                if ok && !missing.is_empty() {
                    notes.push(format!(
                        "model preferences not usable in profile '{}': {}",
                        ctx.profile(),
                        missing.join(", ")
                    ));
                }
                if let Err(e) = agent::grants::check(creds, &agent) {
                    problems.push(e.to_string());
                }
            } else if !agent.granted_credentials().is_empty() || found.origin == Origin::Project {
                problems.push("there is no store yet: run `omc add PROVIDER`".into());
            }
            for t in &agent.tools {
                if !agent::command::program_exists(&t.command[0], &base) {
                    problems.push(format!(
                        "tool '{}': program '{}' is not found on PATH",
                        t.name, t.command[0]
                    ));
                }
            }
            if problems.is_empty() {
                match live_registry(ctx, found, &agent) {
                    Ok((reg, err)) => {
                        tools = reg.entries.iter().map(|e| e.decl.name.clone()).collect();
                        if let Some(e) = err {
                            problems.push(e);
                        }
                    }
                    Err(e) => problems.push(e.to_string()),
                }
            }
        }
    }
    CheckResult {
        name: found.name.clone(),
        path: found.path.clone(),
        ok: problems.is_empty(),
        problems,
        notes,
        tools,
    }
}

fn check(ctx: &Ctx, dirs: &Dirs, name: Option<&str>) -> Result<()> {
    let found: Vec<Found> = match name {
        Some(n) => vec![dirs.find(n)?],
        None => dirs.list()?.into_iter().map(|(f, _)| f).collect(),
    };
    if found.is_empty() {
        return Err(Error::Missing {
            message: "there are no agents to check".into(),
            hint: "create one with `omc agent new NAME`".into(),
        });
    }
    let mut creds = match Store::open(&ctx.paths)? {
        Some(store) => Some(ctx.backend(store)?),
        None => None,
    };
    let mut results: Vec<CheckResult> = Vec::with_capacity(found.len());
    for f in &found {
        let creds: Option<&mut dyn CredentialBackend> = match &mut creds {
            Some(c) => Some(c.as_mut()),
            None => None,
        };
        results.push(check_one(ctx, creds, f));
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    if ctx.global.json {
        ctx.out.json(&results)?;
    } else {
        for r in &results {
            if r.ok {
                ctx.out.line(format!(
                    "ok    {} ({} tools: {})",
                    r.name,
                    r.tools.len(),
                    r.tools.join(", ")
                ))?;
                for n in &r.notes {
                    ctx.out.line(format!("      note: {n}"))?;
                }
            } else {
                ctx.out
                    .line(format!("FAIL  {} ({})", r.name, r.path.display()))?;
                for p in &r.problems {
                    ctx.out
                        .line(format!("      {}", p.replace('\n', "\n      ")))?;
                }
            }
        }
    }
    if failed > 0 {
        return Err(Error::Exit {
            message: format!("{failed} of {} agents failed the check", results.len()),
            code: 1,
        });
    }
    Ok(())
}

fn trust(ctx: &Ctx, dirs: &Dirs, name: &str) -> Result<()> {
    let found = dirs.find(name)?;
    // The file must at least parse: trusting a broken file helps no one.
    Agent::load(&found.name, &found.path)?;
    let (path, sha) = agent::trust::fingerprint(&found.path)?;
    let mut store = ctx.store()?;
    store.trust_agent(&path.to_string_lossy(), &sha, ctx.profile())?;
    if ctx.global.json {
        return ctx
            .out
            .json(&serde_json::json!({ "path": path, "sha256": sha }));
    }
    ctx.out
        .line(format!("trusted {} (sha256 {sha})", path.display()))?;
    if found.origin != Origin::Project {
        ctx.out
            .note("note: only project agents (.omc/agents/) need trust; this one runs without it");
    }
    Ok(())
}

fn runs(ctx: &Ctx, args: &RunsArgs) -> Result<()> {
    let rows = ctx
        .store()?
        .agent_runs(args.limit, (!args.all_profiles).then(|| ctx.profile()))?;
    if ctx.global.json {
        return ctx.out.json(&rows);
    }
    let mut table = ctx.out.table(&[
        "RUN", "STARTED", "AGENT", "STATUS", "TURNS", "TOKENS", "COST", "PROFILE",
    ]);
    for r in &rows {
        table.add_row(vec![
            r.id.to_string(),
            rfc3339(r.started_at),
            r.agent.clone(),
            r.status.clone(),
            r.turns.to_string(),
            (r.input_tokens + r.output_tokens).to_string(),
            r.cost_usd
                .map(|c| format!("${}", crate::pricing::usd(c)))
                .unwrap_or_else(|| "?".into()),
            r.profile.clone(),
        ]);
    }
    ctx.out.print_table(&table)
}

fn log(ctx: &Ctx, id: &str) -> Result<()> {
    let store = ctx.store()?;
    let (row, ciphertext) = store.agent_run(id)?;
    let Some(ciphertext) = ciphertext else {
        return Err(Error::Missing {
            message: format!("agent run {} has no transcript yet", row.id),
            hint: "it may still be running; see `omc agent runs`".into(),
        });
    };
    let key = ctx.unlock(&store)?;
    let t = Transcript::open(&key.identity, row.id, &ciphertext)?;
    if ctx.global.json {
        return ctx.out.json(&t);
    }
    let mut out = String::new();
    render_log(&mut out, &t);
    // Model text and tool output are untrusted: on a terminal their escapes are shown escaped.
    let out = if std::io::stdout().is_terminal() {
        crate::terminal::text(&out).into_owned()
    } else {
        out
    };
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(crate::output::stdout_error)
}

/// A transcript for people.
pub fn render_log(s: &mut String, t: &Transcript) {
    use std::fmt::Write as _;
    let _ = writeln!(
        s,
        "agent run {} — {} ({}), started {}",
        t.run_id,
        t.agent,
        t.agent_path,
        rfc3339(t.started_at)
    );
    let stop = t.stop_reason.map(|r| r.as_str()).unwrap_or("running");
    let _ = writeln!(
        s,
        "stop: {stop}{}",
        t.stop_detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    );
    if let Some(sys) = &t.system {
        let _ = writeln!(s, "\n[system]\n{}", sys.trim_end());
    }
    let _ = writeln!(s, "\n[user]\n{}", t.prompt.trim_end());
    for (i, turn) in t.turns.iter().enumerate() {
        let _ = writeln!(
            s,
            "\n[assistant, turn {} — {} → {} {}, {:.0} ms]",
            i + 1,
            turn.preference,
            turn.credential,
            turn.model,
            turn.latency_ms
        );
        if !turn.text.is_empty() {
            let _ = writeln!(s, "{}", turn.text.trim_end());
        }
        for c in &turn.tool_calls {
            let _ = writeln!(s, "→ {} {}", c.name, c.arguments);
            let mark = if !c.approved {
                "declined"
            } else if c.is_error {
                "✗"
            } else {
                "✓"
            };
            let _ = writeln!(s, "{mark} ({:.0} ms)\n{}", c.duration_ms, indent(&c.result));
        }
    }
    let _ = writeln!(
        s,
        "\ntotals: {} in, {} out tokens, cost {}, {:.0} ms",
        t.totals.usage.input_tokens.unwrap_or(0),
        t.totals.usage.output_tokens.unwrap_or(0),
        t.totals
            .cost_usd
            .map(|c| format!("${}", crate::pricing::usd(c)))
            .unwrap_or_else(|| "unknown".into()),
        t.totals.latency_ms
    );
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
