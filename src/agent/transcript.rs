//! What a run said and did, stored age-encrypted to the store's recipient: an agent run's
//! transcript (turn by turn, also its `--json` document) and an `omc run` / `omc chat`
//! conversation (the provider-neutral messages, every part as serde writes it). Both go through
//! [`seal`] and [`open`]: one encryption path, each payload bound to its row's id.

use age::x25519::{Identity, Recipient};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::provider::Conversation;

const TAG: &str = "omc-agent-transcript-v1";
const CONVERSATION_TAG: &str = "omc-conversation-v1";

/// Encrypt `value` (as JSON) to `recipient`, bound to row `id` of the kind `tag` names: the
/// payload starts with `TAG\nID\n`, checked by [`open`] (age has no associated data).
pub fn seal<T: Serialize>(tag: &str, id: i64, value: &T, recipient: &Recipient) -> Result<Vec<u8>> {
    let json =
        Zeroizing::new(serde_json::to_vec(value).map_err(|e| Error::Other(format!("{tag}: {e}")))?);
    let mut payload = Zeroizing::new(format!("{tag}\n{id}\n").into_bytes());
    payload.extend_from_slice(&json);
    age::encrypt(recipient, &payload)
        .map_err(|e| Error::Crypto(format!("cannot encrypt the {}: {e}", what(tag))))
}

/// Decrypt what [`seal`] sealed for row `id`; `name` says which row in errors ("agent run 7").
pub fn open<T: serde::de::DeserializeOwned>(
    tag: &str,
    id: i64,
    identity: &Identity,
    ciphertext: &[u8],
    name: &str,
) -> Result<T> {
    let what = what(tag);
    let plain = Zeroizing::new(
        age::decrypt(identity, ciphertext)
            .map_err(|e| Error::Crypto(format!("cannot decrypt the {what} of {name}: {e}")))?,
    );
    let header = format!("{tag}\n{id}\n");
    let json = plain.strip_prefix(header.as_bytes()).ok_or_else(|| {
        Error::Crypto(format!(
            "{name} holds another row's {what}; the store has been tampered with"
        ))
    })?;
    serde_json::from_slice(json)
        .map_err(|e| Error::Crypto(format!("the {what} of {name} is damaged: {e}")))
}

fn what(tag: &str) -> &'static str {
    if tag == CONVERSATION_TAG {
        "conversation"
    } else {
        "transcript"
    }
}

/// One `omc run` or `omc chat` conversation as stored: the messages as sent and received (every
/// part, attachments included, as serde writes them) and what each exchange ran on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationLog {
    pub id: i64,
    pub started_at: i64,
    #[serde(flatten)]
    pub conversation: Conversation,
    pub exchanges: Vec<Exchange>,
}

/// One prompt and its answer: where it ran and what it cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    pub at: i64,
    pub credential: String,
    pub provider: String,
    pub model: String,
    pub usage: TurnUsage,
    pub cost_usd: Option<f64>,
    pub latency_ms: f64,
    pub finish_reason: Option<String>,
}

impl ConversationLog {
    pub fn new(id: i64, conversation: Conversation) -> ConversationLog {
        ConversationLog {
            id,
            started_at: crate::time::now_ms(),
            conversation,
            exchanges: Vec::new(),
        }
    }

    pub fn seal(&self, recipient: &Recipient) -> Result<Vec<u8>> {
        seal(CONVERSATION_TAG, self.id, self, recipient)
    }

    pub fn open(identity: &Identity, id: i64, ciphertext: &[u8]) -> Result<ConversationLog> {
        open(
            CONVERSATION_TAG,
            id,
            identity,
            ciphertext,
            &format!("conversation {id}"),
        )
    }
}

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

/// Where an agent run stands, as its row records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    /// Between turns: saved so a killed run leaves what it did.
    Running,
    /// Ended by an error (provider, tool, store).
    Error,
    /// Ended for this reason.
    Stopped(StopReason),
}

impl AgentState {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Running => "running",
            AgentState::Error => "error",
            AgentState::Stopped(reason) => reason.as_str(),
        }
    }

    /// Whether the run is over (its row gets a finish time).
    pub fn finished(self) -> bool {
        self != AgentState::Running
    }
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
        seal(TAG, self.run_id, self, recipient)
    }

    /// Decrypt run `run_id`'s transcript.
    pub fn open(identity: &Identity, run_id: i64, ciphertext: &[u8]) -> Result<Transcript> {
        open(
            TAG,
            run_id,
            identity,
            ciphertext,
            &format!("agent run {run_id}"),
        )
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
        assert!(err.contains("another row"), "{err}");
        assert!(Transcript::open(&Identity::generate(), 7, &ct).is_err());
    }

    #[test]
    fn conversations_round_trip_every_part_and_open_only_for_their_row() {
        use crate::provider::{Message, Part, Role, ToolCall};
        let id = Identity::generate();
        let mut conv = Conversation::prompt(Some("sys".into()), "CANARY question");
        conv.push(Message {
            role: Role::Assistant,
            parts: vec![
                Part::text("answer"),
                Part::ToolCall(ToolCall::new("c1", "t", Default::default())),
            ],
        });
        let log = ConversationLog::new(3, conv.clone());
        let ct = log.seal(&id.to_public()).unwrap();
        assert!(!ct.windows(6).any(|w| w == b"CANARY"));
        assert_eq!(
            ConversationLog::open(&id, 3, &ct).unwrap().conversation,
            conv
        );
        let err = ConversationLog::open(&id, 4, &ct).unwrap_err().to_string();
        assert!(err.contains("another row"), "{err}");
        // A transcript's ciphertext is not a conversation's, even for the same id.
        let t = transcript(3).seal(&id.to_public()).unwrap();
        assert!(ConversationLog::open(&id, 3, &t).is_err());
    }
}
