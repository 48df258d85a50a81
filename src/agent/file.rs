//! An agent file: TOML, one agent per file, every key known (a typo is an error naming the key,
//! the file and the line, never a silently ignored setting).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::provider::ToolChoice;
use crate::terminal::Untrusted;

/// Turns (model calls) an agent may take when its file sets none.
pub const DEFAULT_MAX_TURNS: u32 = 10;
/// How long a command tool may run when its file sets no `timeout`.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(60);
/// How much of a tool's output (a command's stdout, an MCP call's result) reaches the model
/// when its file sets no `max_output`.
pub const DEFAULT_MAX_OUTPUT: usize = 64 * 1024;

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentFile {
    pub description: Option<Untrusted>,
    pub system: Option<Untrusted>,
    /// Ordered preferences: `CREDENTIAL[/MODEL]` or `PROVIDER[/MODEL]`.
    #[serde(default)]
    pub models: Vec<String>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    pub max_turns: Option<u32>,
    pub budget: Option<Budget>,
    pub tool_choice: Option<ToolChoiceSpec>,
    #[serde(default, rename = "tool")]
    pub tools: Vec<CommandToolSpec>,
    #[serde(default)]
    pub mcp: BTreeMap<String, McpServerSpec>,
}

/// `tool_choice`: one choice for every turn, or one per turn, the last holding for the rest.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ToolChoiceSpec {
    Every(String),
    Turns(Vec<String>),
}

/// Per-run spending bounds.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub tokens: Option<u64>,
    pub cost_usd: Option<f64>,
}

/// Whether a tool's calls are asked about before they run.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Approve {
    #[default]
    Ask,
    Auto,
}

/// A duration written as `"30s"`/`"2m"` or a number of seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DurationSpec {
    Seconds(u64),
    Text(String),
}

impl DurationSpec {
    fn resolve(&self, what: &str) -> Result<Duration> {
        let d = match self {
            DurationSpec::Seconds(s) => Duration::from_secs(*s),
            DurationSpec::Text(t) => humantime::parse_duration(t).map_err(|_| {
                Error::usage_hint(
                    format!("{what}: invalid duration '{t}'"),
                    "write e.g. \"30s\", \"2m\", or a number of seconds",
                )
            })?,
        };
        if d.is_zero() {
            return Err(Error::usage(format!(
                "{what}: the duration must be above zero"
            )));
        }
        Ok(d)
    }
}

/// A JSON Schema written as a TOML table or as a JSON string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SchemaSpec {
    Json(String),
    Table(toml::Table),
}

/// `[[tool]]`: a program omc runs with the call's arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandToolSpec {
    pub name: String,
    pub description: Option<Untrusted>,
    pub parameters: Option<SchemaSpec>,
    pub command: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub timeout: Option<DurationSpec>,
    /// Bytes of output the model gets at most.
    pub max_output: Option<usize>,
    /// Whether a `{param}` value may start with `-` (and so be read as an option) where no
    /// `--` comes before it.
    #[serde(default)]
    pub options: bool,
    #[serde(default)]
    pub approve: Approve,
    #[serde(default)]
    pub credentials: Vec<String>,
}

/// `[mcp.NAME]`: an MCP server, over stdio (`command`) or streamable HTTP (`url`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerSpec {
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub cwd: Option<PathBuf>,
    pub url: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `"credential:NAME"`: that credential's key as `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// Send `headers` / `bearer` over plain `http://` to another host, in clear.
    #[serde(default)]
    pub allow_http: bool,
    /// Allow-list of the server's tool names (unprefixed); default: all it lists.
    pub tools: Option<Vec<String>>,
    #[serde(default)]
    pub approve: Approve,
    #[serde(default)]
    pub credentials: Vec<String>,
    /// Per call; also bounds the server's start.
    pub timeout: Option<DurationSpec>,
    /// Bytes of a call's result the model gets (and the transcript keeps) at most.
    pub max_output: Option<usize>,
}

