//! What an agent run did, turn by turn: the `--json` document and, age-encrypted to the store's
//! recipient, the stored transcript (tool results can hold anything).

use age::x25519::{Identity, Recipient};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const TAG: &str = "omc-agent-transcript-v1";

/// Why the loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Done,
    MaxTurns,
    RepeatedCall,
    Budget,
    ApprovalNeeded,
    Interrupted,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Done => "done",
            StopReason::MaxTurns => "max_turns",
            StopReason::RepeatedCall => "repeated_call",
            StopReason::Budget => "budget",
            StopReason::ApprovalNeeded => "approval_needed",
            StopReason::Interrupted => "interrupted",
        }
    }
}

/// Token counts, summed where needed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnUsage {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub estimated: bool,
}

/// One tool call and what came of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallRecord {
    pub id: String,
    pub name: String,
    pub arguments: serde_json::Value,
    /// Whether it ran (approved by policy, flag or the user).
    pub approved: bool,
    pub result: String,
    pub is_error: bool,
    pub duration_ms: f64,
}

/// One model call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Turn {
    /// The `models` entry (or flag) this turn ran on.
    pub preference: String,
    pub credential: String,
    pub provider: String,
    pub model: String,
    pub text: String,
    pub tool_calls: Vec<CallRecord>,
    pub usage: TurnUsage,
    pub cost_usd: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub latency_ms: f64,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Totals {
    pub usage: TurnUsage,
    /// `None` when some turn's price is unknown.
    pub cost_usd: Option<f64>,
    pub latency_ms: f64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transcript {
    pub run_id: i64,
    pub agent: String,
    pub agent_path: String,
    pub started_at: i64,
    pub system: Option<String>,
    pub prompt: String,
    /// The final answer: the last turn's text.
    pub text: String,
    pub stop_reason: Option<StopReason>,
    /// What stopped it, in words, when it did not finish.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stop_detail: Option<String>,
    pub turns: Vec<Turn>,
    pub totals: Totals,
}

impl Transcript {
    /// Add up the turns into `totals`.
    pub fn sum(&mut self) {
        let mut t = Totals {
            cost_usd: Some(0.0),
            ..Totals::default()
        };
        let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        for turn in &self.turns {
            t.usage.input_tokens = add(t.usage.input_tokens, turn.usage.input_tokens);
            t.usage.output_tokens = add(t.usage.output_tokens, turn.usage.output_tokens);
            t.usage.estimated |= turn.usage.estimated;
            t.cost_usd = match (t.cost_usd, turn.cost_usd) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
            t.latency_ms += turn.latency_ms;
        }
        self.totals = t;
    }

    /// Encrypt to the store's recipient, bound to the run's id.
    pub fn seal(&self, recipient: &Recipient) -> Result<Vec<u8>> {
        let json = Zeroizing::new(
            serde_json::to_vec(self).map_err(|e| Error::Other(format!("transcript: {e}")))?,
        );
        let mut payload = Zeroizing::new(format!("{TAG}\n{}\n", self.run_id).into_bytes());
        payload.extend_from_slice(&json);
        age::encrypt(recipient, &payload)
            .map_err(|e| Error::Crypto(format!("cannot encrypt the transcript: {e}")))
    }

    /// Decrypt run `run_id`'s transcript.
    pub fn open(identity: &Identity, run_id: i64, ciphertext: &[u8]) -> Result<Transcript> {
        let plain = Zeroizing::new(age::decrypt(identity, ciphertext).map_err(|e| {
            Error::Crypto(format!(
                "cannot decrypt the transcript of agent run {run_id}: {e}"
            ))
        })?);
        let header = format!("{TAG}\n{run_id}\n");
        let json = plain.strip_prefix(header.as_bytes()).ok_or_else(|| {
            Error::Crypto(format!(
                "agent run {run_id} holds another run's transcript; the store has been tampered with"
            ))
        })?;
        serde_json::from_slice(json).map_err(|e| {
            Error::Crypto(format!(
                "the transcript of agent run {run_id} is damaged: {e}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript(id: i64) -> Transcript {
        Transcript {
            run_id: id,
            agent: "a".into(),
            agent_path: "/a.toml".into(),
            started_at: 0,
            system: None,
            prompt: "secret-ish CANARY prompt".into(),
            text: "t".into(),
            stop_reason: Some(StopReason::Done),
            stop_detail: None,
            turns: vec![],
            totals: Totals::default(),
        }
    }

    #[test]
    fn sealed_transcripts_open_only_for_their_run() {
        let id = Identity::generate();
        let ct = transcript(7).seal(&id.to_public()).unwrap();
        assert!(!ct.windows(6).any(|w| w == b"CANARY"));
        assert_eq!(
            Transcript::open(&id, 7, &ct).unwrap().prompt,
            "secret-ish CANARY prompt"
        );
        let err = Transcript::open(&id, 8, &ct).unwrap_err().to_string();
        assert!(err.contains("another run"), "{err}");
        assert!(Transcript::open(&Identity::generate(), 7, &ct).is_err());
    }
}
