//! `omc profile list | add | remove | rename | login`.

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
    /// Create an empty profile, here or in OpenBao / Vault (--backend vault)
    Add(super::profile_vault::AddArgs),
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
    /// Store the OpenBao / Vault token (or AppRole login) of a vault profile, encrypted
    Login(super::profile_vault::LoginArgs),
}

pub fn run(ctx: &Ctx, cmd: &ProfileCommand) -> Result<()> {
    match cmd {
        ProfileCommand::List => list(ctx),
        ProfileCommand::Login(args) => super::profile_vault::login(ctx, args),
        ProfileCommand::Add(args) => {
            let name = &args.name;
            let location = super::profile_vault::location(args)?;
            let mut store = match Store::open(&ctx.paths)? {
                Some(s) => s,
                None => super::init::create(ctx, None)?.0,
            };
            if let Some(location) = location {
                return super::profile_vault::add(ctx, &mut store, name, &location);
            }
            store.add_profile(name)?;
            store.audit("profile-add", Some(name), None, None)?;
            done(ctx, "added", name)
        }
        ProfileCommand::Remove { name } => {
            let mut store = ctx.store()?;
            let remote = store.remote_profile(name)?;
            store.remove_profile(name)?;
            store.audit("profile-remove", Some(name), None, None)?;
            if let Some(r) = remote
                && !ctx.global.json
            {
                ctx.out.note(format!(
                    "Its credentials stay in {} at {}; omc forgot the location and its login",
                    r.location.display(),
                    r.location.address
                ));
            }
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
    let mut remote = std::collections::HashMap::new();
    let store = ctx.store()?;
    for name in store.remote_profile_names()? {
        if let Some(r) = store.remote_profile(&name)? {
            remote.insert(name, r.location);
        }
    }
    let profiles: Vec<Profile> = store.profiles()?;
    if ctx.global.json {
        let views: Vec<_> = profiles
            .iter()
            .map(|p| {
                let location = remote.get(&p.name);
                serde_json::json!({
                    "name": p.name,
                    "backend": if location.is_some() { "vault" } else { "local" },
                    "address": location.map(|l| &l.address),
                    "path": location.map(|l| l.display()),
                    // A vault profile's credentials are counted in the engine, not here.
                    "credentials": location.is_none().then_some(p.credentials),
                    "current": p.name == ctx.profile(),
                    "created_at": rfc3339(p.created_at),
                })
            })
            .collect();
        return ctx.out.json(&views);
    }
    let mut header = vec!["", "PROFILE", "CREDENTIALS"];
    if !remote.is_empty() {
        header.push("KEPT IN");
    }
    let mut table = ctx.out.table(&header);
    for p in &profiles {
        let current = if p.name == ctx.profile() { "*" } else { "" };
        let location = remote.get(&p.name);
        let mut row = vec![
            current.to_owned(),
            p.name.clone(),
            location.map_or_else(|| p.credentials.to_string(), |_| "-".into()),
        ];
        if !remote.is_empty() {
            row.push(location.map_or_else(
                || "this store".into(),
                |l| format!("vault {} {}", l.address, l.display()),
            ));
        }
        table.add_row(row);
    }
    ctx.out.print_table(&table)
}
