//! Gemini (Generative Language API): `POST {base}/v1beta/models/{model}:generateContent`, or
//! `:streamGenerateContent?alt=sse`, and `GET {base}/v1beta/models`. The key travels in the
//! `x-goog-api-key` header and never in the URL, where proxies and logs would keep it.
//!
//! Each streamed `data:` is a whole `GenerateContentResponse`; the last carries `finishReason`
//! and the final `usageMetadata`.

//!
//! Tool calls are whole `functionCall` parts (`args` an object), never split; omc makes up an
//! id where Gemini sends none. A `thoughtSignature` beside a call (on Gemini 3, only the first
//! of parallel calls has one) is kept on that call; one on a text part, or on an empty part of
//! its own late in a stream, is kept as an opaque part in place. Both go back only to Gemini.

use std::borrow::Cow;

use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Family;
use super::conversation::{FinishReason, Opaque, Part, Role, ToolCall, ToolChoice};
use super::types::{ChatRequest, ErrorKind, ProviderError};
use super::wire::{self, Accum, Prepared, Wire};

/// Gemini generateContent.
pub(crate) struct Gemini;

impl Wire for Gemini {
    fn chat_request(
        &self,
        base: &str,
        key: &SecretString,
        req: &ChatRequest,
    ) -> Result<Prepared, ProviderError> {
        let body = chat_body(req)?;
        // Users copy model names from the model list, which spells them `models/…`.
        let model = req.model.strip_prefix("models/").unwrap_or(&req.model);
        let model = encode_path_segment(model);
        let url = if req.stream {
            format!("{base}/v1beta/models/{model}:streamGenerateContent?alt=sse")
        } else {
            format!("{base}/v1beta/models/{model}:generateContent")
        };
        Prepared::post_json(url, headers(key)?, &body)
    }

    fn on_event(&self, data: &str, acc: &mut Accum) -> Result<(), ProviderError> {
        let r: Response =
            serde_json::from_str(data).map_err(|e| wire::malformed("stream event", e))?;
        fold(r, acc)
    }

    fn parse_reply(&self, body: &[u8], acc: &mut Accum) -> Result<(), ProviderError> {
        let r: Response = serde_json::from_slice(body).map_err(|e| wire::malformed("reply", e))?;
        fold(r, acc)
    }

    fn finish_reason(&self, raw: &str, acc: &Accum) -> FinishReason {
        match raw {
            // Gemini ends a turn of function calls with a plain STOP.
            "STOP" if acc.has_calls() => FinishReason::ToolCalls,
            "STOP" => FinishReason::Stop,
            "MAX_TOKENS" => FinishReason::Length,
            "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII"
            | "IMAGE_SAFETY" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_owned()),
        }
    }

    fn classify(&self, status: u16, body: &[u8]) -> ProviderError {
        classify(status, body)
    }

    fn models_request(&self, base: &str, key: &SecretString) -> Result<Prepared, ProviderError> {
        // The largest page the API allows, so one request lists everything.
        Prepared::get(format!("{base}/v1beta/models?pageSize=1000"), headers(key)?)
    }

    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, ProviderError> {
        parse_models(body)
    }
}

