//! `omc log search TEXT`: decrypt the newest entries one at a time, in memory, and report the
//! ones that mention TEXT. Bounded by `--scan` (entries looked at) and `--limit` (matches);
//! nothing decrypted is written anywhere.

use serde::Serialize;
use zeroize::Zeroizing;

use super::Ctx;
use super::log::SearchArgs;
use super::log_render as render;
use crate::agent::transcript::{ConversationLog, Transcript};
use crate::error::{Error, Result};
use crate::store::LogId;

/// Past this many entries, a terminal shows progress.
const PROGRESS_FROM: usize = 200;

#[derive(Debug, Serialize)]
struct Match {
    id: String,
    /// The line that matched, cut to about 120 characters.
    line: String,
}

pub fn search(ctx: &Ctx, args: &SearchArgs) -> Result<()> {
    let needle = args.text.to_lowercase();
    if needle.trim().is_empty() {
        return Err(Error::usage("give some text to search for"));
    }
    let store = ctx.store()?;
    let bodies = store.log_bodies(ctx.profile(), args.scan)?;
    let mut found = Vec::new();
    if !bodies.is_empty() {
        let key = ctx.unlock(&store)?;
        let bar = progress(ctx, bodies.len());
        for (id, body) in &bodies {
            bar.inc(1);
            let (name, text) = match *id {
                LogId::Conversation(n) => {
                    let c = ConversationLog::open(&key.identity, n, body)?;
                    (n.to_string(), Zeroizing::new(render::conversation_text(&c)))
                }
                LogId::Agent(n) => {
                    let t = Transcript::open(&key.identity, n, body)?;
                    (format!("a{n}"), Zeroizing::new(render::agent_text(&t)))
                }
            };
            if let Some(line) = matching_line(&text, &needle) {
                found.push(Match { id: name, line });
                if found.len() >= args.limit {
                    break;
                }
            }
        }
        bar.finish_and_clear();
    }
    if ctx.global.json {
        return ctx.out.json(&found);
    }
    if found.is_empty() {
        ctx.out
            .note(format!("no match in the {} newest entries", bodies.len()));
        return Ok(());
    }
    let mut table = ctx.out.table(&["ID", "MATCH"]);
    for m in &found {
        // Decrypted text is untrusted: shown escaped.
        table.row().cell(&m.id).line_cell(&m.line);
    }
    ctx.out.print_table(&table)
}

fn progress(ctx: &Ctx, n: usize) -> indicatif::ProgressBar {
    if n < PROGRESS_FROM || !ctx.out.stderr_tty || ctx.global.quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(n as u64),
        indicatif::ProgressDrawTarget::stderr_with_hz(10),
    );
    bar.set_message("searching");
    bar
}

/// The first line holding `needle` (lower-case), trimmed to about 120 characters around it.
fn matching_line(text: &str, needle: &str) -> Option<String> {
    let line = text.lines().find(|l| l.to_lowercase().contains(needle))?;
    let chars: Vec<char> = line.trim().chars().collect();
    if chars.len() <= 120 {
        return Some(chars.into_iter().collect());
    }
    let lower: String = line.trim().to_lowercase();
    let at = lower
        .find(needle)
        .map(|b| lower[..b].chars().count())
        .unwrap_or(0);
    let start = at.saturating_sub(40).min(chars.len().saturating_sub(120));
    let cut: String = chars[start..(start + 120).min(chars.len())]
        .iter()
        .collect();
    Some(format!("{}{cut}…", if start > 0 { "…" } else { "" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_is_the_line_around_it() {
        assert_eq!(
            matching_line("a\nthe Needle here\nb", "needle").unwrap(),
            "the Needle here"
        );
        assert!(matching_line("nothing", "needle").is_none());
        let long = format!("{} needle {}", "x".repeat(200), "y".repeat(200));
        let m = matching_line(&long, "needle").unwrap();
        assert!(m.contains("needle") && m.starts_with('…'), "{m}");
    }
}
