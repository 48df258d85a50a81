//! `omc agent new`: a commented agent file to start from.

use super::*;

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

pub(super) fn new(ctx: &Ctx, dirs: &Dirs, name: &str) -> Result<()> {
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
