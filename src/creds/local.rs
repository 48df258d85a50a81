//! Credentials in this store's SQLite table, age-encrypted to the master recipient.

use secrecy::{ExposeSecret, SecretString};

use super::{CredentialBackend, NewCred, Unlocker};
use crate::error::{Error, Result};
use crate::store::{Credential, Filter, NewCredential, Store};
use crate::vault::master::MasterKey;
use crate::vault::{self, Binding};

pub struct Local {
    store: Store,
    profile: String,
    unlocker: Unlocker,
    master: Option<MasterKey>,
}

impl Local {
    pub fn new(store: Store, profile: &str, unlocker: Unlocker) -> Local {
        Local {
            store,
            profile: profile.to_owned(),
            unlocker,
            master: None,
        }
    }
}

fn binding(cred: &Credential) -> Binding<'_> {
    Binding {
        credential_id: &cred.id,
        profile_id: cred.profile_id,
        provider: &cred.provider,
    }
}

impl CredentialBackend for Local {
    fn profile(&self) -> &str {
        &self.profile
    }

    fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    fn into_store(self: Box<Self>) -> Store {
        self.store
    }

    fn list(&mut self, provider: Option<&str>, include_deleted: bool) -> Result<Vec<Credential>> {
        self.store.require_profile(&self.profile)?;
        self.store.list_credentials(&Filter {
            profile: Some(&self.profile),
            provider,
            include_deleted,
        })
    }

    fn get(&mut self, name: &str) -> Result<Credential> {
        Ok(self.store.credential(&self.profile, name)?.0)
    }

    fn default_name(&mut self, provider: Option<&str>) -> Result<String> {
        self.store.require_default(&self.profile, provider)
    }

    fn reveal(&mut self, cred: &Credential) -> Result<SecretString> {
        let (row, ciphertext) = self.store.credential(&self.profile, &cred.name)?;
        if row.id != cred.id {
            return Err(Error::not_found("credential", &cred.name));
        }
        if self.master.is_none() {
            self.master = Some(self.unlocker.unlock(&self.store)?);
        }
        let master = self.master.as_ref().expect("unlocked above");
        vault::open(&master.identity, &binding(&row), &ciphertext)
    }

    fn check_new(&mut self, name: &str, secret: &SecretString) -> Result<()> {
        let fingerprint = self.store.meta.fingerprint(secret.expose_secret());
        self.store
            .check_new_credential(&self.profile, name, &fingerprint)
    }

    fn add(&mut self, new: &NewCred<'_>, secret: &SecretString) -> Result<Credential> {
        let recipient = vault::parse_recipient(&self.store.meta.recipient)?;
        let fingerprint = self.store.meta.fingerprint(secret.expose_secret());
        let mask = crate::mask::mask(secret.expose_secret());
        self.store.insert_credential(
            &NewCredential {
                profile: &self.profile,
                name: new.name,
                provider: new.provider,
                model: new.model,
                base_url: new.base_url,
                mask: &mask,
                fingerprint: &fingerprint,
                make_default: new.make_default,
                validation: new.validation,
            },
            |id, profile_id| {
                vault::seal(
                    &recipient,
                    &Binding {
                        credential_id: id,
                        profile_id,
                        provider: new.provider,
                    },
                    secret,
                )
            },
        )
    }

    fn rotate(
        &mut self,
        cred: &Credential,
        secret: &SecretString,
        validation: Option<(&str, i64)>,
    ) -> Result<String> {
        let recipient = vault::parse_recipient(&self.store.meta.recipient)?;
        let ciphertext = vault::seal(&recipient, &binding(cred), secret)?;
        let mask = crate::mask::mask(secret.expose_secret());
        let fingerprint = self.store.meta.fingerprint(secret.expose_secret());
        self.store
            .replace_secret(cred, &mask, &fingerprint, &ciphertext, validation)?;
        Ok(mask)
    }

    fn delete(&mut self, name: &str, purge: bool) -> Result<()> {
        self.store.delete_credential(&self.profile, name, purge)
    }

    fn tombstones(&mut self, name: &str) -> Result<i64> {
        self.store.tombstones(&self.profile, name)
    }

    fn purge_tombstones(&mut self, name: &str) -> Result<usize> {
        self.store.purge_tombstones(&self.profile, name)
    }

    fn set_default(&mut self, name: &str) -> Result<()> {
        self.store.set_default(&self.profile, name)
    }

    fn record_validation(
        &mut self,
        cred: &Credential,
        status: &str,
        latency_ms: i64,
    ) -> Result<()> {
        self.store.record_validation(cred, status, latency_ms)
    }

    fn mark_used(
        &mut self,
        creds: &[&Credential],
        action: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        self.store.mark_used(creds, action, detail)
    }
}
