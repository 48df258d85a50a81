//! The tool registry: every tool the model may call, its declaration and its handler side by
//! side, so names cannot drift between what the model is told and what runs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::Serialize;

use super::approval::ToolRef;
use super::file::{Agent, Approve, McpTransport};
use super::mcp::{self, Connection};
use crate::creds::Var;

/// What the model is told about a tool.
#[derive(Debug, Clone, Serialize)]
pub struct ToolDecl {
    pub name: String,
    /// From the agent file or the MCP server: shown only escaped.
    pub description: crate::terminal::Untrusted,
    pub parameters: serde_json::Value,
}

/// What a call produced, as the model will see it.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    pub content: String,
    pub is_error: bool,
    /// One line for the terminal: `12 lines`, `exit 2: …`.
    pub summary: String,
    pub duration: Duration,
}

impl ToolOutput {
    pub fn error(content: String, summary: String, started: Instant) -> ToolOutput {
        ToolOutput {
            content,
            is_error: true,
            summary,
            duration: started.elapsed(),
        }
    }
}

/// `text` cut to at most `max` bytes (on a character boundary), saying so and how long it was:
/// what a tool's `max_output` lets reach the model and the transcript.
pub fn capped(mut text: String, max: usize) -> String {
    let total = text.len();
    if total <= max {
        return text;
    }
    let mut kept = max;
    while !text.is_char_boundary(kept) {
        kept -= 1;
    }
    text.truncate(kept);
    text.push_str(&cut_note(kept, total));
    text
}

/// The line a cut result ends with.
pub fn cut_note(kept: usize, total: usize) -> String {
    format!("\n[output truncated: the first {kept} of {total} bytes]")
}

#[derive(Debug, Clone)]
enum Handler {
    /// Index into the agent's command tools.
    Command(usize),
    /// Index into the started connections, and the tool's name on the server.
    Mcp(usize, String),
}

/// One tool the model may call.
#[derive(Debug, Clone)]
pub struct Entry {
    pub decl: ToolDecl,
    pub approve: Approve,
    pub server: Option<String>,
    /// MCP's `readOnlyHint` / `destructiveHint`: shown, never trusted.
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    handler: Handler,
}

impl Entry {
    pub fn tool_ref(&self) -> ToolRef<'_> {
        ToolRef {
            name: &self.decl.name,
            server: self.server.as_deref(),
            approve: self.approve,
        }
    }
}

/// Credentials granted to tools, decrypted for this run: name → variables.
#[derive(Default)]
pub struct Grants {
    pub creds: Vec<crate::store::Credential>,
    pub vars: HashMap<String, Vec<Var>>,
    pub bearer: HashMap<String, SecretString>,
}

impl Grants {
    fn for_names(&self, names: &[String]) -> Vec<Var> {
        names
            .iter()
            .filter_map(|n| self.vars.get(n))
            .flatten()
            .map(|v| Var {
                name: v.name,
                value: v.value.clone(),
            })
            .collect()
    }
}

/// The tools of one run: command tools at once, MCP servers once started.
pub struct Registry {
    pub agent: Agent,
    pub entries: Vec<Entry>,
    connections: Vec<Connection>,
    grants: Grants,
    base: PathBuf,
    /// Only a trusted session's registry starts MCP servers.
    may_start: bool,
}

impl Registry {
    /// The command tools; MCP tools join when [`Registry::start_servers`] runs, which it does
    /// only when `may_start` (made by [`super::Session`], true only for an agent that may run).
    pub(super) fn new(agent: Agent, grants: Grants, base: PathBuf, may_start: bool) -> Registry {
        let entries = agent
            .tools
            .iter()
            .enumerate()
            .map(|(i, t)| Entry {
                decl: ToolDecl {
                    name: t.name.clone(),
                    description: t.description.clone(),
                    parameters: t.parameters.clone(),
                },
                approve: t.approve,
                server: None,
                read_only: None,
                destructive: None,
                handler: Handler::Command(i),
            })
            .collect();
        Registry {
            agent,
            entries,
            connections: Vec::new(),
            grants,
            base,
            may_start,
        }
    }

    /// Start every MCP server (together) and add their tools as `SERVER_tool`. A server that
    /// fails to start, or a name that collides, is an error naming the server. Each server
    /// process starts through `crate::process`: shielded from the unlocked master key.
    pub async fn start_servers(&mut self) -> Result<(), String> {
        if !self.connections.is_empty() || self.agent.mcp.is_empty() {
            return Ok(());
        }
        if !self.may_start {
            return Err("not started: the agent is not trusted (`omc agent trust`)".into());
        }
        let starts = self.agent.mcp.iter().map(|s| {
            let vars = self.grants.for_names(&s.credentials);
            let bearer = match &s.transport {
                McpTransport::Http {
                    bearer: Some(b), ..
                } => self.grants.bearer.get(b).cloned(),
                _ => None,
            };
            let base = self.base.clone();
            async move {
                let r = mcp::start(s, &vars, bearer.as_ref(), &base).await;
                (s.name.clone(), r)
            }
        });
        let results = futures_util::future::join_all(starts).await;
        let mut first_err = None;
        for (name, r) in results {
            match r {
                Ok(c) => self.connections.push(c),
                Err(e) => {
                    first_err.get_or_insert(format!("MCP server '{name}': {e}"));
                }
            }
        }
        if let Some(e) = first_err {
            self.shutdown().await;
            return Err(e);
        }
        for (ci, conn) in self.connections.iter().enumerate() {
            for tool in &conn.tools {
                let name = clean_name(&format!("{}_{}", conn.server.name, tool.name));
                if let Some(other) = self.entries.iter().find(|e| e.decl.name == name) {
                    let what = match &other.server {
                        Some(s) => format!("a tool of MCP server '{s}'"),
                        None => "a command tool".into(),
                    };
                    let msg = format!(
                        "MCP server '{}' offers '{}', which as '{name}' collides with {what}",
                        conn.server.name, tool.name
                    );
                    self.shutdown().await;
                    return Err(msg);
                }
                let ann = tool.annotations.as_ref();
                self.entries.push(Entry {
                    decl: ToolDecl {
                        name,
                        description: tool.description.as_deref().unwrap_or("").into(),
                        parameters: serde_json::Value::Object((*tool.input_schema).clone()),
                    },
                    approve: conn.server.approve,
                    server: Some(conn.server.name.clone()),
                    read_only: ann.and_then(|a| a.read_only_hint),
                    destructive: ann.and_then(|a| a.destructive_hint),
                    handler: Handler::Mcp(ci, tool.name.to_string()),
                });
            }
        }
        Ok(())
    }

