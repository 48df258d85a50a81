//! The provider-neutral request, response and error types every family maps to.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::conversation::{Conversation, FinishReason, Message, ToolCall, ToolChoice, ToolSpec};

/// One chat request, whatever the family: a conversation, and the tools the model may call.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub model: String,
    pub conversation: Conversation,
    /// Declared tools; none: the request says nothing about tools.
    pub tools: Vec<ToolSpec>,
    /// Sent only when there are tools.
    pub tool_choice: ToolChoice,
    pub temperature: Option<f32>,
    /// `None`: the family's default (Anthropic requires one; omc sends 1024).
    pub max_tokens: Option<u32>,
    pub stream: bool,
    /// The JSON Schema the answer must match, sent as the family's native structured output.
    pub schema: Option<crate::schema::OutputSchema>,
}

impl ChatRequest {
    /// A streamed request with no tools and the provider's default sampling.
    pub fn new(model: impl Into<String>, conversation: Conversation) -> ChatRequest {
        ChatRequest {
            model: model.into(),
            conversation,
            tools: Vec::new(),
            tool_choice: ToolChoice::Auto,
            temperature: None,
            max_tokens: None,
            stream: true,
            schema: None,
        }
    }

    /// One user message after an optional system prompt (what `omc run` and benchmarks send).
    pub fn prompt(
        model: impl Into<String>,
        system: Option<String>,
        prompt: impl Into<String>,
    ) -> ChatRequest {
        ChatRequest::new(model, Conversation::prompt(system, prompt))
    }
}

/// Token counts. `estimated` is true only where the provider reported none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub estimated: bool,
}

/// What a finished request produced, with its timings (monotonic clock).
#[derive(Debug, Clone)]
pub struct ChatResponse {
    /// The reply's text parts, concatenated.
    pub text: String,
    /// The assistant turn as it came: text, tool calls and opaque data, in order. Push it onto
    /// the conversation as is.
    pub message: Message,
    /// The model the provider says answered (may differ from the one asked for).
    pub model: String,
    pub usage: Usage,
    /// Why the reply ended, in omc's terms.
    pub finish: Option<FinishReason>,
    /// The same as the provider spelled it (`end_turn`, `STOP`, …).
    pub finish_reason: Option<String>,
    /// When the request was sent.
    pub started: Instant,
    /// When the bytes carrying the first non-empty content delta were read.
    pub first_token: Option<Instant>,
    /// When the last content delta's bytes were read.
    pub last_token: Option<Instant>,
    /// When the response was complete.
    pub finished: Instant,
    /// Number of non-empty content deltas received (1 for a non-streamed reply).
    pub chunks: u32,
    /// The reply came as an event stream. A whole reply has no time to first token: its first
    /// text is its last.
    pub streamed: bool,
    /// The time between each content delta's read and the next one's: `chunks − 1` entries.
    /// Deltas that came off the socket in one read are 0 apart.
    pub gaps: Vec<Duration>,
    /// The provider's id for this request (`x-request-id`, Anthropic's `request-id`), the one
    /// its support asks for. `None` when it sent none.
    pub request_id: Option<String>,
}

impl ChatResponse {
    /// The tool calls the model made, in order.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.message.tool_calls()
    }

    /// Time to first token; `None` for a reply that was not streamed.
    pub fn ttft(&self) -> Option<Duration> {
        self.first_token
            .filter(|_| self.streamed)
            .map(|t| t - self.started)
    }

    pub fn latency(&self) -> Duration {
        self.finished - self.started
    }
}

/// When content deltas were read: filled as they arrive, then moved into a [`ChatResponse`].
#[derive(Debug, Default)]
pub(crate) struct Timing {
    pub first: Option<Instant>,
    pub last: Option<Instant>,
    pub chunks: u32,
    pub gaps: Vec<Duration>,
}

impl Timing {
    pub fn delta(&mut self, at: Instant) {
        if let Some(last) = self.last {
            self.gaps.push(at.saturating_duration_since(last));
        }
        self.first.get_or_insert(at);
        self.last = Some(at);
        self.chunks += 1;
    }
}

/// A content delta as it arrives: the text and when its bytes were read off the socket.
#[derive(Debug, Clone, Copy)]
pub struct Delta<'a> {
    pub text: &'a str,
    pub at: Instant,
}

/// What a reply streams, as it is read: text in pieces, each tool call whole once its
/// arguments are complete.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    Text(Delta<'a>),
    ToolCall {
        call: &'a ToolCall,
        /// When the bytes completing the call were read.
        at: Instant,
    },
}

/// Why a provider call failed, in the terms the exit codes (docs/reference.md) need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 401/403, Gemini's 400 API_KEY_INVALID (exit 5).
    Auth,
    /// 429 after retries (exit 7).
    RateLimited,
    /// 5xx or 529 after retries (exit 6).
    Server,
    /// Connect or read timeout (exit 6).
    Timeout,
    /// Connection refused, reset, or dropped mid-stream (exit 6).
    Connection,
    /// A reply that does not parse as the family's format, or an `error` event mid-stream (exit 6).
    Malformed,
    /// The model does not exist or is not available to this key (exit 6; `--fallback` tries the next).
    ModelNotFound,
    /// Any other 4xx: the request itself was refused (exit 6).
    BadRequest,
}

impl ErrorKind {
    /// The JSON name (`rate_limited`, `model_not_found`, …), also how records store it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Auth => "auth",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Malformed => "malformed",
            ErrorKind::ModelNotFound => "model_not_found",
            ErrorKind::BadRequest => "bad_request",
        }
    }
}

/// A failed provider call. `message` is the provider's own words, redacted of anything that
/// looks like a key.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    pub message: String,
    /// Attempts made, retries included.
    pub attempts: u32,
    /// The provider's id for the failed request, when it answered with one.
    pub request_id: Option<String>,
}

impl ProviderError {
    /// Whether `--fallback` should move on to the next credential.
    pub fn falls_back(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited
                | ErrorKind::Server
                | ErrorKind::Timeout
                | ErrorKind::Connection
                | ErrorKind::ModelNotFound
        )
    }

    pub fn into_error(self, provider: &str) -> crate::error::Error {
        use crate::error::Error;
        let provider = provider.to_owned();
        let mut message = match self.status {
            Some(s) => format!("HTTP {s}: {}", self.message),
            None => self.message,
        };
        if let Some(id) = &self.request_id {
            message.push_str(&format!(" (request id {id})"));
        }
        match self.kind {
            ErrorKind::Auth => Error::Auth { provider, message },
            ErrorKind::RateLimited => Error::RateLimited { provider, message },
            _ => Error::Provider { provider, message },
        }
    }
}
