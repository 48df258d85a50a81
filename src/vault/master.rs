//! Where the master identity comes from, first match wins:
//! `OMC_MASTER_KEY`, `OMC_MASTER_KEY_FILE`, the OS keyring (stores created with the keyring
//! backend), `master.age` (passphrase from `OMC_PASSPHRASE` or a prompt).
//!
//! Whatever the source, the identity must match the store's recipient: a key that does not is an
//! error (exit 4), never a new store.

use std::path::{Path, PathBuf};

use age::x25519::Identity;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::keyring::{self as kr, KeyringError, Slot};
use super::{parse_identity, passfile, recipient_string};
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::ui::Interaction;

pub const ENV_KEY: &str = "OMC_MASTER_KEY";
pub const ENV_KEY_FILE: &str = "OMC_MASTER_KEY_FILE";
pub const ENV_PASSPHRASE: &str = "OMC_PASSPHRASE";

/// Where a store keeps its master secret, chosen at `omc init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// `master.age`, protected by a passphrase.
    File,
    /// Supplied by the environment: `OMC_MASTER_KEY` or `OMC_MASTER_KEY_FILE`.
    Env,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Keyring => "keyring",
            Backend::File => "file",
            Backend::Env => "env",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "keyring" => Some(Backend::Keyring),
            "file" => Some(Backend::File),
            "env" => Some(Backend::Env),
            _ => None,
        }
    }
}

/// Which source produced the master identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    EnvKey,
    EnvKeyFile,
    Keyring,
    PassphraseFile,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::EnvKey => "OMC_MASTER_KEY",
            Source::EnvKeyFile => "OMC_MASTER_KEY_FILE",
            Source::Keyring => "OS keyring",
            Source::PassphraseFile => "master.age (passphrase)",
        }
    }
}

/// The unlocked master identity. `Debug` never shows it.
pub struct MasterKey {
    pub identity: Identity,
    pub source: Source,
    /// The passphrase that opened `master.age`, kept to re-encrypt it on rotation.
    pub passphrase: Option<SecretString>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("recipient", &recipient_string(&self.identity))
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// What unlocking needs to know about the store.
pub struct StoreKeyInfo<'a> {
    pub store_id: &'a str,
    pub recipient: &'a str,
    pub backend: Backend,
}

/// The identity from `OMC_MASTER_KEY` or `OMC_MASTER_KEY_FILE`, if either is set.
pub fn from_env() -> Result<Option<(Identity, Source)>> {
    if let Some(value) = std::env::var_os(ENV_KEY).filter(|v| !v.is_empty()) {
        let value = SecretString::from(value.to_string_lossy().into_owned());
        return Ok(Some((
            parse_identity(value.expose_secret())?,
            Source::EnvKey,
        )));
    }
    if let Some(path) = std::env::var_os(ENV_KEY_FILE).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        let text = read_key_file(&path)?;
        let line = text
            .expose_secret()
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        return Ok(Some((parse_identity(line)?, Source::EnvKeyFile)));
    }
    Ok(None)
}

/// The most omc reads of `OMC_MASTER_KEY_FILE`: an identity line is 74 bytes, and the file
/// `age-keygen` writes, comments included, about 200.
pub const MAX_KEY_FILE_BYTES: u64 = 8 * 1024;

/// Read `OMC_MASTER_KEY_FILE`, at most [`MAX_KEY_FILE_BYTES`] of it (`/dev/zero` or a huge file
/// must not grow omc's memory), warning once when group or others can read it.
fn read_key_file(path: &Path) -> Result<SecretString> {
    use std::io::Read;
    let cannot = |e: &dyn std::fmt::Display| {
        Error::master(
            format!("cannot read OMC_MASTER_KEY_FILE {}: {e}", path.display()),
            "point OMC_MASTER_KEY_FILE at a file holding an AGE-SECRET-KEY-1… line",
        )
    };
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    #[cfg(unix)]
    if let Ok(meta) = file.metadata() {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if meta.is_file() && mode & 0o044 != 0 {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                tracing::warn!(
                    "OMC_MASTER_KEY_FILE {} is readable by others (mode {:04o}): chmod 600 it",
                    path.display(),
                    mode & 0o7777
                );
            });
        }
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(Error::master(
            format!(
                "OMC_MASTER_KEY_FILE {} is larger than {MAX_KEY_FILE_BYTES} bytes: not an identity file",
                path.display()
            ),
            "point OMC_MASTER_KEY_FILE at a file holding an AGE-SECRET-KEY-1… line",
        ));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| cannot(&"not UTF-8 text"))?;
    Ok(SecretString::from(text.to_owned()))
}

