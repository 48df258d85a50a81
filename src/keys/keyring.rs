//! The OS keyring (Secret Service, Keychain, Credential Manager) behind a timeout.
//!
//! A locked or absent keyring must never hang omc: every call runs on its own thread and is
//! abandoned after [`timeout`]. Keyring errors are turned into text here, by variant, because
//! some of them carry the raw secret bytes in their `Debug` output.

use std::sync::mpsc;
use std::time::Duration;

use keyring_core::Error as KrError;
use secrecy::{ExposeSecret, SecretString};

const SERVICE: &str = "omc";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("no OS keyring is usable here: {0}")]
    Unavailable(String),
    #[error("the OS keyring did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the OS keyring refused access (is it locked?): {0}")]
    Locked(String),
    #[error("the OS keyring answered with something that is not an omc master key")]
    BadEntry,
}

/// How long one keyring call may take: `OMC_KEYRING_TIMEOUT` (e.g. `2s`), default 5 s. A value
/// that is not a duration is a usage error, not silently the default: every command checks it
/// at start (`Ctx::new`).
pub fn timeout() -> crate::error::Result<Duration> {
    let Some(value) = std::env::var_os("OMC_KEYRING_TIMEOUT").filter(|v| !v.is_empty()) else {
        return Ok(DEFAULT_TIMEOUT);
    };
    let text = value.to_string_lossy();
    match humantime::parse_duration(text.trim()) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(crate::error::Error::usage_hint(
            format!(
                "OMC_KEYRING_TIMEOUT='{}' is not a duration above zero",
                crate::terminal::line(&text)
            ),
            "use e.g. OMC_KEYRING_TIMEOUT=2s, or unset it for the default of 5s",
        )),
    }
}

/// The keyring account that holds a store's master key; `slot` separates a rotation's pending key.
pub fn account(store_id: &str, slot: Slot) -> String {
    match slot {
        Slot::Current => format!("master-key:{store_id}"),
        Slot::Pending => format!("master-key:{store_id}:pending"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Current,
    Pending,
}

/// Store `secret`, then read it back to prove the keyring really holds it.
pub fn store(account: &str, secret: &SecretString) -> Result<(), KeyringError> {
    let account_owned = account.to_owned();
    let value = SecretString::from(secret.expose_secret().to_owned());
    call(move || {
        let entry = entry(&account_owned)?;
        entry.set_password(value.expose_secret())?;
        let back = SecretString::from(entry.get_password()?);
        Ok(back.expose_secret() == value.expose_secret())
    })
    .and_then(|same| {
        if same {
            Ok(())
        } else {
            Err(KeyringError::BadEntry)
        }
    })
}

/// The secret under `account`, or `None` when there is no such entry.
pub fn load(account: &str) -> Result<Option<SecretString>, KeyringError> {
    let account = account.to_owned();
    call(move || match entry(&account)?.get_password() {
        Ok(p) => Ok(Some(SecretString::from(p))),
        Err(KrError::NoEntry) => Ok(None),
        Err(e) => Err(e),
    })
}

/// Remove the entry; a missing entry is not an error.
pub fn delete(account: &str) -> Result<(), KeyringError> {
    let account = account.to_owned();
    call(move || match entry(&account)?.delete_credential() {
        Ok(()) | Err(KrError::NoEntry) => Ok(()),
        Err(e) => Err(e),
    })
}

/// Write, read back and delete a throwaway entry: is the keyring usable right now?
pub fn probe() -> Result<(), KeyringError> {
    let account = format!("probe:{}", std::process::id());
    store(&account, &SecretString::from("omc-probe".to_owned()))?;
    delete(&account)
}

fn entry(account: &str) -> Result<keyring_core::Entry, KrError> {
    if cfg!(not(test)) {
        // Installs the platform store as keyring-core's default, once per process.
        if let Err(e) = keyring::Entry::store_status() {
            return Err(KrError::PlatformFailure(Box::new(StoreInit(describe(e)))));
        }
    }
    keyring_core::Entry::new(SERVICE, account)
}

#[derive(Debug)]
struct StoreInit(String);
impl std::fmt::Display for StoreInit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for StoreInit {}

fn call<T: Send + 'static>(
    op: impl FnOnce() -> Result<T, KrError> + Send + 'static,
) -> Result<T, KeyringError> {
    // Checked at start, so an invalid value never gets this far.
    let limit = timeout().unwrap_or(DEFAULT_TIMEOUT);
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("omc-keyring".into())
        .spawn(move || {
            let _ = tx.send(op().map_err(classify));
        })
        .map_err(|e| KeyringError::Unavailable(format!("cannot start a thread: {e}")))?;
    match rx.recv_timeout(limit) {
        Ok(result) => result,
        // The thread stays blocked in the platform call; the process exits without it.
        Err(_) => Err(KeyringError::Timeout(limit)),
    }
}

fn classify(e: KrError) -> KeyringError {
    match e {
        KrError::NoStorageAccess(_) => KeyringError::Locked(describe(&e)),
        KrError::BadEncoding(_) | KrError::BadDataFormat(..) => KeyringError::BadEntry,
        other => KeyringError::Unavailable(describe(&other)),
    }
}

/// Text for a keyring error that never includes secret bytes.
fn describe(e: &KrError) -> String {
    match e {
        KrError::PlatformFailure(p) | KrError::NoStorageAccess(p) => p.to_string(),
        KrError::NoEntry => "no entry".into(),
        KrError::BadEncoding(_) | KrError::BadDataFormat(..) => "malformed entry".into(),
        KrError::NoDefaultStore => "no platform credential store".into(),
        KrError::NotSupportedByStore(s) => format!("not supported: {s}"),
        KrError::Invalid(what, why) => format!("invalid {what}: {why}"),
        _ => "keyring error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_mock() {
        keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap());
    }

    #[test]
    fn store_load_delete_round_trip() {
        with_mock();
        let acct = account("s1", Slot::Current);
        assert_eq!(load(&acct).unwrap().map(|_| ()), None);
        store(&acct, &SecretString::from("AGE-SECRET-KEY-1X".to_owned())).unwrap();
        assert_eq!(
            load(&acct).unwrap().unwrap().expose_secret(),
            "AGE-SECRET-KEY-1X"
        );
        delete(&acct).unwrap();
        assert!(load(&acct).unwrap().is_none());
        delete(&acct).unwrap();
    }

    #[test]
    fn bad_encoding_never_shows_bytes() {
        let e = classify(KrError::BadEncoding(b"CANARY-SECRET".to_vec()));
        assert!(!format!("{e} {e:?}").contains("CANARY"));
    }

    #[test]
    fn slots_use_distinct_accounts() {
        assert_ne!(account("s", Slot::Current), account("s", Slot::Pending));
    }
}
