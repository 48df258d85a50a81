//! `omc profile add NAME --backend vault …` and `omc profile login NAME`: profiles whose
//! credentials live in OpenBao / HashiCorp Vault KV v2.

use clap::{Args, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

use super::Ctx;
use crate::error::{Error, Result};
use crate::openbao::{Kv, Location};
use crate::store::{LoginKind, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileBackend {
    /// This store (SQLite, age-encrypted)
    Local,
    /// OpenBao or HashiCorp Vault, KV version 2
    Vault,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub name: String,

    /// Where the profile's credentials live
    #[arg(long, value_enum, default_value_t = ProfileBackend::Local)]
    pub backend: ProfileBackend,

    /// The engine's URL, e.g. https://vault.example.com:8200 (with --backend vault)
    #[arg(long, value_name = "URL", required_if_eq("backend", "vault"))]
    pub address: Option<String>,

    /// Path of the KV v2 secret engine [default: secret]
    #[arg(long, value_name = "PATH")]
    pub mount: Option<String>,

    /// Folder in the engine holding this profile's credentials [default: omc/NAME]
    #[arg(long, value_name = "PATH")]
    pub prefix: Option<String>,

    /// Vault Enterprise / OpenBao namespace
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,

    /// Accept a plain http:// --address on another host, where the token crosses the network
    /// unencrypted (loopback addresses need no flag)
    #[arg(long)]
    pub allow_insecure_http: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// A profile added with --backend vault
    pub name: String,

    /// Read a token from standard input
    #[arg(long, conflicts_with = "role_id", required_unless_present = "role_id")]
    pub token_stdin: bool,

    /// Log in with AppRole: this role id, and the secret id from standard input
    #[arg(long, value_name = "ID")]
    pub role_id: Option<String>,

    /// Where the AppRole auth method is mounted
    #[arg(
        long,
        value_name = "PATH",
        default_value = "approle",
        requires = "role_id"
    )]
    pub approle_mount: String,
}

/// The location `add` was given, or `None` for a local profile (after refusing vault flags).
pub fn location(args: &AddArgs) -> Result<Option<Location>> {
    match args.backend {
        ProfileBackend::Local => {
            if args.address.is_some()
                || args.mount.is_some()
                || args.prefix.is_some()
                || args.namespace.is_some()
                || args.allow_insecure_http
            {
                return Err(Error::usage_hint(
                    "--address, --mount, --prefix, --namespace and --allow-insecure-http are \
                     for a vault profile",
                    "add --backend vault",
                ));
            }
            Ok(None)
        }
        ProfileBackend::Vault => {
            crate::store::validate_name("profile", &args.name)?;
            let prefix = args
                .prefix
                .clone()
                .unwrap_or_else(|| format!("omc/{}", args.name));
            Location::new(
                args.address.as_deref().unwrap_or_default(),
                args.mount.as_deref().unwrap_or("secret"),
                &prefix,
                args.namespace.as_deref(),
                args.allow_insecure_http,
            )
            .map(Some)
        }
    }
}

pub fn add(ctx: &Ctx, store: &mut Store, name: &str, location: &Location) -> Result<()> {
    store.add_remote_profile(name, location)?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "added": name,
            "backend": "vault",
            "address": location.address,
            "mount": location.mount,
            "prefix": location.prefix,
            "namespace": location.namespace,
        }));
    }
    ctx.out.note(format!(
        "Profile '{name}' added: credentials in {} at {}",
        location.display(),
        location.address
    ));
    ctx.out.note(format!(
        "Give omc a token: set VAULT_TOKEN, or `omc profile login {name} --token-stdin`"
    ));
    Ok(())
}

pub fn login(ctx: &Ctx, args: &LoginArgs) -> Result<()> {
    let mut store = ctx.store()?;
    ctx.check_env_key(&store)?;
    let remote =
        store
            .remote_profile(&args.name)?
            .ok_or_else(|| match store.profile_id(&args.name) {
                Ok(Some(_)) => Error::usage_hint(
                    format!(
                        "profile '{}' keeps its credentials in this store",
                        args.name
                    ),
                    "log in applies to a profile added with --backend vault",
                ),
                _ => Error::not_found("profile", &args.name),
            })?;
    let what = if args.role_id.is_some() {
        "AppRole secret id"
    } else {
        "token"
    };
    let secret = read_stdin(what)?;
    let rt = crate::creds::runtime()?;
    let kind = match &args.role_id {
        Some(role_id) => {
            // Logging in now proves the pair works before it is stored.
            rt.block_on(Kv::approle_login(
                &remote.location,
                &args.approle_mount,
                role_id,
                &secret,
            ))?;
            LoginKind::AppRole {
                mount: args.approle_mount.clone(),
                role_id: role_id.clone(),
            }
        }
        None => {
            let kv = Kv::new(
                remote.location.clone(),
                SecretString::from(secret.expose_secret().to_owned()),
            )?;
            rt.block_on(kv.lookup_self())?;
            LoginKind::Token
        }
    };
    let recipient = crate::keys::parse_recipient(&store.meta.recipient)?;
    let sealed = crate::creds::login_token(&recipient, remote.profile_id, &secret)?;
    store.set_login(&remote, &kind, &sealed)?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "profile": args.name,
            "login": if args.role_id.is_some() { "approle" } else { "token" },
        }));
    }
    ctx.out.note(format!(
        "Stored the {what} for profile '{}', encrypted to this store's master key \
         (VAULT_TOKEN or BAO_TOKEN, when set, still comes first)",
        args.name
    ));
    Ok(())
}

fn read_stdin(what: &str) -> Result<SecretString> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::usage_hint(
            format!("the {what} is read from standard input"),
            "pipe it in: printf %s \"$SECRET\" | omc profile login …",
        ));
    }
    let source = format!("the {what} on standard input");
    let bytes = crate::bounded::read(std::io::stdin(), &source, crate::bounded::Limit::SECRET)?;
    let buf = crate::bounded::into_string(bytes, &source, crate::bounded::Limit::SECRET)?;
    let trimmed = buf.trim();
    if trimmed.is_empty() || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::usage_hint(
            format!("the {what} on stdin is empty or has inner whitespace"),
            "give exactly one, on one line",
        ));
    }
    Ok(SecretString::from(trimmed.to_owned()))
}
