//! OpenAI Chat Completions, and every OpenAI-compatible server (DeepSeek, OpenRouter, Groq,
//! Mistral, xAI, Ollama, …): `POST {base}/chat/completions`, `GET {base}/models`, Bearer auth.
//!
//! Streaming is `data: {chunk}` lines ending with `data: [DONE]`. The first chunk carries only the
//! role; with `stream_options.include_usage` the last carries only `usage` and no choices.

//!
//! Tool calls stream as `delta.tool_calls[]` fragments keyed by `index`: `id` and
//! `function.name` first, then `function.arguments` in string pieces to concatenate. Ollama and
//! some compatible servers reuse index 0 for parallel calls and tell them apart by `id`;
//! llama.cpp repeats `id` and `name` on every fragment. A new `id` at an open index starts a new
//! call; a repeated one continues it; a name is taken once.

use std::borrow::Cow;

use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::conversation::{FinishReason, Role, ToolCall, ToolChoice};
use super::types::{ChatRequest, ErrorKind, ProviderError};
use super::wire::{self, Accum, Prepared, Wire};

/// OpenAI Chat Completions.
pub(crate) struct OpenAi;

impl Wire for OpenAi {
    fn chat_request(
        &self,
        base: &str,
        key: &SecretString,
        req: &ChatRequest,
    ) -> Result<Prepared, ProviderError> {
        let body = chat_body(req);
        Prepared::post_json(format!("{base}/chat/completions"), headers(key)?, &body)
    }

    fn on_event(&self, data: &str, acc: &mut Accum) -> Result<(), ProviderError> {
        on_event(data, acc)
    }

    fn parse_reply(&self, body: &[u8], acc: &mut Accum) -> Result<(), ProviderError> {
        parse_reply(body, acc)
    }

    fn finish_reason(&self, raw: &str, acc: &Accum) -> FinishReason {
        match raw {
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            // Older Ollama says `stop` after tool calls.
            "stop" if acc.has_calls() => FinishReason::ToolCalls,
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_owned()),
        }
    }

    fn classify(&self, status: u16, body: &[u8]) -> ProviderError {
        classify(status, body)
    }

    fn models_request(&self, base: &str, key: &SecretString) -> Result<Prepared, ProviderError> {
        Prepared::get(format!("{base}/models"), headers(key)?)
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, ProviderError> {
        parse_models(body)
    }
}

fn chat_body(req: &ChatRequest) -> Value {
    let conv = &req.conversation;
    let mut messages = Vec::with_capacity(conv.messages.len() + 1);
    if let Some(system) = &conv.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    for m in &conv.messages {
        match m.role {
            Role::User => messages.push(json!({"role": "user", "content": user_content(m)})),
            Role::Assistant => {
                let calls: Vec<Value> = m.tool_calls().map(call_json).collect();
                // `""`, not null or absent, when there is no text: llama.cpp's server answers
                // 400 to null and 500 to a missing field.
                let mut msg = json!({"role": "assistant", "content": m.text()});
                if !calls.is_empty() {
                    msg["tool_calls"] = Value::Array(calls);
                }
                messages.push(msg);
            }
            // One message per result, in the calls' order, right after the assistant turn.
            Role::Tool => {
                for r in m.tool_results_iter() {
                    let content = if r.is_error {
                        format!("Error: {}", r.content)
                    } else {
                        r.content.clone()
                    };
                    messages.push(
                        json!({"role": "tool", "tool_call_id": r.call_id, "content": content}),
                    );
                }
            }
        }
    }
    let mut body = json!({"model": req.model, "messages": messages, "stream": req.stream});
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
            .collect();
        body["tool_choice"] = match &req.tool_choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Named(name) => json!({"type": "function", "function": {"name": name}}),
        };
    }
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
    if let Some(s) = &req.schema {
        // Strict: the schema is normalised so every property is required and no other allowed.
        body["response_format"] = json!({"type": "json_schema", "json_schema": {
            "name": s.name, "schema": s.schema, "strict": true,
        }});
    }
    body
}

/// A user turn's content: its text, or with attachments, content parts in order (images as
/// `image_url` data URIs, PDFs as `file` parts with `file_data` and the `filename` the API
/// needs, text files as text).
fn user_content(m: &super::Message) -> Value {
    use super::Part;
    if !m.parts.iter().any(|p| matches!(p, Part::Attachment(_))) {
        return json!(m.text());
    }
    let parts: Vec<Value> = m
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text { text } if !text.is_empty() => Some(json!({"type": "text", "text": text})),
            Part::Attachment(a) if a.kind == crate::attach::Kind::Text => {
                Some(json!({"type": "text", "text": a.as_text()}))
            }
            Part::Attachment(a) if a.kind == crate::attach::Kind::Pdf => Some(json!({
                "type": "file", "file": {"filename": a.name, "file_data": a.data_url()},
            })),
            Part::Attachment(a) => {
                Some(json!({"type": "image_url", "image_url": {"url": a.data_url()}}))
            }
            _ => None,
        })
        .collect();
    Value::Array(parts)
}