/// A command tool, checked and resolved.
#[derive(Debug, Clone)]
pub struct CommandTool {
    pub name: String,
    pub description: Untrusted,
    pub parameters: serde_json::Value,
    pub command: Vec<Untrusted>,
    pub cwd: Option<PathBuf>,
    pub timeout: Duration,
    pub max_output: usize,
    /// `{param}` values may start with `-` anywhere (`options = true`).
    pub options: bool,
    pub approve: Approve,
    pub credentials: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum McpTransport {
    Stdio {
        command: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
        cwd: Option<PathBuf>,
    },
    Http {
        url: String,
        headers: BTreeMap<String, String>,
        /// The credential whose key is the bearer token.
        bearer: Option<String>,
    },
}

/// An MCP server, checked.
#[derive(Debug, Clone)]
pub struct McpServer {
    pub name: String,
    pub transport: McpTransport,
    pub tools: Option<Vec<String>>,
    pub approve: Approve,
    pub credentials: Vec<String>,
    pub timeout: Duration,
    pub max_output: usize,
}

/// A loaded agent: the file's settings, checked, with where it came from.
#[derive(Debug, Clone)]
pub struct Agent {
    pub name: String,
    pub path: PathBuf,
    pub description: Option<Untrusted>,
    /// The system prompt as written, `{{var}}` placeholders unfilled.
    pub system: Option<Untrusted>,
    pub models: Vec<String>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    pub max_turns: u32,
    pub budget: Budget,
    /// What the model may do with its tools on turn N (the last entry for the turns after);
    /// empty: the model decides on every turn.
    pub tool_choice: Vec<ToolChoice>,
    pub tools: Vec<CommandTool>,
    pub mcp: Vec<McpServer>,
}

/// What the model may do with its tools on turn `turn` (from 1), by an agent's `tool_choice`.
pub fn tool_choice_for(choices: &[ToolChoice], turn: u32) -> ToolChoice {
    let i = (turn.max(1) - 1) as usize;
    choices
        .get(i)
        .or(choices.last())
        .cloned()
        .unwrap_or_default()
}

/// Names the model sees: what Anthropic allows, the strictest of the three families.
pub fn valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Agent {
    /// Check the text of the agent file at `path`; `name` is the agent's name (the file stem).
    /// Reading the file is [`super::Session::read`]'s: once, bounded, and hashed.
    pub fn parse(name: &str, path: &Path, text: &str) -> Result<Agent> {
        let file: AgentFile = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        let bad = |msg: String| {
            Error::usage_hint(
                format!("{}: {msg}", path.display()),
                "fix the agent file; `omc agent check NAME` checks it",
            )
        };
        let max_turns = file.max_turns.unwrap_or(DEFAULT_MAX_TURNS);
        if max_turns == 0 {
            return Err(bad("max_turns must be at least 1".into()));
        }
        if let Some(t) = file.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(bad(format!("temperature {t} is outside 0 to 2")));
        }
        if file.max_tokens == Some(0) {
            return Err(bad("max_tokens must be at least 1".into()));
        }
        let budget = file.budget.unwrap_or_default();
        if budget
            .cost_usd
            .is_some_and(|c| c.is_nan() || c <= 0.0 || !c.is_finite())
        {
            return Err(bad("budget.cost_usd must be a positive number".into()));
        }
        if budget.tokens == Some(0) {
            return Err(bad("budget.tokens must be at least 1".into()));
        }
        for m in &file.models {
            if m.trim().is_empty() || m.starts_with('/') || m.ends_with('/') {
                return Err(bad(format!(
                    "model preference '{m}' is not CREDENTIAL[/MODEL] or PROVIDER[/MODEL]"
                )));
            }
        }

        let mut tools = Vec::new();
        for spec in &file.tools {
            let t = command_tool(spec).map_err(|m| bad(format!("tool '{}': {m}", spec.name)))?;
            if tools.iter().any(|o: &CommandTool| o.name == t.name) {
                return Err(bad(format!("two tools are named '{}'", t.name)));
            }
            tools.push(t);
        }
        let mut mcp = Vec::new();
        for (server, spec) in &file.mcp {
            let s = mcp_server(server, spec).map_err(|m| bad(format!("[mcp.{server}]: {m}")))?;
            for t in &tools {
                if t.name.starts_with(&format!("{server}_")) {
                    return Err(bad(format!(
                        "tool '{}' could collide with the tools of MCP server '{server}' \
                         (named {server}_…); rename one",
                        t.name
                    )));
                }
            }
            mcp.push(s);
        }
        let choices = match &file.tool_choice {
            None => Vec::new(),
            Some(ToolChoiceSpec::Every(c)) => vec![c.clone()],
            Some(ToolChoiceSpec::Turns(list)) if list.is_empty() => {
                return Err(bad("tool_choice is an empty list".into()));
            }
            Some(ToolChoiceSpec::Turns(list)) => list.clone(),
        };
        let mut tool_choice = Vec::with_capacity(choices.len());
        for c in choices {
            tool_choice.push(match c.as_str() {
                "auto" => ToolChoice::Auto,
                "none" => ToolChoice::None,
                "required" => ToolChoice::Required,
                name if tools.iter().any(|t| t.name == name)
                    || mcp
                        .iter()
                        .any(|s| name.starts_with(&format!("{}_", s.name))) =>
                {
                    ToolChoice::Named(c)
                }
                _ => {
                    return Err(bad(format!(
                        "tool_choice '{c}' is not auto, required, none or one of the agent's tools"
                    )));
                }
            });
        }
        Ok(Agent {
            name: name.to_owned(),
            path: path.to_path_buf(),
            description: file.description,
            system: file.system,
            models: file.models,
            temperature: file.temperature,
            max_tokens: file.max_tokens,
            max_turns,
            budget,
            tool_choice,
            tools,
            mcp,
        })
    }

