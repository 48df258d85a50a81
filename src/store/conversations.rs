//! Conversations (`omc run`, `omc chat`): a plain row per conversation for listings (when,
//! where it ran, tokens, cost) and its messages age-encrypted in `body` (sealed by
//! `crate::agent::transcript`). The log (`omc log`) lists them beside agent runs.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;

/// A conversation's plain row: nothing of a prompt or answer, unless the user opted into
/// titles.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationRow {
    pub id: i64,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub started_at: i64,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub updated_at: i64,
    pub profile: String,
    /// `run` or `chat`.
    pub kind: String,
    /// The credential, provider and model of the last exchange.
    pub credential: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub exchanges: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// What a save writes to the plain row.
#[derive(Debug, Clone)]
pub struct ConversationSave<'a> {
    /// `None`: a new conversation.
    pub id: Option<i64>,
    pub profile: &'a str,
    pub kind: &'a str,
    pub credential: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub model: Option<&'a str>,
    pub exchanges: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    pub title: Option<&'a str>,
}

/// One line of `omc log`: a conversation, or an agent run (id `aN`).
#[derive(Debug, Clone, Serialize)]
pub struct LogRow {
    pub id: String,
    /// `run`, `chat` or `agent`.
    pub kind: String,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub at: i64,
    pub profile: String,
    pub credential: Option<String>,
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Exchanges of a conversation, turns of an agent run.
    pub exchanges: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Which row of the log an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogId {
    Conversation(i64),
    Agent(i64),
}

impl LogId {
    /// `12` (a conversation) or `a7` (an agent run).
    pub fn parse(text: &str) -> Result<LogId> {
        let bad = || {
            Error::usage_hint(
                format!("'{}' is not a log id", crate::terminal::line(text)),
                "give an id from `omc log` (a number, or aN for an agent run), or 'last'",
            )
        };
        match text.strip_prefix('a') {
            Some(n) => n.parse().map(LogId::Agent).map_err(|_| bad()),
            None => text.parse().map(LogId::Conversation).map_err(|_| bad()),
        }
    }
}

const COLUMNS: &str = "id, started_at, updated_at, profile, kind, credential, provider, model,
    exchanges, input_tokens, output_tokens, cost_usd, title";

impl Store {
    /// Write a conversation's row and its sealed body in one transaction; `seal` gets the row's
    /// id (new or given) and returns the ciphertext bound to it. Returns the id.
    pub fn save_conversation(
        &mut self,
        c: &ConversationSave<'_>,
        seal: impl FnOnce(i64) -> Result<Vec<u8>>,
    ) -> Result<i64> {
        self.write_light(|tx| {
            let now = now_ms();
            let id = match c.id {
                Some(id) => id,
                None => {
                    tx.execute(
                        "INSERT INTO conversations(started_at, updated_at, profile, kind, title)
                         VALUES (?1, ?1, ?2, ?3, ?4)",
                        (now, c.profile, c.kind, c.title),
                    )?;
                    tx.last_insert_rowid()
                }
            };
            let body = seal(id)?;
            let changed = tx.execute(
                "UPDATE conversations SET updated_at = ?2, credential = ?3, provider = ?4,
                     model = ?5, exchanges = ?6, input_tokens = ?7, output_tokens = ?8,
                     cost_usd = ?9, body = ?10
                 WHERE id = ?1",
                rusqlite::params![
                    id,
                    now,
                    c.credential,
                    c.provider,
                    c.model,
                    c.exchanges,
                    c.input_tokens as i64,
                    c.output_tokens as i64,
                    c.cost_usd,
                    body
                ],
            )?;
            if changed == 0 {
                return Err(Error::not_found("conversation", id.to_string()));
            }
            Ok(id)
        })
    }

