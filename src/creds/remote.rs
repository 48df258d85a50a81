//! Credentials in OpenBao / HashiCorp Vault KV v2: one secret per credential at
//! `{mount}/data/{prefix}/{name}` holding the key, its non-secret fields in that secret's
//! `custom_metadata` (so listing reads no secret), the profile's defaults in the custom metadata
//! of `{prefix}` itself. Check-and-set makes concurrent adds and rotations safe: one writer
//! wins, the other is told. The local store keeps the audit trail of this machine's actions and
//! the usage ledger.

use std::collections::BTreeMap;

use futures_util::{StreamExt, stream};
use secrecy::{ExposeSecret, SecretString};

use super::{CredentialBackend, NewCred};
use crate::error::{Error, Result};
use crate::keys;
use crate::openbao::{Kv, Metadata};
use crate::store::{Credential, LoginKind, RemoteProfile, Store, audit_record};
use crate::time::now_ms;

/// Metadata reads in flight at once while listing.
const PARALLEL: usize = 16;

/// Custom-metadata fields of a credential (all strings: KV v2 allows nothing else).
mod field {
    pub const ID: &str = "id";
    pub const PROVIDER: &str = "provider";
    pub const MODEL: &str = "model";
    pub const BASE_URL: &str = "base_url";
    pub const MASK: &str = "mask";
    pub const CREATED_AT: &str = "created_at";
    pub const CREATED_BY: &str = "created_by";
    pub const UPDATED_AT: &str = "updated_at";
    pub const VALIDATED_AT: &str = "validated_at";
    pub const VALIDATION: &str = "validation";
    pub const VALIDATION_MS: &str = "validation_latency_ms";
    pub const DELETED_AT: &str = "deleted_at";
    /// In the prefix's metadata: the profile's default, and `default.PROVIDER`.
    pub const DEFAULT: &str = "default";
}

pub struct Remote<'a> {
    keys: &'a super::Access,
    store: Store,
    remote: RemoteProfile,
    rt: Option<tokio::runtime::Runtime>,
    kv: Option<Kv>,
    master: Option<crate::keys::master::MasterKey>,
}

/// The variables an engine token is taken from, in order. Withheld from agent tools.
pub const TOKEN_VARS: [&str; 2] = ["VAULT_TOKEN", "BAO_TOKEN"];

/// The token for `remote`: `VAULT_TOKEN`, then `BAO_TOKEN`, then the login stored with
/// `omc profile login` (an AppRole login is exchanged for a token here).
pub fn resolve_token(
    store: &Store,
    remote: &RemoteProfile,
    unlock: &dyn Fn(&Store) -> Result<crate::keys::master::MasterKey>,
    rt: &tokio::runtime::Runtime,
) -> Result<SecretString> {
    for var in TOKEN_VARS {
        if let Ok(t) = std::env::var(var)
            && !t.trim().is_empty()
        {
            tracing::debug!("engine token from {var}");
            return Ok(SecretString::from(t.trim().to_owned()));
        }
    }
    let Some((kind, sealed)) = &remote.login else {
        return Err(Error::Engine {
            message: format!(
                "no token for profile '{}' (kept in {} at {})",
                remote.profile,
                remote.location.display(),
                remote.location.address
            ),
            hint: format!(
                "set VAULT_TOKEN (or BAO_TOKEN), or store one: omc profile login {} --token-stdin",
                remote.profile
            ),
            code: 4,
        });
    };
    let master = unlock(store)?;
    let secret = login_open(&master.identity, remote.profile_id, sealed)?;
    match kind {
        LoginKind::Token => {
            tracing::debug!("engine token from the stored login");
            Ok(secret)
        }
        LoginKind::AppRole { mount, role_id } => {
            tracing::debug!("engine token from an AppRole login");
            rt.block_on(Kv::approle_login(&remote.location, mount, role_id, &secret))
        }
    }
}

/// Seal a token or AppRole secret id for `profile_id`.
pub fn login_token(
    recipient: &age::x25519::Recipient,
    profile_id: i64,
    secret: &SecretString,
) -> Result<Vec<u8>> {
    keys::seal(recipient, &crate::store::login_binding(profile_id), secret)
}

fn login_open(
    identity: &age::x25519::Identity,
    profile_id: i64,
    sealed: &[u8],
) -> Result<SecretString> {
    keys::open(identity, &crate::store::login_binding(profile_id), sealed)
}

