//! `omc exec -- CMD`: run a program with provider keys in its environment.

use clap::Args;
use secrecy::ExposeSecret;

use super::Ctx;
use crate::error::{Error, Result};
use crate::provider;
use crate::store::Credential;

#[derive(Debug, Args)]
pub struct Selection {
    /// Export this credential (repeatable) [default: every provider's default credential]
    #[arg(long = "credential", value_name = "NAME", add = crate::complete::credentials())]
    pub credentials: Vec<String>,

    /// Export this provider's default credential (repeatable)
    #[arg(long = "provider", value_name = "PROVIDER", add = crate::complete::providers())]
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

    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

impl Selection {
    /// The core's view of the flags.
    pub fn chosen(&self) -> crate::creds::Selection<'_> {
        crate::creds::Selection {
            credentials: &self.credentials,
            providers: &self.providers,
        }
    }
}

pub fn run(ctx: &Ctx, args: &ExecArgs) -> Result<u8> {
    if args.proxy {
        return run_proxied(ctx, args);
    }
    let mut backend = ctx.credentials()?;
    let program = &args.command[0];
    let vars = crate::creds::variables(
        backend.as_mut(),
        &args.selection.chosen(),
        "exec",
        Some(program),
    )?;
    drop(backend);
    run_child(&args.command, vars)
}

/// `omc exec --proxy`: the command gets a token and the proxy's URLs; the keys stay in omc.
fn run_proxied(ctx: &Ctx, args: &ExecArgs) -> Result<u8> {
    let config = crate::config::Config::load(&ctx.paths.config_file)?;
    let prices = crate::pricing::Prices::load(&config.prices)?;
    let mut backend = ctx.credentials()?;
    let program = &args.command[0];
    let creds: Vec<Credential> = crate::creds::select(backend.as_mut(), &args.selection.chosen())?
        .into_iter()
        .filter(|c| {
            let proxied = provider::lookup(&c.provider)
                .is_some_and(|s| s.default_base.is_some() || c.base_url.is_some())
                && c.provider != "echo";
            if !proxied {
                ctx.out.warn(format!(
                    "skipping '{}': the {} provider has no API to proxy",
                    c.name, c.provider
                ));
            }
            proxied
        })
        .collect();
    if creds.is_empty() {
        return Err(Error::not_found("credential", "(any provider default)"));
    }
    let mut upstreams = Vec::new();
    for cred in &creds {
        let spec = provider::require(&cred.provider)?;
        let Some(base) = spec.base_url(cred.base_url.as_deref()) else {
            continue;
        };
        upstreams.push(crate::proxy::Upstream {
            spec,
            credential: cred.name.clone(),
            credential_id: cred.id.clone(),
            base: base.to_owned(),
            key: backend.reveal(cred)?,
        });
    }
    let used: Vec<&Credential> = creds.iter().collect();
    backend.mark_used(&used, "proxy", Some(program))?;
    let store = backend.into_store();
    let proxy = crate::proxy::Proxy::start(store, ctx.profile(), prices, upstreams)?;
    tracing::debug!(address = %proxy.addr(), "proxy listening");
    let code = run_child(&args.command, proxy.child_vars());
    // The command is gone: so are the token and the keys (dropped with the proxy).
    let calls = proxy.stop();
    tracing::debug!(calls, "proxy stopped");
    code
}

/// Run `command` with `vars` set; its exit code. Started through crate::process: out of reach
/// of the master key `omc unlock` keeps, and without OMC_MASTER_KEY* or OMC_PASSPHRASE.
fn run_child(command: &[String], vars: Vec<crate::creds::Var>) -> Result<u8> {
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
