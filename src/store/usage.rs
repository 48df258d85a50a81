//! The usage ledger (every run and validation) and per-profile daily limits.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::Store;
use crate::error::Result;
use crate::time::now_ms;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Limits {
    pub daily_tokens: Option<u64>,
    pub daily_cost: Option<f64>,
}

/// Today's totals (UTC day) against the limits.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Today {
    pub tokens: u64,
    pub cost_usd: f64,
}

/// One group of `omc usage`.
#[derive(Debug, Clone, Serialize)]
pub struct UsageRow {
    pub group: String,
    pub runs: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub estimated_runs: u64,
    /// `None` when any run in the group had an unknown price.
    pub cost_usd: Option<f64>,
    pub known_cost_usd: f64,
    pub mean_latency_ms: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    Day,
    Provider,
    Model,
    Credential,
    Profile,
    /// The agent whose turn it was (`-` for runs outside an agent).
    Agent,
    /// What made the call: `run`, `bench`, `agent` or `proxy` (a program under `omc exec --proxy`).
    Source,
}

fn day_start(now: i64) -> i64 {
    now - now.rem_euclid(DAY_MS)
}

pub(super) fn today_tx(tx: &rusqlite::Connection, profile_id: i64) -> Result<Today> {
    let (tokens, cost): (i64, f64) = tx.query_row(
        "SELECT COALESCE(SUM(CASE WHEN status = 'running' THEN reserved_tokens
                             ELSE COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0) END), 0),
                COALESCE(SUM(cost_usd), 0.0)
         FROM runs WHERE profile_id = ?1 AND at >= ?2",
        (profile_id, day_start(now_ms())),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Today {
        tokens: tokens.max(0) as u64,
        cost_usd: cost,
    })
}

pub(super) fn limits_tx(tx: &rusqlite::Connection, profile_id: i64) -> Result<Limits> {
    Ok(tx
        .query_row(
            "SELECT daily_tokens, daily_cost FROM limits WHERE profile_id = ?1",
            [profile_id],
            |r| {
                Ok(Limits {
                    daily_tokens: r.get::<_, Option<i64>>(0)?.map(|v| v.max(0) as u64),
                    daily_cost: r.get(1)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

impl Store {
    pub fn limits(&self, profile: &str) -> Result<(Limits, Today)> {
        let id = self.require_profile(profile)?;
        Ok((limits_tx(&self.conn, id)?, today_tx(&self.conn, id)?))
    }

    pub fn set_limits(&mut self, profile: &str, limits: Limits) -> Result<()> {
        self.write(|tx| {
            let id = Store::ensure_profile(tx, profile)?;
            tx.execute(
                "INSERT INTO limits(profile_id, daily_tokens, daily_cost) VALUES (?1, ?2, ?3)
                 ON CONFLICT(profile_id) DO UPDATE SET
                   daily_tokens = COALESCE(excluded.daily_tokens, daily_tokens),
                   daily_cost = COALESCE(excluded.daily_cost, daily_cost)",
                rusqlite::params![id, limits.daily_tokens.map(|v| v as i64), limits.daily_cost],
            )?;
            Ok(())
        })
    }

    pub fn clear_limits(&mut self, profile: &str) -> Result<()> {
        let id = self.require_profile(profile)?;
        self.write(|tx| {
            tx.execute("DELETE FROM limits WHERE profile_id = ?1", [id])?;
            Ok(())
        })
    }

    /// Runs since `since` (ms), grouped; `profile` None means every profile.
    pub fn usage(
        &self,
        since: i64,
        group: GroupBy,
        profile: Option<&str>,
    ) -> Result<Vec<UsageRow>> {
        let key = match group {
            GroupBy::Day => "strftime('%Y-%m-%d', at / 1000, 'unixepoch')",
            GroupBy::Provider => "provider",
            GroupBy::Model => "provider || '/' || model",
            GroupBy::Credential => "profile || '/' || COALESCE(credential, '-')",
            GroupBy::Profile => "profile",
            GroupBy::Agent => "COALESCE(agent, '-')",
            GroupBy::Source => "kind",
        };
        let sql = format!(
            "SELECT {key} AS g, COUNT(*),
                    SUM(status NOT IN ('ok', 'running')),
                    COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),
                    SUM(estimated),
                    SUM(cost_usd IS NULL AND status = 'ok'), COALESCE(SUM(cost_usd), 0.0),
                    AVG(latency_ms)
             FROM runs WHERE at >= ?1 AND kind IN ('run', 'bench', 'agent', 'proxy') AND status != 'running'
               AND (?2 IS NULL OR profile = ?2)
             GROUP BY g ORDER BY g"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params![since, profile], |r| {
            let unknown: i64 = r.get(6)?;
            let known: f64 = r.get(7)?;
            Ok(UsageRow {
                group: r.get(0)?,
                runs: r.get::<_, i64>(1)? as u64,
                errors: r.get::<_, i64>(2)? as u64,
                input_tokens: r.get::<_, i64>(3)? as u64,
                output_tokens: r.get::<_, i64>(4)? as u64,
                estimated_runs: r.get::<_, i64>(5)? as u64,
                cost_usd: (unknown == 0).then_some(known),
                known_cost_usd: known,
                mean_latency_ms: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
