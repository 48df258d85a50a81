//! Access to the store's master key: the one place that finds it, proves it is this store's,
//! vouches for a recipient before anything is sealed to it, and tells a wrong key from a
//! recipient replaced behind omc's back. Every credential backend opens keys through it.

use secrecy::SecretString;

use crate::error::{Error, Result};
use crate::keys::master::{self, MasterKey, Sources, StoreKeyInfo};
use crate::keys::{self, pin};
use crate::paths::Paths;
use crate::store::{Credential, Store};
use crate::ui::Interaction;

/// Where a warning goes: the front end decides how it is shown.
pub type Warn = Box<dyn Fn(&str)>;

/// What unlocking needs: where the store's files are, whether the person may be asked (a
/// passphrase), and where to say what it repaired.
pub struct Access {
    pub paths: Paths,
    pub ui: Interaction,
    warn: Warn,
}

impl Access {
    pub fn new(paths: Paths, ui: Interaction, warn: Warn) -> Access {
        Access { paths, ui, warn }
    }

    /// The store's master key, from the first source that has it. When that key is this
    /// store's own but `omc.db` names another recipient, says what happened and which
    /// credentials were exposed (see [`Access::recipient_changed`]).
    pub fn unlock(&self, store: &Store) -> Result<MasterKey> {
        self.unlock_from(store, Sources::All)
    }

    /// [`Access::unlock`] from the given sources only.
    pub fn unlock_from(&self, store: &Store, sources: Sources) -> Result<MasterKey> {
        let info = StoreKeyInfo {
            store_id: &store.meta.store_id,
            recipient: &store.meta.recipient,
            backend: store.meta.backend,
        };
        match master::find_from(&self.paths, &info, self.ui, sources)? {
            Ok(key) => {
                // Proven: the identity is the recipient's. Pin it, unless a rotation has
                // committed since this command read the recipient.
                if crate::store::current_recipient(store.conn())
                    .is_ok_and(|r| r == store.meta.recipient)
                {
                    pin::record_verified(&self.paths, &store.meta.store_id, &store.meta.recipient);
                }
                Ok(key)
            }
            Err(key) => self.recipient_changed(store, key),
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
            master::verify_recipient(
                &paths,
                &StoreKeyInfo {
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
        if let Some((identity, source)) = master::from_env()? {
            master::check_matches(&identity, &store.meta.recipient, source)
                .map_err(|e| after_rotate(store, e))?;
        }
        Ok(())
    }

    /// The master identity found is not the one `omc.db` names. Either it is the wrong key
    /// (another store's), or it is this store's own and the recipient in `omc.db` was replaced:
    /// then keys added since were encrypted to someone else's recipient. Told apart by the
    /// recipient pin and by which ciphertexts the identity opens.
    fn recipient_changed(&self, store: &Store, key: MasterKey) -> Result<MasterKey> {
        let stored = &store.meta.recipient;
        let wrong_key = || after_rotate(store, master::mismatch(key.source, stored));
        let pin = pin::read(&self.paths).ok().flatten();
        if pin.as_ref().is_some_and(|p| p.allows(stored)) {
            // omc put this recipient there itself: the key is the one that is wrong.
            return Err(wrong_key());
        }
        let ours = keys::recipient_string(&key.identity);
        let (opened, closed): (Vec<_>, Vec<_>) = crate::store::all_ciphertexts(store.conn())?
            .into_iter()
            .partition(|row| keys::open(&key.identity, &row.binding(), &row.ciphertext).is_ok());
        let pinned_ours = pin.as_ref().is_some_and(|p| p.current == ours);
        if opened.is_empty() && !pinned_ours {
            return Err(wrong_key());
        }
        if closed.is_empty() {
            // Nothing was encrypted to the stranger's recipient: put ours back.
            store.restore_recipient(stored, &ours)?;
            pin::write(&self.paths, &pin::Pin::new(&store.meta.store_id, &ours))?;
            (self.warn)(&format!(
                "the store's recipient had been changed to {stored} outside omc; no credential \
                 was encrypted to it, and it is now your master key's again"
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
                "the store's recipient was changed: credentials added since {} may be readable \
                 by someone else — rotate them at the provider: {}",
                crate::time::rfc3339(since),
                names.join(", ")
            ),
            "then remove them here with `omc delete NAME` (no master key needed); once every \
             credential left opens with your master key, omc puts its recipient back",
        ))
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

/// Open a credential's ciphertext with the master key.
pub fn decrypt(key: &MasterKey, cred: &Credential, ciphertext: &[u8]) -> Result<SecretString> {
    keys::open(&key.identity, &cred.binding(), ciphertext)
}
