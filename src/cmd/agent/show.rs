//! `omc agent show`: an agent as resolved, with every tool's schema.

use super::*;

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
pub(super) type Prepared = std::result::Result<Registry, (Registry, Option<String>)>;

/// The registry of `session`: [`Session::listing`] when it may not run (`trusted` is the
/// error); else a trusted one holding its servers' grants, decrypted by `grants` (only when a
/// server is granted any) before any child starts.
pub(super) fn prepare_registry(
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
pub(super) fn start_listing(prepared: Prepared) -> (Registry, Option<String>) {
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

pub(super) fn show(ctx: &Ctx, dirs: &Dirs, name: &str) -> Result<()> {
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
pub(super) fn indent_text(t: &Untrusted, pad: &str) -> String {
    t.text()
        .trim_end()
        .lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