/// The runtime the engine calls run on: one per command, so pooled connections survive
/// between calls.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

impl<'a> Remote<'a> {
    pub fn new(keys: &'a super::Access, store: Store, remote: RemoteProfile) -> Remote<'a> {
        Remote {
            keys,
            store,
            remote,
            rt: None,
            kv: None,
            master: None,
        }
    }

    /// Connect on first use: commands that fail before touching the engine never need a token.
    fn connect(&mut self) -> Result<(&tokio::runtime::Runtime, &Kv)> {
        if self.rt.is_none() {
            self.rt = Some(runtime()?);
        }
        let rt = self.rt.as_ref().expect("set above");
        if self.kv.is_none() {
            let keys = self.keys;
            let token = resolve_token(&self.store, &self.remote, &|s| keys.unlock(s), rt)?;
            self.kv = Some(Kv::new(self.remote.location.clone(), token)?);
        }
        Ok((rt, self.kv.as_ref().expect("set above")))
    }

    fn audit(&self, action: &str, cred: Option<(&str, &str)>, detail: Option<&str>) -> Result<()> {
        audit_record(
            self.store.conn(),
            action,
            Some(&self.remote.profile),
            cred,
            detail,
        )
    }

    fn credential(&self, name: &str, meta: &Metadata) -> Credential {
        let c = &meta.custom;
        let text = |k: &str| c.get(k).filter(|v| !v.is_empty()).cloned();
        let num = |k: &str| c.get(k).and_then(|v| v.parse::<i64>().ok());
        let created_at = num(field::CREATED_AT).or(meta.created_ms).unwrap_or(0);
        let updated_at = num(field::UPDATED_AT).unwrap_or(created_at);
        Credential {
            id: text(field::ID).unwrap_or_else(|| format!("kv:{name}")),
            profile: self.remote.profile.clone(),
            profile_id: self.remote.profile_id,
            name: name.to_owned(),
            provider: text(field::PROVIDER).unwrap_or_else(|| "?".into()),
            model: text(field::MODEL),
            base_url: text(field::BASE_URL),
            masked_key: text(field::MASK).unwrap_or_else(|| "?".into()),
            is_default: false,
            is_provider_default: false,
            created_at,
            updated_at,
            last_used_at: None,
            validated_at: num(field::VALIDATED_AT),
            validation_status: text(field::VALIDATION),
            validation_latency_ms: num(field::VALIDATION_MS),
            deleted_at: meta
                .deleted
                .then(|| num(field::DELETED_AT).unwrap_or(updated_at)),
        }
    }

    /// Every credential under the prefix (deleted ones too), with the defaults worked out: the
    /// one the prefix names when it is live, else the oldest live one (as a local delete hands
    /// the default on).
    fn fetch_all(&mut self) -> Result<Vec<Credential>> {
        let (rt, kv) = self.connect()?;
        let (names, prefix) = rt.block_on(async {
            let names = kv.list().await?;
            let prefix = kv.metadata(None).await?;
            Ok::<_, Error>((names, prefix))
        })?;
        let metas: Vec<(String, Option<Metadata>)> = rt.block_on(async {
            let results: Vec<_> = stream::iter(names.into_iter().map(|n| async move {
                let m = kv.metadata(Some(&n)).await;
                (n, m)
            }))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
            results
                .into_iter()
                .map(|(n, m)| m.map(|m| (n, m)))
                .collect::<Result<Vec<_>>>()
        })?;
        let prefix = prefix.unwrap_or_default().custom;
        let mut creds: Vec<Credential> = metas
            .iter()
            .filter_map(|(n, m)| m.as_ref().map(|m| self.credential(n, m)))
            .collect();
        creds.sort_by(|a, b| (&a.provider, &a.name).cmp(&(&b.provider, &b.name)));
        mark_defaults(&mut creds, &prefix);
        let used = self.store.last_used(&self.remote.profile)?;
        for c in &mut creds {
            c.last_used_at = used.get(&c.id).copied();
        }
        Ok(creds)
    }

    /// The live credential `name` with its metadata.
    fn live(&mut self, name: &str) -> Result<(Credential, Metadata)> {
        let (rt, kv) = self.connect()?;
        let meta = rt.block_on(kv.metadata(Some(name)))?;
        match meta {
            Some(m) if !m.deleted => {
                let cred = self.credential(name, &m);
                Ok((cred, m))
            }
            _ => Err(Error::not_found("credential", name)),
        }
    }

    fn patch(
        &mut self,
        name: Option<&str>,
        fields: BTreeMap<String, Option<String>>,
    ) -> Result<()> {
        let (rt, kv) = self.connect()?;
        rt.block_on(kv.patch_metadata(name, &fields))
    }

    /// After `name` stops being live: the prefix no longer names it as a default.
    fn drop_defaults(&mut self, name: &str) -> Result<()> {
        let (rt, kv) = self.connect()?;
        let prefix = rt.block_on(kv.metadata(None))?.unwrap_or_default().custom;
        let stale: BTreeMap<String, Option<String>> = prefix
            .iter()
            .filter(|(k, v)| k.starts_with(field::DEFAULT) && v.as_str() == name)
            .map(|(k, _)| (k.clone(), None))
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        self.patch(None, stale)
    }
}

/// Explicit defaults from the prefix's metadata when they name a live credential; otherwise
/// the oldest live credential (of the provider).
fn mark_defaults(creds: &mut [Credential], prefix: &BTreeMap<String, String>) {
    let pick = |creds: &[Credential], key: &str, provider: Option<&str>| -> Option<usize> {
        let fits =
            |c: &Credential| c.deleted_at.is_none() && provider.is_none_or(|p| c.provider == p);
        if let Some(named) = prefix.get(key)
            && let Some(i) = creds.iter().position(|c| &c.name == named && fits(c))
        {
            return Some(i);
        }
        creds
            .iter()
            .enumerate()
            .filter(|(_, c)| fits(c) && c.provider != "?")
            .min_by_key(|(_, c)| (c.created_at, c.name.clone()))
            .map(|(i, _)| i)
    };
    if let Some(i) = pick(creds, field::DEFAULT, None) {
        creds[i].is_default = true;
    }
    let mut providers: Vec<String> = creds.iter().map(|c| c.provider.clone()).collect();
    providers.sort();
    providers.dedup();
    for p in providers.iter().filter(|p| p.as_str() != "?") {
        if let Some(i) = pick(creds, &format!("{}.{p}", field::DEFAULT), Some(p)) {
            creds[i].is_provider_default = true;
        }
    }
}

fn set(fields: &mut BTreeMap<String, Option<String>>, k: &str, v: Option<impl ToString>) {
    fields.insert(k.to_owned(), v.map(|v| v.to_string()));
}

fn validation_fields(
    fields: &mut BTreeMap<String, Option<String>>,
    validation: Option<(&str, i64)>,
    now: i64,
) {
    set(fields, field::VALIDATED_AT, validation.map(|_| now));
    set(fields, field::VALIDATION, validation.map(|v| v.0));
    set(fields, field::VALIDATION_MS, validation.map(|v| v.1));
}

impl CredentialBackend for Remote<'_> {
    fn profile(&self) -> &str {
        &self.remote.profile
    }

    fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    fn into_store(self: Box<Self>) -> Store {
        self.store
    }

    fn list(&mut self, provider: Option<&str>, include_deleted: bool) -> Result<Vec<Credential>> {
        let mut creds = self.fetch_all()?;
        creds.retain(|c| {
            (include_deleted || c.deleted_at.is_none()) && provider.is_none_or(|p| c.provider == p)
        });
        Ok(creds)
    }

    fn get(&mut self, name: &str) -> Result<Credential> {
        Ok(self.live(name)?.0)
    }

    fn default_name(&mut self, provider: Option<&str>) -> Result<String> {
        let creds = self.fetch_all()?;
        let found = creds.iter().find(|c| match provider {
            None => c.is_default,
            Some(p) => c.provider == p && c.is_provider_default,
        });
        if let Some(c) = found {
            return Ok(c.name.clone());
        }
        let profile = &self.remote.profile;
        Err(match provider {
            Some(p) => Error::Missing {
                message: format!("profile '{profile}' has no {p} credential"),
                hint: format!("add one: omc --profile {profile} add {p}"),
            },
            None => Error::Missing {
                message: format!("profile '{profile}' has no credentials"),
                hint: format!("add one: omc --profile {profile} add PROVIDER"),
            },
        })
    }

    fn master_key(&mut self) -> Result<&crate::keys::master::MasterKey> {
        if self.master.is_none() {
            self.master = Some(self.keys.unlock(&self.store)?);
        }
        Ok(self.master.as_ref().expect("unlocked above"))
    }

