//! The variables a credential sets for another program (`exec`, `env`, agent tools, the
//! proxy's child), and which credentials a selection names.

use secrecy::{ExposeSecret, SecretString};

use super::CredentialBackend;
use crate::error::{Error, Result};
use crate::provider;
use crate::store::Credential;

/// Which credentials to hand over: by name, and by provider (its default credential); both
/// empty: every provider's default credential.
#[derive(Debug, Clone, Copy)]
pub struct Selection<'a> {
    pub credentials: &'a [String],
    pub providers: &'a [String],
}

/// One variable for the child: name and value (a key or a base URL).
pub struct Var {
    pub name: &'static str,
    pub value: SecretString,
}

/// The selected credentials, decrypted into the variables their providers' tools read.
pub fn variables(
    backend: &mut dyn CredentialBackend,
    selection: &Selection<'_>,
    action: &str,
    detail: Option<&str>,
) -> Result<Vec<Var>> {
    let creds = select(backend, selection)?;
    if creds.is_empty() {
        return Err(Error::not_found("credential", "(any provider default)"));
    }
    let mut vars = Vec::new();
    for cred in &creds {
        let secret = backend.reveal(cred)?;
        vars.extend(credential_vars(cred, &secret)?);
    }
    let used: Vec<&Credential> = creds.iter().collect();
    backend.mark_used(&used, action, detail)?;
    Ok(vars)
}

/// The variables one credential sets: its key under each of its provider's conventional names,
/// and its base URL when it has one.
pub fn credential_vars(cred: &Credential, secret: &SecretString) -> Result<Vec<Var>> {
    let spec = provider::require(&cred.provider)?;
    let mut vars = Vec::new();
    for name in spec.key_vars {
        vars.push(Var {
            name,
            value: SecretString::from(secret.expose_secret().to_owned()),
        });
    }
    if let Some(url) = &cred.base_url {
        vars.push(Var {
            name: spec.base_url_var,
            value: SecretString::from(url.clone()),
        });
    }
    Ok(vars)
}

pub fn select(backend: &mut dyn CredentialBackend, sel: &Selection<'_>) -> Result<Vec<Credential>> {
    let mut names: Vec<String> = sel.credentials.to_vec();
    for p in sel.providers {
        let spec = provider::require(p)?;
        names.push(backend.default_name(Some(spec.id))?);
    }
    if sel.credentials.is_empty() && sel.providers.is_empty() {
        // Listed credentials are live already: no need to fetch each again.
        let defaults = backend
            .list(None, false)?
            .into_iter()
            .filter(|c| c.is_provider_default)
            .collect::<Vec<_>>();
        if defaults.is_empty() {
            // Running the command with no key set would only fail later, less clearly.
            backend.default_name(None)?;
        }
        return Ok(defaults);
    }
    let mut out: Vec<Credential> = Vec::new();
    for name in names {
        if out.iter().any(|c| c.name == name) {
            continue;
        }
        let cred = backend.get(&name)?;
        if let Some(other) = out.iter().find(|c| c.provider == cred.provider) {
            return Err(Error::usage_hint(
                format!(
                    "'{}' and '{}' are both {} credentials: they would set the same variables",
                    other.name, cred.name, cred.provider
                ),
                "select one credential per provider",
            ));
        }
        out.push(cred);
    }
    Ok(out)
}
