//! `omc models [NAME | --provider P]`: the models a provider offers this key.

use clap::Args;

use super::Ctx;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Credential to ask with [default: the profile's default]
    #[arg(conflicts_with = "provider")]
    pub name: Option<String>,

    /// Ask with this provider's default credential
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
}

pub fn run(ctx: &Ctx, args: &ModelsArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let (cred, ciphertext) = store.snapshot(|store| {
        let name = match (&args.name, &args.provider) {
            (Some(n), _) => n.clone(),
            (None, Some(p)) => {
                let spec = crate::provider::require(p)?;
                store.require_default(ctx.profile(), Some(spec.id))?
            }
            (None, None) => store.require_default(ctx.profile(), None)?,
        };
        store.credential(ctx.profile(), &name)
    })?;
    let spec = crate::provider::require(&cred.provider)?;
    let key = ctx.unlock(&store)?;
    let secret = super::decrypt(&key, &cred, &ciphertext)?;
    store.mark_used(&[&cred], "models", None)?;
    let (result, _) = super::validate::probe(spec, cred.base_url.as_deref(), &secret)?;
    let models = result.map_err(|e| e.into_error(spec.id))?;
    if ctx.global.json {
        return ctx.out.json(&models);
    }
    for m in models {
        ctx.out.line(m)?;
    }
    Ok(())
}