fn chat_body(req: &ChatRequest) -> Result<Value, ProviderError> {
    let conv = &req.conversation;
    let mut contents: Vec<(&str, Vec<Value>)> = Vec::new();
    for (i, m) in conv.messages.iter().enumerate() {
        let role = match m.role {
            Role::Assistant => "model",
            Role::User | Role::Tool => "user",
        };
        let mut parts = Vec::with_capacity(m.parts.len());
        for part in &m.parts {
            match part {
                Part::Text { text } if text.is_empty() => {}
                Part::Text { text } => parts.push(json!({"text": text})),
                Part::ToolCall(c) => parts.push(call_part(c)),
                Part::ToolResult(r) => {
                    // Checked before: every result answers an earlier call.
                    let call = conv.find_call(&r.call_id, i).ok_or_else(|| {
                        wire::error(
                            ErrorKind::BadRequest,
                            None,
                            format!("a tool result answers unknown call id '{}'", r.call_id),
                        )
                    })?;
                    let response = match serde_json::from_str::<Value>(&r.content) {
                        _ if r.is_error => json!({"error": r.content}),
                        Ok(Value::Object(o)) => Value::Object(o),
                        _ => json!({"output": r.content}),
                    };
                    let mut fr = json!({"name": call.name, "response": response});
                    if let Some(id) = call.opaque_for(Family::Gemini).and_then(|o| o.get("id")) {
                        fr["id"] = id.clone();
                    }
                    parts.push(json!({"functionResponse": fr}));
                }
                Part::Opaque(o) if o.family == Family::Gemini => parts.push(o.data.clone()),
                Part::Opaque(_) => {}
                Part::Attachment(a) if a.kind == crate::attach::Kind::Text => {
                    parts.push(json!({"text": a.as_text()}))
                }
                Part::Attachment(a) => parts.push(json!({"inlineData": {
                    "mimeType": a.media_type(), "data": a.data,
                }})),
            }
        }
        if parts.is_empty() {
            continue;
        }
        match contents.last_mut() {
            Some((last, prev)) if *last == role && role == "user" => prev.extend(parts),
            _ => contents.push((role, parts)),
        }
    }
    let contents: Vec<Value> = contents
        .into_iter()
        .map(|(role, parts)| json!({"role": role, "parts": parts}))
        .collect();
    let mut body = json!({"contents": contents});
    if let Some(system) = &conv.system {
        body["systemInstruction"] = json!({"parts": [{"text": system}]});
    }
    if !req.tools.is_empty() {
        let decls: Vec<Value> = req
            .tools
            .iter()
            // `parametersJsonSchema` takes JSON Schema as is; `parameters` refuses much of it
            // (`additionalProperties`, `$schema`), which MCP servers send.
            .map(|t| json!({"name": t.name, "description": t.description, "parametersJsonSchema": t.parameters}))
            .collect();
        body["tools"] = json!([{"functionDeclarations": decls}]);
        body["toolConfig"] = json!({"functionCallingConfig": match &req.tool_choice {
            ToolChoice::Auto => json!({"mode": "AUTO"}),
            ToolChoice::None => json!({"mode": "NONE"}),
            ToolChoice::Required => json!({"mode": "ANY"}),
            ToolChoice::Named(name) => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
        }});
    }
    let mut config = serde_json::Map::new();
    if let Some(t) = req.temperature {
        config.insert("temperature".into(), json!(t));
    }
    if let Some(n) = req.max_tokens {
        config.insert("maxOutputTokens".into(), json!(n));
    }
    if let Some(s) = &req.schema {
        // `responseJsonSchema` takes JSON Schema as is (`responseSchema` is an OpenAPI subset).
        config.insert("responseMimeType".into(), json!("application/json"));
        config.insert("responseJsonSchema".into(), s.schema.clone());
    }
    if !config.is_empty() {
        body["generationConfig"] = Value::Object(config);
    }
    Ok(body)
}

/// A call as Gemini sent it: its own id and signature only if it came from Gemini.
fn call_part(c: &ToolCall) -> Value {
    let mut fc = json!({"name": c.name, "args": c.arguments});
    let mut part = json!({});
    if let Some(o) = c.opaque_for(Family::Gemini) {
        if let Some(id) = o.get("id") {
            fc["id"] = id.clone();
        }
        if let Some(sig) = o.get("thoughtSignature") {
            part["thoughtSignature"] = sig.clone();
        }
    }
    part["functionCall"] = fc;
    part
}

fn headers(key: &SecretString) -> Result<HeaderMap, ProviderError> {
    let mut h = HeaderMap::new();
    wire::key_header(&mut h, "x-goog-api-key", "", key)?;
    Ok(h)
}

/// A model name is user input put into a URL path: anything outside the unreserved set is
/// percent-encoded so it cannot change the path or add a query.
fn encode_path_segment(s: &str) -> Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if s.bytes().all(plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if plain(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Cow::Owned(out)
}

fn parse_models(body: &[u8]) -> Result<Vec<String>, ProviderError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| wire::malformed("model list", e))?;
    let models = v["models"]
        .as_array()
        .ok_or_else(|| wire::malformed("model list", "no `models` array"))?;
    Ok(models
        .iter()
        .filter_map(|m| m["name"].as_str())
        .map(|n| n.strip_prefix("models/").unwrap_or(n).to_owned())
        .collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response<'a> {
    #[serde(default, borrow, deserialize_with = "wire::nullable")]
    candidates: Vec<Candidate<'a>>,
    usage_metadata: Option<UsageMetadata>,
    #[serde(borrow)]
    model_version: Option<Cow<'a, str>>,
    prompt_feedback: Option<PromptFeedback>,
    /// A failure reported inside a stream.
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate<'a> {
    #[serde(borrow)]
    content: Option<Content<'a>>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(default, borrow, deserialize_with = "wire::nullable")]
    parts: Vec<WirePart<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePart<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    /// Thought summaries are not the answer.
    #[serde(default, deserialize_with = "wire::nullable")]
    thought: bool,
    function_call: Option<FunctionCall>,
    thought_signature: Option<String>,
}

