//! `omc add PROVIDER`: store an API key, encrypted to the store's recipient.

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use super::{Ctx, KeyInput};
use crate::error::{Error, Result};
use crate::provider::{self, ProviderSpec};
use crate::store::{NewCredential, Store};
use crate::vault::{self, Binding};

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Provider id: openai, anthropic, gemini, deepseek, openrouter, groq, mistral, xai, ollama,
    /// openai-compatible, echo
    pub provider: String,

    /// Name of the credential, unique in its profile [default: the provider's id]
    #[arg(long)]
    pub name: Option<String>,

    /// Model to use with this credential [default: the provider's default]
    #[arg(long)]
    pub model: Option<String>,

    /// API base URL, as the provider's SDK takes it (required for openai-compatible)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    #[command(flatten)]
    pub key: KeyInput,

    /// Make it the profile's default credential (and its provider's)
    #[arg(long)]
    pub default: bool,

    /// Store without checking the key with the provider first
    #[arg(long)]
    pub no_validate: bool,
}

pub fn run(ctx: &Ctx, args: &AddArgs) -> Result<()> {
    let spec = provider::require(&args.provider)?;
    let base_url = check_base_url(spec, args.base_url.as_deref())?;
    let name = args.name.as_deref().unwrap_or(spec.id);
    crate::store::validate_name("credential", name)?;
    let secret = args.key.read(ctx.ui, spec.id)?;

    let mut store = match Store::open(&ctx.paths)? {
        Some(store) => {
            ctx.check_env_key(&store)?;
            store
        }
        None => {
            // Without a backend flag, create() only generates a key for the keyring, never one
            // to show: the env backend takes the identity from the environment.
            let (store, _) = super::init::create(ctx, None)?;
            ctx.out.note(format!(
                "Created store {} (master key: {})",
                ctx.paths.db().display(),
                store.meta.backend.as_str()
            ));
            store
        }
    };

    // Before the live check: a duplicate, or a store whose recipient omc cannot vouch for, is
    // refused without sending the key anywhere.
    let fingerprint = store.meta.fingerprint(secret.expose_secret());
    store.check_new_credential(ctx.profile(), name, &fingerprint)?;
    let verify = ctx.recipient_check(&store);
    verify(&store.meta.recipient)?;

    let validation = if args.no_validate {
        None
    } else {
        super::validate::check_key(ctx, spec, base_url.as_deref(), &secret).map_err(|e| {
            let hint = match e.exit_code() {
                5 => "nothing was stored: check the key (--no-validate stores it unchecked)",
                6 | 7 => {
                    "nothing was stored: check --base-url and the network, or retry \
                     (--no-validate stores the key unchecked)"
                }
                _ => return e,
            };
            e.with_hint(hint)
        })?
    };

    let mask = crate::mask::mask(secret.expose_secret());
    let cred = store.insert_credential(
        &NewCredential {
            profile: ctx.profile(),
            name,
            provider: spec.id,
            model: args.model.as_deref(),
            base_url: base_url.as_deref(),
            mask: &mask,
            fingerprint: &fingerprint,
            make_default: args.default,
            validation: validation.as_ref().map(|v| (v.status, v.latency_ms)),
        },
        verify,
        |recipient, id, profile_id| seal(recipient, id, profile_id, spec.id, &secret),
    )?;
    if ctx.global.json {
        return ctx.out.json(&super::list::View::from(&cred));
    }
    ctx.out.note(format!(
        "Added {} ({}, {}) to profile '{}'{}",
        cred.name,
        cred.provider,
        cred.masked_key,
        cred.profile,
        if cred.is_default { ", the default" } else { "" }
    ));
    Ok(())
}

pub fn seal(
    recipient: &age::x25519::Recipient,
    id: &str,
    profile_id: i64,
    provider: &str,
    secret: &SecretString,
) -> Result<Vec<u8>> {
    vault::seal(
        recipient,
        &Binding {
            credential_id: id,
            profile_id,
            provider,
        },
        secret,
    )
}

/// A base URL must be http(s); `openai-compatible` needs one.
pub fn check_base_url(spec: &ProviderSpec, url: Option<&str>) -> Result<Option<String>> {
    match url {
        None if spec.default_base.is_none() && spec.id != "echo" => Err(Error::usage_hint(
            format!("provider '{}' needs --base-url", spec.id),
            "e.g. --base-url http://localhost:8000/v1",
        )),
        None => Ok(None),
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
            Ok(Some(u.trim_end_matches('/').to_owned()))
        }
        Some(u) => Err(Error::usage_hint(
            format!("invalid --base-url '{u}'"),
            "give an http:// or https:// URL",
        )),
    }
}