/// A call as the assistant message carries it: arguments as JSON text, exactly as the model
/// sent them when they were malformed (the tool result says what was wrong).
fn call_json(c: &ToolCall) -> Value {
    json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_text()}})
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
    #[serde(default, borrow, deserialize_with = "wire::nullable")]
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
    #[serde(default, deserialize_with = "wire::nullable")]
    tool_calls: Vec<FullCall>,
}

#[derive(Deserialize)]
struct FullCall {
    id: Option<String>,
    function: Function,
}

#[derive(Deserialize)]
struct Function {
    #[serde(default, deserialize_with = "wire::nullable")]
    name: String,
    /// JSON text by the spec; some compatible servers send the object itself.
    arguments: Option<Value>,
}

fn parse_reply(body: &[u8], acc: &mut Accum) -> Result<(), ProviderError> {
    let c: Completion = serde_json::from_slice(body).map_err(|e| wire::malformed("reply", e))?;
    let choice = c
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| wire::malformed("reply", "no choices"))?;
    if let Some(m) = choice.message {
        if let Some(text) = m.content {
            acc.push_text(&text);
        }
        for c in m.tool_calls {
            let id =
                c.id.filter(|i| !i.is_empty())
                    .unwrap_or_else(|| acc.fresh_id());
            let call = match c.function.arguments {
                Some(Value::Object(args)) => ToolCall::new(id, c.function.name, args),
                Some(Value::String(raw)) => ToolCall::from_raw(id, c.function.name, &raw),
                None | Some(Value::Null) => ToolCall::new(id, c.function.name, Map::new()),
                Some(other) => ToolCall::from_raw(id, c.function.name, &other.to_string()),
            };
            acc.push_call(call);
        }
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
    #[serde(default, borrow, deserialize_with = "wire::nullable")]
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
    #[serde(default, borrow, deserialize_with = "wire::nullable")]
    tool_calls: Vec<CallFragment<'a>>,
}

#[derive(Deserialize)]
struct CallFragment<'a> {
    index: Option<u64>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    function: Option<FunctionFragment<'a>>,
}

#[derive(Deserialize)]
struct FunctionFragment<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    /// A piece of JSON text; a whole object from servers that send calls in one fragment.
    arguments: Option<Value>,
}

