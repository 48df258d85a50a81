//! `omc key NAME`: print the secret for scripts, like `gh auth token`. Audited.

use std::io::Write;

use clap::Args;
use secrecy::ExposeSecret;

use super::Ctx;
use crate::error::Result;
use crate::output::stdout_error;

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Credential name [default: the profile's default credential]
    pub name: Option<String>,
}

pub fn run(ctx: &Ctx, args: &KeyArgs) -> Result<()> {
    let mut store = ctx.store()?;
    crate::testhook::pause("key-after-open");
    // The row and the recipient it is checked against come from one snapshot.
    let (cred, ciphertext) = store.snapshot(|store| {
        let name = match &args.name {
            Some(n) => n.clone(),
            None => store.require_default(ctx.profile(), None)?,
        };
        store.credential(ctx.profile(), &name)
    })?;
    let master = ctx.unlock(&store)?;
    let secret = super::decrypt(&master, &cred, &ciphertext)?;
    store.mark_used(&[&cred], "key", None)?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "name": cred.name,
            "profile": cred.profile,
            "provider": cred.provider,
            "key": secret.expose_secret(),
        }));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(secret.expose_secret().as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush())
        .map_err(stdout_error)
}
