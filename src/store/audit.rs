//! The audit log: who did what to which credential, when. Never the secret.
//!
//! Rows form a hash chain: each row's `hash` is SHA-256 over the previous row's hash and its own
//! fields (id included), so a row removed or edited in the middle of the log no longer matches
//! and `omc doctor` says where. The chain has no key: it shows tampering by anyone who did not
//! recompute it, not by someone who rewrote the whole log, and it cannot show the newest rows
//! cut off. The README's security model says so.

use rusqlite::OptionalExtension;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Store;
use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    /// The process's real uid, from the OS (rows written before omc recorded it have none).
    pub uid: Option<u32>,
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
        .unwrap_or_else(|| match uid() {
            Some(uid) => format!("uid {uid}"),
            None => "unknown".into(),
        });
    format!("{user} (pid {})", std::process::id())
}

/// The real uid of this process, as the OS has it (`$USER` is only what the environment says).
pub fn uid() -> Option<u32> {
    #[cfg(unix)]
    {
        Some(rustix::process::getuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// One row's fields, as hashed.
struct Fields<'a> {
    id: i64,
    at: i64,
    actor: &'a str,
    uid: Option<i64>,
    action: &'a str,
    profile: Option<&'a str>,
    credential: Option<&'a str>,
    credential_id: Option<&'a str>,
    detail: Option<&'a str>,
}

fn row_hash(prev: Option<&[u8]>, f: &Fields<'_>) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"omc-audit-v1\0");
    h.update(prev.unwrap_or(&[0u8; 32]));
    let mut field = |v: Option<&[u8]>| match v {
        Some(bytes) => {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        None => h.update(u64::MAX.to_le_bytes()),
    };
    field(Some(f.id.to_string().as_bytes()));
    field(Some(f.at.to_string().as_bytes()));
    field(Some(f.actor.as_bytes()));
    field(f.uid.map(|u| u.to_string()).as_deref().map(str::as_bytes));
    field(Some(f.action.as_bytes()));
    field(f.profile.map(str::as_bytes));
    field(f.credential.map(str::as_bytes));
    field(f.credential_id.map(str::as_bytes));
    field(f.detail.map(str::as_bytes));
    h.finalize().to_vec()
}

/// Append one audit row inside the caller's write transaction (the chain needs the previous
/// row read and this one written under one lock).
pub fn record(
    tx: &rusqlite::Connection,
    action: &str,
    profile: Option<&str>,
    credential: Option<(&str, &str)>,
    detail: Option<&str>,
) -> Result<()> {
    let (last_id, prev): (i64, Option<Vec<u8>>) = tx
        .query_row(
            "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, None));
    let actor = actor();
    let fields = Fields {
        id: last_id + 1,
        at: crate::time::now_ms(),
        actor: &actor,
        uid: uid().map(i64::from),
        action,
        profile,
        credential: credential.map(|c| c.0),
        credential_id: credential.map(|c| c.1),
        detail,
    };
    let hash = row_hash(prev.as_deref(), &fields);
    tx.execute(
        "INSERT INTO audit(id, at, actor, uid, action, profile, credential, credential_id, detail, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            fields.id,
            fields.at,
            fields.actor,
            fields.uid,
            action,
            profile,
            fields.credential,
            fields.credential_id,
            detail,
            hash
        ],
    )?;
    Ok(())
}

/// What `doctor` finds walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chain {
    /// Every row since the chain began matches; `legacy` rows predate it.
    Intact { chained: u64, legacy: u64 },
    /// The first place it does not hold.
    Broken { at_row: i64, reason: String },
}

impl Store {
    pub fn audit(
        &mut self,
        action: &str,
        profile: Option<&str>,
        credential: Option<(&str, &str)>,
        detail: Option<&str>,
    ) -> Result<()> {
        self.write_light(|tx| record(tx, action, profile, credential, detail))
    }

    /// Newest first.
    pub fn audit_log(&self, limit: u32, profile: Option<&str>) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, actor, uid, action, profile, credential, detail FROM audit
             WHERE ?1 IS NULL OR profile = ?1 OR profile IS NULL ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![profile, limit], |r| {
            Ok(AuditEntry {
                at: r.get(0)?,
                actor: r.get(1)?,
                uid: r.get(2)?,
                action: r.get(3)?,
                profile: r.get(4)?,
                credential: r.get(5)?,
                detail: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Walk the audit chain from its first row.
    pub fn verify_audit_chain(&self) -> Result<Chain> {
        verify(&self.conn)
    }
}

fn verify(conn: &rusqlite::Connection) -> Result<Chain> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, uid, action, profile, credential, credential_id, detail, hash
             FROM audit ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let (mut legacy, mut chained) = (0u64, 0u64);
    let mut prev: Option<(i64, Vec<u8>)> = None;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let hash: Option<Vec<u8>> = r.get(9)?;
        let Some(hash) = hash else {
            if prev.is_none() {
                legacy += 1;
                continue;
            }
            return Ok(Chain::Broken {
                at_row: id,
                reason: "it has no hash: it was written outside omc".into(),
            });
        };
        let (actor, action): (String, String) = (r.get(2)?, r.get(4)?);
        let (profile, credential, credential_id, detail): (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ) = (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?);
        let fields = Fields {
            id,
            at: r.get(1)?,
            actor: &actor,
            uid: r.get(3)?,
            action: &action,
            profile: profile.as_deref(),
            credential: credential.as_deref(),
            credential_id: credential_id.as_deref(),
            detail: detail.as_deref(),
        };
        if let Some((prev_id, _)) = &prev
            && id != prev_id + 1
        {
            return Ok(Chain::Broken {
                at_row: id,
                reason: if id == prev_id + 2 {
                    format!("row {} before it was deleted", prev_id + 1)
                } else {
                    format!("rows {}–{} before it were deleted", prev_id + 1, id - 1)
                },
            });
        }
        if row_hash(prev.as_ref().map(|p| p.1.as_slice()), &fields) != hash {
            return Ok(Chain::Broken {
                at_row: id,
                reason: format!(
                    "it ({action} at {}) does not match its hash: it, or the row before it, \
                         was changed or removed outside omc",
                    crate::time::rfc3339(fields.at)
                ),
            });
        }
        chained += 1;
        prev = Some((id, hash));
    }
    Ok(Chain::Intact { chained, legacy })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(conn: &rusqlite::Connection) -> Chain {
        verify(conn).unwrap()
    }

    #[test]
    fn rows_from_before_the_chain_are_counted_and_the_chain_starts_after_them() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for step in crate::store::schema::MIGRATIONS {
            conn.execute_batch(step).unwrap();
        }
        conn.execute(
            "INSERT INTO audit(at, actor, action) VALUES (1, 'old (pid 1)', 'add')",
            [],
        )
        .unwrap();
        for action in ["key", "key", "delete"] {
            record(&conn, action, Some("default"), Some(("a", "id-a")), None).unwrap();
        }
        assert_eq!(
            chain(&conn),
            Chain::Intact {
                chained: 3,
                legacy: 1
            }
        );
        // The first chained row removed: the next one no longer links.
        conn.execute("DELETE FROM audit WHERE id = 2", []).unwrap();
        assert!(matches!(chain(&conn), Chain::Broken { at_row: 3, .. }));
    }
}
