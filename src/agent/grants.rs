//! Credentials granted to tools: decrypted once per run, each one only into the processes of
//! the tools that name it, each use audited.

use super::Agent;
use super::file::McpTransport;
use super::tools::Grants;
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::store::Credential;

/// Check that every credential the agent's tools name exists in the profile (for `check`).
pub fn check(creds: &mut dyn CredentialBackend, agent: &Agent) -> Result<Vec<Credential>> {
    let profile = creds.profile().to_owned();
    agent
        .granted_credentials()
        .iter()
        .map(|name| {
            creds.get(name).map_err(|e| match e {
                Error::NotFound { .. } => Error::Missing {
                    message: format!(
                        "agent '{}' grants credential '{name}' to a tool, and profile '{profile}' has none by that name",
                        agent.name
                    ),
                    hint: format!("add it (omc add PROVIDER --name {name}), or fix the agent file"),
                },
                e => e,
            })
        })
        .collect()
}

/// Decrypt the credentials the agent grants its tools.
pub fn decrypt(creds: &mut dyn CredentialBackend, agent: &Agent) -> Result<Grants> {
    let mut grants = Grants::default();
    let bearers: Vec<&String> = agent
        .mcp
        .iter()
        .filter_map(|s| match &s.transport {
            McpTransport::Http { bearer, .. } => bearer.as_ref(),
            McpTransport::Stdio { .. } => None,
        })
        .collect();
    for cred in check(creds, agent)? {
        let name = cred.name.clone();
        let secret = creds.reveal(&cred)?;
        if bearers.contains(&&name) {
            grants.bearer.insert(name.clone(), secret.clone());
        }
        grants
            .vars
            .insert(name.clone(), crate::creds::credential_vars(&cred, &secret)?);
        grants.creds.push(cred);
    }
    Ok(grants)
}
