//! `omc rotate NAME`: replace a credential's key (checked with the provider first).

use clap::Args;
use secrecy::ExposeSecret;

use super::{Ctx, KeyInput};
use crate::error::Result;
use crate::provider;

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Credential name
    pub name: String,

    #[command(flatten)]
    pub key: KeyInput,

    /// Store without checking the new key with the provider first
    #[arg(long)]
    pub no_validate: bool,
}

pub fn run(ctx: &Ctx, args: &RotateArgs) -> Result<()> {
    let mut store = ctx.store()?;
    ctx.check_env_key(&store)?;
    let (cred, _) = store.credential(ctx.profile(), &args.name)?;
    let spec = provider::require(&cred.provider)?;
    let verify = ctx.recipient_check(&store);
    verify(&store.meta.recipient)?;
    let secret = args.key.read(ctx.ui, spec.id)?;
    let validation = if args.no_validate {
        None
    } else {
        super::validate::check_key(ctx, spec, cred.base_url.as_deref(), &secret)?
    };
    let mask = crate::mask::mask(secret.expose_secret());
    let fingerprint = store.meta.fingerprint(secret.expose_secret());
    store.replace_secret(
        &cred,
        &mask,
        &fingerprint,
        verify,
        |recipient| {
            super::add::seal(
                recipient,
                &cred.id,
                cred.profile_id,
                &cred.provider,
                &secret,
            )
        },
        validation.as_ref().map(|v| (v.status, v.latency_ms)),
    )?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "rotated": cred.name,
            "profile": cred.profile,
            "key": mask,
        }));
    }
    ctx.out
        .note(format!("Rotated '{}': new key {mask}", cred.name));
    Ok(())
}
