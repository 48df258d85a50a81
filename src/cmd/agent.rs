//! `omc agent list | show | new | check | trust | runs | log`: agents as files, and their runs.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::Ctx;
use crate::agent::file::McpTransport;
use crate::agent::tools::Registry;
use crate::agent::transcript::Transcript;
use crate::agent::{self, Dirs, Located, Origin, Session, Trust};
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::terminal::{Untrusted, line, text};
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

#[derive(Serialize)]
struct ListItem {
    /// A file's name in a project's `.omc/agents/`: anything a cloned repository holds.
    name: Untrusted,
    origin: Origin,
    path: PathBuf,
    trust: &'static str,
    description: Option<Untrusted>,
    /// The file does not parse: why (the parser quotes the file).
    error: Option<Untrusted>,
    /// A user agent of the same name this project agent hides.
    shadows: Option<PathBuf>,
}

fn list(ctx: &Ctx, dirs: &Dirs) -> Result<()> {
    let store = Store::open(&ctx.paths)?;
    let mut items = Vec::new();
    for (found, shadows) in dirs.list()? {
        // Each file read once, bounded: its description and its trust come from those bytes.
        let origin = found.origin;
        let (description, error, trust) = match Session::read(found.clone()) {
            Ok(s) => (
                s.agent.description.clone(),
                None,
                s.trust(store.as_ref())?.state(),
            ),
            Err(e) => (
                None,
                Some(e.to_string().into()),
                match origin {
                    Origin::Project => Trust::Untrusted.state(),
                    Origin::User | Origin::Path => Trust::NotNeeded.state(),
                },
            ),
        };
        items.push(ListItem {
            trust,
            name: found.name.into(),
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
            line(
                &dirs
                    .user_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default()
            )
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
        // Names, descriptions and paths come from the files: every cell of them escaped.
        let mut row = table.row();
        row.untrusted_cell(&i.name).cell(origin).cell(i.trust);
        match (&i.error, &i.description) {
            (Some(_), _) => row.cell("(does not parse: run `omc agent check`)"),
            (None, Some(d)) => row.untrusted_cell(d),
            (None, None) => row.cell(""),
        };
        row.line_cell(&i.path.display().to_string());
    }
    ctx.out.print_table(&table)
}

/// What `omc agent show` prints. Text from the agent file and its servers is [`Untrusted`]; the
/// rest (names omc checked, the file's models and credentials) is shown through [`line`] too.
#[derive(Serialize)]
struct ShowTool {
    name: String,
    kind: &'static str,
    server: Option<String>,
    description: Untrusted,
    approve: agent::file::Approve,
    credentials: Vec<String>,
    read_only_hint: Option<bool>,
    destructive_hint: Option<bool>,
    command: Option<Vec<Untrusted>>,
    /// From the file or the server: its strings are shown escaped.
    parameters: serde_json::Value,
}

/// An MCP server as the file configures it (fields in the order `--json` has always had).
#[derive(Serialize)]
struct ShowServer {
    approve: agent::file::Approve,
    credentials: Vec<String>,
    name: String,
    /// The command line (stdio) or the URL (HTTP): what runs, or where requests go.
    target: Untrusted,
    tools: Option<Vec<String>>,
    transport: &'static str,
}

#[derive(Serialize)]
struct ShowOutput {
    name: String,
    path: PathBuf,
    origin: Origin,
    trust: &'static str,
    description: Option<Untrusted>,
    system: Option<Untrusted>,
    models: Vec<String>,
    temperature: Option<f32>,
    max_tokens: Option<u32>,
    max_turns: u32,
    budget: agent::file::Budget,
    tools: Vec<ShowTool>,
    mcp_servers: Vec<ShowServer>,
    /// Why MCP tools are missing from `tools`, if they are (a server's stderr included).
    mcp_error: Option<Untrusted>,
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

/// A registry ready to start, or one that never starts servers (for an agent that may not run)
/// with why.
type Prepared = std::result::Result<Registry, (Registry, Option<String>)>;

/// The registry of `session`: [`Session::listing`] when it may not run (`trusted` is the
/// error); else a trusted one holding its servers' grants, decrypted by `grants` (only when a
/// server is granted any) before any child starts.
fn prepare_registry(
    session: &Session,
    trusted: Result<agent::Trusted<'_>>,
    grants: impl FnOnce() -> Result<agent::tools::Grants>,
) -> Result<Prepared> {
    let agent = &session.agent;
    let Ok(trusted) = trusted else {
        let why = (!agent.mcp.is_empty())
            .then(|| "not started: the agent is not trusted (`omc agent trust`)".to_owned());
        return Ok(Err((session.listing(), why)));
    };
    let grants = if agent.granted_credentials().is_empty() || agent.mcp.is_empty() {
        Default::default()
    } else {
        grants()?
    };
    Ok(Ok(trusted.registry(grants)))
}

/// Start the servers of a prepared registry to list their tools, then stop them.
fn start_listing(prepared: Prepared) -> (Registry, Option<String>) {
    let mut reg = match prepared {
        Ok(r) => r,
        Err(listing) => return listing,
    };
    let err = crate::runtime::block_on(async {
        let r = reg.start_servers().await;
        reg.shutdown_keep_entries().await;
        r.err()
    });
    match err {
        Ok(e) => (reg, e),
        Err(e) => (reg, Some(e.to_string())),
    }
}

fn show(ctx: &Ctx, dirs: &Dirs, name: &str) -> Result<()> {
    let session = Session::open(dirs, name)?;
    let (found, agent) = (&session.found, &session.agent);
    let store = Store::open(&ctx.paths)?;
    let trust = session.trust(store.as_ref())?.state();
    let trusted = session.trusted(store.as_ref());
    let prepared = prepare_registry(&session, trusted, || {
        let store =
            store.ok_or_else(|| Error::not_found("store", ctx.paths.db().display().to_string()))?;
        agent::grants::decrypt(ctx.backend(store)?.as_mut(), agent)
    })?;
    let (reg, mcp_error) = start_listing(prepared);
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
            ShowServer {
                approve: s.approve,
                credentials: s.credentials.clone(),
                name: s.name.clone(),
                target: target.into(),
                tools: s.tools.clone(),
                transport,
            }
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
        mcp_error: mcp_error.map(Untrusted::from),
    };
    if ctx.global.json {
        return ctx.out.json(&out);
    }
    std::io::stdout()
        .lock()
        .write_all(render_show(&out).as_bytes())
        .map_err(crate::output::stdout_error)
}

/// `omc agent show` for people: what a person reads before `omc agent trust`, so every piece of
/// the file and of its servers is shown escaped ([`Untrusted`], [`line`], [`text`]): an escape
/// sequence in a description cannot redraw the command below it.
fn render_show(out: &ShowOutput) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({})",
        line(&out.name),
        line(&out.path.display().to_string())
    );
    if let Some(d) = &out.description {
        let _ = writeln!(s, "  {d}");
    }
    if out.origin == Origin::Project {
        let _ = writeln!(s, "trust:      {}", out.trust);
    }
    let models = if out.models.is_empty() {
        "(the profile's default credential)".to_owned()
    } else {
        line(&out.models.join(", ")).into_owned()
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
        let _ = writeln!(s, "system:\n{}", indent_text(sys, "  "));
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
            flags.push(format!("credentials: {}", line(&t.credentials.join(", "))));
        }
        if t.read_only_hint == Some(true) {
            flags.push("read-only (server's hint)".into());
        }
        if t.destructive_hint == Some(true) {
            flags.push("destructive (server's hint)".into());
        }
        let _ = writeln!(s, "  {} [{}] ({})", line(&t.name), t.kind, flags.join("; "));
        if !t.description.is_empty() {
            let raw = t.description.expose_raw();
            let first = raw.lines().next().unwrap_or("");
            let more = raw.trim_end().lines().count().saturating_sub(1);
            let _ = write!(s, "    {}", line(first));
            if more > 0 {
                let _ = write!(s, " (and {more} more lines: --json shows them)");
            }
            s.push('\n');
        }
        if let Some(c) = &t.command {
            // JSON escapes C0 controls in strings; `line` the rest (C1, bidi overrides).
            let json = serde_json::to_string(c).unwrap_or_default();
            let _ = writeln!(s, "    command: {}", line(&json));
        }
        let schema = serde_json::to_string_pretty(&t.parameters).unwrap_or_default();
        let _ = writeln!(
            s,
            "    parameters: {}",
            text(&schema).replace('\n', "\n    ")
        );
    }
    if let Some(e) = &out.mcp_error {
        let _ = writeln!(s, "  (MCP tools: {})", indent_text(e, "    ").trim_start());
    }
    if !out.mcp_servers.is_empty() {
        let _ = writeln!(s, "mcp servers:");
        for m in &out.mcp_servers {
            let _ = writeln!(s, "  {} ({}): {}", line(&m.name), m.transport, m.target);
        }
    }
    s
}

