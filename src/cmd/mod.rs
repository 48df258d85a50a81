//! One file per subcommand: its arguments and a thin `run` that parses, calls the core, renders.

pub mod add;
pub mod agent;
pub mod agent_run;
pub mod audit;
pub mod bench;
pub mod chat;
mod chat_turn;
pub mod completions;
pub mod default;
pub mod delete;
pub mod doctor;
pub mod env;
pub mod exec;
pub mod export;
pub mod import;
pub mod init;
pub mod key;
pub mod limit;
pub mod list;
pub mod lock;
pub mod log;
mod log_render;
mod log_search;
pub mod man;
pub mod master;
pub mod models;
pub mod profile;
pub mod profile_vault;
pub mod rotate;
pub mod run;
pub mod run_log;
pub mod serve;
pub mod usage;
pub mod validate;

/// A delete or rotation committed, but another process's read transaction kept the destroyed
/// ciphertext's old pages in `omc.db` or its WAL: say so, and when it will be finished.
fn warn_wipe_pending(ctx: &Ctx, what: &str) {
    ctx.out.warn(format!(
        "another process is reading the store, so {what} is still in omc.db's pages or its \
         WAL; the next omc command that writes to the store wipes it (or run `omc doctor` once \
         the other process ends)"
    ));
}

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use crate::cli::GlobalArgs;
use crate::creds::Access;
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::keys::master::MasterKey;
use crate::output::Output;
use crate::paths::Paths;
use crate::store::Store;
use crate::ui::Interaction;

/// What every command gets: the global flags, resolved paths, output and prompt policy.
pub struct Ctx {
    pub global: GlobalArgs,
    pub paths: Paths,
    pub out: Output,
    pub ui: Interaction,
    /// Unlocking and recipient checks, in the core; its warnings go to `out`.
    pub keys: Access,
}

impl Ctx {
    pub fn new(global: GlobalArgs) -> Result<Self> {
        // A config file named on the command line must exist: silently running on defaults
        // would hide a typo. The default one is optional.
        if let Some(path) = &global.config
            && !path.exists()
        {
            return Err(Error::usage_hint(
                format!("config file {} does not exist", path.display()),
                "create it, or leave out --config to use the default one",
            ));
        }
        crate::keys::keyring::timeout()?;
        let paths = Paths::from_env(global.config.clone())?;
        let out = Output::new(&global);
        let ui = Interaction::detect(global.no_input);
        let keys = Access::new(paths.clone(), ui, Box::new(move |w| out.warn(w)));
        Ok(Ctx {
            global,
            paths,
            out,
            ui,
            keys,
        })
    }

    pub fn profile(&self) -> &str {
        &self.global.profile
    }

    /// The existing store, or "not found" with the command that creates one.
    pub fn store(&self) -> Result<Store> {
        Store::open_existing(&self.paths)
    }

    /// The credentials of the current profile, wherever they live (this store, or OpenBao /
    /// Vault for a profile added with `--backend vault`).
    pub fn credentials(&self) -> Result<Box<dyn CredentialBackend + '_>> {
        let store = self.store()?;
        self.backend(store)
    }

    /// [`Ctx::credentials`] on a store already open.
    pub fn backend(&self, store: Store) -> Result<Box<dyn CredentialBackend + '_>> {
        crate::creds::open(&self.keys, store, self.profile())
    }

    /// The store's master key (see [`Access::unlock`]).
    pub fn unlock(&self, store: &Store) -> Result<MasterKey> {
        self.keys.unlock(store)
    }

    /// Vouches for a recipient read from `omc.db` (see [`Access::recipient_check`]).
    pub fn recipient_check(&self, store: &Store) -> impl Fn(&str) -> Result<()> + use<> {
        self.keys.recipient_check(store)
    }

    /// A set `OMC_MASTER_KEY` must be this store's (see [`Access::check_env_key`]).
    pub fn check_env_key(&self, store: &Store) -> Result<()> {
        self.keys.check_env_key(store)
    }
}

/// How a secret reaches omc: never as an argument value.
#[derive(Debug, Clone, Args)]
pub struct KeyInput {
    /// Read the key from standard input
    #[arg(long, conflicts_with = "key_env")]
    pub key_stdin: bool,

    /// Read the key from this environment variable
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
}

impl KeyInput {
    pub fn read(&self, ui: Interaction, provider: &str) -> Result<SecretString> {
        let raw = if self.key_stdin {
            // Bounded: `--key-stdin < /dev/zero` must not grow omc's memory. A key longer than
            // omc stores is refused by clean_key, under the limit.
            let buf = crate::bounded::read(
                std::io::stdin(),
                "the key on standard input",
                crate::bounded::Limit::SECRET,
            )?;
            let text = std::str::from_utf8(&buf)
                .map_err(|_| Error::usage("the key on stdin is not UTF-8 text"))?;
            SecretString::from(text.to_owned())
        } else if let Some(var) = &self.key_env {
            let value = std::env::var(var).map_err(|_| {
                Error::usage_hint(
                    format!("environment variable {var} is not set (or not UTF-8)"),
                    format!("export {var}=… first, or use --key-stdin"),
                )
            })?;
            SecretString::from(value)
        } else {
            ui.secret(
                &format!("API key for {provider}"),
                false,
                "--key-stdin (and pipe the key) or --key-env VAR",
            )?
        };
        clean_key(raw)
    }
}

/// Trim surrounding whitespace; refuse empty keys, over-long ones, and keys with inner
/// whitespace, controls or invisible characters.
pub(crate) fn clean_key(raw: SecretString) -> Result<SecretString> {
    let trimmed = raw.expose_secret().trim();
    if trimmed.is_empty() {
        return Err(Error::usage("the key is empty"));
    }
    crate::bounds::check_key(trimmed)?;
    Ok(SecretString::from(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_trimmed_and_checked() {
        let k = clean_key(SecretString::from(" sk-abc\n".to_owned())).unwrap();
        assert_eq!(k.expose_secret(), "sk-abc");
        assert!(clean_key(SecretString::from("\n".to_owned())).is_err());
        let err = clean_key(SecretString::from("sk-a sk-CANARY".to_owned())).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("CANARY"));
    }
}
