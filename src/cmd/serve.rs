//! `omc serve`: the `exec --proxy` proxy in the foreground, for programs started elsewhere.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use secrecy::ExposeSecret;

use super::Ctx;
use super::env::{Shell, line, quoted};
use super::exec::Selection;
use crate::error::{Error, Result};
use crate::proxy::{Listen, Options, Prepared, Proxy, Tls};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub selection: Selection,

    /// A call the provider answers with 429 or 5xx (or cannot be reached for) is sent once
    /// more on this credential of the same API family, before any byte reaches the program
    /// (one per family; repeatable)
    #[arg(long, value_name = "NAME", add = crate::complete::credentials())]
    pub fallback: Vec<String>,

    /// TCP port to listen on [default: a free one, printed]
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,

    /// Listen on this Unix socket instead (created mode 0600, removed on exit)
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with_all = ["port", "listen", "allow_remote", "tls_cert", "tls_key"]
    )]
    pub socket: Option<PathBuf>,

    /// Address to listen on, `IP` or `IP:PORT` [default: 127.0.0.1]; off loopback only with
    /// --allow-remote and TLS
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Allow a --listen address other machines can reach (requires --tls-cert and --tls-key)
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    pub allow_remote: bool,

    /// Serve HTTPS with this PEM certificate chain
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// The token stops working after this long (e.g. 30m, 8h); calls then get 401
    #[arg(long, value_name = "DURATION")]
    pub ttl: Option<String>,

    /// Write the token to this new file (mode 0600, removed on exit) instead of printing it
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Syntax of the variable lines printed on stdout
    #[arg(long, value_enum, default_value_t = Shell::Sh, value_name = "SHELL")]
    pub print_env: Shell,
}

pub fn run(ctx: &Ctx, args: &ServeArgs) -> Result<()> {
    // Everything that can be refused is, before a key is decrypted.
    let options = options(args)?;
    let prepared = prepare(ctx, &args.selection, &args.fallback)?;
    let mut proxy = Proxy::start(prepared, ctx.profile(), options)?;
    proxy.catch_stop_signals()?;
    if let Some(path) = &args.token_file {
        proxy.write_token_file(path)?;
    }
    let expires =
        ttl(args)?.map(|t| crate::time::rfc3339(crate::time::now_ms() + t.as_millis() as i64));
    print(ctx, args, &proxy, expires.as_deref())?;
    let mut note = format!(
        "omc serve: listening on {} for {}",
        proxy.address(),
        proxy
            .urls()
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(at) = &expires {
        note.push_str(&format!("; the token expires at {at}"));
    }
    if args.socket.is_some() {
        note.push_str("; clients connect through the socket (e.g. curl --unix-socket)");
    }
    note.push_str("; Ctrl-C stops it");
    ctx.out.note(note);
    proxy.wait_for_stop_signal()?;
    let calls = proxy.stop();
    ctx.out.note(format!(
        "omc serve: stopped after {calls} call{}",
        if calls == 1 { "" } else { "s" }
    ));
    Ok(())
}

fn ttl(args: &ServeArgs) -> Result<Option<Duration>> {
    let Some(text) = &args.ttl else {
        return Ok(None);
    };
    match humantime::parse_duration(text.trim()) {
        Ok(d) if !d.is_zero() => Ok(Some(d)),
        _ => Err(Error::usage_hint(
            format!("invalid --ttl '{text}'"),
            "give a duration such as 30m, 8h or 1d",
        )),
    }
}

/// Where and how to listen, refused when it would expose the keys' use off this machine
/// without TLS.
fn options(args: &ServeArgs) -> Result<Options> {
    let ttl = ttl(args)?;
    if let Some(path) = &args.token_file
        && std::fs::symlink_metadata(path).is_ok()
    {
        return Err(Error::usage_hint(
            format!("{} already exists", path.display()),
            "--token-file writes a new file: name one that does not exist",
        ));
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Tls {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let listen = match &args.socket {
        Some(path) => Listen::Unix(path.clone()),
        None => Listen::Tcp(address(args)?),
    };
    Ok(Options {
        listen,
        tls,
        ttl,
        purpose: "serve".to_owned(),
    })
}

fn address(args: &ServeArgs) -> Result<SocketAddr> {
    let mut addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), args.port.unwrap_or(0));
    if let Some(text) = &args.listen {
        let text = text.trim();
        addr = if let Ok(a) = text.parse::<SocketAddr>() {
            if args.port.is_some() {
                return Err(Error::usage_hint(
                    format!("--listen {text} already names a port"),
                    "give the port once: --listen IP:PORT, or --listen IP --port PORT",
                ));
            }
            a
        } else if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
            SocketAddr::new(ip, addr.port())
        } else if text.eq_ignore_ascii_case("localhost") {
            addr
        } else {
            return Err(Error::usage_hint(
                format!("--listen '{text}' is not an IP address"),
                "give an IP address, with or without a port: 127.0.0.1, 127.0.0.1:8787, [::1]",
            ));
        };
    }
    if !addr.ip().is_loopback() && !args.allow_remote {
        return Err(Error::usage_hint(
            format!(
                "refusing to listen on {}: it is not a loopback address, and whoever reaches \
                 the proxy with the token spends the keys",
                addr.ip()
            ),
            "listen on 127.0.0.1 (the default), or serve other machines over TLS with \
             --allow-remote --tls-cert FILE --tls-key FILE",
        ));
    }
    Ok(addr)
}

