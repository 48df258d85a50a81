//! Trust for project-local agents, as direnv does it: a file under `.omc/agents/` (a cloned
//! repository can ship one) runs only once the SHA-256 of its bytes is recorded in the store for
//! its project root, and any edit needs a new `omc agent trust`.
//!
//! The hash checked is the hash of the bytes the session parsed ([`super::Session::read`] reads
//! the file once): a file swapped after it was read cannot run as the trusted one. A project
//! agent that is a link to a file outside its project is never trusted, whatever its hash: the
//! project's owner could not have reviewed it.

use std::path::PathBuf;

use super::locate::Origin;
use super::session::Session;
use crate::error::{Error, Result};
use crate::store::Store;

/// Whether an agent may run, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// A user agent, or a path given on the command line: runs without a trust.
    NotNeeded,
    /// A project agent whose bytes and project root are the ones trusted.
    Trusted,
    /// A project agent never trusted.
    Untrusted,
    /// A project agent whose bytes are not the ones trusted.
    Changed,
    /// A project agent that links to `target`, outside its project: never trusted.
    Outside { target: PathBuf },
    /// A project agent trusted with these bytes, but for another project root (`None`: by an
    /// omc that did not record one), so its relative paths meant something else.
    OtherRoot { trusted_in: Option<String> },
}

impl Trust {
    /// What the store says of `session`'s bytes; `store` None: there is no store yet.
    pub fn of(store: Option<&Store>, session: &Session) -> Result<Trust> {
        if session.found.origin != Origin::Project {
            return Ok(Trust::NotNeeded);
        }
        let root = session.root.as_ref().expect("a project agent has a root");
        if !session.canonical.starts_with(root) {
            return Ok(Trust::Outside {
                target: session.canonical.clone(),
            });
        }
        let Some(store) = store else {
            return Ok(Trust::Untrusted);
        };
        let record = store.agent_trust(&session.canonical.to_string_lossy())?;
        let root = root.to_string_lossy();
        Ok(match record {
            None => Trust::Untrusted,
            Some(r) if r.sha256 != session.sha256 => Trust::Changed,
            Some(r) if r.root.as_deref() == Some(&*root) => Trust::Trusted,
            Some(r) => Trust::OtherRoot { trusted_in: r.root },
        })
    }

    /// Whether the agent's tools and servers may run.
    pub fn may_run(&self) -> bool {
        matches!(self, Trust::NotNeeded | Trust::Trusted)
    }

    /// In one word, for `omc agent list` and `show`: `-` (no trust needed), `trusted`,
    /// `untrusted`, `changed` or `outside`.
    pub fn state(&self) -> &'static str {
        match self {
            Trust::NotNeeded => "-",
            Trust::Trusted => "trusted",
            Trust::Untrusted | Trust::OtherRoot { .. } => "untrusted",
            Trust::Changed => "changed",
            Trust::Outside { .. } => "outside",
        }
    }

    /// Ok when the agent may run; else the error saying why and what to do.
    pub fn require(&self, session: &Session) -> Result<()> {
        let name = &session.found.name;
        let path = session.found.path.display();
        let root = session
            .root
            .as_ref()
            .map(|r| r.display().to_string())
            .unwrap_or_default();
        let (message, hint) = match self {
            Trust::NotNeeded | Trust::Trusted => return Ok(()),
            Trust::Untrusted => (
                format!(
                    "project agent '{name}' ({path}) is not trusted: an agent runs commands as \
                     you, and this one came with the project"
                ),
                format!("read it, then run `omc agent trust {name}`"),
            ),
            Trust::Changed => (
                format!("project agent '{name}' ({path}) changed since it was trusted"),
                format!("read it, then run `omc agent trust {name}` to trust this version"),
            ),
            Trust::Outside { target } => (
                format!(
                    "project agent '{name}' ({path}) links to {}, outside the project ({root}): \
                     omc never trusts it, whatever it holds",
                    target.display()
                ),
                format!(
                    "copy the file into the project's .omc/agents/, read it, then run `omc agent \
                     trust {name}`"
                ),
            ),
            Trust::OtherRoot { trusted_in: None } => (
                format!(
                    "project agent '{name}' ({path}) was trusted by an older omc, which did not \
                     record the project its commands run in ({root})"
                ),
                format!("read it, then run `omc agent trust {name}` again"),
            ),
            Trust::OtherRoot {
                trusted_in: Some(other),
            } => (
                format!(
                    "project agent '{name}' ({path}) was trusted for the project {other}, and \
                     this is the project {root}, where its commands would run"
                ),
                format!("read it, then run `omc agent trust {name}` to trust it here"),
            ),
        };
        Err(Error::Usage {
            message,
            hint: Some(hint),
        })
    }
}
