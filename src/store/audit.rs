//! The audit log: who did what to which credential, when. Never the secret.

use serde::Serialize;

use super::Store;
use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub profile: Option<String>,
    pub credential: Option<String>,
    pub detail: Option<String>,
}

/// The OS user running omc, for the audit trail.
pub fn actor() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(uid);
    format!("{user} (pid {})", std::process::id())
}

/// `uid N` of this process, when no user name is in the environment.
fn uid() -> String {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        // /proc/self belongs to the process's (real) user.
        if let Ok(m) = std::fs::metadata("/proc/self") {
            return format!("uid {}", m.uid());
        }
    }
    "unknown".into()
}

/// Append one audit row inside the caller's transaction.
pub fn record(
    tx: &rusqlite::Connection,
    action: &str,
    profile: Option<&str>,
    credential: Option<(&str, &str)>,
    detail: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit(at, actor, action, profile, credential, credential_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            crate::time::now_ms(),
            actor(),
            action,
            profile,
            credential.map(|c| c.0),
            credential.map(|c| c.1),
            detail
        ],
    )?;
    Ok(())
}

impl Store {
    pub fn audit(
        &self,
        action: &str,
        profile: Option<&str>,
        credential: Option<(&str, &str)>,
        detail: Option<&str>,
    ) -> Result<()> {
        record(&self.conn, action, profile, credential, detail)
    }

    /// Newest first.
    pub fn audit_log(&self, limit: u32, profile: Option<&str>) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, actor, action, profile, credential, detail FROM audit
             WHERE ?1 IS NULL OR profile = ?1 OR profile IS NULL ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![profile, limit], |r| {
            Ok(AuditEntry {
                at: r.get(0)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                profile: r.get(3)?,
                credential: r.get(4)?,
                detail: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
