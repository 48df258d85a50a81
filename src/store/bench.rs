//! Benchmark history: one row per run (configuration, its hash, the summary report) and one
//! per request. Requests arrive in batches from the bench's writer thread, one transaction each.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::Store;
use crate::bench::{BenchReport, RequestRecord};
use crate::error::{Error, Result};
use crate::time::now_ms;

/// How a stored run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchStatus {
    /// Still going: its writer has given a sign of life lately.
    Running,
    /// Killed (SIGKILL, a crash, a power cut) before it could finish: no sign of life for
    /// [`STALE_AFTER_MS`]. Its records up to the last batch are stored; it has no report.
    Died,
    /// Every request was sent.
    Complete,
    /// Stopped by Ctrl-C: the report covers the requests that finished.
    Interrupted,
    /// Stopped by an error (the records could not be written, a task panicked).
    Failed,
}

/// How often a running benchmark says it is alive.
pub const HEARTBEAT_MS: i64 = 1_000;
/// How long without a sign of life before a running benchmark counts as dead.
pub const STALE_AFTER_MS: i64 = 10_000;

/// `running` as stored, or `died` when its last sign of life is older than [`STALE_AFTER_MS`]
/// (`OMC_TEST_BENCH_STALE_MS` shortens that, for tests).
fn live_status(stored: &str, heartbeat_at: Option<i64>, started_at: i64) -> BenchStatus {
    let status = BenchStatus::parse(stored);
    if status != BenchStatus::Running {
        return status;
    }
    let stale_after = crate::hardening::test_hook("OMC_TEST_BENCH_STALE_MS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(STALE_AFTER_MS);
    if now_ms() - heartbeat_at.unwrap_or(started_at) > stale_after {
        BenchStatus::Died
    } else {
        BenchStatus::Running
    }
}

impl BenchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BenchStatus::Running => "running",
            BenchStatus::Died => "died",
            BenchStatus::Complete => "complete",
            BenchStatus::Interrupted => "interrupted",
            BenchStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> BenchStatus {
        match s {
            "complete" => BenchStatus::Complete,
            "interrupted" => BenchStatus::Interrupted,
            "failed" => BenchStatus::Failed,
            _ => BenchStatus::Running,
        }
    }
}

/// One line of `omc bench history`.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRunRow {
    pub id: String,
    /// `requests` (`omc bench`) or `agent` (`omc bench --agent`: its targets are task runs).
    pub kind: String,
    /// Unix milliseconds.
    #[serde(skip)]
    pub started_at_ms: i64,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub profile: String,
    pub status: BenchStatus,
    pub config_hash: String,
    /// Target labels.
    pub targets: Vec<String>,
    pub prompts: usize,
    /// Measured requests that finished (for a run without a report, those stored so far).
    pub requests: u64,
    pub failed: u64,
    /// Summed over targets; `None` when no target was priced.
    pub cost_total_usd: Option<f64>,
    pub wall_ms: Option<f64>,
    /// Verdicts of the run's `--fail-if` gates: how many passed, failed, were inconclusive.
    pub gates: GateCounts,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GateCounts {
    pub pass: u32,
    pub fail: u32,
    pub inconclusive: u32,
}

/// A run id as the user types it: the integer the store gave it.
pub fn parse_run_id(id: &str) -> Result<i64> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::not_found("bench run", id))
}

