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
use super::{parse_identity, passfile, recipient_string, unlock_cache};
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
    /// `master.age`'s identity, as `omc unlock` left it in the kernel keyring.
    UnlockCache,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::EnvKey => "OMC_MASTER_KEY",
            Source::EnvKeyFile => "OMC_MASTER_KEY_FILE",
            Source::Keyring => "OS keyring",
            Source::PassphraseFile => "master.age (passphrase)",
            Source::UnlockCache => "the kernel keyring (omc unlock)",
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
///
/// A variable that is set but empty is an error, not "unset": it is what
/// `export OMC_MASTER_KEY="$(omc init --backend env)"` leaves behind when `init` failed, and
/// treating it as unset would send omc to the keyring with a confusing error.
pub fn from_env() -> Result<Option<(Identity, Source)>> {
    for name in [ENV_KEY, ENV_KEY_FILE] {
        if std::env::var_os(name).is_some_and(|v| v.to_string_lossy().trim().is_empty()) {
            return Err(Error::master(
                format!("{name} is set but empty"),
                format!(
                    "set it to the store's AGE-SECRET-KEY-1… identity{}, or `unset {name}`; \
                     if it came from `$(omc init --backend env)`, that command failed: see its error",
                    if name == ENV_KEY_FILE { " file" } else { "" }
                ),
            ));
        }
    }
    from_env_nonempty()
}

/// As [`from_env`], but an empty variable counts as unset: for `omc init --backend env`, which
/// makes the key that variable is waiting for.
pub fn from_env_nonempty() -> Result<Option<(Identity, Source)>> {
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
    match find(paths, info, ui)? {
        Ok(key) => Ok(key),
        Err(key) => Err(mismatch(key.source, info.recipient)),
    }
}

/// The master identity from the first source that has one: `Ok` when it is the key of the
/// store's recipient, `Err` with the identity found when it is not (the caller decides whether
/// that is the wrong key or a store whose recipient was changed).
pub fn find(
    paths: &Paths,
    info: &StoreKeyInfo<'_>,
    ui: Interaction,
) -> Result<std::result::Result<MasterKey, MasterKey>> {
    find_from(paths, info, ui, Sources::All)
}

/// Which sources [`find_from`] may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sources {
    /// First match wins, the `omc unlock` cache included.
    All,
    /// Not the `omc unlock` cache: `master rotate` needs master.age's passphrase itself.
    NoCache,
    /// Only master.age: what `omc unlock` decrypts.
    PassphraseFile,
}

pub fn find_from(
    paths: &Paths,
    info: &StoreKeyInfo<'_>,
    ui: Interaction,
    sources: Sources,
) -> Result<std::result::Result<MasterKey, MasterKey>> {
    if sources == Sources::PassphraseFile {
        if info.backend != Backend::File {
            return Err(Error::usage_hint(
                format!(
                    "this store's master key is not in master.age: it uses the {} backend",
                    info.backend.as_str()
                ),
                "omc unlock is for stores created with `omc init --backend file`; this one needs no unlock",
            ));
        }
        return unlock_file(paths, info, ui);
    }
    if let Some((identity, source)) = from_env()? {
        let key = MasterKey {
            identity,
            source,
            passphrase: None,
        };
        return Ok(if recipient_string(&key.identity) == info.recipient {
            Ok(key)
        } else {
            Err(key)
        });
    }
    match info.backend {
        Backend::Keyring => unlock_keyring(info),
        Backend::File => {
            if sources == Sources::All
                && let Some(key) = from_cache(info)
            {
                return Ok(Ok(key));
            }
            unlock_file(paths, info, ui)
        }
        Backend::Env => Err(Error::master(
            "this store's master key comes from the environment, and neither OMC_MASTER_KEY nor OMC_MASTER_KEY_FILE is set",
            "set OMC_MASTER_KEY to the store's AGE-SECRET-KEY-1… identity, or OMC_MASTER_KEY_FILE to a file holding it",
        )),
    }
}

/// The identity `omc unlock` cached, when it is this store's. One that is not (a rotation that
/// did not replace it, a cache from before the store's recipient changed) is ignored, with a
/// warning: master.age decides.
fn from_cache(info: &StoreKeyInfo<'_>) -> Option<MasterKey> {
    let cached = match super::unlock_cache::load(info.store_id) {
        Ok(c) => c?,
        Err(e) => {
            tracing::debug!("unlock cache not read: {e}");
            return None;
        }
    };
    if recipient_string(&cached.identity) != info.recipient {
        tracing::warn!(
            "ignoring the master key `omc unlock` cached: it is not this store's (the store's \
             master key changed since); run `omc unlock` again, or `omc lock` to drop it"
        );
        return None;
    }
    Some(MasterKey {
        identity: cached.identity,
        source: Source::UnlockCache,
        passphrase: None,
    })
}