    /// The system prompt with `{{var}}` filled from `vars`. A placeholder with no value is an
    /// error naming the flag; a value no placeholder uses is returned for a warning.
    pub fn system_prompt(
        &self,
        vars: &[(String, String)],
    ) -> Result<(Option<String>, Vec<String>)> {
        let Some(system) = &self.system else {
            let unused = vars.iter().map(|(k, _)| k.clone()).collect();
            return Ok((None, unused));
        };
        let (text, used) = fill(system.expose_raw(), vars).map_err(|var| {
            Error::usage_hint(
                format!("agent '{}' needs a value for {{{{{var}}}}}", self.name),
                format!("pass --var {var}=VALUE"),
            )
        })?;
        let unused = vars
            .iter()
            .filter(|(k, _)| !used.contains(k))
            .map(|(k, _)| k.clone())
            .collect();
        Ok((Some(text), unused))
    }

    /// Make relative programs (`./bin/fmt`, not a bare name looked up on PATH) and relative
    /// working directories absolute, against `base`: a project agent's project root, else the
    /// current directory. What runs then no longer depends on where omc was started.
    pub fn resolve_paths(&mut self, base: &Path) {
        let program = |p: &mut String| {
            let path = Path::new(p.as_str());
            if path.is_relative() && path.components().count() > 1 {
                *p = base.join(path).to_string_lossy().into_owned();
            }
        };
        let dir = |d: &mut Option<PathBuf>| {
            if let Some(c) = d
                && c.is_relative()
            {
                *c = base.join(&*c);
            }
        };
        for t in &mut self.tools {
            let mut first = t.command[0].expose_raw().to_owned();
            program(&mut first);
            t.command[0] = first.into();
            dir(&mut t.cwd);
        }
        for s in &mut self.mcp {
            if let McpTransport::Stdio { command, cwd, .. } = &mut s.transport {
                program(command);
                dir(cwd);
            }
        }
    }

