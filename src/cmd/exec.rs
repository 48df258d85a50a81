//! `omc exec -- CMD`: run a program with provider keys in its environment.

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use super::Ctx;
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::provider;
use crate::store::Credential;

#[derive(Debug, Args)]
pub struct Selection {
    /// Export this credential (repeatable, or comma-separated) [default: every provider's
    /// default credential]
    #[arg(long = "credential", value_name = "NAME", value_delimiter = ',', add = crate::complete::credentials())]
    pub credentials: Vec<String>,

    /// Export this provider's default credential (repeatable, or comma-separated)
    #[arg(long = "provider", value_name = "PROVIDER", value_delimiter = ',', add = crate::complete::providers())]
    pub providers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub selection: Selection,

    /// Keep the keys out of the command: it gets a per-run token and base URLs pointing at a
    /// proxy on 127.0.0.1 that adds the key to each call (and meters it)
    #[arg(long)]
    pub proxy: bool,

    /// With --proxy: a call the provider answers with 429 or 5xx (or cannot be reached for) is
    /// sent once more on this credential of the same API family, before any byte reaches the
    /// command (one per family; repeatable)
    #[arg(long, value_name = "NAME", requires = "proxy", add = crate::complete::credentials())]
    pub fallback: Vec<String>,

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
    backend: &mut dyn CredentialBackend,
    selection: &Selection,
    action: &str,
    detail: Option<&str>,
) -> Result<Vec<Var>> {
    let creds = select(backend, selection)?;
    if creds.is_empty() {
        return Err(Error::not_found("credential", "(any provider default)"));
    }
    let mut vars = Vec::new();
    for cred in &creds {
        let secret = backend.reveal(cred)?;
        vars.extend(credential_vars(cred, &secret)?);
    }
    let used: Vec<&Credential> = creds.iter().collect();
    backend.mark_used(&used, action, detail)?;
    Ok(vars)
}

/// The variables one credential sets: its key under each of its provider's conventional names,
/// and its base URL when it has one.
pub fn credential_vars(cred: &Credential, secret: &SecretString) -> Result<Vec<Var>> {
    let spec = provider::require(&cred.provider)?;
    let mut vars = Vec::new();
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
    Ok(vars)
}

pub(crate) fn select(
    backend: &mut dyn CredentialBackend,
    sel: &Selection,
) -> Result<Vec<Credential>> {
    let mut names: Vec<String> = sel.credentials.clone();
    for p in &sel.providers {
        let spec = provider::require(p)?;
        names.push(backend.default_name(Some(spec.id))?);
    }
    if sel.credentials.is_empty() && sel.providers.is_empty() {
        // Listed credentials are live already: no need to fetch each again.
        let defaults = backend
            .list(None, false)?
            .into_iter()
            .filter(|c| c.is_provider_default)
            .collect::<Vec<_>>();
        if defaults.is_empty() {
            // Running the command with no key set would only fail later, less clearly.
            backend.default_name(None)?;
        }
        return Ok(defaults);
    }
    let mut out: Vec<Credential> = Vec::new();
    for name in names {
        if out.iter().any(|c| c.name == name) {
            continue;
        }
        let cred = backend.get(&name)?;
        if let Some(other) = out.iter().find(|c| c.provider == cred.provider) {
            return Err(Error::usage_hint(
                format!(
                    "'{}' and '{}' are both {} credentials: they would set the same variables",
                    other.name, cred.name, cred.provider
                ),
                "select one credential per provider",
            ));
        }
        out.push(cred);
    }
    Ok(out)
}

pub fn run(ctx: &Ctx, args: &ExecArgs) -> Result<u8> {
    if args.proxy {
        return run_proxied(ctx, args);
    }
    let mut backend = ctx.credentials()?;
    let program = &args.command[0];
    let vars = variables(backend.as_mut(), &args.selection, "exec", Some(program))?;
    drop(backend);
    run_child(&args.command, vars)
}

/// `omc exec --proxy`: the command gets a token and the proxy's URLs; the keys stay in omc.
fn run_proxied(ctx: &Ctx, args: &ExecArgs) -> Result<u8> {
    let program = &args.command[0];
    let prepared = crate::proxy::Prepared::open(ctx, &args.selection, &args.fallback)?;
    let options = crate::proxy::Options {
        purpose: format!("exec {program}"),
        ..crate::proxy::Options::default()
    };
    let proxy = crate::proxy::Proxy::start(prepared, ctx.profile(), options)?;
    tracing::debug!(address = %proxy.address(), "proxy listening");
    let code = run_child(&args.command, proxy.child_vars());
    // The command is gone: so are the token and the keys (dropped with the proxy).
    let calls = proxy.stop();
    tracing::debug!(calls, "proxy stopped");
    code
}

/// Run `command` with `vars` set; its exit code. Started through crate::process: out of reach
/// of the master key `omc unlock` keeps, and without OMC_MASTER_KEY* or OMC_PASSPHRASE.
fn run_child(command: &[String], vars: Vec<Var>) -> Result<u8> {
    let program = &command[0];
    let mut cmd = crate::process::Cmd::new(program).args(&command[1..]);
    for var in &vars {
        cmd = cmd.env(var.name, var.value.expose_secret());
    }
    // Ctrl-C reaches the whole foreground process group: the child decides what it means, and
    // omc stays to report the child's exit code (as sudo and aws-vault do).
    let _guard = ignore_interrupts();
    // The child has its copy. omc's copies go before the wait, which may last hours: the
    // decrypted keys are wiped (SecretString zeroizes on drop), and so is the Command's copy of
    // the environment, in plain strings, as it is freed inside start (main's allocator zeroes
    // freed memory).
    let spawned = cmd.start();
    drop(vars);
    let mut child = spawned.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Exit {
            message: format!("command not found: {program}"),
            code: 127,
        },
        _ => Error::Exit {
            message: format!("cannot run {program}: {e}"),
            code: 126,
        },
    })?;
    let status = child
        .wait()
        .map_err(|e| Error::io(format!("cannot wait for {program}"), e))?;
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
