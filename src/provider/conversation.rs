//! The provider-neutral conversation: what an agent keeps between turns and sends on each one.
//!
//! # Using it
//!
//! ```no_run
//! # async fn demo(client: &omc::provider::Client, target: &omc::provider::Target<'_>)
//! # -> Result<(), omc::provider::ProviderError> {
//! use omc::provider::{ChatRequest, Conversation, Event, Message, ToolChoice, ToolSpec};
//! use serde_json::json;
//!
//! let mut conv = Conversation::new(Some("You are terse.".into()));
//! conv.push(Message::user("What is the weather in Paris?"));
//! let tools = vec![ToolSpec {
//!     name: "weather".into(),
//!     description: "Current weather for a city".into(),
//!     parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
//! }];
//! loop {
//!     let mut req = ChatRequest::new("gpt-4o-mini", conv.clone());
//!     req.tools = tools.clone();
//!     req.tool_choice = ToolChoice::Auto;
//!     let reply = client
//!         .converse(target, &req, &mut |e: Event<'_>| match e {
//!             Event::Text(d) => print!("{}", d.text),
//!             Event::ToolCall { call, .. } => eprintln!("calling {}", call.name),
//!         })
//!         .await?;
//!     // The assistant turn goes into the history as it came, opaque data and all.
//!     conv.push(reply.message.clone());
//!     let calls: Vec<_> = reply.tool_calls().cloned().collect();
//!     if calls.is_empty() {
//!         break;
//!     }
//!     // Every call gets exactly one result, all in one tool message, in the calls' order.
//!     let results = calls
//!         .iter()
//!         .map(|c| match c.valid_arguments() {
//!             Ok(_args) => ToolResult::ok(&c.id, "18°C, cloudy"),
//!             // Arguments that were not a JSON object: tell the model, it usually retries.
//!             Err(e) => ToolResult::error(&c.id, e.to_string()),
//!         })
//!         .collect();
//!     conv.push(Message::tool_results(results));
//! }
//! # use omc::provider::ToolResult;
//! # Ok(()) }
//! ```
//!
//! The rules every family enforces with a 400 are checked before anything is sent
//! ([`Conversation::check`]): the tool message right after an assistant turn answers each of
//! its calls exactly once, and holds only results. A violation (a result for an unknown call
//! id, a call with no result) is a [`ErrorKind::BadRequest`] error naming the call; nothing is
//! sent.
//!
//! Provider data that must go back verbatim (Gemini's `thoughtSignature`, Anthropic's thinking
//! blocks with their `signature`) rides on the assistant turn as [`Opaque`] and is replayed only
//! to the family that produced it; another family never sees it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Family;
use super::types::{ErrorKind, ProviderError};

/// A system prompt and the messages after it, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default)]
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    /// Results of the tool calls of the assistant turn before it.
    Tool,
}

/// One turn: who spoke, and what, as a flat list of parts in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    Text {
        text: String,
    },
    ToolCall(ToolCall),
    ToolResult(ToolResult),
    /// Provider data with no neutral meaning that the provider requires back verbatim (an
    /// Anthropic thinking block, a Gemini part carrying only a `thoughtSignature`).
    Opaque(Opaque),
    /// A file in a user message: an image, a PDF or a text file (`omc run -a`).
    Attachment(crate::attach::Attachment),
}

/// A tool the model asked to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id for the call, or one omc made up (Gemini often sends none). Results
    /// refer to it.
    pub id: String,
    pub name: String,
    /// The arguments, a JSON object. Empty when they were malformed (see
    /// [`ToolCall::valid_arguments`]).
    #[serde(default)]
    pub arguments: Map<String, Value>,
    /// The arguments as sent when they were not a JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed: Option<Malformed>,
    /// The producing family's data attached to this call (Gemini: its `thoughtSignature` and
    /// its own call id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opaque: Option<Opaque>,
}

/// Arguments that were not a JSON object when the call ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Malformed {
    /// The text the model produced, as received.
    pub raw: String,
    /// Why it is not usable (the JSON parser's words).
    pub reason: String,
}

/// The answer to one [`ToolCall`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    pub call_id: String,
    /// What the tool said (plain text; JSON text is passed on as text, or, to Gemini, as the
    /// object it is).
    pub content: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
}