    /// Every credential a tool or server of this agent is granted, and `bearer` ones.
    pub fn granted_credentials(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = self
            .tools
            .iter()
            .flat_map(|t| t.credentials.iter())
            .chain(self.mcp.iter().flat_map(|s| s.credentials.iter()))
            .chain(self.mcp.iter().filter_map(|s| match &s.transport {
                McpTransport::Http { bearer, .. } => bearer.as_ref(),
                McpTransport::Stdio { .. } => None,
            }));
        for c in all {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }
}

/// Replace `{{name}}` (spaces inside the braces allowed) with its value. Returns the names used,
/// or the first name with no value.
pub fn fill(
    text: &str,
    vars: &[(String, String)],
) -> std::result::Result<(String, Vec<String>), String> {
    fill_with(text, |key| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    })
}

/// The `{{name}}` placeholders of `text`, each once, in order: what `--var` must give.
pub fn var_placeholders(text: &str) -> Vec<String> {
    match fill_with(text, |_| Some("")) {
        Ok((_, used)) => used,
        Err(_) => unreachable!("every placeholder has a value"),
    }
}

fn fill_with<'v>(
    text: &str,
    value_of: impl Fn(&str) -> Option<&'v str>,
) -> std::result::Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(text.len());
    let mut used = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let key = rest[start + 2..start + 2 + len].trim();
        let is_name = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
        out.push_str(&rest[..start]);
        if is_name {
            let value = value_of(key).ok_or_else(|| key.to_owned())?;
            out.push_str(value);
            if !used.iter().any(|u| u == key) {
                used.push(key.to_owned());
            }
        } else {
            out.push_str(&rest[start..start + 4 + len]);
        }
        rest = &rest[start + 4 + len..];
    }
    out.push_str(rest);
    Ok((out, used))
}

/// `KEY=VALUE` from `--var`.
pub fn parse_var(s: &str) -> std::result::Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not KEY=VALUE"))?;
    let k = k.trim();
    if k.is_empty() {
        return Err(format!("'{s}' has an empty KEY"));
    }
    Ok((k.to_owned(), v.to_owned()))
}

fn command_tool(spec: &CommandToolSpec) -> std::result::Result<CommandTool, String> {
    if !valid_tool_name(&spec.name) {
        return Err("a tool name is 1 to 64 letters, digits, '_' or '-'".into());
    }
    if spec.command.is_empty() || spec.command[0].trim().is_empty() {
        return Err("command must name a program: command = [\"prog\", \"{param}\"]".into());
    }
    let parameters = schema(spec.parameters.as_ref())?;
    let declared: Vec<&str> = parameters
        .get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for arg in &spec.command {
        for p in placeholders(arg) {
            if !declared.contains(&p) {
                return Err(format!(
                    "command uses {{{p}}}, which parameters.properties does not declare"
                ));
            }
        }
    }
    let timeout = match &spec.timeout {
        Some(t) => t.resolve("timeout").map_err(|e| e.to_string())?,
        None => DEFAULT_TOOL_TIMEOUT,
    };
    if spec.max_output == Some(0) {
        return Err("max_output must be at least 1 byte".into());
    }
    Ok(CommandTool {
        name: spec.name.clone(),
        description: spec.description.clone().unwrap_or_default(),
        parameters,
        command: spec.command.iter().map(|a| a.as_str().into()).collect(),
        cwd: spec.cwd.clone(),
        timeout,
        max_output: spec.max_output.unwrap_or(DEFAULT_MAX_OUTPUT),
        options: spec.options,
        approve: spec.approve,
        credentials: spec.credentials.clone(),
    })
}

/// Whether `{key}` is a placeholder: a parameter name, not JSON or prose in braces.
pub fn is_placeholder_name(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The `{param}` names in one argv element.
pub fn placeholders(arg: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = arg;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start + 1..].find('}') else {
            break;
        };
        let key = &rest[start + 1..start + 1 + len];
        if is_placeholder_name(key) {
            out.push(key);
            rest = &rest[start + 2 + len..];
        } else {
            // Not a placeholder (`{"q":"{p}"}`): a later `{` may still start one.
            rest = &rest[start + 1..];
        }
    }
    out
}

