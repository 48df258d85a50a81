//! Anthropic Messages: `POST {base}/v1/messages`, `GET {base}/v1/models`, `x-api-key` and
//! `anthropic-version: 2023-06-01`.
//!
//! Streaming is named events: `message_start` (input tokens), `content_block_*`, `ping`,
//! `message_delta` (stop reason and the *cumulative* output tokens), `message_stop`, or `error`.

use std::borrow::Cow;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

use super::types::{ChatRequest, ErrorKind, ProviderError};
use super::wire::{self, Accum, Prepared};

pub(crate) const VERSION: &str = "2023-06-01";

/// The API requires `max_tokens`; this is what omc asks for when the user gave none.
pub(crate) const DEFAULT_MAX_TOKENS: u32 = 1024;

pub(crate) fn chat_request(
    base: &str,
    key: &SecretString,
    req: &ChatRequest,
) -> Result<Prepared, ProviderError> {
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "messages": [{"role": "user", "content": req.prompt}],
        "stream": req.stream,
    });
    if let Some(system) = &req.system {
        body["system"] = json!(system);
    }
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    Ok(Prepared::post_json(
        format!("{base}/v1/messages"),
        headers(key)?,
        &body,
    ))
}

pub(crate) fn models_request(base: &str, key: &SecretString) -> Result<Prepared, ProviderError> {
    // The largest page the API allows, so one request lists everything.
    Ok(Prepared::get(
        format!("{base}/v1/models?limit=1000"),
        headers(key)?,
    ))
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

/// Anthropic lists models as OpenAI does: `{"data": [{"id": …}, …]}`.
pub(crate) fn parse_models(body: &[u8]) -> Result<Vec<String>, ProviderError> {
    super::openai::parse_models(body)
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
    #[serde(default, borrow)]
    content: Vec<Block<'a>>,
    stop_reason: Option<String>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

pub(crate) fn parse_reply(body: &[u8], acc: &mut Accum) -> Result<(), ProviderError> {
    let m: Message = serde_json::from_slice(body).map_err(|e| wire::malformed("reply", e))?;
    for block in m.content.iter().filter(|b| b.kind == "text") {
        if let Some(text) = &block.text {
            acc.text.push_str(text);
        }
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
}

#[derive(Deserialize)]
struct EventDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    stop_reason: Option<String>,
}

/// One SSE event of a streamed message, folded into `acc`. The JSON `type` is authoritative (it
/// always equals the SSE event name); unknown types are skipped, as Anthropic's versioning policy
/// asks of clients.
pub(crate) fn on_event(data: &str, acc: &mut Accum) -> Result<(), ProviderError> {
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
        "content_block_delta" => {
            if let Some(d) = ev.delta
                && d.kind.as_deref() == Some("text_delta")
                && let Some(text) = d.text
            {
                acc.text.push_str(&text);
            }
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
        "message_stop" => acc.done = true,
        "error" => {
            let (kind, message) = describe(None, ev.error.as_ref().unwrap_or(&Value::Null));
            return Err(wire::error(kind, None, message));
        }
        _ => {}
    }
    Ok(())
}

/// An error reply: `{"type":"error","error":{"type","message"}}`.
pub(crate) fn classify(status: u16, body: &[u8]) -> ProviderError {
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
    let message = error["message"].as_str().unwrap_or(etype).to_owned();
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