/// Data only `family` understands, sent back to it verbatim and to no other family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opaque {
    pub family: Family,
    pub data: Value,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// `^[a-zA-Z0-9_-]{1,64}$`: the strictest rule of the three APIs.
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments object.
    pub parameters: Value,
}

/// Whether and which tools the model may or must call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// No tool calls (the tools are still declared, so the history stays valid).
    None,
    /// At least one call, of any declared tool.
    Required,
    /// A call of this tool.
    Named(String),
}

/// Why the model stopped, whatever the family's spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A natural end (`stop`, `end_turn`, `stop_sequence`, `STOP`).
    Stop,
    /// The token limit (`length`, `max_tokens`, `MAX_TOKENS`).
    Length,
    /// The model wants its tool calls run (`tool_calls`, `tool_use`; Gemini's `STOP` with
    /// function calls in the reply).
    ToolCalls,
    /// A safety filter or refusal (`content_filter`, `refusal`, `SAFETY`, `RECITATION`, …).
    ContentFilter,
    /// Anything else, as the provider spelled it.
    Other(String),
}

impl Conversation {
    pub fn new(system: Option<String>) -> Conversation {
        Conversation {
            system,
            messages: Vec::new(),
        }
    }

    /// The one-message conversation `omc run` sends.
    pub fn prompt(system: Option<String>, prompt: impl Into<String>) -> Conversation {
        Conversation {
            system,
            messages: vec![Message::user(prompt)],
        }
    }

    pub fn push(&mut self, message: Message) {
        self.messages.push(message);
    }

    /// The call a result answers, searched in the assistant turns before message `before`.
    pub fn find_call(&self, call_id: &str, before: usize) -> Option<&ToolCall> {
        self.messages[..before.min(self.messages.len())]
            .iter()
            .rev()
            .filter(|m| m.role == Role::Assistant)
            .flat_map(|m| m.tool_calls())
            .find(|c| c.id == call_id)
    }

    /// The rules every API enforces with a 400, checked before sending: the tool messages
    /// right after an assistant turn answer each of its calls exactly once and nothing else;
    /// tool messages hold only results, results come only in tool messages and calls only in
    /// assistant turns.
    pub fn check(&self) -> Result<(), ProviderError> {
        // The calls of the last assistant turn not yet answered, and those answered.
        let mut open: Vec<&ToolCall> = Vec::new();
        let mut answered: Vec<&str> = Vec::new();
        for (i, m) in self.messages.iter().enumerate() {
            if m.role != Role::Tool {
                if let Some(c) = open.first() {
                    return Err(bad(format!(
                        "tool call '{}' ({}) has no result: every call needs one, in the tool message right after its turn",
                        c.name, c.id
                    )));
                }
                answered.clear();
            }
            for part in &m.parts {
                match (m.role, part) {
                    (Role::Tool, Part::ToolResult(r)) => {
                        if answered.contains(&r.call_id.as_str()) {
                            return Err(bad(format!(
                                "call id '{}' has more than one tool result",
                                r.call_id
                            )));
                        }
                        let Some(at) = open.iter().position(|c| c.id == r.call_id) else {
                            let known = self.find_call(&r.call_id, i).is_some();
                            return Err(bad(if known {
                                format!(
                                    "the tool result for call id '{}' is not right after the turn that made the call",
                                    r.call_id
                                )
                            } else {
                                format!(
                                    "a tool result answers call id '{}', which no earlier assistant turn made",
                                    r.call_id
                                )
                            }));
                        };
                        open.remove(at);
                        answered.push(&r.call_id);
                    }
                    (Role::Tool, _) => {
                        return Err(bad("a tool message may hold only tool results"));
                    }
                    (_, Part::ToolResult(r)) => {
                        return Err(bad(format!(
                            "the tool result for call id '{}' is not in a tool message",
                            r.call_id
                        )));
                    }
                    (Role::User, Part::ToolCall(c)) => {
                        return Err(bad(format!(
                            "tool call '{}' is in a user message; calls belong to assistant turns",
                            c.id
                        )));
                    }
                    (Role::Assistant, Part::ToolCall(c)) => open.push(c),
                    (Role::Assistant, Part::Attachment(a)) => {
                        return Err(bad(format!(
                            "attachment '{}' is in an assistant turn; attachments belong to user messages",
                            a.name
                        )));
                    }
                    _ => {}
                }
            }
        }
        match open.first() {
            // A conversation may not end on calls it has not answered.
            Some(c) => Err(bad(format!(
                "tool call '{}' ({}) has no result: every call needs one, in the tool message right after its turn",
                c.name, c.id
            ))),
            None => Ok(()),
        }
    }

