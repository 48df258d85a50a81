//! A read-only look at the store for shell completion: names only, never a ciphertext, no
//! migration, no mode checks, no master key. Anything unexpected reads as "nothing there".

use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::paths::Paths;

pub struct Peek(Connection);

impl Peek {
    /// `None` when there is no store, or it cannot be opened read-only right now.
    pub fn open(paths: &Paths) -> Option<Peek> {
        let db = paths.db();
        if !db.is_file() {
            return None;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(db, flags).ok()?;
        // A TAB must not hang behind a long write.
        conn.busy_timeout(Duration::from_millis(50)).ok()?;
        Some(Peek(conn))
    }

    fn strings(&self, sql: &str, params: impl rusqlite::Params) -> Vec<(String, String)> {
        let Ok(mut stmt) = self.0.prepare(sql) else {
            return Vec::new();
        };
        stmt.query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))
            .map(|rows| rows.filter_map(|r| r.ok()).collect())
            .unwrap_or_default()
    }

    /// Live credentials of `profile`: (name, provider).
    pub fn credentials(&self, profile: &str) -> Vec<(String, String)> {
        self.strings(
            "SELECT c.name, c.provider FROM credentials c JOIN profiles p ON p.id = c.profile_id
             WHERE p.name = ?1 AND c.deleted_at IS NULL ORDER BY c.name",
            [profile],
        )
    }

    /// Profiles: (name, how many live credentials).
    pub fn profiles(&self) -> Vec<(String, String)> {
        self.strings(
            "SELECT p.name, (SELECT count(*) FROM credentials c
                 WHERE c.profile_id = p.id AND c.deleted_at IS NULL) || ' credentials'
             FROM profiles p ORDER BY p.name",
            [],
        )
    }

    /// The latest bench runs of `profile`, newest first: (id, status).
    pub fn bench_runs(&self, profile: &str, limit: u32) -> Vec<(String, String)> {
        self.strings(
            "SELECT CAST(id AS TEXT), status FROM bench_runs WHERE profile = ?1
             ORDER BY id DESC LIMIT ?2",
            rusqlite::params![profile, limit],
        )
    }
}