    /// The profile's most recently used conversation and its ciphertext.
    pub fn last_conversation(&self, profile: &str) -> Result<Option<(ConversationRow, Vec<u8>)>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS}, body FROM conversations
                     WHERE profile = ?1 AND body IS NOT NULL
                     ORDER BY updated_at DESC, id DESC LIMIT 1"
                ),
                [profile],
                |r| Ok((row(r)?, r.get(13)?)),
            )
            .optional()?)
    }

    /// One conversation and its ciphertext.
    pub fn conversation(&self, id: i64) -> Result<(ConversationRow, Vec<u8>)> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS}, body FROM conversations
                     WHERE id = ?1 AND body IS NOT NULL"
                ),
                [id],
                |r| Ok((row(r)?, r.get(13)?)),
            )
            .optional()?
            .ok_or_else(|| Error::not_found("conversation", id.to_string()))
    }

    /// The newest log entries of `profile` (every profile: `None`): conversations and agent
    /// runs, newest first. Reads no ciphertext.
    pub fn log_rows(&self, profile: Option<&str>, limit: u32) -> Result<Vec<LogRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM conversations
             WHERE body IS NOT NULL AND (?1 IS NULL OR profile = ?1)
             ORDER BY updated_at DESC, id DESC LIMIT ?2"
        ))?;
        let mut out: Vec<LogRow> = stmt
            .query_map(rusqlite::params![profile, limit], row)?
            .map(|r| {
                r.map(|c| LogRow {
                    id: c.id.to_string(),
                    kind: c.kind,
                    at: c.updated_at,
                    profile: c.profile,
                    credential: c.credential,
                    model: c.model,
                    agent: None,
                    exchanges: c.exchanges,
                    input_tokens: c.input_tokens,
                    output_tokens: c.output_tokens,
                    cost_usd: c.cost_usd,
                    title: c.title,
                })
            })
            .collect::<Result<_, _>>()?;
        for a in self.agent_runs(limit, profile)? {
            out.push(LogRow {
                id: format!("a{}", a.id),
                kind: "agent".into(),
                at: a.started_at,
                profile: a.profile,
                credential: None,
                model: None,
                agent: Some(a.agent),
                exchanges: a.turns,
                input_tokens: a.input_tokens,
                output_tokens: a.output_tokens,
                cost_usd: a.cost_usd,
                title: None,
            });
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.at));
        out.truncate(limit as usize);
        Ok(out)
    }

    /// The newest entry of the log of `profile`.
    pub fn last_log_id(&self, profile: &str) -> Result<LogId> {
        match self.log_rows(Some(profile), 1)?.first() {
            Some(r) => LogId::parse(&r.id),
            None => Err(Error::not_found("conversation", "last")),
        }
    }

    /// Every sealed body of `profile`'s log, newest first: `(id, ciphertext)`, for a search that
    /// decrypts one at a time.
    pub fn log_bodies(&self, profile: &str, limit: usize) -> Result<Vec<(LogId, Vec<u8>)>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT id, body, updated_at FROM conversations
             WHERE profile = ?1 AND body IS NOT NULL
             ORDER BY updated_at DESC LIMIT ?2",
        )?;
        let mut stamped: Vec<(i64, LogId, Vec<u8>)> = stmt
            .query_map(rusqlite::params![profile, limit as i64], |r| {
                Ok((r.get(2)?, LogId::Conversation(r.get(0)?), r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT id, transcript, started_at FROM agent_runs
             WHERE profile = ?1 AND transcript IS NOT NULL
             ORDER BY started_at DESC LIMIT ?2",
        )?;
        stamped.extend(
            stmt.query_map(rusqlite::params![profile, limit as i64], |r| {
                Ok((r.get(2)?, LogId::Agent(r.get(0)?), r.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?,
        );
        stamped.sort_by_key(|s| std::cmp::Reverse(s.0));
        stamped.truncate(limit);
        out.extend(stamped.into_iter().map(|(_, id, body)| (id, body)));
        Ok(out)
    }

    /// Delete log entries: the rows and (with `secure_delete`, then a checkpoint) their pages.
    /// Returns how many went; `None` as `before` deletes by id only.
    pub fn delete_log(
        &mut self,
        profile: &str,
        ids: &[LogId],
        before: Option<i64>,
    ) -> Result<usize> {
        let n = self.write(|tx| {
            let mut n = 0;
            for id in ids {
                let gone = match id {
                    LogId::Conversation(i) => tx.execute(
                        "DELETE FROM conversations WHERE id = ?1 AND profile = ?2",
                        (i, profile),
                    )?,
                    LogId::Agent(i) => tx.execute(
                        "DELETE FROM agent_runs WHERE id = ?1 AND profile = ?2",
                        (i, profile),
                    )?,
                };
                if gone == 0 {
                    // Nothing is deleted when one id is wrong: the transaction rolls back.
                    return Err(Error::not_found("conversation", log_id_text(*id)));
                }
                n += gone;
            }
            if let Some(t) = before {
                n += tx.execute(
                    "DELETE FROM conversations WHERE profile = ?1 AND updated_at < ?2",
                    (profile, t),
                )?;
                n += tx.execute(
                    "DELETE FROM agent_runs WHERE profile = ?1 AND started_at < ?2
                         AND finished_at IS NOT NULL",
                    (profile, t),
                )?;
            }
            Ok(n)
        })?;
        Ok(n)
    }
}

fn log_id_text(id: LogId) -> String {
    match id {
        LogId::Conversation(n) => n.to_string(),
        LogId::Agent(n) => format!("a{n}"),
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationRow> {
    Ok(ConversationRow {
        id: r.get(0)?,
        started_at: r.get(1)?,
        updated_at: r.get(2)?,
        profile: r.get(3)?,
        kind: r.get(4)?,
        credential: r.get(5)?,
        provider: r.get(6)?,
        model: r.get(7)?,
        exchanges: r.get::<_, i64>(8)? as u32,
        input_tokens: r.get::<_, i64>(9)? as u64,
        output_tokens: r.get::<_, i64>(10)? as u64,
        cost_usd: r.get(11)?,
        title: r.get(12)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ids_name_conversations_and_agent_runs() {
        assert_eq!(LogId::parse("12").unwrap(), LogId::Conversation(12));
        assert_eq!(LogId::parse("a7").unwrap(), LogId::Agent(7));
        assert_eq!(LogId::parse("x").unwrap_err().exit_code(), 2);
        assert_eq!(LogId::parse("a").unwrap_err().exit_code(), 2);
    }
}
