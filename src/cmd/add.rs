//! `omc add PROVIDER`: store an API key, encrypted to the store's recipient.

use clap::Args;
use secrecy::SecretString;

use super::{Ctx, KeyInput};
use crate::creds::{CredentialBackend, NewCred};
use crate::error::{Error, Kind, Result};
use crate::provider::{self, ProviderSpec};
use crate::store::{Credential, Store};

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Provider id: openai, anthropic, gemini, deepseek, openrouter, groq, mistral, xai, ollama,
    /// openai-compatible, echo [default: asked on a terminal]
    #[arg(add = crate::complete::providers())]
    pub provider: Option<String>,

    /// Name of the credential, unique in its profile [default: the provider's id]
    #[arg(long)]
    pub name: Option<String>,

    /// Model to use with this credential [default: the provider's default]
    #[arg(long, value_parser = crate::bounds::parse_model)]
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
    let spec = match &args.provider {
        Some(id) => provider::require(id)?,
        None => pick_provider(ctx)?,
    };
    let base_url = check_base_url(spec, args.base_url.as_deref())?;
    let name = args.name.as_deref().unwrap_or(spec.id);
    crate::store::validate_name("credential", name)?;
    let secret = args.key.read(ctx.ui, spec.id)?;
    let mut creds = ctx.backend(open_or_create(ctx)?)?;
    // `echo` is a stand-in for trying omc out: the first real credential takes over as the
    // default, so `omc run` after `omc add openai` does not keep answering offline.
    let replaces_echo = if args.default || spec.id == "echo" {
        None
    } else {
        let listed = match creds.list(None, false) {
            // `add` creates a profile that does not exist yet.
            Err(Error::NotFound {
                what: "profile", ..
            }) => Vec::new(),
            r => r?,
        };
        listed
            .into_iter()
            .find(|c| c.is_default && c.provider == "echo")
            .map(|c| c.name)
    };
    let cred = store_key(
        ctx,
        creds.as_mut(),
        &NewKey {
            spec,
            name,
            model: args.model.as_deref(),
            base_url: base_url.as_deref(),
            secret: &secret,
            make_default: args.default || replaces_echo.is_some(),
            validate: !args.no_validate,
        },
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
    if let Some(echo) = replaces_echo {
        ctx.out.note(format!(
            "'{}' replaces '{echo}' (the offline echo provider) as the default; \
             `omc default {echo}` switches back",
            cred.name
        ));
    }
    Ok(())
}

/// The store, created on first use (as `omc init` would, with the backend the environment
/// suggests).
pub fn open_or_create(ctx: &Ctx) -> Result<Store> {
    match Store::open(&ctx.paths)? {
        Some(store) => {
            ctx.check_env_key(&store)?;
            Ok(store)
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
            Ok(store)
        }
    }
}

/// A key on its way into the store; `base_url` has passed [`check_base_url`].
pub struct NewKey<'a> {
    pub spec: &'static ProviderSpec,
    pub name: &'a str,
    pub model: Option<&'a str>,
    pub base_url: Option<&'a str>,
    pub secret: &'a SecretString,
    pub make_default: bool,
    pub validate: bool,
}

/// The one path every new key takes (`add`, `import`): a duplicate name or secret is refused
/// before anything is sent, the key is checked live unless `validate` is off, then sealed to
/// the store's recipient and recorded in the audit log.
pub fn store_key(
    ctx: &Ctx,
    creds: &mut dyn CredentialBackend,
    new: &NewKey<'_>,
) -> Result<Credential> {
    let (spec, secret) = (new.spec, new.secret);
    // Before the live check: a duplicate, or a store whose recipient omc cannot vouch for, is
    // refused without sending the key anywhere.
    creds.check_new(new.name, secret)?;

    let validation = if new.validate {
        super::validate::check_key(ctx, spec, new.base_url, secret)
            .map_err(|e| unvalidated_hint(e, "stored"))?
    } else {
        None
    };

    creds.add(
        &NewCred {
            name: new.name,
            provider: spec.id,
            model: new.model,
            base_url: new.base_url,
            make_default: new.make_default,
            validation: validation.as_ref().map(|v| (v.status, v.latency_ms)),
        },
        secret,
    )
}

/// A failed live check of a new key: nothing changed, and `--no-validate` is the way past it
/// (offline, or a provider whose check is down). `done` is what did not happen ("stored").
pub fn unvalidated_hint(e: Error, done: &str) -> Error {
    let hint = match e.kind() {
        Kind::KeyRejected => {
            format!("nothing was {done}: check the key (--no-validate stores it unchecked)")
        }
        Kind::Unavailable | Kind::RateLimited => format!(
            "nothing was {done}: check --base-url and the network, or retry \
             (--no-validate stores the key unchecked)"
        ),
        _ => return e,
    };
    e.with_hint(hint)
}

/// A base URL must be http(s); `openai-compatible` needs one.
pub fn check_base_url(spec: &ProviderSpec, url: Option<&str>) -> Result<Option<String>> {
    match url {
        None if spec.default_base.is_none() && spec.id != "echo" => Err(Error::usage_hint(
            format!("provider '{}' needs --base-url", spec.id),
            "e.g. --base-url http://localhost:8000/v1",
        )),
        None => Ok(None),
        Some(u) => crate::bounds::check_base_url(u).map(Some),
    }
}

/// `omc add` without a provider: a list to pick from on a terminal; elsewhere the error lists
/// them.
fn pick_provider(ctx: &Ctx) -> Result<&'static provider::ProviderSpec> {
    let specs = provider::PROVIDERS;
    let ids: Vec<&str> = specs.iter().map(|p| p.id).collect();
    let items: Vec<String> = specs
        .iter()
        .map(|p| match p.default_base {
            Some(base) => format!("{:<18} {base}", p.id),
            None if p.id == "echo" => format!("{:<18} offline, for dry runs", p.id),
            None => format!("{:<18} any OpenAI-compatible server (--base-url)", p.id),
        })
        .collect();
    let chosen = ctx.ui.select(
        "Which provider is the key for?",
        &items,
        &format!("a provider: omc add PROVIDER, one of {}", ids.join(", ")),
    )?;
    Ok(&specs[chosen])
}