fn unlock_keyring(info: &StoreKeyInfo<'_>) -> Result<std::result::Result<MasterKey, MasterKey>> {
    let keyring_key = |identity| MasterKey {
        identity,
        source: Source::Keyring,
        passphrase: None,
    };
    let current = kr::load(&kr::account(info.store_id, Slot::Current)).map_err(keyring_error)?;
    let current = match &current {
        Some(secret) => Some(parse_identity(secret.expose_secret())?),
        None => None,
    };
    if let Some(identity) = &current
        && recipient_string(identity) == info.recipient
    {
        return Ok(Ok(keyring_key(identity.clone())));
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
            return Ok(Ok(keyring_key(identity)));
        }
    }
    match current {
        Some(identity) => Ok(Err(keyring_key(identity))),
        None => Err(Error::master(
            "the OS keyring holds no master key for this store",
            "set OMC_MASTER_KEY to the store's identity, or restore the keyring entry",
        )),
    }
}

fn unlock_file(
    paths: &Paths,
    info: &StoreKeyInfo<'_>,
    ui: Interaction,
) -> Result<std::result::Result<MasterKey, MasterKey>> {
    let path = paths.master_age();
    let pendings: Vec<PathBuf> = [
        pending_file(&path, info.recipient),
        legacy_pending_file(&path),
    ]
    .into_iter()
    .filter(|p| p.exists())
    .collect();
    if !path.exists() && pendings.is_empty() {
        return Err(Error::master(
            format!("{} is missing", path.display()),
            "restore master.age from a backup, or set OMC_MASTER_KEY",
        ));
    }
    let passphrase = passphrase(ui, false)?;
    let file_key = |identity, passphrase| MasterKey {
        identity,
        source: Source::PassphraseFile,
        passphrase: Some(passphrase),
    };
    let mut current = None;
    if path.exists() {
        let identity = passfile::read(&path, &passphrase)?;
        if recipient_string(&identity) == info.recipient {
            return Ok(Ok(file_key(identity, passphrase)));
        }
        current = Some(identity);
    }
    // A rotation that committed the database but has not (yet) promoted its new key.
    for pending in pendings {
        let identity = passfile::read(&pending, &passphrase)?;
        if recipient_string(&identity) == info.recipient {
            promote_file(&pending, &path)?;
            tracing::warn!("finished an interrupted master key rotation");
            return Ok(Ok(file_key(identity, passphrase)));
        }
    }
    match current {
        Some(identity) => Ok(Err(file_key(identity, passphrase))),
        None => Err(mismatch(Source::PassphraseFile, info.recipient)),
    }
}

/// Rename a pending `master.age` into place. Another process may have done it first (an
/// unlock that found the rotation's database committed): that is success too.
fn promote_file(pending: &Path, path: &Path) -> Result<()> {
    match std::fs::rename(pending, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && path.exists() => Ok(()),
        Err(e) => Err(Error::io_path("replace", path, e)),
    }
}

/// Before anything is encrypted to `recipient` (read from `omc.db`): is it this store's? Checked
/// against the master identity where that is cheap to reach (`OMC_MASTER_KEY`/`_FILE`, the OS
/// keyring), else against the recipient pin (`master.age`'s passphrase is not asked for just to
/// add a key). A store from before pins existed, with neither, is not checked; its pin is written
/// on the next unlock.
pub fn verify_recipient(paths: &Paths, info: &StoreKeyInfo<'_>) -> Result<()> {
    if let Some((identity, source)) = from_env()? {
        // The identity is the final word: a pin could have been rewritten with omc.db.
        return if recipient_string(&identity) == info.recipient {
            Ok(())
        } else {
            Err(changed(info.recipient, source.describe()))
        };
    }
    if info.backend == Backend::Keyring
        && let Ok(Some(secret)) = kr::load(&kr::account(info.store_id, Slot::Current))
    {
        let matches = |s: &SecretString| {
            parse_identity(s.expose_secret()).is_ok_and(|i| recipient_string(&i) == info.recipient)
        };
        // The pending slot: a `master rotate` that committed while this command ran.
        let pending = || {
            kr::load(&kr::account(info.store_id, Slot::Pending))
                .ok()
                .flatten()
                .is_some_and(|s| matches(&s))
        };
        return if matches(&secret) || pending() {
            Ok(())
        } else {
            Err(changed(info.recipient, Source::Keyring.describe()))
        };
    }
    // No identity at hand without asking for master.age's passphrase (or the keyring is not
    // reachable now): the pin decides.
    match super::pin::read(paths)? {
        Some(pin) if pin.allows(info.recipient) => Ok(()),
        Some(_) => Err(changed(info.recipient, "recipient.pin")),
        None => Ok(()),
    }
}