impl Store {
    /// Store a new run (status `running`); returns its id.
    pub fn begin_bench(
        &mut self,
        profile: &str,
        started_at_ms: i64,
        config_json: &str,
        config_hash: &str,
    ) -> Result<i64> {
        self.write_light(|tx| {
            tx.execute(
                "INSERT INTO bench_runs(started_at, profile, config, config_hash, status,
                     heartbeat_at)
                 VALUES (?1, ?2, ?3, ?4, 'running', ?1)",
                (started_at_ms, profile, config_json, config_hash),
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// A running benchmark's sign of life, given every [`HEARTBEAT_MS`] by its record writer.
    pub fn bench_heartbeat(&mut self, run_id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE bench_runs SET heartbeat_at = ?2 WHERE id = ?1 AND status = 'running'",
            (run_id, now_ms()),
        )?;
        Ok(())
    }

    /// Append requests `first_seq..` of run `run_id`, in one transaction.
    pub fn insert_bench_requests(
        &mut self,
        run_id: i64,
        first_seq: u64,
        records: &[RequestRecord],
    ) -> Result<()> {
        self.write_light(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO bench_requests(run_id, seq, target, credential, prompt, run, warmup,
                     status, error_kind, http_status, error, scheduled_ms, queue_ms, ttft_ms,
                     e2e_ms, tpot_ms, gap_ms, tps, chunks, input_tokens, output_tokens,
                     estimated, cost_usd, request_id, max_gap_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
            )?;
            for (i, r) in records.iter().enumerate() {
                stmt.execute(rusqlite::params![
                    run_id,
                    (first_seq + i as u64) as i64,
                    r.target,
                    r.credential,
                    r.prompt,
                    r.run,
                    r.warmup,
                    if r.is_ok() { "ok" } else { "error" },
                    r.error_kind,
                    r.http_status,
                    r.error,
                    r.scheduled_ms,
                    r.queue_ms,
                    r.ttft_ms,
                    r.e2e_ms,
                    r.tpot_ms,
                    r.gap_ms,
                    r.tps,
                    r.chunks,
                    r.input_tokens.map(|v| v as i64),
                    r.output_tokens.map(|v| v as i64),
                    r.estimated,
                    r.cost_usd,
                    r.request_id,
                    r.max_gap_ms,
                ])?;
            }
            Ok(())
        })
    }

    /// Record the run's report and how it ended.
    pub fn finish_bench(
        &mut self,
        run_id: i64,
        report_json: Option<&str>,
        status: BenchStatus,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE bench_runs SET report = ?2, status = ?3, finished_at = ?4 WHERE id = ?1",
            rusqlite::params![run_id, report_json, status.as_str(), crate::time::now_ms()],
        )?;
        Ok(())
    }

    /// `id` itself, or for `last` the id of `profile`'s latest run that has a report.
    pub fn resolve_bench_id(&self, profile: &str, id: &str) -> Result<String> {
        if !id.trim().eq_ignore_ascii_case("last") {
            return Ok(id.to_owned());
        }
        let last: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM bench_runs WHERE profile = ?1 AND report IS NOT NULL
                 ORDER BY id DESC LIMIT 1",
                [profile],
                |r| r.get(0),
            )
            .optional()?;
        last.map(|n| n.to_string())
            .ok_or_else(|| Error::not_found("bench run", "last"))
    }

    /// A stored run's report (exit 3 when there is no such run, or it never finished).
    pub fn bench_report(&self, id: &str) -> Result<BenchReport> {
        let n = parse_run_id(id)?;
        type Row = (Option<String>, String, Option<i64>, i64, String);
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT report, status, heartbeat_at, started_at, kind FROM bench_runs
                 WHERE id = ?1",
                [n],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((report, status, heartbeat_at, started_at, kind)) = row else {
            return Err(Error::not_found("bench run", id));
        };
        if kind == "agent" {
            return Err(Error::usage_hint(
                format!("bench run {n} is an agent benchmark, not a request benchmark"),
                "compare request runs with request runs, agent runs with agent runs",
            ));
        }
        if report.is_none() && live_status(&status, heartbeat_at, started_at) == BenchStatus::Died {
            return Err(Error::Usage {
                message: format!(
                    "bench run {n} died before it finished (killed, or the machine went down): \
                     it has no report"
                ),
                hint: Some(
                    "its requests up to the end are in the store; run the benchmark again".into(),
                ),
            });
        }
        let Some(json) = report else {
            return Err(Error::Usage {
                message: format!("bench run {n} has no report: it is still running, or it died"),
                hint: Some("run `omc bench history` to see the stored runs".into()),
            });
        };
        let mut r: BenchReport = serde_json::from_str(&json).map_err(|e| {
            Error::Other(format!("bench run {n}: the stored report is damaged: {e}"))
        })?;
        r.id = Some(n.to_string());
        Ok(r)
    }

    /// The latest finished, complete run of `profile` with this configuration hash, other than
    /// `except`, in which some request succeeded: a run during an outage measured nothing to
    /// compare with.
    pub fn last_bench_with_hash(
        &self,
        profile: &str,
        config_hash: &str,
        except: Option<i64>,
    ) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM bench_runs
                 WHERE profile = ?1 AND config_hash = ?2 AND status = 'complete'
                   AND kind = 'requests' AND report IS NOT NULL AND id != ?3
                   AND EXISTS (SELECT 1 FROM json_each(report, '$.targets')
                               WHERE json_extract(value, '$.ok') > 0)
                 ORDER BY id DESC LIMIT 1",
                rusqlite::params![profile, config_hash, except.unwrap_or(0)],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The profile's runs, newest first.
    pub fn bench_history(&self, profile: &str, limit: u32) -> Result<Vec<BenchRunRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, started_at, profile, status, config_hash, config, report, heartbeat_at,
                 CASE WHEN report IS NULL THEN
                     (SELECT count(*) FROM bench_requests q WHERE q.run_id = r.id AND q.warmup = 0)
                 END,
                 CASE WHEN report IS NULL THEN
                     (SELECT count(*) FROM bench_requests q
                      WHERE q.run_id = r.id AND q.warmup = 0 AND q.status = 'error')
                 END,
                 kind
             FROM bench_runs r WHERE profile = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![profile, limit], |r| {
            Ok(StoredRun {
                id: r.get(0)?,
                started_at_ms: r.get(1)?,
                profile: r.get(2)?,
                status: r.get(3)?,
                config_hash: r.get(4)?,
                config: r.get(5)?,
                report: r.get(6)?,
                heartbeat_at: r.get(7)?,
                stored: match (r.get::<_, Option<i64>>(8)?, r.get::<_, Option<i64>>(9)?) {
                    (Some(n), Some(failed)) => Some((n as u64, failed as u64)),
                    _ => None,
                },
                kind: r.get(10)?,
            })
        })?;
        let mut out = Vec::new();
        for row in rows {
            out.push(history_row(row?));
        }
        Ok(out)
    }
}