    fn reveal(&mut self, cred: &Credential) -> Result<SecretString> {
        let (rt, kv) = self.connect()?;
        rt.block_on(kv.read(&cred.name))?
            .ok_or_else(|| Error::not_found("credential", &cred.name))
    }

    fn check_new(&mut self, name: &str, _secret: &SecretString) -> Result<()> {
        // The same secret under two names is not detected here: that would need every secret
        // read, or a secret-derived value in metadata that list-only readers could see.
        let (rt, kv) = self.connect()?;
        match rt.block_on(kv.metadata(Some(name)))? {
            Some(m) if !m.deleted => Err(taken(&self.remote.profile, name)),
            _ => Ok(()),
        }
    }

    fn add(&mut self, new: &NewCred<'_>, secret: &SecretString) -> Result<Credential> {
        let profile = self.remote.profile.clone();
        let (rt, kv) = self.connect()?;
        // A deleted credential of this name leaves its metadata: the new one is its next
        // version, still check-and-set, so two adders cannot both win.
        let cas = match rt.block_on(kv.metadata(Some(new.name)))? {
            Some(m) if !m.deleted => return Err(taken(&profile, new.name)),
            Some(m) => m.current_version,
            None => 0,
        };
        if !rt.block_on(kv.write(new.name, secret, &BTreeMap::new(), cas))? {
            return Err(Error::conflict(
                format!(
                    "'{}' was added to profile '{profile}' by someone else just now",
                    new.name
                ),
                "see it with `omc list`; choose another --name, or rotate it",
            ));
        }
        let now = now_ms();
        let id = crate::store::new_id();
        let mut fields = BTreeMap::new();
        set(&mut fields, field::ID, Some(&id));
        set(&mut fields, field::PROVIDER, Some(new.provider));
        set(&mut fields, field::MODEL, new.model);
        set(&mut fields, field::BASE_URL, new.base_url);
        set(
            &mut fields,
            field::MASK,
            Some(crate::mask::mask(secret.expose_secret())),
        );
        set(&mut fields, field::CREATED_AT, Some(now));
        set(&mut fields, field::CREATED_BY, Some(crate::store::actor()));
        set(&mut fields, field::UPDATED_AT, Some(now));
        set(&mut fields, field::DELETED_AT, None::<String>);
        validation_fields(&mut fields, new.validation, now);
        self.patch(Some(new.name), fields)?;

        let (rt, kv) = self.connect()?;
        let prefix = rt.block_on(kv.metadata(None))?.unwrap_or_default().custom;
        let mut defaults = BTreeMap::new();
        let provider_key = format!("{}.{}", field::DEFAULT, new.provider);
        for key in [field::DEFAULT.to_owned(), provider_key] {
            if new.make_default || !prefix.contains_key(&key) {
                defaults.insert(key, Some(new.name.to_owned()));
            }
        }
        if !defaults.is_empty() {
            self.patch(None, defaults)?;
        }
        self.audit("add", Some((new.name, &id)), Some(new.provider))?;
        let (mut cred, _) = self.live(new.name)?;
        let prefix = {
            let (rt, kv) = self.connect()?;
            rt.block_on(kv.metadata(None))?.unwrap_or_default().custom
        };
        cred.is_default = prefix.get(field::DEFAULT) == Some(&cred.name);
        cred.is_provider_default =
            prefix.get(&format!("{}.{}", field::DEFAULT, cred.provider)) == Some(&cred.name);
        Ok(cred)
    }

    fn rotate(
        &mut self,
        cred: &Credential,
        secret: &SecretString,
        validation: Option<(&str, i64)>,
    ) -> Result<String> {
        let (_, meta) = self.live(&cred.name)?;
        let (rt, kv) = self.connect()?;
        if !rt.block_on(kv.write(&cred.name, secret, &BTreeMap::new(), meta.current_version))? {
            return Err(Error::conflict(
                format!("'{}' was changed by someone else while rotating", cred.name),
                "nothing was replaced: check `omc list`, then rotate again",
            ));
        }
        let now = now_ms();
        let mask = crate::mask::mask(secret.expose_secret());
        let mut fields = BTreeMap::new();
        set(&mut fields, field::MASK, Some(&mask));
        set(&mut fields, field::UPDATED_AT, Some(now));
        validation_fields(&mut fields, validation, now);
        self.patch(Some(&cred.name), fields)?;
        self.audit("rotate", Some((&cred.name, &cred.id)), None)?;
        Ok(mask)
    }

