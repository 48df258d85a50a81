//! `omc models [NAME | --provider P]`: the models a provider offers this key.

use clap::Args;

use super::Ctx;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Credential to ask with [default: the profile's default]
    #[arg(conflicts_with = "provider", add = crate::complete::credentials())]
    pub name: Option<String>,

    /// Ask with this provider's default credential
    #[arg(long, value_name = "PROVIDER", add = crate::complete::providers())]
    pub provider: Option<String>,
}

pub fn run(ctx: &Ctx, args: &ModelsArgs) -> Result<()> {
    let mut creds = ctx.credentials()?;
    let name = match (&args.name, &args.provider) {
        (Some(n), _) => n.clone(),
        (None, Some(p)) => {
            let spec = crate::provider::require(p)?;
            creds.default_name(Some(spec.id))?
        }
        (None, None) => creds.default_name(None)?,
    };
    let cred = creds.get(&name)?;
    let spec = crate::provider::require(&cred.provider)?;
    let secret = creds.reveal(&cred)?;
    creds.mark_used(&[&cred], "models", None)?;
    let (result, _) = super::validate::probe(spec, cred.base_url.as_deref(), &secret)?;
    let models = result.map_err(|e| e.into_error(spec.id))?;
    if ctx.global.json {
        return ctx.out.json(&models);
    }
    // Model ids are the provider's text: shown escaped.
    for m in &models {
        ctx.out.line(crate::terminal::line(m))?;
    }
    Ok(())
}