/// Find the master identity for this store, first match wins.
pub fn unlock(paths: &Paths, info: &StoreKeyInfo<'_>, ui: Interaction) -> Result<MasterKey> {
    if let Some((identity, source)) = from_env()? {
        check_matches(&identity, info.recipient, source)?;
        return Ok(MasterKey {
            identity,
            source,
            passphrase: None,
        });
    }
    match info.backend {
        Backend::Keyring => unlock_keyring(info),
        Backend::File => unlock_file(paths, info, ui),
        Backend::Env => Err(Error::master(
            "this store's master key comes from the environment, and neither OMC_MASTER_KEY nor OMC_MASTER_KEY_FILE is set",
            "set OMC_MASTER_KEY to the store's AGE-SECRET-KEY-1… identity, or OMC_MASTER_KEY_FILE to a file holding it",
        )),
    }
}

fn unlock_keyring(info: &StoreKeyInfo<'_>) -> Result<MasterKey> {
    let current = kr::load(&kr::account(info.store_id, Slot::Current)).map_err(keyring_error)?;
    if let Some(secret) = &current {
        let identity = parse_identity(secret.expose_secret())?;
        if recipient_string(&identity) == info.recipient {
            return Ok(MasterKey {
                identity,
                source: Source::Keyring,
                passphrase: None,
            });
        }
    }
    // A rotation that committed the database but died before promoting its new key.
    let pending_account = kr::account(info.store_id, Slot::Pending);
    if let Some(secret) = kr::load(&pending_account).map_err(keyring_error)? {
        let identity = parse_identity(secret.expose_secret())?;
        if recipient_string(&identity) == info.recipient {
            kr::store(&kr::account(info.store_id, Slot::Current), &secret)
                .map_err(keyring_error)?;
            let _ = kr::delete(&pending_account);
            tracing::warn!("finished an interrupted master key rotation");
            return Ok(MasterKey {
                identity,
                source: Source::Keyring,
                passphrase: None,
            });
        }
    }
    match current {
        Some(_) => Err(mismatch(Source::Keyring, info.recipient)),
        None => Err(Error::master(
            "the OS keyring holds no master key for this store",
            "set OMC_MASTER_KEY to the store's identity, or restore the keyring entry",
        )),
    }
}

fn unlock_file(paths: &Paths, info: &StoreKeyInfo<'_>, ui: Interaction) -> Result<MasterKey> {
    let path = paths.master_age();
    let pending = pending_file(&path);
    if !path.exists() && !pending.exists() {
        return Err(Error::master(
            format!("{} is missing", path.display()),
            "restore master.age from a backup, or set OMC_MASTER_KEY",
        ));
    }
    let passphrase = passphrase(ui, false)?;
    if path.exists() {
        let identity = passfile::read(&path, &passphrase)?;
        if recipient_string(&identity) == info.recipient {
            return Ok(MasterKey {
                identity,
                source: Source::PassphraseFile,
                passphrase: Some(passphrase),
            });
        }
    }
    if pending.exists() {
        let identity = passfile::read(&pending, &passphrase)?;
        if recipient_string(&identity) == info.recipient {
            std::fs::rename(&pending, &path).map_err(|e| Error::io_path("replace", &path, e))?;
            tracing::warn!("finished an interrupted master key rotation");
            return Ok(MasterKey {
                identity,
                source: Source::PassphraseFile,
                passphrase: Some(passphrase),
            });
        }
    }
    Err(mismatch(Source::PassphraseFile, info.recipient))
}

/// The passphrase for `master.age`: `OMC_PASSPHRASE`, else a hidden prompt.
pub fn passphrase(ui: Interaction, confirm: bool) -> Result<SecretString> {
    if let Some(p) = std::env::var_os(ENV_PASSPHRASE).filter(|v| !v.is_empty()) {
        return Ok(SecretString::from(p.to_string_lossy().into_owned()));
    }
    if !ui.allowed {
        return Err(Error::master(
            "master.age needs its passphrase, and omc may not prompt here",
            "set OMC_PASSPHRASE, or run on a terminal without --no-input",
        ));
    }
    ui.secret("Passphrase for master.age", confirm, "OMC_PASSPHRASE")
}