    /// Every piece of text in the conversation, for estimating input tokens when the provider
    /// reports none.
    pub fn text_for_estimate(&self) -> String {
        self.joined("")
    }

    /// The same, each piece followed by a space (so words of two pieces stay two words).
    pub(crate) fn text_for_estimate_spaced(&self) -> String {
        self.joined(" ")
    }

    fn joined(&self, sep: &str) -> String {
        let mut out = self.system.clone().unwrap_or_default();
        out.push_str(sep);
        for m in &self.messages {
            for p in &m.parts {
                match p {
                    Part::Text { text } => out.push_str(text),
                    Part::ToolCall(c) => {
                        out.push_str(&c.name);
                        out.push_str(sep);
                        out.push_str(&c.arguments_text());
                    }
                    Part::ToolResult(r) => out.push_str(&r.content),
                    // A text file is read as text; images and PDFs are counted by the provider.
                    Part::Attachment(a) if a.kind == crate::attach::Kind::Text => {
                        out.push_str(&a.as_text())
                    }
                    Part::Opaque(_) | Part::Attachment(_) => {}
                }
                out.push_str(sep);
            }
        }
        out
    }
}

fn bad(message: impl Into<String>) -> ProviderError {
    super::wire::error(ErrorKind::BadRequest, None, message)
}

/// An empty assistant turn.
impl Default for Message {
    fn default() -> Self {
        Message {
            role: Role::Assistant,
            parts: Vec::new(),
        }
    }
}

impl Message {
    pub fn user(text: impl Into<String>) -> Message {
        Message {
            role: Role::User,
            parts: vec![Part::text(text)],
        }
    }

    pub fn assistant(text: impl Into<String>) -> Message {
        Message {
            role: Role::Assistant,
            parts: vec![Part::text(text)],
        }
    }

    /// The answers to an assistant turn's calls, all in one message (Anthropic requires that;
    /// the other families take them as consecutive messages, which omc sends them as).
    pub fn tool_results(results: Vec<ToolResult>) -> Message {
        Message {
            role: Role::Tool,
            parts: results.into_iter().map(Part::ToolResult).collect(),
        }
    }

    /// The text parts, concatenated.
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.parts.iter().filter_map(|p| match p {
            Part::ToolCall(c) => Some(c),
            _ => None,
        })
    }

    pub fn tool_results_iter(&self) -> impl Iterator<Item = &ToolResult> {
        self.parts.iter().filter_map(|p| match p {
            Part::ToolResult(r) => Some(r),
            _ => None,
        })
    }
}

impl Part {
    pub fn text(text: impl Into<String>) -> Part {
        Part::Text { text: text.into() }
    }
}

impl ToolCall {
    /// A call with well-formed arguments.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: Map<String, Value>,
    ) -> Self {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments,
            malformed: None,
            opaque: None,
        }
    }

    /// A call from the arguments text the model produced: a JSON object, or (empty text) no
    /// arguments; anything else is kept as [`Malformed`].
    pub fn from_raw(id: impl Into<String>, name: impl Into<String>, raw: &str) -> Self {
        let mut call = ToolCall::new(id, name, Map::new());
        if raw.trim().is_empty() {
            return call;
        }
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => call.arguments = map,
            Ok(other) => {
                call.malformed = Some(Malformed {
                    raw: raw.to_owned(),
                    reason: format!("expected a JSON object, got {}", json_type(&other)),
                })
            }
            Err(e) => {
                call.malformed = Some(Malformed {
                    raw: raw.to_owned(),
                    reason: e.to_string(),
                })
            }
        }
        call
    }

    /// The arguments, or a [`ErrorKind::Malformed`] error saying why they are unusable (the
    /// text for a tool result telling the model).
    pub fn valid_arguments(&self) -> Result<&Map<String, Value>, ProviderError> {
        match &self.malformed {
            None => Ok(&self.arguments),
            Some(m) => Err(super::wire::error(
                ErrorKind::Malformed,
                None,
                format!(
                    "the arguments of tool call '{}' ({}) are not a JSON object: {}",
                    self.name, self.id, m.reason
                ),
            )),
        }
    }

    /// The arguments as JSON text, as the model sent them when they were malformed.
    pub fn arguments_text(&self) -> String {
        match &self.malformed {
            Some(m) => m.raw.clone(),
            None => Value::Object(self.arguments.clone()).to_string(),
        }
    }

    /// The opaque data to replay to `family`, if it came from there.
    pub fn opaque_for(&self, family: Family) -> Option<&Value> {
        self.opaque
            .as_ref()
            .filter(|o| o.family == family)
            .map(|o| &o.data)
    }
}

