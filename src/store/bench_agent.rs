//! Agent benchmarks in the bench history: `bench_runs` rows of `kind = 'agent'` whose report
//! is an [`AgentReport`]. `omc bench history | show | compare` tell the kinds apart by it.

use rusqlite::OptionalExtension;

use super::Store;
use super::bench::{BenchRunRow, GateCounts, parse_run_id};
use crate::bench::agent::{AgentConfig, AgentReport};
use crate::error::{Error, Result};

impl Store {
    /// Store a new agent benchmark (status `running`); returns its id.
    pub fn begin_agent_bench(
        &mut self,
        profile: &str,
        started_at_ms: i64,
        config_json: &str,
        config_hash: &str,
    ) -> Result<i64> {
        self.write_light(|tx| {
            tx.execute(
                "INSERT INTO bench_runs(started_at, profile, config, config_hash, status,
                     heartbeat_at, kind)
                 VALUES (?1, ?2, ?3, ?4, 'running', ?1, 'agent')",
                (started_at_ms, profile, config_json, config_hash),
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// `requests` or `agent` (exit 3 when there is no such run).
    pub fn bench_kind(&self, id: &str) -> Result<String> {
        let n = parse_run_id(id)?;
        self.conn
            .query_row("SELECT kind FROM bench_runs WHERE id = ?1", [n], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| Error::not_found("bench run", id))
    }

    /// A stored agent benchmark's report.
    pub fn agent_bench_report(&self, id: &str) -> Result<AgentReport> {
        let n = parse_run_id(id)?;
        let row: Option<(Option<String>, String)> = self
            .conn
            .query_row(
                "SELECT report, kind FROM bench_runs WHERE id = ?1",
                [n],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((report, kind)) = row else {
            return Err(Error::not_found("bench run", id));
        };
        if kind != "agent" {
            return Err(Error::usage_hint(
                format!("bench run {n} is a request benchmark, not an agent benchmark"),
                "compare agent runs with agent runs",
            ));
        }
        let json = report.ok_or_else(|| Error::Usage {
            message: format!("bench run {n} has no report: it is still running, or it died"),
            hint: Some("run `omc bench history` to see the stored runs".into()),
        })?;
        let mut r: AgentReport = serde_json::from_str(&json).map_err(|e| {
            Error::Other(format!("bench run {n}: the stored report is damaged: {e}"))
        })?;
        r.id = Some(n.to_string());
        Ok(r)
    }

    /// The latest complete agent benchmark of `profile` with this configuration in which some
    /// run succeeded.
    pub fn last_agent_bench_with_hash(
        &self,
        profile: &str,
        config_hash: &str,
    ) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM bench_runs
                 WHERE profile = ?1 AND config_hash = ?2 AND status = 'complete'
                   AND kind = 'agent' AND report IS NOT NULL
                   AND EXISTS (SELECT 1 FROM json_each(report, '$.targets')
                               WHERE json_extract(value, '$.ok') > 0)
                 ORDER BY id DESC LIMIT 1",
                rusqlite::params![profile, config_hash],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// A history line's numbers from an agent benchmark's config and report: targets, tasks (as
/// prompts), runs (as requests), failed runs, cost, wall and gates.
pub(super) fn fill_agent_row(row: &mut BenchRunRow, config: &str, report: Option<&str>) {
    if let Ok(c) = serde_json::from_str::<AgentConfig>(config) {
        row.targets = c.targets.iter().map(|t| t.label()).collect();
        row.prompts = c.tasks.len();
    }
    let Some(r) = report.and_then(|r| serde_json::from_str::<AgentReport>(r).ok()) else {
        return;
    };
    row.requests = r.targets.iter().map(|t| t.runs).sum();
    row.failed = r.targets.iter().map(|t| t.failed).sum();
    let costs: Vec<f64> = r.targets.iter().filter_map(|t| t.cost_total_usd).collect();
    row.cost_total_usd = (!costs.is_empty()).then(|| costs.iter().sum());
    row.wall_ms = Some(r.wall_ms);
    use crate::bench::GateStatus;
    let count = |s: GateStatus| r.gates.iter().filter(|g| g.status == s).count() as u32;
    row.gates = GateCounts {
        pass: count(GateStatus::Pass),
        fail: count(GateStatus::Fail),
        inconclusive: count(GateStatus::Inconclusive),
    };
}
