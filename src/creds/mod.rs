//! Where a profile's credentials live, behind one trait the credential commands call: this
//! store's SQLite table ([`local::Local`]) or an OpenBao / Vault KV v2 engine
//! ([`remote::Remote`]). The local store stays open either way: it holds the audit log, the
//! usage ledger, limits and benchmark history, which are this machine's.

mod access;
mod local;
pub mod remote;
mod vars;

use secrecy::SecretString;

use crate::error::Result;
use crate::store::{Credential, Store};

pub use access::{Access, Warn, decrypt};
pub use remote::{login_token, resolve_token, runtime};
pub use vars::{Selection, Var, credential_vars, select, variables};

/// What `add` stores, besides the secret.
pub struct NewCred<'a> {
    pub name: &'a str,
    pub provider: &'a str,
    pub model: Option<&'a str>,
    pub base_url: Option<&'a str>,
    pub make_default: bool,
    pub validation: Option<(&'a str, i64)>,
}

/// The credential operations, whatever keeps the credentials. Every method works on the
/// backend's one profile.
pub trait CredentialBackend {
    /// The profile these credentials belong to.
    fn profile(&self) -> &str;

    /// The local store (audit, usage ledger, limits, benchmark history).
    fn store(&mut self) -> &mut Store;

    /// Give the local store back (for commands that hand it to a writer thread).
    fn into_store(self: Box<Self>) -> Store;

    /// Credentials, keys masked; never reads a secret.
    fn list(&mut self, provider: Option<&str>, include_deleted: bool) -> Result<Vec<Credential>>;

    /// [`CredentialBackend::list`] one credential at a time, for a caller that only passes
    /// through them (`omc list` over thousands).
    fn for_each(
        &mut self,
        provider: Option<&str>,
        include_deleted: bool,
        f: &mut dyn FnMut(&Credential) -> Result<()>,
    ) -> Result<()> {
        self.list(provider, include_deleted)?.iter().try_for_each(f)
    }

    /// About how many credentials [`CredentialBackend::for_each`] will give, when that is cheap
    /// to know, so a caller can size its buffers once instead of growing them row by row.
    fn count_hint(&mut self, _provider: Option<&str>, _include_deleted: bool) -> Option<usize> {
        None
    }

    /// At least as many credentials as [`CredentialBackend::for_each`] can give, for any
    /// filter, when that is cheaper to know than [`CredentialBackend::count_hint`]: for sizing
    /// buffers whose unused room costs only address space (never touched, never wiped).
    fn count_bound(&mut self) -> Option<usize> {
        None
    }

    /// One live credential, without its secret.
    fn get(&mut self, name: &str) -> Result<Credential>;

    /// The name of the profile's default credential, or `provider`'s default.
    fn default_name(&mut self, provider: Option<&str>) -> Result<String>;

    /// The credential's secret.
    fn reveal(&mut self, cred: &Credential) -> Result<SecretString>;

    /// The store's master key, unlocked at most once per command (a passphrase is asked once
    /// for a key and a conversation), for what is sealed to the store itself.
    fn master_key(&mut self) -> Result<&crate::keys::master::MasterKey>;

    /// Refuse a name that is taken (and, where it can be told, a secret stored twice) before
    /// the key is sent anywhere for validation.
    fn check_new(&mut self, name: &str, secret: &SecretString) -> Result<()>;

    /// Refuse before a new key is read or sent anywhere when it could not be stored (a local
    /// store whose recipient omc cannot vouch for).
    fn check_writable(&mut self) -> Result<()> {
        Ok(())
    }

    /// Store a new credential; two adders of one name: one wins, the other gets a conflict.
    fn add(&mut self, new: &NewCred<'_>, secret: &SecretString) -> Result<Credential>;

    /// Replace the secret; returns the new mask.
    fn rotate(
        &mut self,
        cred: &Credential,
        secret: &SecretString,
        validation: Option<(&str, i64)>,
    ) -> Result<String>;

    /// Delete a live credential (`purge`: leave nothing behind).
    fn delete(&mut self, name: &str, purge: bool) -> Result<()>;

    /// How many deleted records of `name` remain (for `delete --purge` after a `delete`).
    fn tombstones(&mut self, name: &str) -> Result<i64>;

    /// Remove the deleted records of `name`; returns how many.
    fn purge_tombstones(&mut self, name: &str) -> Result<usize>;

    fn set_default(&mut self, name: &str) -> Result<()>;

    fn record_validation(&mut self, cred: &Credential, status: &str, latency_ms: i64)
    -> Result<()>;

    /// Record that secrets were handed out (`key`, `exec`, `env`, `run`, `bench`).
    fn mark_used(
        &mut self,
        creds: &[&Credential],
        action: &str,
        detail: Option<&str>,
    ) -> Result<()>;
}

/// The backend that keeps `profile`'s credentials. A profile that does not exist opens as a
/// local one, whose operations report it missing as before. `keys` unlocks the master key (with
/// its recipient checks) when a secret or a stored login must be opened.
pub fn open<'a>(
    keys: &'a Access,
    store: Store,
    profile: &str,
) -> Result<Box<dyn CredentialBackend + 'a>> {
    match store.remote_profile(profile)? {
        Some(remote) => Ok(Box::new(remote::Remote::new(keys, store, remote))),
        None => Ok(Box::new(local::Local::new(keys, store, profile))),
    }
}
