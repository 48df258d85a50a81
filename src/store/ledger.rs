//! The usage ledger's protocol, in one place for every command that spends tokens or calls a
//! provider (`run`, `validate`, `bench`): a run is reserved with [`Store::begin_run`] (limits
//! checked and its worst case counted in one transaction, status `running`), then finished once
//! with [`Store::finish_run`] and a typed status and error kind. The stored spellings are the
//! ones below and nothing else (`rate_limited`, never `ratelimited`).

use super::Store;
use super::usage::{Limits, Today, limits_tx, today_tx};
use crate::error::{Error, Result};
use crate::provider::ErrorKind;
use crate::time::now_ms;

/// What a ledger row is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Run,
    Validate,
    Bench,
    /// One turn (model call) of an agent run.
    Agent,
    /// One call a program made through `omc exec --proxy`.
    Proxy,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Run => "run",
            RunKind::Validate => "validate",
            RunKind::Bench => "bench",
            RunKind::Agent => "agent",
            RunKind::Proxy => "proxy",
        }
    }
}

/// How a run ended (`running` is only ever written by [`Store::begin_run`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RunStatus {
    #[default]
    Ok,
    Error,
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Error => "error",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// Why a run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailKind {
    /// The provider call failed this way.
    Provider(ErrorKind),
    /// Nothing was sent: the command failed before (a benchmark whose keys could not be read).
    NotStarted,
}

impl FailKind {
    /// As stored: the provider error kind's JSON name (`rate_limited`, `model_not_found`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            FailKind::Provider(k) => k.as_str(),
            FailKind::NotStarted => "not_started",
        }
    }
}

/// A run about to start, reserved in the ledger so concurrent runs see each other.
#[derive(Debug, Clone)]
pub struct RunStart<'a> {
    pub profile: &'a str,
    pub credential: Option<(&'a str, &'a str)>,
    pub provider: &'a str,
    pub model: &'a str,
    pub kind: RunKind,
    /// The agent whose turn this is (`omc usage --group-by agent`).
    pub agent: Option<&'a str>,
    /// Tokens this run may spend at most (prompt estimate + max tokens), counted against the
    /// daily token limit until the real figures replace it.
    pub reserve_tokens: u64,
}

/// How a run ended.
#[derive(Debug, Clone, Default)]
pub struct RunEnd<'a> {
    pub status: RunStatus,
    pub error_kind: Option<FailKind>,
    pub model: Option<&'a str>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub estimated: bool,
    pub ttft_ms: Option<f64>,
    pub latency_ms: Option<f64>,
    pub cost_usd: Option<f64>,
}

impl RunEnd<'_> {
    /// A failed run that spent nothing the provider reported.
    pub fn failed(kind: FailKind) -> Self {
        RunEnd {
            status: RunStatus::Error,
            error_kind: Some(kind),
            ..RunEnd::default()
        }
    }
}

impl Store {
    /// Check the profile's daily limits and reserve the run, in one transaction: two runs
    /// started together cannot both slip under a limit. Returns the run id and a warning when
    /// past 80% of a limit.
    pub fn begin_run(&mut self, start: &RunStart<'_>) -> Result<(i64, Option<String>)> {
        self.write_light(|tx| {
            let profile_id = Store::ensure_profile(tx, start.profile)?;
            let limits = limits_tx(tx, profile_id)?;
            // The day's totals are a sum over the day's runs, which grows with every run: only a
            // profile with a limit pays for it.
            let today = if limits == Limits::default() {
                Today::default()
            } else {
                today_tx(tx, profile_id)?
            };
            let mut warning = None;
            if let Some(max) = limits.daily_tokens {
                if today.tokens + start.reserve_tokens > max {
                    return Err(Error::Limit {
                        message: format!(
                            "profile '{}' has used {} of its {} daily tokens; this run may need {} more",
                            start.profile, today.tokens, max, start.reserve_tokens
                        ),
                        hint: "raise it with `omc limit set --daily-tokens N`, lower --max-tokens, or wait until 00:00 UTC".into(),
                    });
                }
                if (today.tokens + start.reserve_tokens) as f64 >= 0.8 * max as f64 {
                    warning = Some(format!(
                        "profile '{}' is past 80% of its daily token limit ({} of {max})",
                        start.profile,
                        today.tokens + start.reserve_tokens
                    ));
                }
            }
            if let Some(max) = limits.daily_cost {
                if today.cost_usd >= max {
                    return Err(Error::Limit {
                        message: format!(
                            "profile '{}' has spent ${} of its ${} daily budget",
                            start.profile,
                            crate::pricing::usd(today.cost_usd),
                            crate::pricing::usd(max)
                        ),
                        hint: "raise it with `omc limit set --daily-cost USD`, or wait until 00:00 UTC".into(),
                    });
                }
                if today.cost_usd >= 0.8 * max {
                    warning = Some(format!(
                        "profile '{}' is past 80% of its daily cost limit (${} of ${})",
                        start.profile,
                        crate::pricing::usd(today.cost_usd),
                        crate::pricing::usd(max)
                    ));
                }
            }
            tx.execute(
                "INSERT INTO runs(at, profile_id, profile, credential, credential_id, provider, model,
                     kind, status, reserved_tokens, agent)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9, ?10)",
                rusqlite::params![
                    now_ms(),
                    profile_id,
                    start.profile,
                    start.credential.map(|c| c.0),
                    start.credential.map(|c| c.1),
                    start.provider,
                    start.model,
                    start.kind.as_str(),
                    start.reserve_tokens as i64,
                    start.agent
                ],
            )?;
            Ok((tx.last_insert_rowid(), warning))
        })
    }

    /// Record how a reserved run ended.
    pub fn finish_run(&mut self, id: i64, end: &RunEnd<'_>) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET status = ?2, error_kind = ?3, model = COALESCE(?4, model),
                 input_tokens = ?5, output_tokens = ?6, estimated = ?7, ttft_ms = ?8,
                 latency_ms = ?9, cost_usd = ?10, reserved_tokens = 0
             WHERE id = ?1",
            rusqlite::params![
                id,
                end.status.as_str(),
                end.error_kind.as_ref().map(FailKind::as_str),
                end.model,
                end.input_tokens.map(|v| v as i64),
                end.output_tokens.map(|v| v as i64),
                end.estimated,
                end.ttft_ms,
                end.latency_ms,
                end.cost_usd
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_spellings_are_the_json_names() {
        assert_eq!(
            FailKind::Provider(ErrorKind::RateLimited).as_str(),
            "rate_limited"
        );
        assert_eq!(
            FailKind::Provider(ErrorKind::ModelNotFound).as_str(),
            "model_not_found"
        );
        assert_eq!(FailKind::NotStarted.as_str(), "not_started");
        assert_eq!(RunStatus::Interrupted.as_str(), "interrupted");
        assert_eq!(RunKind::Validate.as_str(), "validate");
    }
}