#[derive(Deserialize)]
struct FunctionCall {
    id: Option<String>,
    #[serde(default, deserialize_with = "wire::nullable")]
    name: String,
    args: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    prompt_token_count: Option<u64>,
    candidates_token_count: Option<u64>,
    thoughts_token_count: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

fn fold(r: Response<'_>, acc: &mut Accum) -> Result<(), ProviderError> {
    if let Some(err) = r.error {
        let (kind, message) = describe(None, &err);
        return Err(wire::error(kind, None, message));
    }
    if let Some(c) = r.candidates.into_iter().next() {
        for part in c.content.into_iter().flat_map(|c| c.parts) {
            fold_part(part, acc);
        }
        if c.finish_reason.is_some() {
            acc.finish_reason = c.finish_reason;
        }
    }
    if let Some(reason) = r.prompt_feedback.and_then(|f| f.block_reason) {
        // A refused prompt has no candidates; the block reason is why the reply ended.
        acc.finish_reason = Some(reason);
    }
    if let Some(u) = r.usage_metadata {
        acc.input_tokens = u.prompt_token_count.or(acc.input_tokens);
        // Thinking tokens are billed as output, as OpenAI's completion_tokens count them.
        acc.output_tokens = match (u.candidates_token_count, u.thoughts_token_count) {
            (None, None) => acc.output_tokens,
            // Saturating: a hostile or broken server's counts must not overflow (found by
            // fuzz.rs).
            (c, t) => Some(c.unwrap_or(0).saturating_add(t.unwrap_or(0))),
        };
    }
    if let Some(m) = r.model_version {
        acc.model = Some(m.into_owned());
    }
    Ok(())
}

fn fold_part(part: WirePart<'_>, acc: &mut Accum) {
    if let Some(fc) = part.function_call {
        let mut keep = Map::new();
        let id = match fc.id.filter(|i| !i.is_empty()) {
            Some(id) => {
                keep.insert("id".into(), json!(id));
                id
            }
            None => acc.fresh_id(),
        };
        if let Some(sig) = part.thought_signature {
            keep.insert("thoughtSignature".into(), json!(sig));
        }
        let mut call = match fc.args {
            Some(Value::Object(args)) => ToolCall::new(id, fc.name, args),
            None | Some(Value::Null) => ToolCall::new(id, fc.name, Map::new()),
            Some(other) => ToolCall::from_raw(id, fc.name, &other.to_string()),
        };
        if !keep.is_empty() {
            call.opaque = Some(Opaque {
                family: Family::Gemini,
                data: Value::Object(keep),
            });
        }
        acc.push_call(call);
        return;
    }
    if let Some(text) = part.text.as_deref().filter(|_| !part.thought) {
        acc.push_text(text);
    }
    if let Some(sig) = part.thought_signature {
        // Replayed in place as a part of its own: `{"text": "", "thoughtSignature": …}` is
        // how a stream delivers it, and Gemini takes it back so.
        acc.push_opaque(Family::Gemini, json!({"text": "", "thoughtSignature": sig}));
    }
}

/// An error reply: `{"error":{"code","message","status","details":[{"reason"}]}}`, sometimes
/// wrapped in an array.
fn classify(status: u16, body: &[u8]) -> ProviderError {
    let parsed = serde_json::from_slice::<Value>(body).ok().map(|v| match v {
        Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
        v => v,
    });
    let (kind, message) = match parsed {
        Some(v) if v["error"].is_object() => describe(Some(status), &v["error"]),
        _ => (
            wire::kind_for_status(status),
            wire::fallback_message(status, body),
        ),
    };
    wire::error(kind, Some(status), message)
}

fn describe(status: Option<u16>, error: &Value) -> (ErrorKind, String) {
    let message = error["message"]
        .as_str()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or("no message")
        .to_owned();
    let gstatus = error["status"].as_str().unwrap_or_default();
    let reasons: Vec<&str> = error["details"]
        .as_array()
        .map(|d| d.iter().filter_map(|x| x["reason"].as_str()).collect())
        .unwrap_or_default();
    let status = status.or_else(|| error["code"].as_u64().and_then(|c| u16::try_from(c).ok()));
    // An invalid key is a 400, not a 401, here: recognise it by its reason.
    let bad_key = reasons
        .iter()
        .any(|r| matches!(*r, "API_KEY_INVALID" | "API_KEY_SERVICE_BLOCKED"))
        || message.starts_with("API key not valid")
        || message.starts_with("API key expired");
    let kind = if bad_key {
        ErrorKind::Auth
    } else {
        match (status, gstatus) {
            (_, "UNAUTHENTICATED" | "PERMISSION_DENIED") => ErrorKind::Auth,
            (_, "RESOURCE_EXHAUSTED") => ErrorKind::RateLimited,
            (Some(404), _) | (_, "NOT_FOUND") => ErrorKind::ModelNotFound,
            (_, "UNAVAILABLE" | "INTERNAL") => ErrorKind::Server,
            (Some(s), _) => wire::kind_for_status(s),
            (None, _) => ErrorKind::Server,
        }
    };
    (kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_cannot_escape_the_path() {
        assert_eq!(encode_path_segment("gemini-2.5-flash"), "gemini-2.5-flash");
        assert_eq!(encode_path_segment("a/b?key=x"), "a%2Fb%3Fkey%3Dx");
    }
}
