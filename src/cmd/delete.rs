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
    let mut creds = ctx.credentials()?;
    let cred = match creds.get(&args.name) {
        Ok(cred) => cred,
        // `--purge` after a plain delete: the tombstones go.
        Err(Error::NotFound { .. }) if args.purge && creds.tombstones(&args.name)? > 0 => {
            return purge_tombstones(ctx, creds.as_mut(), args);
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
    creds.delete(&args.name, args.purge)?;
    if creds.store().meta.wipe_pending {
        super::warn_wipe_pending(ctx, "the deleted key's ciphertext");
    }
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

fn purge_tombstones(
    ctx: &Ctx,
    creds: &mut dyn crate::creds::CredentialBackend,
    args: &DeleteArgs,
) -> Result<()> {
    let n = creds.tombstones(&args.name)?;
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
    let purged = creds.purge_tombstones(&args.name)?;
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
