//! Profiles: named sets of credentials (work, personal, ci…).

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    pub credentials: i64,
    pub created_at: i64,
}

pub fn validate_name(kind: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::usage_hint(
            format!("invalid {kind} name '{}'", name.escape_debug()),
            "use 1 to 64 letters, digits, '-', '_', '.' or '@'",
        ))
    }
}

impl Store {
    pub fn profile_id(&self, name: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT id FROM profiles WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn require_profile(&self, name: &str) -> Result<i64> {
        self.profile_id(name)?
            .ok_or_else(|| Error::not_found("profile", name))
    }

    /// The profile's id, creating it when it does not exist.
    pub fn ensure_profile(tx: &rusqlite::Transaction<'_>, name: &str) -> Result<i64> {
        validate_name("profile", name)?;
        tx.execute(
            "INSERT OR IGNORE INTO profiles(name, created_at) VALUES (?1, ?2)",
            (name, crate::time::now_ms()),
        )?;
        Ok(
            tx.query_row("SELECT id FROM profiles WHERE name = ?1", [name], |r| {
                r.get(0)
            })?,
        )
    }

    pub fn profiles(&self) -> Result<Vec<Profile>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.id, p.name, p.created_at,
                    (SELECT count(*) FROM credentials c WHERE c.profile_id = p.id AND c.deleted_at IS NULL)
             FROM profiles p ORDER BY p.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Profile {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
                credentials: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn add_profile(&mut self, name: &str) -> Result<()> {
        validate_name("profile", name)?;
        self.write(|tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO profiles(name, created_at) VALUES (?1, ?2)",
                (name, crate::time::now_ms()),
            )?;
            if n == 0 {
                return Err(Error::conflict(
                    format!("profile '{name}' already exists"),
                    "choose another name",
                ));
            }
            Ok(())
        })
    }

    /// Remove an empty profile (tombstones of deleted credentials are purged with it).
    pub fn remove_profile(&mut self, name: &str) -> Result<()> {
        self.write(|tx| {
            let id: i64 = tx
                .query_row("SELECT id FROM profiles WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| Error::not_found("profile", name))?;
            let live: i64 = tx.query_row(
                "SELECT count(*) FROM credentials WHERE profile_id = ?1 AND deleted_at IS NULL",
                [id],
                |r| r.get(0),
            )?;
            if live > 0 {
                return Err(Error::conflict(
                    format!("profile '{name}' still holds {live} credential(s)"),
                    format!("delete them first: omc --profile {name} delete NAME --yes"),
                ));
            }
            tx.execute("DELETE FROM credentials WHERE profile_id = ?1", [id])?;
            tx.execute("DELETE FROM profiles WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    pub fn rename_profile(&mut self, old: &str, new: &str) -> Result<()> {
        validate_name("profile", new)?;
        self.write(|tx| {
            if tx
                .query_row("SELECT 1 FROM profiles WHERE name = ?1", [new], |_| Ok(()))
                .optional()?
                .is_some()
            {
                return Err(Error::conflict(
                    format!("profile '{new}' already exists"),
                    "choose another name",
                ));
            }
            let n = tx.execute("UPDATE profiles SET name = ?2 WHERE name = ?1", (old, new))?;
            if n == 0 {
                return Err(Error::not_found("profile", old));
            }
            Ok(())
        })
    }
}
