//! `omc agent trust`: trust a project agent in this exact version.

use super::*;

pub(super) fn trust(ctx: &Ctx, dirs: &Dirs, name: &str) -> Result<()> {
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
