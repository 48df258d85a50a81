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
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::output::Output;
use crate::paths::Paths;
use crate::store::{Credential, Store};
use crate::ui::Interaction;
use crate::vault::master::{self as vault_master};
use crate::vault::{self, Binding};

/// What every command gets: the global flags, resolved paths, output and prompt policy.
pub struct Ctx {
    pub global: GlobalArgs,
    pub paths: Paths,
    pub out: Output,
    pub ui: Interaction,
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
        crate::vault::keyring::timeout()?;
        let paths = Paths::from_env(global.config.clone())?;
        let out = Output::new(&global);
        let ui = Interaction::detect(global.no_input);
        Ok(Ctx {
            global,
            paths,
            out,
            ui,
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
        crate::creds::open(self, store, self.profile())
    }

    /// The store's master key, from the first source that has it. When that key is this
    /// store's own but `omc.db` names another recipient, says what happened and which
    /// credentials were exposed (see [`recipient_changed`]).
    pub fn unlock(&self, store: &Store) -> Result<vault_master::MasterKey> {
        self.unlock_from(store, vault_master::Sources::All)
    }

    /// [`Ctx::unlock`] from the given sources only.
    pub fn unlock_from(
        &self,
        store: &Store,
        sources: vault_master::Sources,
    ) -> Result<vault_master::MasterKey> {
        let info = vault_master::StoreKeyInfo {
            store_id: &store.meta.store_id,
            recipient: &store.meta.recipient,
            backend: store.meta.backend,
        };
        match vault_master::find_from(&self.paths, &info, self.ui, sources)? {
            Ok(key) => {
                // Proven: the identity is the recipient's. Pin it, unless a rotation has
                // committed since this command read the recipient.
                if crate::store::current_recipient(store.conn())
                    .is_ok_and(|r| r == store.meta.recipient)
                {
                    vault::pin::record_verified(
                        &self.paths,
                        &store.meta.store_id,
                        &store.meta.recipient,
                    );
                }
                Ok(key)
            }
            Err(key) => recipient_changed(self, store, key),
        }
    }

    /// Vouches for a recipient read from `omc.db` before a key is encrypted to it.
    pub fn recipient_check(&self, store: &Store) -> impl Fn(&str) -> Result<()> + use<> {
        let (paths, store_id, backend) = (
            self.paths.clone(),
            store.meta.store_id.clone(),
            store.meta.backend,
        );
        // Each recipient is checked once per command: a keyring read can take seconds.
        let vouched = std::cell::RefCell::new(None::<String>);
        move |recipient: &str| {
            if vouched.borrow().as_deref() == Some(recipient) {
                return Ok(());
            }
            vault_master::verify_recipient(
                &paths,
                &vault_master::StoreKeyInfo {
                    store_id: &store_id,
                    recipient,
                    backend,
                },
            )?;
            *vouched.borrow_mut() = Some(recipient.to_owned());
            Ok(())
        }
    }

    /// When `OMC_MASTER_KEY`/`_FILE` is set it must be this store's, even for commands that only
    /// need the public recipient: a mismatch means the user is pointing at the wrong store.
    pub fn check_env_key(&self, store: &Store) -> Result<()> {
        if let Some((identity, source)) = vault_master::from_env()? {
            vault_master::check_matches(&identity, &store.meta.recipient, source)
                .map_err(|e| after_rotate(store, e))?;
        }
        Ok(())
    }
}

/// A key that is not this store's, on a store `omc master rotate` has re-keyed: most likely
/// the key from before that rotation, so the hint names the one to use instead.
fn after_rotate(store: &Store, e: Error) -> Error {
    if matches!(e, Error::MasterKey { .. }) && store.was_rotated() {
        e.with_hint(
            "use the identity from the last `omc master rotate` (for an env store, the \
             --new-key-file it wrote); the key from before it no longer opens this store",
        )
    } else {
        e
    }
}

/// The master identity found is not the one `omc.db` names. Either it is the wrong key (another
/// store's), or it is this store's own and the recipient in `omc.db` was replaced: then keys
/// added since were encrypted to someone else's recipient. Told apart by the recipient pin and
/// by which ciphertexts the identity opens.
fn recipient_changed(
    ctx: &Ctx,
    store: &Store,
    key: vault_master::MasterKey,
) -> Result<vault_master::MasterKey> {
    let stored = &store.meta.recipient;
    let wrong_key = || after_rotate(store, vault_master::mismatch(key.source, stored));
    let pin = vault::pin::read(&ctx.paths).ok().flatten();
    if pin.as_ref().is_some_and(|p| p.allows(stored)) {
        // omc put this recipient there itself: the key is the one that is wrong.
        return Err(wrong_key());
    }
    let ours = vault::recipient_string(&key.identity);
    let (opened, closed): (Vec<_>, Vec<_>) = crate::store::all_ciphertexts(store.conn())?
        .into_iter()
        .partition(|row| {
            vault::open(
                &key.identity,
                &Binding {
                    credential_id: &row.id,
                    profile_id: row.profile_id,
                    provider: &row.provider,
                },
                &row.ciphertext,
            )
            .is_ok()
        });
    let pinned_ours = pin.as_ref().is_some_and(|p| p.current == ours);
    if opened.is_empty() && !pinned_ours {
        return Err(wrong_key());
    }
    if closed.is_empty() {
        // Nothing was encrypted to the stranger's recipient: put ours back.
        store.restore_recipient(stored, &ours)?;
        vault::pin::write(
            &ctx.paths,
            &vault::pin::Pin::new(&store.meta.store_id, &ours),
        )?;
        ctx.out.warn(format!(
            "the store's recipient had been changed to {stored} outside omc; no credential was \
             encrypted to it, and it is now your master key's again"
        ));
        return Ok(key);
    }
    let since = closed.iter().map(|r| r.updated_at).min().unwrap_or(0);
    let names: Vec<String> = closed
        .iter()
        .map(|r| format!("{} (profile {})", r.name, r.profile))
        .collect();
    Err(Error::master(
        format!(
            "the store's recipient was changed: credentials added since {} may be readable by \
             someone else — rotate them at the provider: {}",
            crate::time::rfc3339(since),
            names.join(", ")
        ),
        "then remove them here with `omc delete NAME` (no master key needed); once every \
         credential left opens with your master key, omc puts its recipient back",
    ))
}

/// Open a credential's ciphertext with the master key.
pub fn decrypt(
    key: &vault_master::MasterKey,
    cred: &Credential,
    ciphertext: &[u8],
) -> Result<SecretString> {
    vault::open(
        &key.identity,
        &Binding {
            credential_id: &cred.id,
            profile_id: cred.profile_id,
            provider: &cred.provider,
        },
        ciphertext,
    )
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
