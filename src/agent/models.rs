//! Model preferences: `CREDENTIAL[/MODEL]` or `PROVIDER[/MODEL]`, split at the first `/`, a
//! credential name winning over a provider id. Each resolves to a stored credential and a model.

use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::provider::{self, ProviderSpec};
use crate::store::Credential;

/// A preference that resolved: the credential and the model to ask for.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The preference as written.
    pub preference: String,
    pub credential: Credential,
    pub spec: &'static ProviderSpec,
    pub model: String,
}

/// Split at the first `/`: `openrouter/anthropic/claude-sonnet-4` is `openrouter` and
/// `anthropic/claude-sonnet-4`.
pub fn split(pref: &str) -> (&str, Option<&str>) {
    match pref.split_once('/') {
        Some((head, model)) => (head.trim(), Some(model.trim()).filter(|m| !m.is_empty())),
        None => (pref.trim(), None),
    }
}

/// Resolve one preference in `profile`. `Ok(None)` when the profile has nothing for it (the
/// next preference is tried); an error only for a broken store or an unknown provider.
pub fn resolve(creds: &mut dyn CredentialBackend, pref: &str) -> Result<Option<Resolved>> {
    let (head, model) = split(pref);
    let cred = match creds.get(head) {
        Ok(found) => found,
        Err(Error::NotFound {
            what: "credential", ..
        }) => {
            let Some(spec) = provider::lookup(head) else {
                return Ok(None);
            };
            match creds.default_name(Some(spec.id)) {
                Ok(name) => creds.get(&name)?,
                Err(Error::Missing { .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    let spec = provider::require(&cred.provider)?;
    let model = model
        .map(str::to_owned)
        .or_else(|| cred.model.clone())
        .unwrap_or_else(|| spec.default_model.to_owned());
    Ok(Some(Resolved {
        preference: pref.to_owned(),
        credential: cred,
        spec,
        model,
    }))
}

/// Every preference that resolves, in order, with the ones that did not (for a warning).
/// With no preferences at all, the profile's default credential.
pub fn resolve_all(
    creds: &mut dyn CredentialBackend,
    prefs: &[String],
) -> Result<(Vec<Resolved>, Vec<String>)> {
    let profile = creds.profile().to_owned();
    if prefs.is_empty() {
        let name = creds.default_name(None)?;
        let Some(r) = resolve(creds, &name)? else {
            return Err(Error::not_found("credential", name));
        };
        return Ok((vec![r], vec![]));
    }
    let mut ok = Vec::new();
    let mut missing = Vec::new();
    for p in prefs {
        match resolve(creds, p)? {
            Some(r) => ok.push(r),
            None => missing.push(p.clone()),
        }
    }
    if ok.is_empty() {
        return Err(Error::Missing {
            message: format!(
                "none of the agent's models is usable in profile '{profile}': {}",
                missing.join(", ")
            ),
            hint: "add a credential for one (omc add PROVIDER), or pass --credential/--provider"
                .into(),
        });
    }
    Ok((ok, missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_split_at_the_first_slash() {
        assert_eq!(
            split("openrouter/anthropic/claude-sonnet-4"),
            ("openrouter", Some("anthropic/claude-sonnet-4"))
        );
        assert_eq!(split("work"), ("work", None));
        assert_eq!(split("work/"), ("work", None));
    }
}
