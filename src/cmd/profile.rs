//! `omc profile list | add | remove | rename`.

use clap::Subcommand;

use super::Ctx;
use crate::error::Result;
use crate::store::{Profile, Store};
use crate::time::rfc3339;

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List profiles and how many credentials each holds
    #[command(visible_alias = "ls")]
    List,
    /// Create an empty profile
    Add { name: String },
    /// Remove a profile that holds no credentials
    #[command(visible_alias = "rm")]
    Remove {
        #[arg(add = crate::complete::profiles())]
        name: String,
    },
    /// Rename a profile (its credentials stay valid)
    Rename {
        #[arg(add = crate::complete::profiles())]
        old: String,
        new: String,
    },
}

pub fn run(ctx: &Ctx, cmd: &ProfileCommand) -> Result<()> {
    match cmd {
        ProfileCommand::List => list(ctx),
        ProfileCommand::Add { name } => {
            let mut store = match Store::open(&ctx.paths)? {
                Some(s) => s,
                None => super::init::create(ctx, None)?.0,
            };
            store.add_profile(name)?;
            store.audit("profile-add", Some(name), None, None)?;
            done(ctx, "added", name)
        }
        ProfileCommand::Remove { name } => {
            let mut store = ctx.store()?;
            store.remove_profile(name)?;
            store.audit("profile-remove", Some(name), None, None)?;
            done(ctx, "removed", name)
        }
        ProfileCommand::Rename { old, new } => {
            let mut store = ctx.store()?;
            store.rename_profile(old, new)?;
            store.audit(
                "profile-rename",
                Some(new),
                None,
                Some(&format!("from {old}")),
            )?;
            if ctx.global.json {
                return ctx
                    .out
                    .json(&serde_json::json!({ "renamed": new, "from": old }));
            }
            ctx.out.note(format!("Profile '{old}' renamed to '{new}'"));
            if old == "default" {
                ctx.out.warn(format!(
                    "commands without --profile use 'default', which no longer exists: pass \
                     --profile {new} or set OMC_PROFILE={new}"
                ));
            }
            Ok(())
        }
    }
}

fn done(ctx: &Ctx, what: &str, name: &str) -> Result<()> {
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({ what: name }));
    }
    ctx.out.note(format!("Profile '{name}' {what}"));
    Ok(())
}

fn list(ctx: &Ctx) -> Result<()> {
    let profiles: Vec<Profile> = match Store::open(&ctx.paths)? {
        Some(store) => store.profiles()?,
        None => Vec::new(),
    };
    if ctx.global.json {
        let views: Vec<_> = profiles
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name,
                    "credentials": p.credentials,
                    "current": p.name == ctx.profile(),
                    "created_at": rfc3339(p.created_at),
                })
            })
            .collect();
        return ctx.out.json(&views);
    }
    let mut table = ctx.out.table(&["", "PROFILE", "CREDENTIALS"]);
    for p in &profiles {
        let current = if p.name == ctx.profile() { "*" } else { "" };
        table.add_row(vec![
            current.to_owned(),
            p.name.clone(),
            p.credentials.to_string(),
        ]);
    }
    ctx.out.print_table(&table)
}