/// The variables to set: shell lines on stdout, or one JSON document.
fn print(ctx: &Ctx, args: &ServeArgs, proxy: &Proxy, expires: Option<&str>) -> Result<()> {
    let token_file = args.token_file.as_deref();
    let vars = proxy.vars();
    if ctx.global.json {
        let env: serde_json::Map<String, serde_json::Value> = vars
            .iter()
            .filter(|(_, _, secret)| !secret || token_file.is_none())
            .map(|(name, value, _)| ((*name).to_owned(), value.as_str().into()))
            .collect();
        let token_vars: Vec<&str> = vars
            .iter()
            .filter(|v| v.2)
            .map(|(name, _, _)| *name)
            .collect();
        let urls: serde_json::Map<String, serde_json::Value> = proxy
            .urls()
            .into_iter()
            .map(|(p, u)| (p.to_owned(), u.into()))
            .collect();
        return ctx.out.json(&serde_json::json!({
            "address": proxy.address(),
            "urls": urls,
            "token": match token_file {
                None => Some(proxy.token().expose_secret()),
                Some(_) => None,
            },
            "token_file": token_file.map(|p| p.display().to_string()),
            "token_vars": token_vars,
            "expires_at": expires,
            "env": env,
        }));
    }
    let shell = args.print_env;
    for (name, value, secret) in &vars {
        let text = match token_file {
            Some(path) if *secret => read_from(shell, name, &path.display().to_string()),
            _ => line(shell, name, value),
        };
        ctx.out.line(text)?;
    }
    Ok(())
}

/// An assignment that reads the token from `path` when it runs, so the token is not printed.
fn read_from(shell: Shell, name: &str, path: &str) -> String {
    let path = quoted(shell, path);
    match shell {
        Shell::Sh => format!("export {name}=\"$(cat {path})\""),
        Shell::Fish => format!("set -gx {name} (cat {path})"),
        Shell::Powershell => format!("$env:{name} = Get-Content -Raw {path}"),
    }
}

/// The proxy's credentials for the selected flags, opened through the core; skipped ones are
/// warned about here.
pub(super) fn prepare(ctx: &Ctx, selection: &Selection, fallbacks: &[String]) -> Result<Prepared> {
    let config = crate::config::Config::load(&ctx.paths.config_file)?;
    let prices = crate::pricing::Prices::load(&config.prices)?;
    Prepared::open(
        ctx.credentials()?,
        prices,
        &selection.chosen(),
        fallbacks,
        &|w| ctx.out.warn(w),
    )
}
