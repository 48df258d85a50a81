//! `omc exec -- CMD`: run a program with provider keys in its environment.

use std::process::Command;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use super::Ctx;
use crate::error::{Error, Result};
use crate::provider;
use crate::store::{Credential, Filter, Store};
use crate::vault::master;

#[derive(Debug, Args)]
pub struct Selection {
    /// Export this credential (repeatable) [default: every provider's default credential]
    #[arg(long = "credential", value_name = "NAME")]
    pub credentials: Vec<String>,

    /// Export this provider's default credential (repeatable)
    #[arg(long = "provider", value_name = "PROVIDER")]
    pub providers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub selection: Selection,

    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// One variable for the child: name and value (a key or a base URL).
pub struct Var {
    pub name: &'static str,
    pub value: SecretString,
}

/// The selected credentials, decrypted into the variables their providers' tools read.
pub fn variables(
    ctx: &Ctx,
    store: &mut Store,
    selection: &Selection,
    action: &str,
    detail: Option<&str>,
) -> Result<Vec<Var>> {
    // The rows and the recipient they are checked against come from one snapshot.
    let creds = store.snapshot(|store| select(ctx, store, selection))?;
    if creds.is_empty() {
        return Err(Error::not_found("credential", "(any provider default)"));
    }
    let key = ctx.unlock(store)?;
    let mut vars = Vec::new();
    for (cred, ciphertext) in &creds {
        let spec = provider::require(&cred.provider)?;
        let secret = super::decrypt(&key, cred, ciphertext)?;
        for name in spec.key_vars {
            vars.push(Var {
                name,
                value: SecretString::from(secret.expose_secret().to_owned()),
            });
        }
        if let Some(url) = &cred.base_url {
            vars.push(Var {
                name: spec.base_url_var,
                value: SecretString::from(url.clone()),
            });
        }
    }
    let used: Vec<&Credential> = creds.iter().map(|(c, _)| c).collect();
    store.mark_used(&used, action, detail)?;
    Ok(vars)
}

fn select(ctx: &Ctx, store: &Store, sel: &Selection) -> Result<Vec<(Credential, Vec<u8>)>> {
    let profile = ctx.profile();
    let mut names: Vec<String> = sel.credentials.clone();
    for p in &sel.providers {
        let spec = provider::require(p)?;
        names.push(store.require_default(profile, Some(spec.id))?);
    }
    if sel.credentials.is_empty() && sel.providers.is_empty() {
        store.require_profile(profile)?;
        names = store
            .list_credentials(&Filter {
                profile: Some(profile),
                ..Filter::default()
            })?
            .into_iter()
            .filter(|c| c.is_provider_default)
            .map(|c| c.name)
            .collect();
    }
    let mut out: Vec<(Credential, Vec<u8>)> = Vec::new();
    for name in names {
        if out.iter().any(|(c, _)| c.name == name) {
            continue;
        }
        let (cred, ct) = store.credential(profile, &name)?;
        if let Some((other, _)) = out.iter().find(|(c, _)| c.provider == cred.provider) {
            return Err(Error::usage_hint(
                format!(
                    "'{}' and '{}' are both {} credentials: they would set the same variables",
                    other.name, cred.name, cred.provider
                ),
                "select one credential per provider",
            ));
        }
        out.push((cred, ct));
    }
    Ok(out)
}

pub fn run(ctx: &Ctx, args: &ExecArgs) -> Result<u8> {
    let mut store = ctx.store()?;
    let program = &args.command[0];
    let vars = variables(ctx, &mut store, &args.selection, "exec", Some(program))?;
    let store_id = store.meta.store_id.clone();
    drop(store);
    // The master key `omc unlock` keeps must not reach the child: not through the environment
    // (never there) and not through the kernel keyring the child would share with omc. Done on
    // this thread, which spawns the child (a session keyring belongs to a thread's credentials).
    if crate::vault::unlock_cache::shield_children(&store_id)
        == crate::vault::unlock_cache::Shield::Dropped
    {
        ctx.out.warn(
            "dropped the master key `omc unlock` kept: this login session's kernel keyring \
             would have handed it to the command; run `omc unlock` again afterwards",
        );
    }
    let mut cmd = Command::new(program);
    cmd.args(&args.command[1..]);
    for var in [
        master::ENV_KEY,
        master::ENV_KEY_FILE,
        master::ENV_PASSPHRASE,
    ] {
        cmd.env_remove(var);
    }
    for var in &vars {
        cmd.env(var.name, var.value.expose_secret());
    }
    // Ctrl-C reaches the whole foreground process group: the child decides what it means, and
    // omc stays to report the child's exit code (as sudo and aws-vault do).
    let _guard = ignore_interrupts();
    let status = cmd.status().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Exit {
            message: format!("command not found: {program}"),
            code: 127,
        },
        _ => Error::Exit {
            message: format!("cannot run {program}: {e}"),
            code: 126,
        },
    })?;
    drop(vars);
    Ok(exit_code(status))
}

/// While the returned runtime lives, SIGINT and SIGQUIT are caught (and dropped) instead of
/// ending omc. `None` where signals cannot be hooked; omc then behaves as before.
fn ignore_interrupts() -> Option<tokio::runtime::Runtime> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .ok()?;
        let hooked = rt.block_on(async {
            signal(SignalKind::interrupt()).is_ok() && signal(SignalKind::quit()).is_ok()
        });
        hooked.then_some(rt)
    }
    #[cfg(not(unix))]
    None
}

/// The child's exit code; killed by a signal, 128 + the signal, as shells report it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return code as u8;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128u8.wrapping_add(sig as u8);
        }
    }
    1
}
