//! Anthropic Messages: `POST {base}/v1/messages`, `GET {base}/v1/models`, `x-api-key` and
//! `anthropic-version: 2023-06-01`.
//!
//! Streaming is named events: `message_start` (input tokens), `content_block_*`, `ping`,
//! `message_delta` (stop reason and the *cumulative* output tokens), `message_stop`, or `error`.

//!
//! Tool calls stream as a `content_block_start` of type `tool_use` (id, name), then
//! `input_json_delta` pieces of `partial_json` (the first may be empty), then
//! `content_block_stop`. Thinking blocks (`thinking` with its `signature`, `redacted_thinking`)
//! are kept verbatim and replayed in place, as the API requires before `tool_use` blocks.

use std::borrow::Cow;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Family;
use super::conversation::{FinishReason, Part, Role, ToolCall, ToolChoice};
use super::types::{ChatRequest, ErrorKind, ProviderError};
use super::wire::{self, Accum, Prepared, Wire};

pub(crate) const VERSION: &str = "2023-06-01";

/// Anthropic Messages.
pub(crate) struct Anthropic;

impl Wire for Anthropic {
    fn chat_request(
        &self,
        base: &str,
        key: &SecretString,
        req: &ChatRequest,
    ) -> Result<Prepared, ProviderError> {
        Prepared::post_json(
            format!("{base}/v1/messages"),
            headers(key)?,
            &chat_body(req),
        )
    }

    fn on_event(&self, data: &str, acc: &mut Accum) -> Result<(), ProviderError> {
        on_event(data, acc)
    }

    fn parse_reply(&self, body: &[u8], acc: &mut Accum) -> Result<(), ProviderError> {
        parse_reply(body, acc)
    }

    fn finish_reason(&self, raw: &str, _acc: &Accum) -> FinishReason {
        match raw {
            "end_turn" | "stop_sequence" => FinishReason::Stop,
            "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
            "tool_use" => FinishReason::ToolCalls,
            "refusal" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_owned()),
        }
    }

    fn classify(&self, status: u16, body: &[u8]) -> ProviderError {
        classify(status, body)
    }

    fn models_request(&self, base: &str, key: &SecretString) -> Result<Prepared, ProviderError> {
        // The largest page the API allows, so one request lists everything.
        Prepared::get(format!("{base}/v1/models?limit=1000"), headers(key)?)
    }

    /// Anthropic lists models as OpenAI does: `{"data": [{"id": …}, …]}`.
    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, ProviderError> {
        super::openai::parse_models(body)
    }
}

fn chat_body(req: &ChatRequest) -> Value {
    let conv = &req.conversation;
    // (role, content blocks); a turn of one text block goes as a plain string.
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    for m in &conv.messages {
        let role = match m.role {
            Role::Assistant => "assistant",
            Role::User | Role::Tool => "user",
        };
        let mut blocks = Vec::with_capacity(m.parts.len());
        for part in &m.parts {
            match part {
                // The API refuses empty text blocks.
                Part::Text { text } if text.is_empty() => {}
                Part::Text { text } => blocks.push(json!({"type": "text", "text": text})),
                Part::ToolCall(c) => blocks.push(json!({
                    "type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments,
                })),
                Part::ToolResult(r) => {
                    let mut b = json!({"type": "tool_result", "tool_use_id": r.call_id, "content": r.content});
                    if r.is_error {
                        b["is_error"] = json!(true);
                    }
                    blocks.push(b);
                }
                Part::Opaque(o) if o.family == Family::Anthropic => blocks.push(o.data.clone()),
                Part::Opaque(_) => {}
                Part::Attachment(a) => blocks.push(attachment_block(a)),
            }
        }
        if blocks.is_empty() {
            continue;
        }
        // Tool results and the user's words after them are one user turn, results first.
        match turns.last_mut() {
            Some((last, prev)) if *last == role && role == "user" => prev.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, blocks)| match blocks.as_slice() {
            [b] if b["type"] == "text" => json!({"role": role, "content": b["text"]}),
            _ => json!({"role": role, "content": blocks}),
        })
        .collect();
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens.unwrap_or(super::DEFAULT_MAX_TOKENS),
        "messages": messages,
        "stream": req.stream,
    });
    if let Some(system) = &conv.system {
        body["system"] = json!(system);
    }
    if let Some(s) = &req.schema {
        // Structured outputs, generally available: no beta header.
        body["output_config"] = json!({"format": {"type": "json_schema", "schema": s.schema}});
    }
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
        body["tool_choice"] = match &req.tool_choice {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Required => json!({"type": "any"}),
            ToolChoice::Named(name) => json!({"type": "tool", "name": name}),
        };
    }
    body
}

