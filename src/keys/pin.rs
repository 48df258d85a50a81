//! The recipient pin: a copy of the store's recipient kept outside `omc.db`, in
//! `recipient.pin` beside it.
//!
//! `add` and `rotate NAME` encrypt to the recipient without the master secret. Whoever can
//! replace `omc.db` alone (a restored backup, a CI cache, a synced database file) could otherwise
//! put their own recipient there and receive every key added afterwards. The pin is written only
//! by omc, and only with a recipient it has checked against the master identity (at `init`, on
//! `master rotate`, and on any unlock that proves it), so a recipient in `omc.db` that the pin
//! does not hold is refused before anything is encrypted to it. During a rotation the pin holds
//! the new recipient as `pending` too, so a write that races the rotation is not refused.
//!
//! The pin is public data (a recipient is a public key); it is kept 0600 like everything else in
//! the data directory. It does not protect against someone who can rewrite the whole data
//! directory: the README's security model says so, and the next unlock still tells (the master
//! identity is the final word on which recipient is the store's).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::paths::{self, Paths};

const HEADER: &str = "# omc recipient pin: the store's age recipient, kept outside omc.db. Written by omc; see README \"Security model\".";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub store_id: String,
    /// The recipient the store's master key has.
    pub current: String,
    /// The recipient a `master rotate` in progress is moving to.
    pub pending: Option<String>,
    /// When `current` was last checked against the master identity (ms since the epoch).
    pub verified_at: i64,
}

impl Pin {
    pub fn new(store_id: &str, current: &str) -> Pin {
        Pin {
            store_id: store_id.to_owned(),
            current: current.to_owned(),
            pending: None,
            verified_at: crate::time::now_ms(),
        }
    }

    /// Whether `recipient` is one omc put there itself.
    pub fn allows(&self, recipient: &str) -> bool {
        self.current == recipient || self.pending.as_deref() == Some(recipient)
    }
}

pub fn path(paths: &Paths) -> PathBuf {
    paths.data_dir.join("recipient.pin")
}

/// The pin, or `None` for a store created before pins existed (it is written on the next
/// unlock).
pub fn read(paths: &Paths) -> Result<Option<Pin>> {
    let path = path(paths);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io_path("read", &path, e)),
    };
    parse(&text).map(Some).ok_or_else(|| damaged(&path))
}

fn parse(text: &str) -> Option<Pin> {
    let (mut store_id, mut current, mut pending, mut verified_at) = (None, None, None, None);
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once(' ')?;
        let v = v.trim().to_owned();
        match k {
            "store" => store_id = Some(v),
            "recipient" => current = Some(v),
            "pending" => pending = Some(v),
            "verified_at" => verified_at = v.parse().ok(),
            _ => return None,
        }
    }
    let current = current.filter(|c| c.starts_with("age1"))?;
    Some(Pin {
        store_id: store_id?,
        current,
        pending: pending.filter(|p| p.starts_with("age1")),
        verified_at: verified_at?,
    })
}

fn damaged(path: &Path) -> Error {
    Error::master(
        format!("{} is damaged", path.display()),
        "remove it: omc writes it again on the next unlock with the master key",
    )
}

pub fn write(paths: &Paths, pin: &Pin) -> Result<()> {
    let mut text = format!(
        "{HEADER}\nstore {}\nrecipient {}\nverified_at {}\n",
        pin.store_id, pin.current, pin.verified_at
    );
    if let Some(p) = &pin.pending {
        text.push_str(&format!("pending {p}\n"));
    }
    paths::write_private_atomic(&path(paths), text.as_bytes())
}

/// After an unlock proved `recipient` (the master identity is its key): pin it, unless the pin
/// already says so. Best effort: a read-only data directory must not stop a read.
pub fn record_verified(paths: &Paths, store_id: &str, recipient: &str) {
    match read(paths) {
        Ok(Some(pin)) if pin.current == recipient && pin.pending.is_none() => {}
        _ => {
            if let Err(e) = write(paths, &Pin::new(store_id, recipient)) {
                tracing::warn!("could not update the recipient pin: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_round_trips_and_rejects_garbage() {
        let pin = Pin {
            store_id: "s1".into(),
            current: "age1current".into(),
            pending: Some("age1next".into()),
            verified_at: 42,
        };
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            data_dir: dir.path().to_owned(),
            config_file: dir.path().join("config.toml"),
        };
        assert_eq!(read(&paths).unwrap(), None);
        write(&paths, &pin).unwrap();
        assert_eq!(read(&paths).unwrap(), Some(pin.clone()));
        assert!(pin.allows("age1current") && pin.allows("age1next"));
        assert!(!pin.allows("age1forged"));
        std::fs::write(path(&paths), "recipient sk-not-a-recipient\n").unwrap();
        assert!(read(&paths).is_err());
    }
}