    fn delete(&mut self, name: &str, purge: bool) -> Result<()> {
        let (cred, _) = self.live(name)?;
        let (rt, kv) = self.connect()?;
        if purge {
            rt.block_on(kv.destroy(name))?;
        } else {
            rt.block_on(kv.delete_latest(name))?;
            let mut fields = BTreeMap::new();
            set(&mut fields, field::DELETED_AT, Some(now_ms()));
            self.patch(Some(name), fields)?;
        }
        self.drop_defaults(name)?;
        let action = if purge { "purge" } else { "delete" };
        self.audit(action, Some((name, &cred.id)), None)
    }

    fn tombstones(&mut self, name: &str) -> Result<i64> {
        let (rt, kv) = self.connect()?;
        Ok(match rt.block_on(kv.metadata(Some(name)))? {
            Some(m) if m.deleted => 1,
            _ => 0,
        })
    }

    fn purge_tombstones(&mut self, name: &str) -> Result<usize> {
        let (rt, kv) = self.connect()?;
        let Some(meta) = rt.block_on(kv.metadata(Some(name)))?.filter(|m| m.deleted) else {
            return Ok(0);
        };
        rt.block_on(kv.destroy(name))?;
        let cred = self.credential(name, &meta);
        self.audit("purge", Some((name, &cred.id)), None)?;
        Ok(1)
    }

    fn set_default(&mut self, name: &str) -> Result<()> {
        let (cred, _) = self.live(name)?;
        let mut fields = BTreeMap::new();
        set(&mut fields, field::DEFAULT, Some(name));
        set(
            &mut fields,
            &format!("{}.{}", field::DEFAULT, cred.provider),
            Some(name),
        );
        self.patch(None, fields)?;
        self.audit("default", Some((name, &cred.id)), None)
    }

    fn record_validation(
        &mut self,
        cred: &Credential,
        status: &str,
        latency_ms: i64,
    ) -> Result<()> {
        let mut fields = BTreeMap::new();
        validation_fields(&mut fields, Some((status, latency_ms)), now_ms());
        // A token that may read but not write metadata can still validate: the result is
        // shown and audited here, just not shared.
        match self.patch(Some(&cred.name), fields) {
            Err(Error::Engine {
                code: 4, message, ..
            }) => {
                tracing::warn!(
                    "validation of '{}' not recorded in the engine: {message}",
                    cred.name
                );
            }
            other => other?,
        }
        self.audit("validate", Some((&cred.name, &cred.id)), Some(status))
    }

    fn mark_used(
        &mut self,
        creds: &[&Credential],
        action: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        let profile = self.remote.profile.clone();
        self.store.write(|tx| {
            for c in creds {
                audit_record(tx, action, Some(&profile), Some((&c.name, &c.id)), detail)?;
            }
            Ok(())
        })
    }
}

fn taken(profile: &str, name: &str) -> Error {
    Error::conflict(
        format!("a credential named '{name}' already exists in profile '{profile}'"),
        format!(
            "choose another with --name, or replace its key: omc --profile {profile} rotate {name}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(name: &str, provider: &str, created_at: i64) -> Credential {
        Credential {
            id: name.into(),
            profile: "team".into(),
            profile_id: 1,
            name: name.into(),
            provider: provider.into(),
            model: None,
            base_url: None,
            masked_key: "x".into(),
            is_default: false,
            is_provider_default: false,
            created_at,
            updated_at: created_at,
            last_used_at: None,
            validated_at: None,
            validation_status: None,
            validation_latency_ms: None,
            deleted_at: None,
        }
    }

    #[test]
    fn defaults_fall_back_to_the_oldest_live_credential() {
        let mut creds = vec![
            cred("a", "openai", 2),
            cred("b", "openai", 1),
            cred("c", "echo", 3),
        ];
        creds[1].deleted_at = Some(5);
        let mut prefix = BTreeMap::new();
        prefix.insert("default".to_owned(), "b".to_owned());
        prefix.insert("default.echo".to_owned(), "c".to_owned());
        mark_defaults(&mut creds, &prefix);
        // 'b' is deleted: the oldest live one takes over.
        assert!(creds[0].is_default && creds[0].is_provider_default);
        assert!(!creds[1].is_default && !creds[1].is_provider_default);
        assert!(!creds[2].is_default && creds[2].is_provider_default);
    }
}