/// An `image` or `document` block with a base64 source; a text file as a text block.
fn attachment_block(a: &crate::attach::Attachment) -> Value {
    use crate::attach::Kind;
    let source = json!({"type": "base64", "media_type": a.media_type(), "data": a.data});
    match a.kind {
        Kind::Text => json!({"type": "text", "text": a.as_text()}),
        Kind::Pdf => json!({"type": "document", "source": source}),
        _ => json!({"type": "image", "source": source}),
    }
}

fn headers(key: &SecretString) -> Result<HeaderMap, ProviderError> {
    let mut h = HeaderMap::new();
    wire::key_header(&mut h, "x-api-key", "", key)?;
    h.insert(
        HeaderName::from_static("anthropic-version"),
        HeaderValue::from_static(VERSION),
    );
    Ok(h)
}

#[derive(Deserialize, Default)]
struct Usage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "wire::nullable")]
    content: Vec<Block>,
    stop_reason: Option<String>,
    usage: Option<Usage>,
}

/// A content block, kept whole: thinking blocks go back verbatim.
type Block = Value;

/// A content block of a reply, folded into `acc` (`key`: its index, for streamed ones).
fn fold_block(block: Value, acc: &mut Accum, key: Option<u64>) {
    match block["type"].as_str().unwrap_or_default() {
        "text" => acc.push_text(block["text"].as_str().unwrap_or_default()),
        "tool_use" => {
            let id = match block["id"].as_str() {
                Some(id) if !id.is_empty() => id.to_owned(),
                _ => acc.fresh_id(),
            };
            let name = block["name"].as_str().unwrap_or_default().to_owned();
            match key {
                // Streamed: `input` is `{}` here and arrives in `input_json_delta` pieces.
                Some(key) => acc.start_call(key, id, name, None),
                None => acc.push_call(match block.get("input") {
                    Some(Value::Object(input)) => ToolCall::new(id, name, input.clone()),
                    None | Some(Value::Null) => ToolCall::new(id, name, Map::new()),
                    Some(other) => ToolCall::from_raw(id, name, &other.to_string()),
                }),
            }
        }
        "thinking" | "redacted_thinking" => match key {
            Some(key) => acc.start_opaque(key, Family::Anthropic, block),
            None => acc.push_opaque(Family::Anthropic, block),
        },
        // Server tool blocks and whatever comes later: not text, not ours to run.
        _ => {}
    }
}

fn parse_reply(body: &[u8], acc: &mut Accum) -> Result<(), ProviderError> {
    let m: Message = serde_json::from_slice(body).map_err(|e| wire::malformed("reply", e))?;
    for block in m.content {
        fold_block(block, acc, None);
    }
    acc.model = m.model.map(Cow::into_owned);
    acc.finish_reason = m.stop_reason;
    if let Some(u) = m.usage {
        acc.input_tokens = u.input_tokens;
        acc.output_tokens = u.output_tokens;
    }
    Ok(())
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
    #[serde(borrow)]
    delta: Option<EventDelta<'a>>,
    usage: Option<Usage>,
    error: Option<Value>,
    index: Option<u64>,
    content_block: Option<Value>,
}

#[derive(Deserialize)]
struct EventDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    partial_json: Option<Cow<'a, str>>,
    #[serde(borrow)]
    thinking: Option<Cow<'a, str>>,
    #[serde(borrow)]
    signature: Option<Cow<'a, str>>,
    stop_reason: Option<String>,
}

