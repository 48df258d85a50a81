//! `omc delete NAME`: destroy the key; a tombstone row stays for the audit trail.

use clap::Args;

use super::Ctx;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Credential name
    pub name: String,

    /// Do not ask for confirmation (required without a terminal)
    #[arg(short, long)]
    pub yes: bool,

    /// Remove the row entirely instead of leaving a tombstone
    #[arg(long)]
    pub purge: bool,
}

pub fn run(ctx: &Ctx, args: &DeleteArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let (cred, _) = store.credential(ctx.profile(), &args.name)?;
    if !args.yes {
        let question = format!(
            "Delete credential '{}' ({}, {}) from profile '{}'?",
            cred.name,
            cred.provider,
            cred.masked_key,
            ctx.profile()
        );
        if !ctx.ui.confirm(&question, "--yes")? {
            return Err(Error::Other("not deleted".into()));
        }
    }
    store.delete_credential(ctx.profile(), &args.name, args.purge)?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "deleted": args.name,
            "profile": ctx.profile(),
            "purged": args.purge,
        }));
    }
    ctx.out.note(format!(
        "Deleted '{}' from profile '{}'{}",
        args.name,
        ctx.profile(),
        if args.purge { " (purged)" } else { "" }
    ));
    Ok(())
}
