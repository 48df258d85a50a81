//! `omc unlock`: the master identity of a `file` store, decrypted once (scrypt) and kept in the
//! Linux kernel keyring for a while, so the commands that follow skip the passphrase and scrypt.
//!
//! Where it lives: a `user` key in the caller's session keyring (the one a login shares between
//! its processes; without a login session, the user's default session keyring), described
//! `omc:master:STORE_ID`, with possessor-only permissions (no access for other processes of the
//! same user that do not share the session) and the kernel's own expiry timeout: once it passes,
//! the kernel refuses to hand the key out and garbage-collects it. The payload repeats the expiry
//! so `master status` can show it.
//!
//! No child of omc may inherit it: [`shield_children`] (called by `crate::process`, the one place
//! omc starts a child) moves the spawning thread onto a fresh session keyring, or, when that is
//! not possible, drops every `omc:master:*` key omc can see.

use age::x25519::Identity;

use crate::error::{Error, Result};

/// The longest `omc unlock --for` accepted.
pub const MAX_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// What the kernel keyring holds for a store.
pub struct Cached {
    pub identity: Identity,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("recipient", &super::recipient_string(&self.identity))
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What became of the cache when a child process was about to be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shield {
    /// The spawning thread now has a session keyring of its own: the child inherits an empty
    /// one.
    Detached,
    /// The session keyring could not be left (a login session's own): every cached master key
    /// omc could see (this many) was dropped instead.
    Dropped(usize),
    /// Nothing to shield (no keyring here, or nothing cached).
    Nothing,
}

fn description(store_id: &str) -> String {
    format!("omc:master:{store_id}")
}

pub fn not_supported() -> Error {
    Error::usage_hint(
        "omc unlock is not supported here: it keeps the master key in the Linux kernel keyring",
        "use the keyring backend (`omc init --backend keyring`), which needs no passphrase, or set OMC_MASTER_KEY",
    )
}

#[cfg(target_os = "linux")]
mod imp {
    use std::str::FromStr;

    use age::x25519::Identity;
    use linux_keyutils::{
        Key, KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, KeySerialId, Permission,
    };
    use secrecy::ExposeSecret;
    use zeroize::Zeroizing;

    use super::{Cached, Shield, description};
    use crate::error::{Error, Result};

    const TAG: &str = "omc-unlock-v1";

    pub const SUPPORTED: bool = true;

    fn unusable(e: KeyError) -> Error {
        Error::master(
            format!("the kernel keyring is not usable here ({e:?})"),
            "containers often block it (seccomp): use the keyring backend, or OMC_MASTER_KEY",
        )
    }

    /// The session keyring, without ever creating a new one: a new anonymous session keyring
    /// would die with this process. Without a session keyring the kernel installs the user's
    /// default session keyring, which other processes of the user share.
    fn session() -> std::result::Result<KeyRing, KeyError> {
        KeyRing::from_special_id(KeyRingIdentifier::Session, false)
    }