/// One SSE event of a streamed message, folded into `acc`. The JSON `type` is authoritative (it
/// always equals the SSE event name); unknown types are skipped, as Anthropic's versioning policy
/// asks of clients.
fn on_event(data: &str, acc: &mut Accum) -> Result<(), ProviderError> {
    let ev: Event = serde_json::from_str(data).map_err(|e| wire::malformed("stream event", e))?;
    match ev.kind.as_ref() {
        "message_start" => {
            if let Some(m) = ev.message {
                acc.model = m.model.map(Cow::into_owned);
                let u = m.usage.unwrap_or_default();
                acc.input_tokens = u.input_tokens.or(acc.input_tokens);
                acc.output_tokens = u.output_tokens.or(acc.output_tokens);
            }
        }
        "content_block_start" => {
            if let Some(block) = ev.content_block {
                fold_block(block, acc, Some(ev.index.unwrap_or(0)));
            }
        }
        "content_block_delta" => {
            let key = ev.index.unwrap_or(0);
            let Some(d) = ev.delta else {
                return Ok(());
            };
            match d.kind.as_deref() {
                Some("text_delta") => acc.push_text(d.text.as_deref().unwrap_or_default()),
                Some("input_json_delta") => {
                    acc.call_args(key, d.partial_json.as_deref().unwrap_or_default())?
                }
                Some("thinking_delta") => append(acc, key, "thinking", d.thinking.as_deref()),
                Some("signature_delta") => append(acc, key, "signature", d.signature.as_deref()),
                _ => {}
            }
        }
        "content_block_stop" => {
            let key = ev.index.unwrap_or(0);
            acc.finish_call(key);
            acc.close_opaque(key);
        }
        "message_delta" => {
            if let Some(reason) = ev.delta.and_then(|d| d.stop_reason) {
                acc.finish_reason = Some(reason);
            }
            // Cumulative counts: assign, never add.
            if let Some(u) = ev.usage {
                acc.input_tokens = u.input_tokens.or(acc.input_tokens);
                acc.output_tokens = u.output_tokens.or(acc.output_tokens);
            }
        }
        "message_stop" => {
            acc.done = true;
            acc.finish_calls();
        }
        "error" => {
            let (kind, message) = describe(None, ev.error.as_ref().unwrap_or(&Value::Null));
            return Err(wire::error(kind, None, message));
        }
        _ => {}
    }
    Ok(())
}

/// A piece of a streamed thinking block's `field`.
fn append(acc: &mut Accum, key: u64, field: &str, piece: Option<&str>) {
    if let (Some(block), Some(piece)) = (acc.opaque_mut(key), piece) {
        match &mut block[field] {
            Value::String(text) => text.push_str(piece),
            other => *other = Value::String(piece.to_owned()),
        }
    }
}

/// An error reply: `{"type":"error","error":{"type","message"}}`.
fn classify(status: u16, body: &[u8]) -> ProviderError {
    let (kind, message) = match serde_json::from_slice::<Value>(body) {
        Ok(v) if v["error"].is_object() => describe(Some(status), &v["error"]),
        _ => (
            wire::kind_for_status(status),
            wire::fallback_message(status, body),
        ),
    };
    wire::error(kind, Some(status), message)
}

fn describe(status: Option<u16>, error: &Value) -> (ErrorKind, String) {
    let etype = error["type"].as_str().unwrap_or_default();
    // An empty message would leave the user with an empty error line (found by fuzz.rs).
    let message = [error["message"].as_str(), Some(etype)]
        .into_iter()
        .flatten()
        .find(|m| !m.trim().is_empty())
        .unwrap_or("no message")
        .to_owned();
    let kind = match etype {
        "authentication_error" | "permission_error" => ErrorKind::Auth,
        "rate_limit_error" => ErrorKind::RateLimited,
        "overloaded_error" | "api_error" => ErrorKind::Server,
        // On /v1/messages the only thing that can be missing is the model.
        "not_found_error" => ErrorKind::ModelNotFound,
        _ => match status {
            Some(s) => wire::kind_for_status(s),
            None => ErrorKind::Server,
        },
    };
    (kind, message)
}
