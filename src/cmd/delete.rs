//! `omc delete NAME`: destroy the key; a tombstone row stays for the audit trail.

use clap::Args;

use super::Ctx;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Credential name
    #[arg(add = crate::complete::credentials())]
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
    let cred = match store.credential(ctx.profile(), &args.name) {
        Ok((cred, _)) => cred,
        // `--purge` after a plain delete: the tombstones go.
        Err(Error::NotFound { .. })
            if args.purge && store.tombstones(ctx.profile(), &args.name)? > 0 =>
        {
            return purge_tombstones(ctx, &mut store, args);
        }
        Err(e) => return Err(e),
    };
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

fn purge_tombstones(ctx: &Ctx, store: &mut crate::store::Store, args: &DeleteArgs) -> Result<()> {
    let n = store.tombstones(ctx.profile(), &args.name)?;
    if !args.yes {
        let question = format!(
            "Purge the {n} deleted record(s) of '{}' from profile '{}'? The audit log keeps its entries.",
            args.name,
            ctx.profile()
        );
        if !ctx.ui.confirm(&question, "--yes")? {
            return Err(Error::Other("not purged".into()));
        }
    }
    let purged = store.purge_tombstones(ctx.profile(), &args.name)?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "deleted": args.name,
            "profile": ctx.profile(),
            "purged": true,
            "tombstones": purged,
        }));
    }
    ctx.out.note(format!(
        "Purged {purged} deleted record(s) of '{}' from profile '{}'",
        args.name,
        ctx.profile()
    ));
    Ok(())
}