pub fn check_matches(identity: &Identity, recipient: &str, source: Source) -> Result<()> {
    if recipient_string(identity) == recipient {
        Ok(())
    } else {
        Err(mismatch(source, recipient))
    }
}

fn mismatch(source: Source, recipient: &str) -> Error {
    Error::master(
        format!(
            "the master key from {} is not this store's (the store expects recipient {recipient})",
            source.describe()
        ),
        "use the identity this store was created with; omc never replaces a store's key silently",
    )
}

pub fn keyring_error(e: KeyringError) -> Error {
    Error::master(
        e.to_string(),
        "unlock the keyring, or set OMC_MASTER_KEY / OMC_MASTER_KEY_FILE, or create the store with `omc init --backend file`",
    )
}

pub fn pending_file(master_age: &Path) -> PathBuf {
    master_age.with_extension("age.pending")
}

/// Persist a freshly generated identity for a new store.
pub fn persist_new(
    backend: Backend,
    paths: &Paths,
    store_id: &str,
    identity: &Identity,
    ui: Interaction,
) -> Result<Option<SecretString>> {
    match backend {
        Backend::Keyring => {
            kr::store(&kr::account(store_id, Slot::Current), &identity.to_string())
                .map_err(keyring_error)?;
            Ok(None)
        }
        Backend::File => {
            let pass = passphrase(ui, true)?;
            passfile::write(&paths.master_age(), identity, &pass)?;
            Ok(Some(pass))
        }
        Backend::Env => Ok(None),
    }
}

/// Step one of a rotation: keep the new identity where unlock will find it as "pending".
pub fn stash_pending(
    key: &MasterKey,
    backend: Backend,
    paths: &Paths,
    store_id: &str,
    new: &Identity,
) -> Result<()> {
    match backend {
        Backend::Keyring => kr::store(&kr::account(store_id, Slot::Pending), &new.to_string())
            .map_err(keyring_error),
        Backend::File => {
            let pass = key.passphrase.as_ref().ok_or_else(|| {
                Error::master(
                    "rotating master.age needs its passphrase",
                    "unset OMC_MASTER_KEY / OMC_MASTER_KEY_FILE so omc unlocks master.age itself",
                )
            })?;
            passfile::write(&pending_file(&paths.master_age()), new, pass)
        }
        Backend::Env => Ok(()),
    }
}

/// Last step of a rotation, after the database committed: the pending identity becomes current.
pub fn promote_pending(
    backend: Backend,
    paths: &Paths,
    store_id: &str,
    new: &Identity,
) -> Result<()> {
    match backend {
        Backend::Keyring => {
            kr::store(&kr::account(store_id, Slot::Current), &new.to_string())
                .map_err(keyring_error)?;
            kr::delete(&kr::account(store_id, Slot::Pending)).map_err(keyring_error)
        }
        Backend::File => {
            let path = paths.master_age();
            std::fs::rename(pending_file(&path), &path)
                .map_err(|e| Error::io_path("replace", &path, e))
        }
        Backend::Env => Ok(()),
    }
}

/// Drop a pending identity left by a rotation that never committed.
pub fn discard_pending(backend: Backend, paths: &Paths, store_id: &str) {
    match backend {
        Backend::Keyring => {
            let _ = kr::delete(&kr::account(store_id, Slot::Pending));
        }
        Backend::File => {
            let _ = std::fs::remove_file(pending_file(&paths.master_age()));
        }
        Backend::Env => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_identity_or_passphrase() {
        let identity = Identity::generate();
        let secret = identity.to_string().expose_secret().to_owned();
        let key = MasterKey {
            identity,
            source: Source::PassphraseFile,
            passphrase: Some(SecretString::from("CANARY-PASSPHRASE".to_owned())),
        };
        let shown = format!("{key:?} {:?}", key.passphrase);
        assert!(!shown.contains(&secret[15..]), "{shown}");
        assert!(!shown.contains("CANARY"), "{shown}");
        assert!(
            shown.contains("age1"),
            "the recipient is public and helps debugging: {shown}"
        );
    }

    #[test]
    fn backends_round_trip_through_their_names() {
        for b in [Backend::Keyring, Backend::File, Backend::Env] {
            assert_eq!(Backend::parse(b.as_str()), Some(b));
        }
        assert_eq!(Backend::parse("plaintext"), None);
    }
}
