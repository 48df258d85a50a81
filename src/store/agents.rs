//! Agents in the store: which project-local agent files are trusted (by SHA-256, for one
//! project root), and agent runs with their age-encrypted transcripts.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;

/// One agent run as `omc agent runs` lists it: no transcript, so no key is needed.
#[derive(Debug, Clone, Serialize)]
pub struct AgentRunRow {
    pub id: i64,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub started_at: i64,
    #[serde(serialize_with = "crate::time::serialize_rfc3339_opt")]
    pub finished_at: Option<i64>,
    pub profile: String,
    pub agent: String,
    pub agent_path: String,
    pub status: String,
    pub turns: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
}

/// What `omc agent trust` recorded for an agent file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustRecord {
    /// SHA-256 (hex) of the bytes trusted.
    pub sha256: String,
    /// The project root (canonical) the file was trusted in; `None` for a trust recorded
    /// before omc named it.
    pub root: Option<String>,
}

/// Totals and state of a run, written after every turn.
#[derive(Debug, Clone)]
pub struct AgentRunUpdate<'a> {
    pub status: &'a str,
    pub finished: bool,
    pub turns: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    /// The transcript, already age-encrypted.
    pub transcript: &'a [u8],
}

impl Store {
    /// What is recorded for the agent file at `path` (canonical), if anything.
    pub fn agent_trust(&self, path: &str) -> Result<Option<TrustRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT sha256, root FROM agent_trust WHERE path = ?1",
                [path],
                |r| {
                    Ok(TrustRecord {
                        sha256: r.get(0)?,
                        root: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Trust the agent file at `path` (canonical) with these bytes' SHA-256, in project `root`.
    pub fn trust_agent(
        &mut self,
        path: &str,
        sha256: &str,
        root: &str,
        profile: &str,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO agent_trust(path, sha256, trusted_at, root) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(path) DO UPDATE SET sha256 = excluded.sha256,
                     trusted_at = excluded.trusted_at, root = excluded.root",
                (path, sha256, now_ms(), root),
            )?;
            super::audit::record(
                tx,
                "agent-trust",
                Some(profile),
                None,
                Some(&format!("{path} sha256:{sha256} root:{root}")),
            )
        })
    }

    /// Mark a usage-ledger row as an agent's turn.
    pub fn begin_agent_run(&mut self, profile: &str, agent: &str, path: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO agent_runs(started_at, profile, agent, agent_path, status)
             VALUES (?1, ?2, ?3, ?4, 'running')",
            (now_ms(), profile, agent, path),
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn update_agent_run(&mut self, id: i64, u: &AgentRunUpdate<'_>) -> Result<()> {
        self.conn.execute(
            "UPDATE agent_runs SET status = ?2, finished_at = ?3, turns = ?4, input_tokens = ?5,
                 output_tokens = ?6, cost_usd = ?7, transcript = ?8
             WHERE id = ?1",
            rusqlite::params![
                id,
                u.status,
                u.finished.then(now_ms),
                u.turns,
                u.input_tokens as i64,
                u.output_tokens as i64,
                u.cost_usd,
                u.transcript
            ],
        )?;
        Ok(())
    }

    /// Newest first; `profile` None means every profile.
    pub fn agent_runs(&self, limit: u32, profile: Option<&str>) -> Result<Vec<AgentRunRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, started_at, finished_at, profile, agent, agent_path, status, turns,
                    input_tokens, output_tokens, cost_usd
             FROM agent_runs WHERE ?1 IS NULL OR profile = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![profile, limit], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One run and its encrypted transcript. `id` may be `last`.
    pub fn agent_run(&self, id: &str) -> Result<(AgentRunRow, Option<Vec<u8>>)> {
        let found = if id == "last" {
            self.conn
                .query_row(
                    "SELECT id, started_at, finished_at, profile, agent, agent_path, status, turns,
                            input_tokens, output_tokens, cost_usd, transcript
                     FROM agent_runs ORDER BY id DESC LIMIT 1",
                    [],
                    |r| Ok((row(r)?, r.get(11)?)),
                )
                .optional()?
        } else {
            let n: i64 = id.parse().map_err(|_| {
                Error::usage_hint(
                    format!("'{id}' is not an agent run id"),
                    "give a number from `omc agent runs`, or 'last'",
                )
            })?;
            self.conn
                .query_row(
                    "SELECT id, started_at, finished_at, profile, agent, agent_path, status, turns,
                            input_tokens, output_tokens, cost_usd, transcript
                     FROM agent_runs WHERE id = ?1",
                    [n],
                    |r| Ok((row(r)?, r.get(11)?)),
                )
                .optional()?
        };
        found.ok_or_else(|| Error::not_found("agent run", id))
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AgentRunRow> {
    Ok(AgentRunRow {
        id: r.get(0)?,
        started_at: r.get(1)?,
        finished_at: r.get(2)?,
        profile: r.get(3)?,
        agent: r.get(4)?,
        agent_path: r.get(5)?,
        status: r.get(6)?,
        turns: r.get::<_, i64>(7)? as u32,
        input_tokens: r.get::<_, i64>(8)? as u64,
        output_tokens: r.get::<_, i64>(9)? as u64,
        cost_usd: r.get(10)?,
    })
}
