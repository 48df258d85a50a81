//! What the HTTP families share: a prepared request, the reply as it accumulates, the mapping
//! of HTTP statuses to [`ErrorKind`], and how replies' optional fields are read.
//!
//! # Optional fields
//!
//! Servers send an optional field as `null` as readily as they leave it out (llama.cpp's
//! `"tool_calls": null`, Anthropic's `"stop_reason": null`, the SDKs' own `None`s serialised),
//! and the official SDKs read both as absent. So does every reply type of every family here:
//! an optional field is either an `Option` (serde reads `null` as `None`) or, where absent means
//! empty, `#[serde(default, deserialize_with = "wire::nullable")]`. A bare `#[serde(default)]`
//! would refuse `null` with "invalid type: null" and end the reply as malformed.

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::Family;
use super::conversation::{FinishReason, Opaque, Part, ToolCall};
use super::types::{ChatRequest, ErrorKind, ProviderError};

/// A request ready to send, built once and re-sent as is on each retry (and, in a benchmark, on
/// every request to the same target and prompt): the URL is parsed and the body serialised
/// once, and a clone shares the body.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub method: Method,
    /// Never carries the key (Gemini included): it is logged.
    pub url: reqwest::Url,
    /// Carries the key; never logged. The key's value is marked sensitive.
    pub headers: HeaderMap,
    pub body: Option<bytes::Bytes>,
}

impl Prepared {
    pub fn get(url: String, headers: HeaderMap) -> Result<Self, ProviderError> {
        Ok(Prepared {
            method: Method::GET,
            url: parse_url(&url)?,
            headers,
            body: None,
        })
    }

    pub fn post_json(
        url: String,
        mut headers: HeaderMap,
        body: &serde_json::Value,
    ) -> Result<Self, ProviderError> {
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(Prepared {
            method: Method::POST,
            url: parse_url(&url)?,
            headers,
            // Serialising a Value cannot fail: its keys are strings.
            body: Some(serde_json::to_vec(body).unwrap_or_default().into()),
        })
    }
}

fn parse_url(url: &str) -> Result<reqwest::Url, ProviderError> {
    reqwest::Url::parse(url).map_err(|e| {
        error(
            ErrorKind::BadRequest,
            None,
            format!("cannot send a request to '{url}': {e}"),
        )
    })
}

