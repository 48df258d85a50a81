//! `omc agent runs` and `omc agent log`: past runs, and one run's transcript.

use super::*;

pub(super) fn runs(ctx: &Ctx, args: &RunsArgs) -> Result<()> {
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

pub(super) fn log(ctx: &Ctx, id: &str) -> Result<()> {
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
