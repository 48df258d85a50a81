//! `omc exec -- CMD`: run a program with provider keys in its environment.

use clap::Args;
use secrecy::ExposeSecret;

use super::Ctx;
use crate::error::{Error, Result};

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
    let program = &args.command[0];
    let prepared = super::serve::prepare(ctx, &args.selection, &args.fallback)?;
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