fn changed(recipient: &str, against: &str) -> Error {
    Error::master(
        format!(
            "the store's recipient ({recipient}) is not its master key's (checked against {against}); \
             nothing was stored"
        ),
        "either `omc master rotate` replaced the master key while this command ran (use the new \
         key and run it again), or omc.db was changed outside omc: `omc doctor --deep` shows which \
         credentials still open",
    )
}

/// What a `file` store's master key is without its passphrase and with no way to ask for it.
const PASSPHRASE_NEEDED: &str = "master.age needs its passphrase, and omc may not prompt here";

/// Whether `e` says only that: the store is locked, nothing is wrong with it.
pub fn is_locked(e: &Error) -> bool {
    matches!(e, Error::MasterKey { message, .. } if message == PASSPHRASE_NEEDED)
}

/// The passphrase for `master.age`: `OMC_PASSPHRASE`, else a hidden prompt.
pub fn passphrase(ui: Interaction, confirm: bool) -> Result<SecretString> {
    if let Some(p) = std::env::var_os(ENV_PASSPHRASE).filter(|v| !v.is_empty()) {
        return Ok(SecretString::from(p.to_string_lossy().into_owned()));
    }
    if !ui.allowed {
        return Err(Error::master(
            PASSPHRASE_NEEDED,
            if unlock_cache::SUPPORTED {
                "set OMC_PASSPHRASE, run `omc unlock` first (it keeps the key for a while), or run on a terminal without --no-input"
            } else {
                "set OMC_PASSPHRASE, or run on a terminal without --no-input"
            },
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

pub fn mismatch(source: Source, recipient: &str) -> Error {
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

/// Where a rotation to `recipient` keeps its new `master.age` until the database has committed:
/// named by the recipient, so unlock finds the one the database expects and two rotations never
/// share a file.
pub fn pending_file(master_age: &Path, recipient: &str) -> PathBuf {
    let tail = &recipient[recipient.len().saturating_sub(16)..];
    master_age.with_extension(format!("age.pending-{tail}"))
}

/// The pending file of omc versions before per-rotation names.
fn legacy_pending_file(master_age: &Path) -> PathBuf {
    master_age.with_extension("age.pending")
}

/// Held from before a rotation stashes its new key until it has promoted it: one rotation at a
/// time per store. An exclusive lock on `rotate.lock` (the OS drops it if the process dies).
pub struct RotationLock {
    _file: std::fs::File,
}

pub fn lock_rotation(paths: &Paths) -> Result<RotationLock> {
    let path = paths.data_dir.join("rotate.lock");
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts
        .open(&path)
        .map_err(|e| Error::io_path("open", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(RotationLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::conflict(
            "another rotation is in progress: `omc master rotate` is already running on this store",
            "wait for it to finish; nothing was changed by this one",
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io_path("lock", &path, e)),
    }
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

/// Step one of a rotation (under [`RotationLock`]): keep the new identity where unlock will
/// find it as "pending".
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
            let path = paths.master_age();
            passfile::write(&pending_file(&path, &recipient_string(new)), new, pass)
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
            promote_file(&pending_file(&path, &recipient_string(new)), &path)
        }
        Backend::Env => Ok(()),
    }
}

/// Drop pending identities left by rotations that never committed. Only under
/// [`RotationLock`], after an unlock has promoted any that did commit.
pub fn discard_pending(backend: Backend, paths: &Paths, store_id: &str) {
    match backend {
        Backend::Keyring => {
            let _ = kr::delete(&kr::account(store_id, Slot::Pending));
        }
        Backend::File => {
            let Ok(entries) = std::fs::read_dir(&paths.data_dir) else {
                return;
            };
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with("master.age.pending"))
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
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
