//! Trust for project-local agents, as direnv does it: a file under `.omc/agents/` (a cloned
//! repository can ship one) runs only once its SHA-256 is recorded in the store, and any edit
//! needs a new `omc agent trust`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::locate::{Found, Origin};
use crate::error::{Error, Result};
use crate::store::Store;

/// The canonical path (the store's key) and the SHA-256 (hex) of an agent file.
pub fn fingerprint(path: &Path) -> Result<(PathBuf, String)> {
    let canonical = path
        .canonicalize()
        .map_err(|e| Error::io_path("resolve", path, e))?;
    let bytes = std::fs::read(&canonical).map_err(|e| Error::io_path("read", &canonical, e))?;
    let digest = Sha256::digest(&bytes);
    let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok((canonical, hex))
}

/// Whether `found` may run: user agents and paths given on the command line always may; a
/// project agent only when the store holds this exact file's SHA-256.
pub fn check(store: &Store, found: &Found) -> Result<()> {
    if found.origin != Origin::Project {
        return Ok(());
    }
    let (path, sha) = fingerprint(&found.path)?;
    let key = path.to_string_lossy();
    match store.agent_trust(&key)? {
        Some(known) if known == sha => Ok(()),
        Some(_) => Err(Error::Usage {
            message: format!(
                "project agent '{}' ({}) changed since it was trusted",
                found.name,
                path.display()
            ),
            hint: Some(format!(
                "read it, then run `omc agent trust {}` to trust this version",
                found.name
            )),
        }),
        None => Err(Error::Usage {
            message: format!(
                "project agent '{}' ({}) is not trusted: an agent runs commands as you, and this \
                 one came with the project",
                found.name,
                path.display()
            ),
            hint: Some(format!(
                "read it, then run `omc agent trust {}`",
                found.name
            )),
        }),
    }
}