    /// `--approve` / `--deny` names (`flag`) against what this run can call: a command tool,
    /// a server, or a tool a started server listed (`time_get_curent_time` is a typo, not a
    /// tool). Checked once the servers are up, before anything reaches the model.
    pub fn check_names(&self, flag: &str, names: &[String]) -> crate::error::Result<()> {
        for n in names {
            if n == "all" && flag == "--approve" {
                continue;
            }
            let known = self.entries.iter().any(|e| &e.decl.name == n)
                || self.agent.mcp.iter().any(|s| &s.name == n);
            if !known {
                let mut all: Vec<String> =
                    self.entries.iter().map(|e| e.decl.name.clone()).collect();
                all.extend(
                    self.agent
                        .mcp
                        .iter()
                        .map(|s| format!("{} (MCP server)", s.name)),
                );
                return Err(unknown_name(&self.agent.name, flag, n, &all));
            }
        }
        Ok(())
    }

    pub fn decls(&self) -> Vec<ToolDecl> {
        self.entries.iter().map(|e| e.decl.clone()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.decl.name == name)
    }

    /// The credentials the tool called `name` is granted (for the audit trail).
    pub fn credentials_of(&self, name: &str) -> Vec<String> {
        match self.get(name).map(|e| &e.handler) {
            Some(Handler::Command(i)) => self.agent.tools[*i].credentials.clone(),
            Some(Handler::Mcp(..)) => {
                let server = self.get(name).and_then(|e| e.server.as_deref());
                self.agent
                    .mcp
                    .iter()
                    .find(|s| Some(s.name.as_str()) == server)
                    .map(server_credentials)
                    .unwrap_or_default()
            }
            None => Vec::new(),
        }
    }

    /// Each MCP server granted credentials (for stdio its `credentials`, for HTTP its
    /// `bearer`), by server name.
    pub fn server_grants(&self) -> Vec<(String, Vec<String>)> {
        self.agent
            .mcp
            .iter()
            .map(|s| (s.name.clone(), server_credentials(s)))
            .filter(|(_, c)| !c.is_empty())
            .collect()
    }

    /// Run the call. An unknown tool is an error result for the model, not a failed run.
    pub async fn call(&self, name: &str, args: &serde_json::Value) -> ToolOutput {
        let Some(entry) = self.get(name) else {
            return ToolOutput::error(
                format!(
                    "there is no tool named '{name}'; the tools are: {}",
                    self.entries
                        .iter()
                        .map(|e| e.decl.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "unknown tool".into(),
                Instant::now(),
            );
        };
        match &entry.handler {
            Handler::Command(i) => {
                let tool = &self.agent.tools[*i];
                let vars = self.grants.for_names(&tool.credentials);
                super::command::call(tool, args, &vars, &self.base).await
            }
            Handler::Mcp(ci, tool) => self.connections[*ci].call(tool, args).await,
        }
    }

    /// Stop every started server, keeping their tools' entries (for `omc agent show`).
    pub async fn shutdown_keep_entries(&mut self) {
        let conns = std::mem::take(&mut self.connections);
        futures_util::future::join_all(conns.into_iter().map(Connection::shutdown)).await;
    }

    /// Stop every started server.
    pub async fn shutdown(&mut self) {
        let conns = std::mem::take(&mut self.connections);
        futures_util::future::join_all(conns.into_iter().map(Connection::shutdown)).await;
        self.entries.retain(|e| e.server.is_none());
    }
}

/// `flag NAME` names no tool or server of `agent`; `known` are the names it has.
pub fn unknown_name(agent: &str, flag: &str, name: &str, known: &[String]) -> crate::error::Error {
    crate::error::Error::usage_hint(
        format!("{flag} {name}: agent '{agent}' has no tool or MCP server by that name"),
        format!(
            "its tools: {}",
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        ),
    )
}

/// The credentials a server is handed: its `credentials`, and its `bearer` one.
fn server_credentials(s: &super::file::McpServer) -> Vec<String> {
    let mut names = s.credentials.clone();
    if let McpTransport::Http {
        bearer: Some(b), ..
    } = &s.transport
        && !names.contains(b)
    {
        names.push(b.clone());
    }
    names
}

/// A name every family accepts: `^[a-zA-Z0-9_-]{1,64}$`.
pub fn clean_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    out.truncate(64);
    out
}