/// A `bench_runs` row as stored.
struct StoredRun {
    id: i64,
    started_at_ms: i64,
    profile: String,
    status: String,
    config_hash: String,
    config: String,
    report: Option<String>,
    heartbeat_at: Option<i64>,
    /// Without a report (running, died): the measured requests stored so far, and failed.
    stored: Option<(u64, u64)>,
    kind: String,
}

fn history_row(run: StoredRun) -> BenchRunRow {
    let StoredRun {
        id,
        started_at_ms,
        profile,
        status,
        config_hash,
        config,
        report,
        heartbeat_at,
        stored,
        kind,
    } = run;
    if kind == "agent" {
        let mut row = BenchRunRow {
            id: id.to_string(),
            kind,
            started_at_ms,
            started_at: crate::time::rfc3339(started_at_ms),
            profile,
            status: live_status(&status, heartbeat_at, started_at_ms),
            config_hash,
            targets: Vec::new(),
            prompts: 0,
            requests: 0,
            failed: 0,
            cost_total_usd: None,
            wall_ms: None,
            gates: GateCounts::default(),
        };
        super::bench_agent::fill_agent_row(&mut row, &config, report.as_deref());
        return row;
    }
    let config = config.as_str();
    let config: Option<crate::bench::BenchConfig> = serde_json::from_str(config).ok();
    let report: Option<BenchReport> = report.and_then(|r| serde_json::from_str(&r).ok());
    let (requests, failed, cost, wall) = match &report {
        Some(r) => {
            let costs: Vec<f64> = r.targets.iter().filter_map(|t| t.cost_total_usd).collect();
            (
                r.targets.iter().map(|t| t.requests).sum(),
                r.targets.iter().map(|t| t.failed).sum(),
                (!costs.is_empty()).then(|| costs.iter().fold(0.0, |a, b| a + b)),
                Some(r.wall_ms),
            )
        }
        None => {
            let (n, failed) = stored.unwrap_or_default();
            (n, failed, None, None)
        }
    };
    BenchRunRow {
        id: id.to_string(),
        kind,
        started_at_ms,
        started_at: crate::time::rfc3339(started_at_ms),
        profile,
        status: live_status(&status, heartbeat_at, started_at_ms),
        config_hash,
        targets: config
            .as_ref()
            .map(|c| c.targets.iter().map(|t| t.label()).collect())
            .unwrap_or_default(),
        prompts: config.as_ref().map_or(0, |c| c.prompts.len()),
        requests,
        failed,
        cost_total_usd: cost,
        wall_ms: wall,
        gates: report.as_ref().map_or_else(GateCounts::default, |r| {
            use crate::bench::GateStatus;
            let count = |s: GateStatus| r.gates.iter().filter(|g| g.status == s).count() as u32;
            GateCounts {
                pass: count(GateStatus::Pass),
                fail: count(GateStatus::Fail),
                inconclusive: count(GateStatus::Inconclusive),
            }
        }),
    }
}
