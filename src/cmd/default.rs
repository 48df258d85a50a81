//! `omc default NAME`: the profile's default credential, and its provider's.

use clap::Args;

use super::Ctx;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct DefaultArgs {
    /// Credential name
    #[arg(add = crate::complete::credentials())]
    pub name: String,
}

pub fn run(ctx: &Ctx, args: &DefaultArgs) -> Result<()> {
    ctx.credentials()?.set_default(&args.name)?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "profile": ctx.profile(),
            "default": args.name,
        }));
    }
    ctx.out.note(format!(
        "'{}' is now the default credential of profile '{}'",
        args.name,
        ctx.profile()
    ));
    Ok(())
}
