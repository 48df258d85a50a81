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

mod check;
mod new;
mod runs;
mod show;
mod trust;

use check::check;
use new::new;
pub use runs::render_log;
use runs::{log, runs};
use show::show;
use trust::trust;

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
