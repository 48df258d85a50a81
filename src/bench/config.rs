//! What a benchmark run was asked to do, and the hash that says whether two runs measured the
//! same thing.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One thing being measured: a credential of a provider, asking for one model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSpec {
    pub provider: String,
    pub model: String,
    pub credential: String,
}

impl TargetSpec {
    /// `provider/model`, with `@credential` when the credential is not the provider's
    /// default-named one: two keys of one provider benchmarked side by side stay distinct,
    /// while the common case reads like the "openai/gpt-4o-mini".
    pub fn label(&self) -> String {
        if self.credential == self.provider {
            format!("{}/{}", self.provider, self.model)
        } else {
            format!("{}/{}@{}", self.provider, self.model, self.credential)
        }
    }
}

/// A prompt as the report describes it. The text itself is not kept: reports are shared in CI
/// logs and history, prompts may be private, and a digest is enough to tell whether two runs
/// sent the same thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptInfo {
    pub name: String,
    /// sha256 of the system prompt (if any), a NUL, and the prompt text.
    pub sha256: String,
    pub chars: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

impl PromptInfo {
    pub fn new(name: &str, system: Option<&str>, text: &str, max_tokens: Option<u32>) -> Self {
        let mut h = Sha256::new();
        if let Some(s) = system {
            h.update(s.as_bytes());
        }
        h.update([0u8]);
        h.update(text.as_bytes());
        PromptInfo {
            name: name.to_owned(),
            sha256: hex(&h.finalize()),
            chars: text.chars().count(),
            max_tokens,
        }
    }
}

/// How requests are offered to the targets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Load {
    /// `--concurrency C`: C workers, each sending its next request when the last one ends.
    Closed { concurrency: u32 },
    /// `--rate R`: Poisson arrivals at R requests/s over all targets, whatever the replies do.
    Open { rate: f64 },
}

/// The order measured requests are sent in. Both interleave targets; neither runs them in blocks,
/// so a provider's slow minute is spread over every target rather than landing on one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Round-robin over targets, the first target rotating each round.
    #[default]
    Interleaved,
    /// A seeded shuffle of every measured request.
    Shuffled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchConfig {
    pub targets: Vec<TargetSpec>,
    pub prompts: Vec<PromptInfo>,
    /// Measured requests per target × prompt.
    pub runs: u32,
    /// Unmeasured requests per target, sent before the measured ones.
    pub warmup: u32,
    pub load: Load,
    #[serde(default)]
    pub order: Order,
    pub max_tokens: Option<u32>,
    pub stream: bool,
    pub timeout_ms: u64,
    /// Seed for the shuffle and the Poisson arrivals; recorded so a run can be replayed.
    pub seed: u64,
    /// `OMC_ECHO_DELAY` when an `echo` target ran under it: the simulated latency is what an
    /// echo run measures, so runs with different delays must not compare as the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo_delay: Option<String>,
    /// `--schema`: the JSON Schema (as sent) every answer was asked to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
}

/// The fields excluded from [`BenchConfig::hash`]: they change how many samples there are or the
/// order they are taken in, not what a sample measures, and the comparison's uncertainty already
/// accounts for sample size. A 50-run CI job therefore stays comparable with a 10-run local one.
pub(crate) const NOT_HASHED: &[&str] = &["runs", "warmup", "seed", "order"];

impl BenchConfig {
    /// sha256 (hex) of the canonical JSON of the configuration: keys sorted at every level, no
    /// whitespace, [`NOT_HASHED`] fields removed.
    pub fn hash(&self) -> String {
        let mut v = serde_json::to_value(self).expect("config serializes");
        if let serde_json::Value::Object(m) = &mut v {
            for k in NOT_HASHED {
                m.remove(*k);
            }
        }
        let canonical = canonical_json(&v);
        hex(&Sha256::digest(canonical.as_bytes()))
    }

    /// Total measured requests.
    pub fn measured_requests(&self) -> u64 {
        self.targets.len() as u64 * self.prompts.len() as u64 * u64::from(self.runs)
    }

    /// Reject what cannot run, with the flag to fix (exit 2).
    pub fn validate(&self) -> Result<()> {
        if self.targets.is_empty() {
            return Err(Error::usage_hint(
                "nothing to benchmark: no target",
                "pass --credential NAME, --provider P or --model M",
            ));
        }
        if self.prompts.is_empty() {
            return Err(Error::usage_hint(
                "nothing to benchmark: no prompt",
                "pass --level short|medium|long|all, --prompt TEXT or --suite FILE.toml",
            ));
        }
        if self.runs == 0 {
            return Err(Error::usage_hint(
                "--runs must be at least 1",
                "e.g. --runs 10",
            ));
        }
        match self.load {
            Load::Closed { concurrency: 0 } => Err(Error::usage_hint(
                "--concurrency must be at least 1",
                "e.g. --concurrency 4",
            )),
            Load::Open { rate } if !(rate.is_finite() && rate > 0.0) => Err(Error::usage_hint(
                format!("--rate must be a positive number of requests per second, not {rate}"),
                "e.g. --rate 5 or --rate 0.5",
            )),
            _ if self.timeout_ms == 0 => Err(Error::usage_hint(
                "--timeout must be longer than zero",
                "e.g. --timeout 60s",
            )),
            _ => Ok(()),
        }
    }
}

/// JSON with object keys sorted at every level and no whitespace. Built by hand rather than
/// trusting `serde_json::Map` order, which becomes insertion order if any crate in the build
/// turns on serde_json's `preserve_order`.
pub fn canonical_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let body: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&m[k])))
                .collect();
            format!("{{{}}}", body.join(","))
        }
        Value::Array(a) => {
            let body: Vec<String> = a.iter().map(canonical_json).collect();
            format!("[{}]", body.join(","))
        }
        other => other.to_string(),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
