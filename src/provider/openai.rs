//! OpenAI Chat Completions, and every OpenAI-compatible server (DeepSeek, OpenRouter, Groq,
//! Mistral, xAI, Ollama, …): `POST {base}/chat/completions`, `GET {base}/models`, Bearer auth.
//!
//! Streaming is `data: {chunk}` lines ending with `data: [DONE]`. The first chunk carries only the
//! role; with `stream_options.include_usage` the last carries only `usage` and no choices.

use std::borrow::Cow;

use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

use super::types::{ChatRequest, ErrorKind, ProviderError};
use super::wire::{self, Accum, Prepared};

pub(crate) fn chat_request(
    base: &str,
    key: &SecretString,
    req: &ChatRequest,
) -> Result<Prepared, ProviderError> {
    let mut messages = Vec::with_capacity(2);
    if let Some(system) = &req.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.push(json!({"role": "user", "content": req.prompt}));
    let mut body = json!({"model": req.model, "messages": messages, "stream": req.stream});
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(n) = req.max_tokens {
        // `max_tokens` rather than `max_completion_tokens`: every compatible server knows it.
        body["max_tokens"] = json!(n);
    }
    if req.stream {
        body["stream_options"] = json!({"include_usage": true});
    }
    Ok(Prepared::post_json(
        format!("{base}/chat/completions"),
        headers(key)?,
        &body,
    ))
}

pub(crate) fn models_request(base: &str, key: &SecretString) -> Result<Prepared, ProviderError> {
    Ok(Prepared::get(format!("{base}/models"), headers(key)?))
}

fn headers(key: &SecretString) -> Result<HeaderMap, ProviderError> {
    let mut h = HeaderMap::new();
    wire::key_header(&mut h, "authorization", "Bearer ", key)?;
    Ok(h)
}

pub(crate) fn parse_models(body: &[u8]) -> Result<Vec<String>, ProviderError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| wire::malformed("model list", e))?;
    let data = v["data"]
        .as_array()
        .ok_or_else(|| wire::malformed("model list", "no `data` array"))?;
    Ok(data
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect())
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Completion<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    choices: Vec<FullChoice<'a>>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct FullChoice<'a> {
    #[serde(borrow)]
    message: Option<Message<'a>>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
}

pub(crate) fn parse_reply(body: &[u8], acc: &mut Accum) -> Result<(), ProviderError> {
    let c: Completion = serde_json::from_slice(body).map_err(|e| wire::malformed("reply", e))?;
    let choice = c
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| wire::malformed("reply", "no choices"))?;
    if let Some(text) = choice.message.and_then(|m| m.content) {
        acc.text.push_str(&text);
    }
    acc.finish_reason = choice.finish_reason;
    acc.model = c.model.map(Cow::into_owned);
    if let Some(u) = c.usage {
        acc.input_tokens = u.prompt_tokens;
        acc.output_tokens = u.completion_tokens;
    }
    Ok(())
}

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    choices: Vec<ChunkChoice<'a>>,
    usage: Option<Usage>,
    /// OpenRouter and others report failures mid-stream as a chunk with an `error` object.
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ChunkChoice<'a> {
    #[serde(borrow)]
    delta: Option<ChunkDelta<'a>>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChunkDelta<'a> {
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
}

/// One SSE event of a streamed completion, folded into `acc`.
pub(crate) fn on_event(data: &str, acc: &mut Accum) -> Result<(), ProviderError> {
    let data = data.trim();
    if data == "[DONE]" {
        acc.done = true;
        return Ok(());
    }
    let chunk: Chunk =
        serde_json::from_str(data).map_err(|e| wire::malformed("stream chunk", e))?;
    if let Some(err) = chunk.error {
        let (kind, message) = describe(None, &json!({ "error": err }));
        return Err(wire::error(kind, None, message));
    }
    if acc.model.is_none() {
        acc.model = chunk.model.map(Cow::into_owned);
    }
    for choice in chunk.choices {
        if let Some(text) = choice.delta.and_then(|d| d.content) {
            acc.text.push_str(&text);
        }
        if choice.finish_reason.is_some() {
            acc.finish_reason = choice.finish_reason;
        }
    }
    if let Some(u) = chunk.usage {
        acc.input_tokens = u.prompt_tokens.or(acc.input_tokens);
        acc.output_tokens = u.completion_tokens.or(acc.output_tokens);
    }
    Ok(())
}

/// An error reply: `{"error":{"message","type","code"}}`.
pub(crate) fn classify(status: u16, body: &[u8]) -> ProviderError {
    let (kind, message) = match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.get("error").is_some() => describe(Some(status), &v),
        _ => (
            wire::kind_for_status(status),
            wire::fallback_message(status, body),
        ),
    };
    wire::error(kind, Some(status), message)
}

fn describe(status: Option<u16>, v: &Value) -> (ErrorKind, String) {
    let e = &v["error"];
    // Some compatible servers send `"error": "text"` rather than an object.
    let message = e["message"]
        .as_str()
        .or_else(|| e.as_str())
        .unwrap_or("no message")
        .to_owned();
    let code = e["code"].as_str().unwrap_or_default();
    let etype = e["type"].as_str().unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    let model_missing = code == "model_not_found"
        || (lower.contains("model")
            && (lower.contains("does not exist") || lower.contains("not found")));
    let kind = match status {
        _ if code == "invalid_api_key" => ErrorKind::Auth,
        Some(s @ (401 | 403 | 429)) => wire::kind_for_status(s),
        Some(400..=499) if model_missing => ErrorKind::ModelNotFound,
        Some(s) => wire::kind_for_status(s),
        // Mid-stream: no status, only the error's own words.
        None if etype.contains("rate_limit") || code == "rate_limit_exceeded" => {
            ErrorKind::RateLimited
        }
        None => ErrorKind::Server,
    };
    (kind, message)
}
