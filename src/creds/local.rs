//! Credentials in this store's SQLite table, age-encrypted to the master recipient. Rows are
//! read in one snapshot with the recipient they are checked against, and keys are sealed only
//! to a recipient the command has vouched for (see [`super::Access::recipient_check`]).

use secrecy::{ExposeSecret, SecretString};

use super::{Access, CredentialBackend, NewCred};
use crate::error::{Error, Result};
use crate::keys::Binding;
use crate::keys::master::MasterKey;
use crate::store::{Credential, Filter, NewCredential, Store};

pub struct Local<'a> {
    keys: &'a Access,
    store: Store,
    profile: String,
    master: Option<MasterKey>,
}

impl<'a> Local<'a> {
    pub fn new(keys: &'a Access, store: Store, profile: &str) -> Local<'a> {
        Local {
            keys,
            store,
            profile: profile.to_owned(),
            master: None,
        }
    }
}

impl CredentialBackend for Local<'_> {
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
        let profile = self.profile.clone();
        self.store.snapshot(|store| {
            store.require_profile(&profile)?;
            store.list_credentials(&Filter {
                profile: Some(&profile),
                provider,
                include_deleted,
            })
        })
    }

    fn for_each(
        &mut self,
        provider: Option<&str>,
        include_deleted: bool,
        f: &mut dyn FnMut(&Credential) -> Result<()>,
    ) -> Result<()> {
        // This profile's credentials, one at a time, in a read snapshot.
        let profile = self.profile.clone();
        self.store.snapshot(|store| {
            store.require_profile(&profile)?;
            store.each_credential(
                &Filter {
                    profile: Some(&profile),
                    provider,
                    include_deleted,
                },
                f,
            )
        })
    }

    fn count_hint(&mut self, provider: Option<&str>, include_deleted: bool) -> Option<usize> {
        let filter = Filter {
            profile: Some(&self.profile),
            provider,
            include_deleted,
        };
        self.store.count_credentials(&filter).ok()
    }

    fn count_bound(&mut self) -> Option<usize> {
        self.store.count_all_credentials().ok()
    }

    fn get(&mut self, name: &str) -> Result<Credential> {
        let profile = self.profile.clone();
        Ok(self
            .store
            .snapshot(|store| store.credential(&profile, name))?
            .0)
    }

    fn default_name(&mut self, provider: Option<&str>) -> Result<String> {
        self.store.require_default(&self.profile, provider)
    }

    fn reveal(&mut self, cred: &Credential) -> Result<SecretString> {
        // The row and the recipient it is checked against come from one snapshot.
        let profile = self.profile.clone();
        let (row, ciphertext) = self
            .store
            .snapshot(|store| store.credential(&profile, &cred.name))?;
        if row.id != cred.id {
            return Err(Error::not_found("credential", &cred.name));
        }
        let master = self.master_key()?;
        super::decrypt(master, &row, &ciphertext)
    }

    fn master_key(&mut self) -> Result<&MasterKey> {
        if self.master.is_none() {
            self.master = Some(self.keys.unlock(&self.store)?);
        }
        Ok(self.master.as_ref().expect("unlocked above"))
    }

    fn check_new(&mut self, name: &str, secret: &SecretString) -> Result<()> {
        let fingerprint = self.store.meta.fingerprint(secret.expose_secret());
        self.store
            .check_new_credential(&self.profile, name, &fingerprint)?;
        // A store whose recipient omc cannot vouch for is refused before the key goes anywhere.
        let verify = self.keys.recipient_check(&self.store);
        verify(&self.store.meta.recipient)
    }

    fn check_writable(&mut self) -> Result<()> {
        let verify = self.keys.recipient_check(&self.store);
        verify(&self.store.meta.recipient)
    }

    fn add(&mut self, new: &NewCred<'_>, secret: &SecretString) -> Result<Credential> {
        let fingerprint = self.store.meta.fingerprint(secret.expose_secret());
        let mask = crate::mask::mask(secret.expose_secret());
        let verify = self.keys.recipient_check(&self.store);
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
            verify,
            |recipient, id, profile_id| {
                crate::keys::seal(
                    recipient,
                    &Binding::new(id, profile_id, new.provider),
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
        let mask = crate::mask::mask(secret.expose_secret());
        let fingerprint = self.store.meta.fingerprint(secret.expose_secret());
        let verify = self.keys.recipient_check(&self.store);
        self.store.replace_secret(
            cred,
            &mask,
            &fingerprint,
            verify,
            |recipient| crate::keys::seal(recipient, &cred.binding(), secret),
            validation,
        )?;
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