/// A header carrying the key, marked sensitive so hyper never prints it.
pub(crate) fn key_header(
    headers: &mut HeaderMap,
    name: &'static str,
    prefix: &str,
    key: &SecretString,
) -> Result<(), ProviderError> {
    let key = key.expose_secret().trim();
    if key.is_empty() {
        // Local OpenAI-compatible servers (ollama) take no key; sending an empty one helps nobody.
        return Ok(());
    }
    let mut value = HeaderValue::from_str(&format!("{prefix}{key}")).map_err(|_| {
        error(
            ErrorKind::BadRequest,
            None,
            "the key contains characters that cannot be sent in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

/// One API family's translation between omc's neutral types and its wire format. Pure: no I/O,
/// no clock; the client does both. One implementation per family, chosen by [`Family::wire`].
pub(crate) trait Wire: Sync {
    /// The chat request for `req` (already checked with [`super::Conversation::check`]).
    fn chat_request(
        &self,
        base: &str,
        key: &SecretString,
        req: &ChatRequest,
    ) -> Result<Prepared, ProviderError>;
    /// Folds one server-sent event's data into `acc`.
    fn on_event(&self, data: &str, acc: &mut Accum) -> Result<(), ProviderError>;
    /// Folds a whole (unstreamed) reply into `acc`.
    fn parse_reply(&self, body: &[u8], acc: &mut Accum) -> Result<(), ProviderError>;
    /// The neutral reason for the family's spelling; `acc` holds the whole reply.
    fn finish_reason(&self, raw: &str, acc: &Accum) -> FinishReason;
    /// The error an unsuccessful status and its body mean.
    fn classify(&self, status: u16, body: &[u8]) -> ProviderError;
    fn models_request(&self, base: &str, key: &SecretString) -> Result<Prepared, ProviderError>;
    fn parse_models(&self, body: &[u8]) -> Result<Vec<String>, ProviderError>;
}

impl Family {
    /// The wire format this family speaks over HTTP; `None` for the offline echo provider.
    pub(crate) fn wire(self) -> Option<&'static dyn Wire> {
        match self {
            Family::OpenAi => Some(&super::openai::OpenAi),
            Family::Anthropic => Some(&super::anthropic::Anthropic),
            Family::Gemini => Some(&super::gemini::Gemini),
            Family::Echo => None,
        }
    }
}

/// A field that may be absent or `null`, both read as its default (an empty list, an empty
/// string, `false`): `#[serde(default, deserialize_with = "wire::nullable")]`. As cheap as
/// `#[serde(default)]`: one peek at the next byte for `n`.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// How the ids omc makes up begin.
const FRESH_PREFIX: &str = "call_omc_";

/// The reply as it is parsed, streamed or not: text, tool calls and opaque parts in order.
#[derive(Debug, Default)]
pub(crate) struct Accum {
    /// All text so far (the reply's text and what the client hands out as deltas).
    pub text: String,
    /// The assistant turn so far. A call whose arguments are still streaming has its place here
    /// already, as a [`Part::ToolCall`] with no arguments.
    pub parts: Vec<Part>,
    pending: Vec<Pending>,
    /// Opaque parts still streaming (Anthropic thinking blocks): handle and place in `parts`.
    open_opaque: Vec<(u64, usize)>,
    /// Indexes into `parts` of calls completed since the client last looked.
    completed: Vec<usize>,
    /// Content pieces (text, call starts, argument pieces) so far: the client stamps timings
    /// when it grows.
    pub content: u32,
    pub model: Option<String>,
    pub finish_reason: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The family's end-of-stream marker arrived (`[DONE]`, `message_stop`).
    pub done: bool,
    /// Calls numbered so far, for the ids omc makes up.
    calls: u32,
    /// The number of messages before this reply, so made-up ids differ between turns.
    turn: usize,
}

/// A streamed call whose arguments are not complete yet.
#[derive(Debug)]
struct Pending {
    /// The family's handle for it: OpenAI's `index`, Anthropic's content block index.
    key: u64,
    /// Its place in [`Accum::parts`].
    part: usize,
    args: String,
}

impl Accum {
    /// For the reply to a conversation of `turn` messages.
    pub fn new(turn: usize) -> Accum {
        Accum {
            turn,
            ..Accum::default()
        }
    }

    /// Whether a stream that ends now ended properly rather than being cut off.
    pub fn complete(&self) -> bool {
        self.done || self.finish_reason.is_some()
    }

    pub fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.content += 1;
        self.text.push_str(text);
        if let Some(Part::Text { text: last }) = self.parts.last_mut() {
            last.push_str(text);
        } else {
            self.parts.push(Part::text(text));
        }
    }

    pub fn push_opaque(&mut self, family: Family, data: Value) {
        self.parts.push(Part::Opaque(Opaque { family, data }));
    }

    /// An opaque part that streams: filled through [`Accum::opaque_mut`] until
    /// [`Accum::close_opaque`].
    pub fn start_opaque(&mut self, key: u64, family: Family, data: Value) {
        self.push_opaque(family, data);
        self.open_opaque.push((key, self.parts.len() - 1));
    }

    pub fn opaque_mut(&mut self, key: u64) -> Option<&mut Value> {
        let (_, part) = self.open_opaque.iter().rev().find(|(k, _)| *k == key)?;
        match &mut self.parts[*part] {
            Part::Opaque(o) => Some(&mut o.data),
            _ => None,
        }
    }

    pub fn close_opaque(&mut self, key: u64) {
        self.open_opaque.retain(|(k, _)| *k != key);
    }

    /// An id for a call the provider gave none, unique in the conversation: `call_omc_`, the
    /// number of messages before this reply, and the call's number in it.
    pub fn fresh_id(&self) -> String {
        format!("{FRESH_PREFIX}{}_{}", self.turn, self.calls)
    }

    /// A call that arrived whole (Gemini, unstreamed replies).
    pub fn push_call(&mut self, call: ToolCall) {
        self.calls += 1;
        self.content += 1;
        self.parts.push(Part::ToolCall(call));
        self.completed.push(self.parts.len() - 1);
    }

    /// A streamed call begins; its arguments follow with [`Accum::call_args`].
    pub fn start_call(&mut self, key: u64, id: String, name: String, opaque: Option<Opaque>) {
        self.calls += 1;
        self.content += 1;
        let mut call = ToolCall::new(id, name, serde_json::Map::new());
        call.opaque = opaque;
        self.parts.push(Part::ToolCall(call));
        self.pending.push(Pending {
            key,
            part: self.parts.len() - 1,
            args: String::new(),
        });
    }

    /// The open call with handle `key`, newest first: its id and name.
    pub fn open_call(&self, key: u64) -> Option<(&str, &str)> {
        let p = self.pending.iter().rev().find(|p| p.key == key)?;
        match &self.parts[p.part] {
            Part::ToolCall(c) => Some((&c.id, &c.name)),
            _ => None,
        }
    }

    /// The handle of the newest call still open.
    pub fn newest_open_key(&self) -> Option<u64> {
        self.pending.last().map(|p| p.key)
    }

    /// Gives the open call `key` the provider's id, when omc had to make one up for it.
    pub fn adopt_id(&mut self, key: u64, id: &str) -> bool {
        if let Some(p) = self.pending.iter().rev().find(|p| p.key == key)
            && let Part::ToolCall(c) = &mut self.parts[p.part]
            && c.id.starts_with(FRESH_PREFIX)
        {
            c.id = id.to_owned();
            return true;
        }
        false
    }

    /// Names the open call `key` if it has no name yet.
    pub fn name_call(&mut self, key: u64, name: &str) {
        if let Some(p) = self.pending.iter().rev().find(|p| p.key == key)
            && let Part::ToolCall(c) = &mut self.parts[p.part]
            && c.name.is_empty()
        {
            c.name = name.to_owned();
        }
    }

    /// The calls whose arguments are still streaming, oldest first.
    pub fn open_calls(&self) -> Vec<&ToolCall> {
        self.pending
            .iter()
            .filter_map(|p| match &self.parts[p.part] {
                Part::ToolCall(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// A piece of the arguments of the newest open call with handle `key`.
    pub fn call_args(&mut self, key: u64, piece: &str) -> Result<(), ProviderError> {
        let Some(p) = self.pending.iter_mut().rev().find(|p| p.key == key) else {
            return Err(malformed(
                "stream",
                format!("arguments for tool call #{key}, which never started"),
            ));
        };
        if !piece.is_empty() {
            p.args.push_str(piece);
            self.content += 1;
        }
        Ok(())
    }

    /// The open call with handle `key` is complete: its arguments are parsed.
    pub fn finish_call(&mut self, key: u64) {
        if let Some(i) = self.pending.iter().position(|p| p.key == key) {
            let p = self.pending.remove(i);
            self.close(p);
        }
    }

    /// Every open call is complete (the reply ended).
    pub fn finish_calls(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            self.close(p);
        }
    }

    fn close(&mut self, p: Pending) {
        if let Part::ToolCall(call) = &mut self.parts[p.part] {
            let parsed = ToolCall::from_raw(std::mem::take(&mut call.id), "", &p.args);
            call.id = parsed.id;
            call.arguments = parsed.arguments;
            call.malformed = parsed.malformed;
        }
        self.completed.push(p.part);
    }

    /// Calls completed since the last look, as indexes into `parts`.
    pub fn take_completed(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.completed)
    }

    pub fn has_calls(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::ToolCall(_)))
    }
}

pub(crate) fn error(
    kind: ErrorKind,
    status: Option<u16>,
    message: impl Into<String>,
) -> ProviderError {
    ProviderError {
        kind,
        status,
        message: message.into(),
        attempts: 1,
        request_id: None,
    }
}

pub(crate) fn malformed(what: &str, e: impl std::fmt::Display) -> ProviderError {
    error(ErrorKind::Malformed, None, format!("malformed {what}: {e}"))
}

/// Statuses worth another attempt: rate limits, transient server trouble, Anthropic's 529.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504 | 529)
}

/// The kind an HTTP status means when the body says nothing more specific.
pub(crate) fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Auth,
        408 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        400..=499 => ErrorKind::BadRequest,
        _ => ErrorKind::Malformed,
    }
}

/// The provider's words when its error body is not the documented JSON: the body itself (HTML
/// from a proxy, plain text), or the status's name when empty. Redacted and cut later.
pub(crate) fn fallback_message(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no reason given")
            .to_owned()
    } else {
        text.to_owned()
    }
}