/// One fragment of a streamed tool call, folded into `acc`.
fn fold_fragment(f: CallFragment<'_>, acc: &mut Accum) -> Result<(), ProviderError> {
    // No index at all (a few servers): the newest open call, else the first.
    let index = f.index.or_else(|| acc.newest_open_key()).unwrap_or(0);
    let id = f.id.filter(|i| !i.is_empty());
    let (name, args) = match f.function {
        Some(func) => (func.name.filter(|n| !n.is_empty()), func.arguments),
        None => (None, None),
    };
    let continues = match (acc.open_call(index), &id) {
        // A different id at an open index: a new call (servers that reuse index 0), unless the
        // open call had none yet (an id after the name).
        (Some((open, _)), Some(id)) => open == id.as_ref() || acc.adopt_id(index, id),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if !continues {
        acc.finish_call(index);
        let id = id.map_or_else(|| acc.fresh_id(), Cow::into_owned);
        acc.start_call(
            index,
            id,
            name.map(Cow::into_owned).unwrap_or_default(),
            None,
        );
    } else if let Some(name) = name {
        // Repeated on every fragment by some servers: taken once, never concatenated.
        acc.name_call(index, &name);
    }
    match args {
        Some(Value::String(piece)) => acc.call_args(index, &piece),
        Some(Value::Object(o)) => acc.call_args(index, &Value::Object(o).to_string()),
        _ => Ok(()),
    }
}

/// One SSE event of a streamed completion, folded into `acc`.
fn on_event(data: &str, acc: &mut Accum) -> Result<(), ProviderError> {
    let data = data.trim();
    if data == "[DONE]" {
        acc.done = true;
        acc.finish_calls();
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
        if let Some(delta) = choice.delta {
            if let Some(text) = delta.content {
                acc.push_text(&text);
            }
            for f in delta.tool_calls {
                fold_fragment(f, acc)?;
            }
        }
        if choice.finish_reason.is_some() {
            acc.finish_reason = choice.finish_reason;
            acc.finish_calls();
        }
    }
    if let Some(u) = chunk.usage {
        acc.input_tokens = u.prompt_tokens.or(acc.input_tokens);
        acc.output_tokens = u.completion_tokens.or(acc.output_tokens);
    }
    Ok(())
}

/// An error reply: `{"error":{"message","type","code"}}`.
fn classify(status: u16, body: &[u8]) -> ProviderError {
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
        .filter(|m| !m.trim().is_empty())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(events: &[Value]) -> Accum {
        let mut acc = Accum::new(4);
        for e in events {
            on_event(&e.to_string(), &mut acc).unwrap();
        }
        on_event("[DONE]", &mut acc).unwrap();
        acc
    }

    fn frag(f: Value) -> Value {
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [f]}}]})
    }

    fn calls(acc: &Accum) -> Vec<(String, String, String)> {
        acc.parts
            .iter()
            .filter_map(|p| match p {
                super::super::Part::ToolCall(c) => {
                    Some((c.id.clone(), c.name.clone(), c.arguments_text()))
                }
                _ => None,
            })
            .collect()
    }

    /// llama-cpp-python's server (0.3, `--chat_format chatml-function-calling`, a tool named in
    /// `tool_choice`), as it streamed: every optional delta field `null` when unused. omc
    /// stopped at the first chunk with "invalid type: null, expected a sequence".
    #[test]
    fn llama_cpp_python_nulls_read_as_absent() {
        let id = "call__0_run_command_cmpl-a73e6a19-4b1e-4686-beff-b49d8a45d158";
        let head = r#"{"id": "chatcmpl-a73e6a19-4b1e-4686-beff-b49d8a45d158", "object": "chat.completion.chunk", "created": 1796465609, "model": "x", "choices": [{"index": 0, "finish_reason": "#;
        let piece = |p: &str| {
            let p = serde_json::to_string(p).unwrap();
            format!(
                r#"{head}null, "logprobs": null, "delta": {{"role": null, "content": null, "function_call": {{"name": "run_command", "arguments": {p}}}, "tool_calls": [{{"index": 0, "id": "{id}", "type": "function", "function": {{"name": "run_command", "arguments": {p}}}}}]}}}}]}}"#
            )
        };
        let mut acc = Accum::new(2);
        let events = [
            format!(
                r#"{head}null, "logprobs": null, "delta": {{"role": "assistant", "content": null, "function_call": null, "tool_calls": null}}}}]}}"#
            ),
            piece("{\""),
            piece("command"),
            piece("\": \"echo hello\"}"),
            piece(""),
            format!(
                r#"{head}"tool_calls", "logprobs": null, "delta": {{"role": null, "content": null, "function_call": null, "tool_calls": null}}}}]}}"#
            ),
            "[DONE]".to_owned(),
        ];
        for e in &events {
            on_event(e, &mut acc).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(
            calls(&acc),
            [(
                id.into(),
                "run_command".into(),
                r#"{"command":"echo hello"}"#.into()
            )]
        );
        assert_eq!(acc.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(acc.text, "");
    }

    /// The same server's whole reply, and SDK-shaped nulls in one from any server.
    #[test]
    fn nulls_in_a_whole_reply_read_as_absent() {
        let body = br#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"x","choices":[{"index":0,"message":{"content":"hi","tool_calls":null,"role":"assistant","function_call":null,"refusal":null,"annotations":null,"audio":null},"logprobs":null,"finish_reason":"stop"}],"usage":null,"system_fingerprint":null,"service_tier":null}"#;
        let mut acc = Accum::new(2);
        parse_reply(body, &mut acc).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(acc.text, "hi");
        assert_eq!(acc.input_tokens, None);
        let body = br#"{"model":"x","choices":[{"message":{"content":null,"tool_calls":[{"id":null,"type":null,"function":{"name":null,"arguments":null}}]},"finish_reason":null}],"usage":{"prompt_tokens":null,"completion_tokens":2}}"#;
        let mut acc = Accum::new(2);
        parse_reply(body, &mut acc).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            calls(&acc),
            [("call_omc_2_0".into(), String::new(), "{}".into())]
        );
        assert_eq!((acc.input_tokens, acc.output_tokens), (None, Some(2)));
        let mut acc = Accum::new(2);
        parse_reply(br#"{"choices":null}"#, &mut acc).expect_err("no choices");
    }

    #[test]
    fn an_id_after_the_name_is_the_same_call() {
        let acc = fold(&[
            frag(json!({"index": 0, "function": {"name": "t", "arguments": "{\"a\""}})),
            frag(json!({"index": 0, "id": "late", "function": {"arguments": ": 1}"}})),
        ]);
        assert_eq!(
            calls(&acc),
            [("late".into(), "t".into(), r#"{"a":1}"#.into())]
        );
    }

    #[test]
    fn fragments_without_an_index_belong_to_the_newest_call() {
        let acc = fold(&[
            frag(json!({"id": "c1", "function": {"name": "t", "arguments": ""}})),
            frag(json!({"function": {"arguments": "{}"}})),
        ]);
        assert_eq!(calls(&acc), [("c1".into(), "t".into(), "{}".into())]);
    }

    #[test]
    fn a_call_with_no_id_gets_one_unique_in_the_conversation() {
        let acc = fold(&[frag(
            json!({"index": 0, "function": {"name": "t", "arguments": "{}"}}),
        )]);
        assert_eq!(calls(&acc)[0].0, "call_omc_4_0");
    }
}
