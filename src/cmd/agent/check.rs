//! `omc agent check`: the file parses, credentials exist, programs are found, servers list their tools.

use super::*;

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
) -> (CheckResult, Option<show::Prepared>) {
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
                    match show::prepare_registry(&session, trusted, || {
                        agent::grants::decrypt(creds, agent)
                    }) {
                        Ok(p) => prepared = Some(p),
                        Err(e) => problems.push(e.to_string()),
                    }
                }
            } else if !agent.granted_credentials().is_empty() || found.origin == Origin::Project {
                problems.push("there is no store yet: run `omc add PROVIDER`".into());
            } else {
                prepared = show::prepare_registry(&session, session.trusted(None), || {
                    Ok(Default::default())
                })
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

pub(super) fn check(ctx: &Ctx, dirs: &Dirs, name: Option<&str>) -> Result<()> {
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
                let (reg, err) = show::start_listing(p);
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
                    ctx.out.line(show::indent_text(&p, "      "))?;
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
