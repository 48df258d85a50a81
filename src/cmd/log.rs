//! `omc log`: the conversations (`omc run`, `omc chat`) and agent runs of a profile. Listing
//! reads only the plain rows (no key); `show` and `search` decrypt, in memory.

use std::io::{IsTerminal, Write};

use clap::{Args, Subcommand};

use super::Ctx;
use super::log_render as render;
use crate::agent::transcript::{ConversationLog, Transcript};
use crate::error::{Error, Result};
use crate::store::{LogId, Store};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogArgs {
    #[command(subcommand)]
    pub command: Option<LogCommand>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// List conversations and agent runs, newest first (needs no key)
    List(ListArgs),
    /// Show one conversation or agent run, decrypted
    Show(ShowArgs),
    /// Find the conversations and agent runs that mention TEXT (decrypted in memory)
    Search(SearchArgs),
    /// Delete conversations and agent runs, their pages wiped from the store
    Delete(DeleteArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// How many to list
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: u32,
    /// Every profile's, not just the current one's
    #[arg(long)]
    pub all_profiles: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// An id from `omc log` (a number, or aN for an agent run), or 'last'
    pub id: String,
    /// As Markdown (a heading per message)
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Text to find (case-insensitive)
    pub text: String,
    /// Stop after this many matches
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// Look at most at this many of the newest entries
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub scan: usize,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["ids", "older_than"])))]
pub struct DeleteArgs {
    /// Ids from `omc log` (a number, or aN for an agent run)
    pub ids: Vec<String>,
    /// Every entry of the profile last used longer ago than this (e.g. 30d)
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
}

pub fn run(ctx: &Ctx, args: &LogArgs) -> Result<()> {
    match &args.command {
        None => list(ctx, &args.list),
        Some(LogCommand::List(a)) => list(ctx, a),
        Some(LogCommand::Show(a)) => show(ctx, a),
        Some(LogCommand::Search(a)) => super::log_search::search(ctx, a),
        Some(LogCommand::Delete(a)) => delete(ctx, a),
    }
}

fn list(ctx: &Ctx, args: &ListArgs) -> Result<()> {
    let store = ctx.store()?;
    let rows = store.log_rows((!args.all_profiles).then(|| ctx.profile()), args.limit)?;
    if ctx.global.json {
        return ctx.out.json(&rows);
    }
    let titles = rows.iter().any(|r| r.title.is_some());
    let mut header = vec![
        "ID",
        "WHEN",
        "KIND",
        "CREDENTIAL",
        "MODEL",
        "TURNS",
        "TOKENS",
        "COST",
    ];
    if args.all_profiles {
        header.push("PROFILE");
    }
    if titles {
        header.push("TITLE");
    }
    let mut table = ctx.out.table(&header);
    for r in &rows {
        let model = match &r.agent {
            Some(a) => format!("agent {a}"),
            None => r.model.clone().unwrap_or_default(),
        };
        let mut row = table.row();
        row.cell(&r.id)
            .cell(&crate::time::rfc3339(r.at))
            .cell(&r.kind)
            .line_cell(r.credential.as_deref().unwrap_or("-"))
            .line_cell(&model)
            .cell(&r.exchanges.to_string())
            .cell(&(r.input_tokens + r.output_tokens).to_string())
            .cell(
                &r.cost_usd
                    .map(|c| format!("${}", crate::pricing::usd(c)))
                    .unwrap_or_else(|| "?".into()),
            );
        if args.all_profiles {
            row.line_cell(&r.profile);
        }
        if titles {
            row.line_cell(r.title.as_deref().unwrap_or(""));
        }
    }
    if rows.is_empty() && !ctx.global.quiet {
        ctx.out
            .note("no conversations yet: `omc run \"…\"` and `omc chat` store theirs here");
        return Ok(());
    }
    ctx.out.print_table(&table)
}

/// A log entry, decrypted.
pub enum Entry {
    Conversation(ConversationLog),
    Agent(Transcript),
}

/// Decrypt entry `id` of the store.
pub fn open(ctx: &Ctx, store: &Store, id: LogId) -> Result<Entry> {
    match id {
        LogId::Conversation(n) => {
            let (row, body) = store.conversation(n)?;
            if row.profile != ctx.profile() {
                return Err(Error::not_found("conversation", n.to_string()));
            }
            let key = ctx.unlock(store)?;
            Ok(Entry::Conversation(ConversationLog::open(
                &key.identity,
                n,
                &body,
            )?))
        }
        LogId::Agent(n) => {
            let (row, body) = store.agent_run(&n.to_string())?;
            let Some(body) = body else {
                return Err(Error::Missing {
                    message: format!("agent run {n} has no transcript yet"),
                    hint: "it may still be running; see `omc agent runs`".into(),
                });
            };
            let key = ctx.unlock(store)?;
            Ok(Entry::Agent(Transcript::open(
                &key.identity,
                row.id,
                &body,
            )?))
        }
    }
}

fn show(ctx: &Ctx, args: &ShowArgs) -> Result<()> {
    let store = ctx.store()?;
    let id = match args.id.as_str() {
        "last" => store.last_log_id(ctx.profile())?,
        other => LogId::parse(other)?,
    };
    let entry = open(ctx, &store, id)?;
    if ctx.global.json {
        return match &entry {
            Entry::Conversation(c) => ctx.out.json(c),
            Entry::Agent(t) => ctx.out.json(t),
        };
    }
    let text = match &entry {
        Entry::Conversation(c) if args.markdown => render::markdown(c),
        Entry::Conversation(c) => render::text(c),
        Entry::Agent(t) if args.markdown => render::agent_markdown(t),
        Entry::Agent(t) => {
            let mut s = String::new();
            super::agent::render_log(&mut s, t);
            s
        }
    };
    // Prompts, answers and tool output are untrusted: escaped on a terminal.
    let text = if std::io::stdout().is_terminal() {
        crate::terminal::text(&text).into_owned()
    } else {
        text
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(crate::output::stdout_error)
}

fn delete(ctx: &Ctx, args: &DeleteArgs) -> Result<()> {
    let ids: Vec<LogId> = args
        .ids
        .iter()
        .map(|i| LogId::parse(i))
        .collect::<Result<_>>()?;
    let before = match &args.older_than {
        Some(d) => Some(crate::time::since(d).ok_or_else(|| {
            Error::usage_hint(
                format!("invalid duration '{}'", crate::terminal::line(d)),
                "use e.g. 30d or 12h",
            )
        })?),
        None => None,
    };
    let mut store = ctx.store()?;
    let n = store.delete_log(ctx.profile(), &ids, before)?;
    // The rows' pages were zeroed by secure_delete; fold the WAL in now so no copy lingers.
    if n > 0 && !store.wipe_destroyed() {
        super::warn_wipe_pending(ctx, "the deleted conversations' ciphertext");
    }
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({ "deleted": n }));
    }
    ctx.out.note(format!(
        "deleted {n} {}",
        if n == 1 { "entry" } else { "entries" }
    ));
    Ok(())
}