fn schema(spec: Option<&SchemaSpec>) -> std::result::Result<serde_json::Value, String> {
    let value = match spec {
        None => serde_json::json!({ "type": "object", "properties": {} }),
        Some(SchemaSpec::Json(text)) => {
            serde_json::from_str(text).map_err(|e| format!("parameters is not valid JSON: {e}"))?
        }
        Some(SchemaSpec::Table(t)) => {
            serde_json::to_value(t).map_err(|e| format!("parameters: {e}"))?
        }
    };
    if value.get("type").and_then(|t| t.as_str()) != Some("object") {
        return Err("parameters must be a JSON Schema with type = \"object\"".into());
    }
    Ok(value)
}

fn mcp_server(name: &str, spec: &McpServerSpec) -> std::result::Result<McpServer, String> {
    if !valid_tool_name(name) || name.len() > 32 {
        return Err("a server name is 1 to 32 letters, digits, '_' or '-'".into());
    }
    let transport = match (&spec.command, &spec.url) {
        (Some(_), Some(_)) => {
            return Err("set either command (stdio) or url (HTTP), not both".into());
        }
        (None, None) => return Err("set command (a stdio server) or url (an HTTP server)".into()),
        (Some(command), None) => {
            if !spec.headers.is_empty() || spec.bearer.is_some() {
                return Err("headers and bearer are for HTTP servers (url)".into());
            }
            if command.trim().is_empty() {
                return Err("command is empty".into());
            }
            McpTransport::Stdio {
                command: command.clone(),
                args: spec.args.clone(),
                env: spec.env.clone(),
                cwd: spec.cwd.clone(),
            }
        }
        (None, Some(url)) => {
            if !spec.args.is_empty() || !spec.env.is_empty() || spec.cwd.is_some() {
                return Err("args, env and cwd are for stdio servers (command)".into());
            }
            if !spec.credentials.is_empty() {
                return Err(
                    "credentials are for stdio servers; an HTTP server takes bearer = \"credential:NAME\""
                        .into(),
                );
            }
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("url '{url}' is not http:// or https://"));
            }
            let bearer = match &spec.bearer {
                None => None,
                Some(b) => Some(
                    b.strip_prefix("credential:")
                        .filter(|n| !n.is_empty())
                        .ok_or("bearer must be \"credential:NAME\" (a stored credential)")?
                        .to_owned(),
                ),
            };
            if (bearer.is_some() || !spec.headers.is_empty())
                && crate::bounds::plain_http_to_remote(url)
                && !spec.allow_http
            {
                return Err(format!(
                    "url '{url}' is plain http:// to another host: its bearer and headers would \
                     cross the network in clear; use https://, or set allow_http = true"
                ));
            }
            McpTransport::Http {
                url: url.clone(),
                headers: spec.headers.clone(),
                bearer,
            }
        }
    };
    if spec.tools.as_ref().is_some_and(|t| t.is_empty()) {
        return Err("tools = [] allows nothing; remove the server or list its tools".into());
    }
    let timeout = match &spec.timeout {
        Some(t) => t.resolve("timeout").map_err(|e| e.to_string())?,
        None => DEFAULT_TOOL_TIMEOUT,
    };
    if spec.max_output == Some(0) {
        return Err("max_output must be at least 1 byte".into());
    }
    Ok(McpServer {
        name: name.to_owned(),
        transport,
        tools: spec.tools.clone(),
        approve: spec.approve,
        credentials: spec.credentials.clone(),
        timeout,
        max_output: spec.max_output.unwrap_or(DEFAULT_MAX_OUTPUT),
    })
}