    fn find(store_id: &str) -> std::result::Result<Option<Key>, KeyError> {
        match session()?.search(&description(store_id)) {
            Ok(key) => Ok(Some(key)),
            Err(
                KeyError::KeyDoesNotExist
                | KeyError::KeyExpired
                | KeyError::KeyRevoked
                | KeyError::KeyRejected,
            ) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn store(store_id: &str, identity: &Identity, expires_at: i64) -> Result<()> {
        let now = crate::time::now_ms();
        // The kernel counts whole seconds from the current one, so its timeout can fall up to a
        // second early: one more second, and the payload's expiry (in ms) is the exact one.
        let secs = ((expires_at - now).max(1) as u64).div_ceil(1000) as usize + 1;
        let mut payload = Zeroizing::new(format!("{TAG}\n{expires_at}\n"));
        payload.push_str(identity.to_string().expose_secret());
        let ring = session().map_err(unusable)?;
        // A key of the same description is updated in place (new payload, same serial).
        let key = ring
            .add_key(&description(store_id), payload.as_bytes())
            .map_err(unusable)?;
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .build();
        let set = key.set_perms(perms).and_then(|_| key.set_timeout(secs));
        if let Err(e) = set {
            // A key without its expiry or with wider permissions must not stay behind.
            let _ = key.invalidate();
            return Err(unusable(e));
        }
        Ok(())
    }

    pub fn load(store_id: &str) -> Result<Option<Cached>> {
        let Some(key) = find(store_id).map_err(unusable)? else {
            return Ok(None);
        };
        let mut buf = Zeroizing::new([0u8; 512]);
        let len = match key.read(&mut *buf) {
            Ok(n) if n <= buf.len() => n,
            Ok(_) => return Ok(None),
            Err(KeyError::KeyExpired | KeyError::KeyRevoked | KeyError::KeyDoesNotExist) => {
                return Ok(None);
            }
            Err(e) => return Err(unusable(e)),
        };
        let text = std::str::from_utf8(&buf[..len]).ok();
        let parsed = text.and_then(|t| {
            let mut lines = t.splitn(3, '\n');
            (lines.next()? == TAG).then_some(())?;
            let expires_at: i64 = lines.next()?.parse().ok()?;
            let identity = Identity::from_str(lines.next()?.trim()).ok()?;
            Some(Cached {
                identity,
                expires_at,
            })
        });
        Ok(parsed.filter(|c| c.expires_at > crate::time::now_ms()))
    }

    pub fn remove(store_id: &str) -> Result<bool> {
        match find(store_id).map_err(unusable)? {
            Some(key) => {
                key.invalidate().map_err(unusable)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    pub fn shield_children() -> Shield {
        let Ok(before) = session() else {
            return Shield::Nothing;
        };
        // Asking for the session keyring "with create" joins a new, empty, anonymous one when
        // this thread only had the user's default one; a login session's own is kept.
        match KeyRing::from_special_id(KeyRingIdentifier::Session, true) {
            Ok(after) if after != before => Shield::Detached,
            _ => match drop_all() {
                0 => Shield::Nothing,
                n => Shield::Dropped(n),
            },
        }
    }

    /// Invalidate every `omc:master:*` key this thread possesses, whichever store it is for (a
    /// child may be started with no store open). The kernel lists in /proc/keys exactly the keys
    /// the reader may view, and a cached master key is viewable only by a possessor: the same
    /// keys a child would inherit.
    fn drop_all() -> usize {
        let limit = crate::bounded::Limit::new("kernel key list", 4 * 1024 * 1024);
        let Ok(text) = crate::bounded::read_file_string(std::path::Path::new("/proc/keys"), limit)
        else {
            return 0;
        };
        let mut dropped = 0;
        for serial in cached_serials(&text) {
            if Key::from_id(KeySerialId(serial)).invalidate().is_ok() {
                dropped += 1;
            }
        }
        dropped
    }

    /// The serials of the `user` keys described `omc:master:…` in /proc/keys text.
    pub(super) fn cached_serials(text: &str) -> Vec<i32> {
        text.lines()
            .filter_map(|line| {
                // serial flags usage expiry perm uid gid type description: summary
                let mut f = line.split_whitespace();
                let serial = f.next()?;
                let kind = f.nth(6)?;
                let desc = f.next()?;
                (kind == "user" && desc.starts_with("omc:master:"))
                    .then(|| u32::from_str_radix(serial, 16).ok().map(|s| s as i32))
                    .flatten()
            })
            .collect()
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use age::x25519::Identity;

    use super::{Cached, Shield};
    use crate::error::Result;

    pub const SUPPORTED: bool = false;

    pub fn store(_: &str, _: &Identity, _: i64) -> Result<()> {
        Err(super::not_supported())
    }

    pub fn load(_: &str) -> Result<Option<Cached>> {
        Ok(None)
    }

    pub fn remove(_: &str) -> Result<bool> {
        Err(super::not_supported())
    }

    pub fn shield_children() -> Shield {
        Shield::Nothing
    }
}

/// Whether this OS has a place for the cache.
pub const SUPPORTED: bool = imp::SUPPORTED;

/// Where the cache stands for one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Unlocked,
    Locked,
    /// It holds a key that is not this store's (ignored).
    Stale,
    NotSupported,
    Unavailable,
}

/// What `master status` and `doctor` say about the cache.
#[derive(Debug, serde::Serialize)]
pub struct Status {
    pub state: State,
    pub expires_at: Option<String>,
    pub expires_in_s: Option<i64>,
    pub detail: Option<String>,
}

impl Status {
    pub fn describe(&self) -> String {
        match (self.state, &self.expires_at, self.expires_in_s) {
            (State::Unlocked, Some(at), Some(s)) => {
                format!("unlocked until {at} ({s} s left); `omc lock` drops it")
            }
            (State::Locked, ..) => "locked: `omc unlock` skips the passphrase for a while".into(),
            (State::Stale, ..) => {
                "holds a key that is not this store's (ignored): run `omc unlock` again".into()
            }
            (state, ..) => self.detail.clone().unwrap_or_else(|| {
                serde_json::to_value(state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            }),
        }
    }
}

/// The cache of the store `store_id` whose recipient is `recipient`.
pub fn status(store_id: &str, recipient: &str) -> Status {
    let none = |state, detail: Option<String>| Status {
        state,
        expires_at: None,
        expires_in_s: None,
        detail,
    };
    if !SUPPORTED {
        return none(State::NotSupported, Some("omc unlock is Linux only".into()));
    }
    match load(store_id) {
        Ok(None) => none(State::Locked, None),
        Ok(Some(c)) if super::recipient_string(&c.identity) != recipient => {
            none(State::Stale, None)
        }
        Ok(Some(c)) => Status {
            state: State::Unlocked,
            expires_at: Some(crate::time::rfc3339(c.expires_at)),
            expires_in_s: Some((c.expires_at - crate::time::now_ms()).max(0) / 1000),
            detail: None,
        },
        Err(e) => none(State::Unavailable, Some(e.to_string())),
    }
}

/// Keep `identity` for the store until `expires_at` (ms since the epoch).
pub fn store(store_id: &str, identity: &Identity, expires_at: i64) -> Result<()> {
    imp::store(store_id, identity, expires_at)
}

/// The cached identity, if one is there and has not expired.
pub fn load(store_id: &str) -> Result<Option<Cached>> {
    imp::load(store_id)
}

/// Drop the cached identity; whether there was one.
pub fn remove(store_id: &str) -> Result<bool> {
    imp::remove(store_id)
}

/// Called by `crate::process` before it starts a child, on the thread that starts it (a session
/// keyring belongs to a thread's credentials): afterwards that child cannot reach any cached
/// master key. Not for other callers: starting a child anywhere else is a bug.
pub fn shield_children() -> Shield {
    imp::shield_children()
}

/// After `master rotate`: a cache holding the old identity now holds the new one, expiring when
/// the old would have. Best effort: a stale cache is ignored with a warning anyway.
pub fn replace(store_id: &str, new: &Identity) {
    if let Ok(Some(old)) = load(store_id)
        && let Err(e) = store(store_id, new, old.expires_at)
    {
        tracing::warn!("could not replace the unlocked master key in the kernel keyring: {e}");
        let _ = remove(store_id);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn cached_keys_are_found_in_proc_keys_by_type_and_description() {
        let text = "\
0430e5d4 I--Q---     1 perm 0c030000     0 65534 keyring   .user_reg: 2
1a2b3c4d I--Q---     1  9m  3f000000     0     0 user      omc:master:abc: 90
0000002a I--Q---     1 perm 3f000000     0     0 user      other:omc:master:x: 9
0000002b I--Q---     1 perm 3f000000     0     0 keyring   omc:master:ring: empty
ffffffff I--Q---     1 perm 3f000000     0     0 user      omc:master:def: 90
";
        assert_eq!(super::imp::cached_serials(text), [0x1a2b3c4d, -1]);
    }
}