/// Untrusted running text, every line indented by `pad`, escapes shown escaped.
fn indent_text(t: &Untrusted, pad: &str) -> String {
    t.text()
        .trim_end()
        .lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
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
# cwd = "."               # relative to where omc runs (a project agent: its project root)
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

/// Everything `check` looks at before any child starts: the file, trust, preferences,
/// grants (decrypted here, while the unlocked master key is still reachable), programs. The
/// registry comes back ready to start when nothing failed.
fn check_one(
    ctx: &Ctx,
    creds: Option<&mut dyn CredentialBackend>,
    found: &Located,
) -> (CheckResult, Option<Prepared>) {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut prepared = None;
    match Session::read(found.clone()) {
        Err(e) => problems.push(e.to_string()),
        Ok(session) => {
            let agent = &session.agent;
            let trusted;
            if let Some(creds) = creds {
                trusted = session.trusted(Some(&*creds.store()));
                if let Err(e) = &trusted {
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
                if let Err(e) = agent::grants::check(creds, agent) {
                    problems.push(e.to_string());
                }
                if problems.is_empty() {
                    match prepare_registry(&session, trusted, || {
                        agent::grants::decrypt(creds, agent)
                    }) {
                        Ok(p) => prepared = Some(p),
                        Err(e) => problems.push(e.to_string()),
                    }
                }
            } else if !agent.granted_credentials().is_empty() || found.origin == Origin::Project {
                problems.push("there is no store yet: run `omc add PROVIDER`".into());
            } else {
                prepared =
                    prepare_registry(&session, session.trusted(None), || Ok(Default::default()))
                        .ok();
            }
            let needed = agent
                .system
                .as_ref()
                .map(|s| agent::file::var_placeholders(s.expose_raw()))
                .unwrap_or_default();
            if !needed.is_empty() {
                notes.push(format!(
                    "its system prompt needs a value for each run: {}",
                    needed
                        .iter()
                        .map(|v| format!("--var {v}=VALUE"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
            for t in &agent.tools {
                if !agent::command::program_exists(t.command[0].expose_raw(), &session.base) {
                    problems.push(format!(
                        "tool '{}': program '{}' is not found on PATH",
                        t.name, t.command[0]
                    ));
                }
            }
        }
    }
    let result = CheckResult {
        name: found.name.clone(),
        path: found.path.clone(),
        ok: problems.is_empty(),
        problems,
        notes,
        tools: Vec::new(),
    };
    let prepared = prepared.filter(|_| result.ok);
    (result, prepared)
}

fn check(ctx: &Ctx, dirs: &Dirs, name: Option<&str>) -> Result<()> {
    let found: Vec<Located> = match name {
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
    let mut results = Vec::with_capacity(found.len());
    for f in &found {
        let creds: Option<&mut dyn CredentialBackend> = match &mut creds {
            Some(c) => Some(c.as_mut()),
            None => None,
        };
        results.push(check_one(ctx, creds, f));
    }
    // Only now do servers start (each shielded from the unlocked master key, which the spawning
    // thread may no longer reach afterwards): every key the checks need is decrypted already.
    let results: Vec<CheckResult> = results
        .into_iter()
        .map(|(mut r, prepared)| {
            if let Some(p) = prepared {
                let (reg, err) = start_listing(p);
                r.tools = reg.entries.iter().map(|e| e.decl.name.clone()).collect();
                if let Some(e) = err {
                    r.problems.push(e);
                    r.ok = false;
                }
            }
            r
        })
        .collect();
    let failed = results.iter().filter(|r| !r.ok).count();
    if ctx.global.json {
        ctx.out.json(&results)?;
    } else {
        // Names, tool names and problems quote the files and what their servers said (a
        // server's stderr): every line of them escaped.
        for r in &results {
            if r.ok {
                ctx.out.line(format!(
                    "ok    {} ({} tools: {})",
                    line(&r.name),
                    r.tools.len(),
                    line(&r.tools.join(", "))
                ))?;
                for n in &r.notes {
                    ctx.out.line(format!("      note: {}", line(n)))?;
                }
            } else {
                ctx.out.line(format!(
                    "FAIL  {} ({})",
                    line(&r.name),
                    line(&r.path.display().to_string())
                ))?;
                for p in &r.problems {
                    let p = Untrusted::new(p.as_str());
                    ctx.out.line(indent_text(&p, "      "))?;
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
    // Read once: the hash recorded is of the bytes parsed (a broken file is refused: trusting
    // it helps no one) and shown below.
    let session = Session::open(dirs, name)?;
    if let t @ agent::Trust::Outside { .. } = session.trust(None)? {
        return t.require(&session);
    }
    let root = session.root.as_ref().unwrap_or(&session.base);
    let mut store = ctx.store()?;
    store.trust_agent(
        &session.canonical.to_string_lossy(),
        &session.sha256,
        &root.to_string_lossy(),
        ctx.profile(),
    )?;
    let agent = &session.agent;
    // What was trusted: every program it may run, as it will run them.
    let commands: Vec<serde_json::Value> = agent
        .tools
        .iter()
        .map(|t| serde_json::json!({ "tool": t.name, "command": t.command, "cwd": t.cwd }))
        .chain(agent.mcp.iter().filter_map(|s| match &s.transport {
            McpTransport::Stdio {
                command, args, cwd, ..
            } => {
                let mut argv = vec![command.clone()];
                argv.extend(args.iter().cloned());
                Some(serde_json::json!({ "mcp_server": s.name, "command": argv, "cwd": cwd }))
            }
            McpTransport::Http { .. } => None,
        }))
        .collect();
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "path": session.canonical,
            "sha256": session.sha256,
            "root": root,
            "runs": commands,
        }));
    }
    ctx.out.line(format!(
        "trusted {} (sha256 {})",
        line(&session.canonical.display().to_string()),
        session.sha256
    ))?;
    if session.found.origin == Origin::Project {
        ctx.out.line(format!(
            "  project root: {}",
            line(&root.display().to_string())
        ))?;
    }
    for c in &commands {
        let who = match (c.get("tool"), c.get("mcp_server")) {
            (Some(t), _) => format!("tool {}", t.as_str().unwrap_or_default()),
            (_, Some(s)) => format!("MCP server {}", s.as_str().unwrap_or_default()),
            _ => continue,
        };
        // The file's own text: shown escaped.
        ctx.out.line(format!(
            "  {}: {}",
            line(&who),
            line(&c["command"].to_string())
        ))?;
    }
    if session.found.origin != Origin::Project {
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
        // The agent's name is a file's name, maybe from a cloned project: shown escaped.
        table
            .row()
            .cell(&r.id.to_string())
            .cell(&rfc3339(r.started_at))
            .line_cell(&r.agent)
            .line_cell(&r.status)
            .cell(&r.turns.to_string())
            .cell(&(r.input_tokens + r.output_tokens).to_string())
            .cell(
                &r.cost_usd
                    .map(|c| format!("${}", crate::pricing::usd(c)))
                    .unwrap_or_else(|| "?".into()),
            )
            .line_cell(&r.profile);
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
