//! `omc init`: create the store and its master key.

use age::x25519::Identity;
use clap::Args;
use secrecy::ExposeSecret;
use serde::Serialize;

use super::Ctx;
use crate::error::{Error, Result};
use crate::keys::master::{self, Backend};
use crate::keys::recipient_string;
use crate::store::{Store, new_id};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where the master key lives [default: env when OMC_MASTER_KEY/_FILE is set, else keyring]
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
}

#[derive(Serialize)]
struct Created<'a> {
    store: String,
    store_id: &'a str,
    backend: Backend,
    recipient: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    master_key: Option<String>,
}

pub fn run(ctx: &Ctx, args: &InitArgs) -> Result<()> {
    if Store::exists(&ctx.paths) {
        return Err(Error::conflict(
            format!("a store already exists at {}", ctx.paths.db().display()),
            "see it with `omc master status`; omc never replaces a store",
        ));
    }
    let (store, generated) = create(ctx, args.backend)?;
    // `--backend env` with no key in the environment: like age-keygen, print the new identity
    // once (stdout), for the user to keep as a CI secret.
    let shown = generated.map(|id| id.to_string().expose_secret().to_owned());
    if let (Some(key), false) = (&shown, ctx.global.json) {
        ctx.out.note(
            "Generated a new master key. Keep it secret; set it as OMC_MASTER_KEY wherever omc runs:",
        );
        ctx.out.line(key)?;
    }
    report(ctx, &store, shown)
}

/// Create the store; `add` calls this on first use. Returns a freshly generated env identity,
/// which the caller must show the user.
pub fn create(ctx: &Ctx, backend: Option<Backend>) -> Result<(Store, Option<Identity>)> {
    let from_env = if backend == Some(Backend::Env) {
        master::from_env_nonempty()?
    } else {
        master::from_env()?
    };
    let backend = backend.unwrap_or(if from_env.is_some() {
        Backend::Env
    } else {
        Backend::Keyring
    });
    let store_id = new_id();
    let mut show = None;
    let identity = match (backend, from_env) {
        (Backend::Env, Some((identity, _))) => identity,
        (Backend::Env, None) => {
            let identity = Identity::generate();
            show = Some(identity.clone());
            identity
        }
        (_, _) => {
            let identity = Identity::generate();
            ctx.paths.ensure_data_dir()?;
            master::persist_new(backend, &ctx.paths, &store_id, &identity, ctx.ui)
                .map_err(|e| match (backend, e) {
                    (Backend::Keyring, Error::MasterKey { message, .. }) => Error::master(
                        message,
                        "run `omc init --backend file` (a passphrase-protected master.age), \
                         or set OMC_MASTER_KEY to an age identity (`omc init --backend env` makes one)",
                    ),
                    (_, e) => e,
                })?;
            identity
        }
    };
    let recipient = recipient_string(&identity);
    let store = Store::create(&ctx.paths, &store_id, &recipient, backend)?;
    crate::keys::pin::write(
        &ctx.paths,
        &crate::keys::pin::Pin::new(&store_id, &recipient),
    )?;
    Ok((store, show))
}

pub fn report(ctx: &Ctx, store: &Store, master_key: Option<String>) -> Result<()> {
    let created = Created {
        store: ctx.paths.db().display().to_string(),
        store_id: &store.meta.store_id,
        backend: store.meta.backend,
        recipient: &store.meta.recipient,
        master_key,
    };
    if ctx.global.json {
        return ctx.out.json(&created);
    }
    ctx.out.note(format!(
        "Created store {} (master key: {})",
        created.store,
        match created.backend {
            Backend::Keyring => "OS keyring",
            Backend::File => "master.age, passphrase-protected",
            Backend::Env => "OMC_MASTER_KEY / OMC_MASTER_KEY_FILE",
        }
    ));
    Ok(())
}
