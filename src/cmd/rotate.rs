//! `omc rotate NAME`: replace a credential's key (checked with the provider first).

use clap::Args;

use super::{Ctx, KeyInput};
use crate::error::Result;
use crate::provider;
use crate::terminal::line;

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Credential name
    #[arg(add = crate::complete::credentials())]
    pub name: String,

    #[command(flatten)]
    pub key: KeyInput,

    /// Store without checking the new key with the provider first
    #[arg(long)]
    pub no_validate: bool,
}

pub fn run(ctx: &Ctx, args: &RotateArgs) -> Result<()> {
    let store = ctx.store()?;
    ctx.check_env_key(&store)?;
    let mut creds = ctx.backend(store)?;
    let cred = creds.get(&args.name)?;
    let spec = provider::require(&cred.provider)?;
    creds.check_writable()?;
    let secret = args.key.read(ctx.ui, spec.id)?;
    let validation = if args.no_validate {
        None
    } else {
        super::validate::check_key(ctx, spec, cred.base_url.as_deref(), &secret)
            .map_err(|e| super::add::unvalidated_hint(e, "changed"))?
    };
    let mask = creds.rotate(
        &cred,
        &secret,
        validation.as_ref().map(|v| (v.status, v.latency_ms)),
    )?;
    if creds.store().meta.wipe_pending {
        super::warn_wipe_pending(ctx, "the old key's ciphertext");
    }
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "rotated": cred.name,
            "profile": cred.profile,
            "key": mask,
            // Kept from before: `null` is the provider's default.
            "base_url": cred.base_url,
        }));
    }
    // The new key goes where the old one went: say where, so a base URL that came with a
    // bundle or an import is seen rather than kept silently.
    let target = match (&cred.base_url, spec.default_base) {
        (Some(url), Some(default)) if *url != default => {
            format!("{}, kept (not {}'s default {default})", line(url), spec.id)
        }
        (Some(url), _) => format!("{}, kept", line(url)),
        (None, Some(default)) => format!("{default}, {}'s default", spec.id),
        // The offline echo provider sends nothing anywhere.
        (None, None) => {
            ctx.out
                .note(format!("Rotated '{}': new key {mask}", line(&cred.name)));
            return Ok(());
        }
    };
    ctx.out.note(format!(
        "Rotated '{}': new key {mask}; requests go to {target}",
        line(&cred.name)
    ));
    Ok(())
}