impl ToolResult {
    pub fn ok(call_id: impl Into<String>, content: impl Into<String>) -> Self {
        ToolResult {
            call_id: call_id.into(),
            content: content.into(),
            is_error: false,
        }
    }

    pub fn error(call_id: impl Into<String>, content: impl Into<String>) -> Self {
        ToolResult {
            call_id: call_id.into(),
            content: content.into(),
            is_error: true,
        }
    }
}

impl FinishReason {
    /// As omc spells it in JSON output and records.
    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::Other(s) => s,
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(id: &str) -> ToolCall {
        ToolCall::new(id, "t", Map::new())
    }

    #[test]
    fn raw_arguments_parse_or_are_kept_as_malformed() {
        let c = ToolCall::from_raw("1", "t", r#"{"a": "é"}"#);
        assert_eq!(c.valid_arguments().unwrap()["a"], "é");
        assert!(
            ToolCall::from_raw("1", "t", "  ")
                .valid_arguments()
                .unwrap()
                .is_empty()
        );
        let bad = ToolCall::from_raw("1", "t", r#"{"a": 1"#);
        let e = bad.valid_arguments().unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
        assert!(e.message.contains("tool call 't' (1)"), "{}", e.message);
        assert_eq!(bad.arguments_text(), r#"{"a": 1"#);
        let arr = ToolCall::from_raw("1", "t", "[1]");
        assert!(
            arr.valid_arguments()
                .unwrap_err()
                .message
                .contains("an array")
        );
    }

    #[test]
    fn check_rejects_unknown_and_duplicate_results() {
        let mut c = Conversation::prompt(None, "hi");
        c.push(Message {
            role: Role::Assistant,
            parts: vec![Part::ToolCall(call("a"))],
        });
        c.push(Message::tool_results(vec![ToolResult::ok("a", "x")]));
        c.check().unwrap();
        let mut unknown = c.clone();
        unknown.push(Message::tool_results(vec![ToolResult::ok("zz", "x")]));
        let e = unknown.check().unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert!(e.message.contains("'zz'"), "{}", e.message);
        let mut twice = c.clone();
        twice.push(Message::tool_results(vec![ToolResult::ok("a", "y")]));
        assert!(twice.check().unwrap_err().message.contains("more than one"));
        let mut same = c.clone();
        if let Some(Part::ToolResult(r)) = same.messages[2].parts.first().cloned() {
            same.messages[2].parts.push(Part::ToolResult(r));
        }
        assert!(same.check().unwrap_err().message.contains("more than one"));
        let mut unanswered = c.clone();
        unanswered.messages.truncate(2);
        assert!(
            unanswered
                .check()
                .unwrap_err()
                .message
                .contains("has no result")
        );
        unanswered.push(Message::user("go on"));
        assert!(
            unanswered
                .check()
                .unwrap_err()
                .message
                .contains("'t' (a) has no result")
        );
    }

    #[test]
    fn finish_reasons_and_parts_serialise_plainly() {
        let m = Message {
            role: Role::Assistant,
            parts: vec![Part::text("hi"), Part::ToolCall(call("a"))],
        };
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["parts"][0], json!({"type": "text", "text": "hi"}));
        assert_eq!(v["parts"][1]["type"], "tool_call");
        let back: Message = serde_json::from_value(v).unwrap();
        assert_eq!(back, m);
        assert_eq!(FinishReason::ToolCalls.as_str(), "tool_calls");
    }
}