/// A TOML error as `FILE:LINE:COL: message`.
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> Error {
    let at = e
        .span()
        .map(|s| {
            let before = &text[..s.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!(":{line}:{col}")
        })
        .unwrap_or_default();
    Error::usage_hint(
        format!("{}{at}: {}", path.display(), e.message().trim_end()),
        "fix the agent file; `omc agent new NAME` writes a commented template",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Agent> {
        Agent::parse("t", Path::new("/a/t.toml"), text)
    }

    #[test]
    fn unknown_keys_name_the_key_file_and_line() {
        let err = parse(
            "description = \"x\"\n\n[[tool]]\nname = \"a\"\ncommand = [\"true\"]\ncomand = 1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("/a/t.toml:6:"), "{err}");
        assert!(err.contains("comand"), "{err}");
        let err = parse("modles = []\n").unwrap_err().to_string();
        assert!(
            err.contains("/a/t.toml:1:") && err.contains("modles"),
            "{err}"
        );
        let err = parse("budget = { tokens = 5, dollars = 1 }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("dollars"), "{err}");
        let err = parse("[mcp.x]\ncommand = \"y\"\nurll = \"z\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":3:") && err.contains("urll"), "{err}");
    }

    #[test]
    fn a_full_file_parses() {
        let a = parse(
            r#"
description = "reviews"
system = "You review {{lang}} code."
models = ["work/gpt-4o", "anthropic", "openrouter/anthropic/claude-sonnet-4"]
temperature = 0.2
max_tokens = 2000
max_turns = 4
budget = { tokens = 10000, cost_usd = 0.5 }

[[tool]]
name = "diff"
description = "git diff"
command = ["git", "diff", "--", "{path}"]
parameters = { type = "object", properties = { path = { type = "string" } }, required = ["path"] }
timeout = "5s"
approve = "auto"
credentials = ["github"]
options = true

[mcp.time]
command = "mcp-server-time"
tools = ["get_current_time"]
max_output = 1000

[mcp.web]
url = "http://127.0.0.1:1/mcp"
bearer = "credential:web"
"#,
        )
        .unwrap();
        assert_eq!(a.max_turns, 4);
        assert_eq!(a.tools[0].timeout, Duration::from_secs(5));
        assert_eq!(a.tools[0].approve, Approve::Auto);
        assert!(a.tools[0].options);
        assert_eq!(a.mcp.len(), 2);
        assert_eq!(a.mcp[0].max_output, 1000);
        assert_eq!(a.mcp[1].max_output, DEFAULT_MAX_OUTPUT);
        assert_eq!(a.granted_credentials(), ["github", "web"]);
        let (system, unused) = a
            .system_prompt(&[("lang".into(), "Rust".into()), ("x".into(), "1".into())])
            .unwrap();
        assert_eq!(system.unwrap(), "You review Rust code.");
        assert_eq!(unused, ["x"]);
        let err = a.system_prompt(&[]).unwrap_err();
        assert_eq!(err.hint().unwrap(), "pass --var lang=VALUE");
    }

    #[test]
    fn bad_tools_are_refused() {
        for (text, want) in [
            ("[[tool]]\nname = \"a b\"\ncommand = [\"x\"]\n", "tool name"),
            (
                "[[tool]]\nname = \"a\"\ncommand = []\n",
                "must name a program",
            ),
            (
                "[[tool]]\nname = \"a\"\ncommand = [\"x\", \"{p}\"]\n",
                "does not declare",
            ),
            (
                "[[tool]]\nname = \"a\"\ncommand = [\"x\"]\n[[tool]]\nname = \"a\"\ncommand = [\"y\"]\n",
                "two tools",
            ),
            (
                "[[tool]]\nname = \"a\"\ncommand = [\"x\"]\ntimeout = \"soon\"\n",
                "invalid duration",
            ),
            ("[mcp.s]\ncommand = \"x\"\nurl = \"http://h\"\n", "not both"),
            (
                "[mcp.s]\nurl = \"http://h\"\nbearer = \"sk-123\"\n",
                "credential:NAME",
            ),
            (
                "[mcp.s]\nurl = \"http://h\"\ncredentials = [\"a\"]\n",
                "bearer",
            ),
            (
                "[mcp.s]\nurl = \"http://10.1.2.3/mcp\"\nbearer = \"credential:k\"\n",
                "allow_http = true",
            ),
            (
                "[mcp.s]\nurl = \"http://h.example/mcp\"\nheaders = { X-Key = \"v\" }\n",
                "in clear",
            ),
            (
                "[mcp.time]\ncommand = \"x\"\n[[tool]]\nname = \"time_now\"\ncommand = [\"date\"]\n",
                "collide",
            ),
            ("max_turns = 0\n", "max_turns"),
            (
                "[mcp.s]\ncommand = \"x\"\nmax_output = 0\n",
                "max_output must be at least 1 byte",
            ),
            ("tool_choice = \"ls\"\n", "tool_choice 'ls'"),
            ("tool_choice = []\n", "empty list"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn plain_http_with_a_bearer_or_headers_needs_allow_http_off_this_machine() {
        for ok in [
            "[mcp.s]\nurl = \"http://10.1.2.3/mcp\"\nbearer = \"credential:k\"\nallow_http = true\n",
            "[mcp.s]\nurl = \"http://localhost:9/mcp\"\nbearer = \"credential:k\"\n",
            "[mcp.s]\nurl = \"https://h.example/mcp\"\nheaders = { X-Key = \"v\" }\n",
            "[mcp.s]\nurl = \"http://h.example/mcp\"\n",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn tool_choice_is_per_turn_and_the_last_holds() {
        let text = "[[tool]]\nname = \"sh\"\ncommand = [\"true\"]\n[mcp.time]\ncommand = \"x\"\n";
        let a = parse(&format!("tool_choice = [\"sh\", \"none\"]\n{text}")).unwrap();
        assert_eq!(
            tool_choice_for(&a.tool_choice, 1),
            ToolChoice::Named("sh".into())
        );
        assert_eq!(tool_choice_for(&a.tool_choice, 2), ToolChoice::None);
        assert_eq!(tool_choice_for(&a.tool_choice, 9), ToolChoice::None);
        let a = parse(&format!("tool_choice = \"time_now\"\n{text}")).unwrap();
        assert_eq!(
            tool_choice_for(&a.tool_choice, 3),
            ToolChoice::Named("time_now".into())
        );
        let a = parse(&format!("tool_choice = \"required\"\n{text}")).unwrap();
        assert_eq!(tool_choice_for(&a.tool_choice, 1), ToolChoice::Required);
        assert_eq!(
            tool_choice_for(&parse(text).unwrap().tool_choice, 1),
            ToolChoice::Auto
        );
    }

    #[test]
    fn placeholders_and_fill() {
        assert_eq!(placeholders("--path={path}"), ["path"]);
        assert_eq!(placeholders("{a}{b} {} {x y}"), ["a", "b"]);
        assert_eq!(placeholders("{\"q\":\"{p}\"}"), ["p"]);
        let vars = vec![("a".to_owned(), "1".to_owned())];
        assert_eq!(
            fill("x {{ a }} {{a}} {{ }} {{", &vars).unwrap().0,
            "x 1 1 {{ }} {{"
        );
        assert_eq!(fill("{{b}}", &vars).unwrap_err(), "b");
        assert_eq!(
            var_placeholders("x {{ a }} {{b}} {{a}} {{ }} {{"),
            ["a", "b"]
        );
        assert_eq!(parse_var("k=v=w").unwrap(), ("k".into(), "v=w".into()));
        assert!(parse_var("kv").is_err());
    }

    #[test]
    fn parameters_may_be_a_json_string() {
        let a = parse(
            "[[tool]]\nname = \"a\"\ncommand = [\"x\", \"{q}\"]\nparameters = '{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}'\n",
        )
        .unwrap();
        assert_eq!(a.tools[0].parameters["properties"]["q"]["type"], "string");
    }
}
