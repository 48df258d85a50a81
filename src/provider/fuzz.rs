//! Property tests of streamed-reply parsing: the SSE decoder and each family's event folding,
//! driven through the production read loop ([`client::fold_chunks`] runs `read_events`, the
//! loop `Client::chat` runs over a response body) with bytes cut wherever the generator likes.
//!
//! A random neutral reply (text in pieces, tool calls whose argument JSON is split across
//! deltas, parallel calls, usage, a finish reason) is rendered to each family's documented wire
//! format and framed as SSE with random but legal choices (`data:` with or without the space,
//! LF / CRLF / CR line ends, comments, `event:`, `id:` and `retry:` lines, data over several
//! lines, a BOM), with optional fields sent as `null` here and there, as real servers and the
//! SDKs send them (see [`Nulls`]). The properties:
//!
//! 1. any split of a valid stream into chunks decodes to the events framed and folds to the
//!    reply they were rendered from, the same as the whole stream in one chunk;
//! 2. arbitrary bytes, valid streams with bytes changed, and random events of each family never
//!    panic, and end as a typed error or a consistent reply;
//! 3. a valid stream cut anywhere before its ending event ends as "dropped" (a connection
//!    error naming the open tool call, if any), and cut after it, as the whole reply;
//! 4. the same reply sent whole (not streamed) parses to it;
//! 5. a request with images, PDFs, text files and a schema, streamed or whole, is sent in each
//!    family's documented shape, and reads back to what was asked;
//! 6. a schema's answer, streamed in any framing and split, or whole, validates.
//!
//! Each runs 10,000 cases; `OMC_FUZZ_CASES` sets another number (`benches/fuzz.sh` runs a
//! million in a release build); the seed is random, `PROPTEST_RNG_SEED` fixes it. A failure
//! prints the shrunk case, which is then kept as a `regression_*` test at the end of this file.

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

use super::client::fold_chunks;
use super::conversation::{FinishReason, Opaque, Part, ToolCall};
use super::types::{ChatRequest, ChatResponse, ErrorKind, Event, ProviderError};
use super::wire::{Accum, Wire};
use super::{Family, sse};

const FAMILIES: [Family; 3] = [Family::OpenAi, Family::Anthropic, Family::Gemini];

fn cases() -> u32 {
    std::env::var("OMC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Runs `test` on `cases()` values of `strategy`, panicking with the shrunk failing case.
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases: cases(),
        // Failures are kept as named regression tests below, not in files beside the source.
        failure_persistence: None,
        // Cheaper than the default ChaCha, which showed in profiles.
        rng_algorithm: RngAlgorithm::XorShift,
        ..Config::default()
    };
    if let Err(e) = TestRunner::new(config).run(&strategy, test) {
        panic!("{e}");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

fn wire(family: Family) -> &'static dyn Wire {
    family.wire().expect("an HTTP family")
}

fn request() -> ChatRequest {
    ChatRequest::prompt("asked-model", None, "hello")
}

/// What a stream folded to, and what the caller was handed while it was read.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    text: String,
    parts: Vec<Part>,
    model: String,
    finish_reason: Option<String>,
    finish: Option<FinishReason>,
    /// Usage as reported; `None` when omc had to estimate any of it.
    usage: Option<(Option<u64>, Option<u64>)>,
    /// The text deltas, concatenated.
    streamed_text: String,
    /// The tool calls handed out, in order.
    streamed_calls: Vec<ToolCall>,
}

fn fold(
    rt: &tokio::runtime::Runtime,
    family: Family,
    chunks: &[&[u8]],
) -> Result<Outcome, ProviderError> {
    let mut streamed_text = String::new();
    let mut streamed_calls = Vec::new();
    let req = request();
    let r: ChatResponse =
        rt.block_on(fold_chunks(wire(family), chunks, &req, &mut |e: Event<
            '_,
        >| match e {
            Event::Text(d) => streamed_text.push_str(d.text),
            Event::ToolCall { call, .. } => streamed_calls.push(call.clone()),
        }))?;
    Ok(Outcome {
        text: r.text,
        parts: r.message.parts,
        model: r.model,
        finish_reason: r.finish_reason,
        finish: r.finish,
        usage: (!r.usage.estimated).then_some((r.usage.input_tokens, r.usage.output_tokens)),
        streamed_text,
        streamed_calls,
    })
}

// ---------------------------------------------------------------------------------------------
// The neutral reply and how each family sends it.

#[derive(Debug, Clone)]
struct Reply {
    model: &'static str,
    items: Vec<Item>,
    ending: Ending,
    usage: Option<(u64, u64)>,
    /// Which optional fields go as `null`.
    nulls: Nulls,
}

#[derive(Debug, Clone)]
enum Item {
    /// One run of text, as the deltas it streams in.
    Text(Vec<String>),
    /// Calls made together; OpenAI may interleave their argument deltas.
    Calls { calls: Vec<Call>, interleave: bool },
}

#[derive(Debug, Clone)]
struct Call {
    name: &'static str,
    args: Map<String, Value>,
    /// Where the argument JSON is cut into deltas.
    cuts: Vec<Index>,
    /// Gemini only: whether the call carries an id (omc makes one up when not).
    gemini_id: bool,
}

#[derive(Debug, Clone, Copy)]
enum Ending {
    Natural,
    Length,
    Filter,
}

/// Characters JSON, SSE and UTF-8 handling can trip over.
const HOSTILE: &[char] = &[
    'a', 'Z', ' ', '"', '\\', '/', '\n', '\r', '\t', '\u{0}', '\u{1f}', '\u{7f}', 'é', '中', '😀',
    '\u{2028}', '\u{feff}', '{', '}', ':', ',', '[', ']', '%',
];

fn any_text(max: usize) -> impl Strategy<Value = String> {
    let ch = prop_oneof![4 => select(HOSTILE), 1 => any::<char>()];
    prop::collection::vec(ch, 0..max).prop_map(String::from_iter)
}

fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any_text(6).prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        prop::collection::vec(any_text(4).prop_map(Value::String), 0..3).prop_map(Value::Array),
        prop::collection::btree_map(any_text(3), any::<u32>().prop_map(Value::from), 0..2)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    (
        select(&["get_weather", "search", "ls", "a", "run-tool_2"][..]),
        prop::collection::btree_map(any_text(5), json_value(), 0..3),
        prop::collection::vec(any::<Index>(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(name, args, cuts, gemini_id)| Call {
            name,
            args: args.into_iter().collect(),
            cuts,
            gemini_id,
        })
}

fn reply() -> impl Strategy<Value = Reply> {
    let item = prop_oneof![
        prop::collection::vec(any_text(8), 1..4).prop_map(Item::Text),
        (prop::collection::vec(call(), 1..3), any::<bool>())
            .prop_map(|(calls, interleave)| Item::Calls { calls, interleave }),
    ];
    (
        select(&["gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash", "m/ö"][..]),
        prop::collection::vec(item, 0..4),
        select(
            &[
                Ending::Natural,
                Ending::Natural,
                Ending::Length,
                Ending::Filter,
            ][..],
        ),
        prop::option::of((0..100_000u64, 0..100_000u64)),
        nulls(),
    )
        .prop_map(|(model, items, ending, usage, nulls)| Reply {
            model,
            items,
            ending,
            usage,
            nulls,
        })
}

/// Optional fields sent as `null`: each field that is absent or empty where it may be `null`
/// takes the next of `bits` (cycled) to say whether it becomes `null`. No bits: no nulls.
/// Absent and `null` mean the same to the SDKs, and so must they to omc; so do an empty string
/// or list and `null` where omc reads them as nothing (`"content": ""`, `"arguments": ""`,
/// `"tool_calls": []`, `"thought": false`).
#[derive(Debug, Clone)]
struct Nulls {
    bits: Vec<bool>,
}

fn nulls() -> impl Strategy<Value = Nulls> {
    prop_oneof![
        1 => Just(Vec::new()),
        3 => prop::collection::vec(prop::bool::weighted(0.5), 1..6),
    ]
    .prop_map(|bits| Nulls { bits })
}

/// The optional fields of each family's replies, streamed or whole, by the key of the object or
/// list holding them (`""`: the top level): where the API reference, the SDKs' types or a real
/// server (llama.cpp's `"function_call": null, "tool_calls": null`) allow `null`.
fn optional_fields(family: Family, at: &str) -> &'static [&'static str] {
    match (family, at) {
        (Family::OpenAi, "") => &[
            "id",
            "object",
            "created",
            "model",
            "choices",
            "usage",
            "system_fingerprint",
            "service_tier",
            "error",
        ],
        (Family::OpenAi, "choices") => &["index", "delta", "message", "logprobs", "finish_reason"],
        (Family::OpenAi, "delta" | "message") => &[
            "role",
            "content",
            "refusal",
            "function_call",
            "tool_calls",
            "annotations",
            "audio",
        ],
        (Family::OpenAi, "tool_calls") => &["index", "id", "type", "function"],
        (Family::OpenAi, "function") => &["name", "arguments"],
        (Family::OpenAi, "usage") => &[
            "prompt_tokens",
            "completion_tokens",
            "total_tokens",
            "prompt_tokens_details",
            "completion_tokens_details",
        ],
        // The top level of a stream event, or of a whole message.
        (Family::Anthropic, "") => &[
            "message",
            "delta",
            "usage",
            "index",
            "content_block",
            "id",
            "model",
            "content",
            "stop_reason",
            "stop_sequence",
            "container",
        ],
        (Family::Anthropic, "message") => &[
            "id",
            "model",
            "content",
            "stop_reason",
            "stop_sequence",
            "usage",
            "container",
        ],
        (Family::Anthropic, "content_block" | "content") => {
            &["id", "name", "text", "input", "citations"]
        }
        (Family::Anthropic, "delta") => &[
            "type",
            "text",
            "partial_json",
            "thinking",
            "signature",
            "stop_reason",
            "stop_sequence",
        ],
        (Family::Anthropic, "usage") => &[
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "cache_creation",
            "server_tool_use",
            "service_tier",
        ],
        (Family::Gemini, "") => &[
            "candidates",
            "usageMetadata",
            "modelVersion",
            "promptFeedback",
            "responseId",
            "error",
        ],
        (Family::Gemini, "candidates") => &[
            "content",
            "finishReason",
            "index",
            "safetyRatings",
            "citationMetadata",
        ],
        (Family::Gemini, "content") => &["parts", "role"],
        (Family::Gemini, "parts") => &[
            "text",
            "thought",
            "functionCall",
            "thoughtSignature",
            "inlineData",
        ],
        (Family::Gemini, "functionCall") => &["id", "name", "args"],
        (Family::Gemini, "usageMetadata") => &[
            "promptTokenCount",
            "candidatesTokenCount",
            "thoughtsTokenCount",
            "totalTokenCount",
            "cachedContentTokenCount",
        ],
        (Family::Gemini, "promptFeedback") => &["blockReason"],
        _ => &[],
    }
}

impl Nulls {
    /// `v` with optional fields made `null` as the bits say.
    fn apply(&self, family: Family, mut v: Value) -> Value {
        if !self.bits.is_empty() {
            self.walk(family, &mut v, "", &mut 0);
        }
        v
    }

    fn walk(&self, family: Family, v: &mut Value, at: &str, n: &mut usize) {
        match v {
            Value::Object(o) => {
                for &key in optional_fields(family, at) {
                    let nothing = match o.get(key) {
                        None => true,
                        Some(Value::String(s)) => s.is_empty(),
                        Some(Value::Array(a)) => a.is_empty(),
                        Some(Value::Object(m)) => m.is_empty(),
                        Some(Value::Bool(b)) => !b,
                        Some(_) => false,
                    };
                    if nothing {
                        let null = self.bits[*n % self.bits.len()];
                        *n += 1;
                        if null {
                            o.insert(key.to_owned(), Value::Null);
                        }
                    }
                }
                for (key, child) in o.iter_mut() {
                    // Arguments are the model's data, not the reply's fields.
                    if !matches!(key.as_str(), "args" | "input" | "arguments" | "error") {
                        self.walk(family, child, key, n);
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.walk(family, item, at, n);
                }
            }
            _ => {}
        }
    }
}

impl Reply {
    fn calls(&self) -> impl Iterator<Item = &Call> {
        self.items.iter().flat_map(|i| match i {
            Item::Calls { calls, .. } => calls.as_slice(),
            Item::Text(_) => &[],
        })
    }

    fn has_calls(&self) -> bool {
        self.calls().next().is_some()
    }

    fn text(&self) -> String {
        self.items
            .iter()
            .flat_map(|i| match i {
                Item::Text(pieces) => pieces.as_slice(),
                Item::Calls { .. } => &[],
            })
            .map(String::as_str)
            .collect()
    }

    fn raw_finish(&self, family: Family) -> &'static str {
        let calls = self.has_calls();
        match (family, self.ending) {
            (Family::OpenAi, Ending::Natural) if calls => "tool_calls",
            (Family::OpenAi, Ending::Natural) => "stop",
            (Family::OpenAi, Ending::Length) => "length",
            (Family::OpenAi, Ending::Filter) => "content_filter",
            (Family::Anthropic, Ending::Natural) if calls => "tool_use",
            (Family::Anthropic, Ending::Natural) => "end_turn",
            (Family::Anthropic, Ending::Length) => "max_tokens",
            (Family::Anthropic, Ending::Filter) => "refusal",
            (_, Ending::Natural) => "STOP",
            (_, Ending::Length) => "MAX_TOKENS",
            (_, Ending::Filter) => "SAFETY",
        }
    }

    fn finish(&self) -> FinishReason {
        match self.ending {
            Ending::Natural if self.has_calls() => FinishReason::ToolCalls,
            Ending::Natural => FinishReason::Stop,
            Ending::Length => FinishReason::Length,
            Ending::Filter => FinishReason::ContentFilter,
        }
    }

    /// The id of call number `n` as the family sends it, if it sends one.
    fn sent_id(family: Family, n: usize, call: &Call) -> Option<String> {
        match family {
            Family::OpenAi => Some(format!("call_{n}")),
            Family::Anthropic => Some(format!("toolu_{n}")),
            _ => call.gemini_id.then(|| format!("gem-{n}")),
        }
    }

    /// The calls as omc should report them.
    fn expected_calls(&self, family: Family) -> Vec<ToolCall> {
        let turn = request().conversation.messages.len();
        self.calls()
            .enumerate()
            .map(|(n, c)| {
                let sent = Reply::sent_id(family, n, c);
                let id = sent
                    .clone()
                    .unwrap_or_else(|| format!("call_omc_{turn}_{n}"));
                let mut call = ToolCall::new(id, c.name, c.args.clone());
                if family == Family::Gemini
                    && let Some(id) = sent
                {
                    call.opaque = Some(Opaque {
                        family: Family::Gemini,
                        data: json!({ "id": id }),
                    });
                }
                call
            })
            .collect()
    }

    /// What the whole stream must fold to.
    fn expected(&self, family: Family) -> Outcome {
        let mut calls = self.expected_calls(family).into_iter();
        let mut parts: Vec<Part> = Vec::new();
        for item in &self.items {
            match item {
                Item::Text(pieces) => {
                    for piece in pieces.iter().filter(|p| !p.is_empty()) {
                        match parts.last_mut() {
                            Some(Part::Text { text }) => text.push_str(piece),
                            _ => parts.push(Part::text(piece.as_str())),
                        }
                    }
                }
                Item::Calls { calls: these, .. } => {
                    parts.extend(calls.by_ref().take(these.len()).map(Part::ToolCall));
                }
            }
        }
        Outcome {
            text: self.text(),
            streamed_calls: self.expected_calls(family),
            parts,
            model: self.model.to_owned(),
            finish_reason: Some(self.raw_finish(family).to_owned()),
            finish: Some(self.finish()),
            usage: self.usage.map(|(i, o)| (Some(i), Some(o))),
            streamed_text: self.text(),
        }
    }
}

/// What a whole reply must parse to: text, parts, model, finish reason and usage.
type Whole = (
    String,
    Vec<Part>,
    Option<String>,
    Option<String>,
    (Option<u64>, Option<u64>),
);

impl Reply {
    fn expected_whole(&self, family: Family) -> Whole {
        let mut parts = self.expected(family).parts;
        if family == Family::OpenAi {
            // One `content` string, then `tool_calls`.
            let text = self.text();
            parts.retain(|p| matches!(p, Part::ToolCall(_)));
            if !text.is_empty() {
                parts.insert(0, Part::text(text));
            }
        }
        (
            self.text(),
            parts,
            Some(self.model.to_owned()),
            Some(self.raw_finish(family).to_owned()),
            self.usage.map_or((None, None), |(i, o)| (Some(i), Some(o))),
        )
    }
}

/// The argument JSON of `call` cut at its cut points (on character boundaries).
fn arg_pieces(call: &Call) -> Vec<String> {
    let text = Value::Object(call.args.clone()).to_string();
    let mut at: Vec<usize> = call
        .cuts
        .iter()
        .map(|i| i.index(text.len() + 1))
        .map(|mut p| {
            while !text.is_char_boundary(p) {
                p -= 1;
            }
            p
        })
        .collect();
    at.sort_unstable();
    let mut pieces = Vec::with_capacity(at.len() + 1);
    let mut from = 0;
    for p in at.into_iter().chain([text.len()]) {
        pieces.push(text[from..p].to_owned());
        from = p;
    }
    pieces
}

/// One event of a rendered stream, and what a cut right after it must report.
#[derive(Debug, Clone)]
struct Ev {
    /// The SSE event name (Anthropic's documented framing); `None`: no `event:` line.
    name: Option<&'static str>,
    data: Data,
    /// The newest tool call still open after this event: (name, id).
    open: Option<(String, String)>,
    /// Whether the reply may end after this event.
    complete: bool,
}

#[derive(Debug, Clone)]
enum Data {
    Json(Value),
    Raw(&'static str),
}

/// Collects events, tracking the open calls as the family's folding will.
struct Events {
    list: Vec<Ev>,
    open: Vec<(String, String)>,
    complete: bool,
}

impl Events {
    fn new() -> Self {
        Events {
            list: Vec::new(),
            open: Vec::new(),
            complete: false,
        }
    }

    fn push(&mut self, name: Option<&'static str>, data: Data) {
        self.list.push(Ev {
            name,
            data,
            open: self.open.last().cloned(),
            complete: self.complete,
        });
    }
}

fn render(family: Family, reply: &Reply) -> Vec<Ev> {
    let mut events = match family {
        Family::OpenAi => render_openai(reply),
        Family::Anthropic => render_anthropic(reply),
        _ => render_gemini(reply),
    };
    for e in &mut events {
        if let Data::Json(v) = &mut e.data {
            *v = reply.nulls.apply(family, std::mem::take(v));
        }
    }
    events
}

/// The reply as one (unstreamed) body, as each family's API sends it.
fn render_whole(family: Family, reply: &Reply) -> Value {
    let m = reply.model;
    let raw = reply.raw_finish(family);
    let calls = reply.calls().enumerate();
    let v = match family {
        Family::OpenAi => {
            let text = reply.text();
            let content = if text.is_empty() {
                Value::Null
            } else {
                json!(text)
            };
            let mut message = json!({"role": "assistant", "content": content});
            if reply.has_calls() {
                message["tool_calls"] = calls
                    .map(|(n, c)| {
                        json!({"id": Reply::sent_id(family, n, c), "type": "function",
                            "function": {"name": c.name,
                                "arguments": Value::Object(c.args.clone()).to_string()}})
                    })
                    .collect();
            }
            let mut v = json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                "model": m, "choices": [{"index": 0, "message": message, "finish_reason": raw}]});
            if let Some((i, o)) = reply.usage {
                v["usage"] =
                    json!({"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o});
            }
            v
        }
        Family::Anthropic => {
            let mut calls = calls;
            let mut blocks = Vec::new();
            for item in &reply.items {
                match item {
                    Item::Text(pieces) => {
                        blocks.push(json!({"type": "text", "text": pieces.concat()}));
                    }
                    Item::Calls { calls: these, .. } => {
                        for (n, c) in calls.by_ref().take(these.len()) {
                            blocks.push(json!({"type": "tool_use",
                                "id": Reply::sent_id(family, n, c), "name": c.name, "input": c.args}));
                        }
                    }
                }
            }
            let mut v = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": m,
                "content": blocks, "stop_reason": raw, "stop_sequence": null});
            if let Some((i, o)) = reply.usage {
                v["usage"] = json!({"input_tokens": i, "output_tokens": o});
            }
            v
        }
        _ => {
            let mut calls = calls;
            let mut parts = Vec::new();
            for item in &reply.items {
                match item {
                    Item::Text(pieces) => parts.push(json!({"text": pieces.concat()})),
                    Item::Calls { calls: these, .. } => {
                        for (n, c) in calls.by_ref().take(these.len()) {
                            let mut fc = json!({"name": c.name, "args": c.args});
                            if let Some(id) = Reply::sent_id(family, n, c) {
                                fc["id"] = json!(id);
                            }
                            parts.push(json!({"functionCall": fc}));
                        }
                    }
                }
            }
            let mut v = json!({"candidates": [{"content": {"role": "model", "parts": parts},
                "finishReason": raw, "index": 0}], "modelVersion": m, "responseId": "r1"});
            if let Some((i, o)) = reply.usage {
                v["usageMetadata"] = json!({"promptTokenCount": i, "candidatesTokenCount": o,
                    "totalTokenCount": i + o});
            }
            v
        }
    };
    reply.nulls.apply(family, v)
}

/// A tool-call fragment, and the call (name, id) it opens if it is the first.
type Fragment = (Value, Option<(String, String)>);

fn render_openai(reply: &Reply) -> Vec<Ev> {
    let m = reply.model;
    let chunk = |delta: Value, finish: Value| {
        Data::Json(json!({
            "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": m,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }))
    };
    let mut ev = Events::new();
    ev.push(
        None,
        chunk(json!({"role": "assistant", "content": ""}), Value::Null),
    );
    let mut n = 0;
    for item in &reply.items {
        match item {
            Item::Text(pieces) => {
                for p in pieces {
                    ev.push(None, chunk(json!({"content": p}), Value::Null));
                }
            }
            Item::Calls { calls, interleave } => {
                // Per call: its first fragment (id, name, empty arguments), then its pieces.
                let mut queues: Vec<Vec<Fragment>> = Vec::new();
                for c in calls {
                    let id = Reply::sent_id(Family::OpenAi, n, c).unwrap_or_default();
                    let first = json!({"index": n, "id": id, "type": "function",
                        "function": {"name": c.name, "arguments": ""}});
                    let mut q = vec![(first, Some((c.name.to_owned(), id)))];
                    q.extend(
                        arg_pieces(c)
                            .into_iter()
                            .map(|p| (json!({"index": n, "function": {"arguments": p}}), None)),
                    );
                    q.reverse();
                    queues.push(q);
                    n += 1;
                }
                loop {
                    let mut any = false;
                    for q in &mut queues {
                        let Some((frag, opens)) = q.pop() else {
                            continue;
                        };
                        any = true;
                        if let Some(call) = opens {
                            ev.open.push(call);
                        }
                        ev.push(None, chunk(json!({"tool_calls": [frag]}), Value::Null));
                        if !interleave {
                            break;
                        }
                    }
                    if !any {
                        break;
                    }
                }
            }
        }
    }
    ev.open.clear();
    ev.complete = true;
    ev.push(
        None,
        chunk(json!({}), json!(reply.raw_finish(Family::OpenAi))),
    );
    if let Some((i, o)) = reply.usage {
        ev.push(
            None,
            Data::Json(json!({
                "id": "chatcmpl-1", "object": "chat.completion.chunk", "model": m, "choices": [],
                "usage": {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o},
            })),
        );
    }
    ev.push(None, Data::Raw("[DONE]"));
    ev.list
}

fn render_anthropic(reply: &Reply) -> Vec<Ev> {
    let mut ev = Events::new();
    let typed = |ev: &mut Events, v: Value| {
        let name = match v["type"].as_str() {
            Some("message_start") => "message_start",
            Some("content_block_start") => "content_block_start",
            Some("content_block_delta") => "content_block_delta",
            Some("content_block_stop") => "content_block_stop",
            Some("message_delta") => "message_delta",
            Some("message_stop") => "message_stop",
            _ => "ping",
        };
        ev.push(Some(name), Data::Json(v));
    };
    let mut message = json!({"id": "msg_1", "type": "message", "role": "assistant",
        "model": reply.model, "content": [], "stop_reason": null, "stop_sequence": null});
    if let Some((i, _)) = reply.usage {
        message["usage"] = json!({"input_tokens": i, "output_tokens": 1});
    }
    typed(
        &mut ev,
        json!({"type": "message_start", "message": message}),
    );
    typed(&mut ev, json!({"type": "ping"}));
    let (mut block, mut n) = (0, 0);
    for item in &reply.items {
        match item {
            Item::Text(pieces) => {
                typed(
                    &mut ev,
                    json!({"type": "content_block_start", "index": block,
                        "content_block": {"type": "text", "text": ""}}),
                );
                for p in pieces {
                    typed(
                        &mut ev,
                        json!({"type": "content_block_delta", "index": block,
                            "delta": {"type": "text_delta", "text": p}}),
                    );
                }
                typed(
                    &mut ev,
                    json!({"type": "content_block_stop", "index": block}),
                );
                block += 1;
            }
            Item::Calls { calls, .. } => {
                for c in calls {
                    let id = Reply::sent_id(Family::Anthropic, n, c).unwrap_or_default();
                    ev.open.push((c.name.to_owned(), id.clone()));
                    typed(
                        &mut ev,
                        json!({"type": "content_block_start", "index": block,
                            "content_block": {"type": "tool_use", "id": id, "name": c.name, "input": {}}}),
                    );
                    for p in std::iter::once(String::new()).chain(arg_pieces(c)) {
                        typed(
                            &mut ev,
                            json!({"type": "content_block_delta", "index": block,
                                "delta": {"type": "input_json_delta", "partial_json": p}}),
                        );
                    }
                    ev.open.pop();
                    typed(
                        &mut ev,
                        json!({"type": "content_block_stop", "index": block}),
                    );
                    block += 1;
                    n += 1;
                }
            }
        }
    }
    ev.complete = true;
    let mut delta = json!({"type": "message_delta",
        "delta": {"stop_reason": reply.raw_finish(Family::Anthropic), "stop_sequence": null}});
    if let Some((_, o)) = reply.usage {
        delta["usage"] = json!({"output_tokens": o});
    }
    typed(&mut ev, delta);
    typed(&mut ev, json!({"type": "message_stop"}));
    ev.list
}

fn render_gemini(reply: &Reply) -> Vec<Ev> {
    let m = reply.model;
    let response = |parts: Vec<Value>| {
        json!({"candidates": [{"content": {"role": "model", "parts": parts}, "index": 0}],
            "modelVersion": m, "responseId": "r1"})
    };
    let mut ev = Events::new();
    let mut n = 0;
    for item in &reply.items {
        match item {
            Item::Text(pieces) => {
                for p in pieces {
                    ev.push(None, Data::Json(response(vec![json!({"text": p})])));
                }
            }
            Item::Calls { calls, .. } => {
                // Parallel calls arrive whole, together.
                let parts = calls
                    .iter()
                    .map(|c| {
                        let mut fc = json!({"name": c.name, "args": c.args});
                        if let Some(id) = Reply::sent_id(Family::Gemini, n, c) {
                            fc["id"] = json!(id);
                        }
                        n += 1;
                        json!({"functionCall": fc})
                    })
                    .collect();
                ev.push(None, Data::Json(response(parts)));
            }
        }
    }
    let mut last = response(vec![json!({"text": ""})]);
    last["candidates"][0]["finishReason"] = json!(reply.raw_finish(Family::Gemini));
    if let Some((i, o)) = reply.usage {
        last["usageMetadata"] =
            json!({"promptTokenCount": i, "candidatesTokenCount": o, "totalTokenCount": i + o});
    }
    ev.complete = true;
    ev.push(None, Data::Json(last));
    ev.list
}

// ---------------------------------------------------------------------------------------------
// SSE framing.

/// Random but legal framing choices, cycled through event by event.
#[derive(Debug, Clone)]
struct Framing {
    bom: bool,
    /// 0: LF, 1: CRLF, 2: CR.
    eols: Vec<u8>,
    /// `data: ` rather than `data:`.
    space: Vec<bool>,
    /// Data as pretty-printed JSON over several `data:` lines.
    multiline: Vec<bool>,
    /// Lines around an event: 0 none, 1 a comment, 2 an `id:`, 3 a `retry:`, 4 an `event:`
    /// line, 5 a comment block of its own, 6 an extra empty line.
    extras: Vec<u8>,
}

fn framing() -> impl Strategy<Value = Framing> {
    (
        prop::bool::weighted(0.1),
        prop::collection::vec(0..3u8, 1..4),
        prop::collection::vec(any::<bool>(), 1..3),
        prop::collection::vec(prop::bool::weighted(0.15), 1..4),
        prop::collection::vec(0..7u8, 1..5),
    )
        .prop_map(|(bom, eols, space, multiline, extras)| Framing {
            bom,
            eols,
            space,
            multiline,
            extras,
        })
}

struct Writer<'f> {
    f: &'f Framing,
    out: Vec<u8>,
    lines: usize,
    /// The last line ended with a lone CR: an empty line after it must not end with LF, or
    /// the two would read as one CRLF.
    after_cr: bool,
}

impl Writer<'_> {
    /// Writes a line; returns the offset just past its line end's first byte (for an empty
    /// line, where the event it ends is dispatched).
    fn line(&mut self, text: &[u8]) -> usize {
        self.out.extend_from_slice(text);
        let mut eol = self.f.eols[self.lines % self.f.eols.len()];
        self.lines += 1;
        if text.is_empty() && self.after_cr && eol == 0 {
            eol = 1;
        }
        let at = self.out.len() + 1;
        self.out.extend_from_slice(match eol {
            0 => b"\n",
            1 => b"\r\n",
            _ => b"\r",
        });
        self.after_cr = eol == 2;
        at
    }
}

/// The stream's bytes, and for each event the offset from which a stream cut there has
/// dispatched it.
fn frame(events: &[Ev], f: &Framing) -> (Vec<u8>, Vec<usize>) {
    let mut w = Writer {
        f,
        out: Vec::new(),
        lines: 0,
        after_cr: false,
    };
    if f.bom {
        w.out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut dispatched = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let extra = f.extras[i % f.extras.len()];
        match extra {
            5 => {
                w.line(b": keep-alive");
                w.line(b"");
            }
            1 => {
                w.line(b":");
            }
            _ => {}
        }
        if let Some(name) = e.name {
            w.line(format!("event: {name}").as_bytes());
        } else if extra == 4 {
            w.line(b"event: message");
        }
        let prefix: &[u8] = if f.space[i % f.space.len()] {
            b"data: "
        } else {
            b"data:"
        };
        let text = match &e.data {
            Data::Raw(s) => (*s).to_owned(),
            Data::Json(v) if f.multiline[i % f.multiline.len()] => {
                serde_json::to_string_pretty(v).expect("json")
            }
            Data::Json(v) => v.to_string(),
        };
        for l in text.split('\n') {
            w.line(&[prefix, l.as_bytes()].concat());
        }
        if extra == 2 {
            w.line(format!("id: {i}").as_bytes());
        } else if extra == 3 {
            w.line(b"retry: 3000");
        }
        dispatched.push(w.line(b""));
        if extra == 6 {
            w.line(b"");
        }
    }
    (w.out, dispatched)
}

/// How a stream is cut into chunks.
#[derive(Debug, Clone)]
enum Chunking {
    /// At a few points anywhere (a repeated point gives an empty chunk, which must be harmless).
    At(Vec<Index>),
    /// Every few bytes, so every boundary there is gets cut across.
    Every(usize),
}

fn chunking() -> impl Strategy<Value = Chunking> {
    prop_oneof![
        3 => prop::collection::vec(any::<Index>(), 0..12).prop_map(Chunking::At),
        1 => (1..12usize).prop_map(Chunking::Every),
    ]
}

impl Chunking {
    fn apply<'a>(&self, bytes: &'a [u8]) -> Vec<&'a [u8]> {
        match self {
            Chunking::At(cuts) => split(bytes, cuts),
            Chunking::Every(n) => bytes.chunks(*n).collect(),
        }
    }
}

fn split<'a>(bytes: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    at.sort_unstable();
    let mut chunks = Vec::with_capacity(at.len() + 1);
    let mut from = 0;
    for p in at.into_iter().chain([bytes.len()]) {
        chunks.push(&bytes[from..p]);
        from = p;
    }
    chunks
}

fn family() -> impl Strategy<Value = Family> {
    select(&FAMILIES[..])
}

// ---------------------------------------------------------------------------------------------
// The properties.

/// Property 1: any split of a valid stream decodes to the events framed and folds to the reply
/// they were rendered from, as the whole stream in one chunk does.
#[test]
fn any_split_of_a_valid_stream_folds_to_its_reply() {
    let rt = runtime();
    check(
        (family(), reply(), framing(), chunking()),
        |(family, reply, framing, chunking)| {
            let events = render(family, &reply);
            let (bytes, _) = frame(&events, &framing);
            let chunks = chunking.apply(&bytes);
            prop_assert_eq!(decode(&chunks)?, events.len());
            let expected = reply.expected(family);
            let whole = fold(&rt, family, &[&bytes]).map_err(fail)?;
            prop_assert_eq!(&whole, &expected);
            prop_assert_eq!(&fold(&rt, family, &chunks).map_err(fail)?, &whole);
            Ok(())
        },
    );
}

/// The decoder alone over `chunks`: how many events it gave, each UTF-8 and either `[DONE]` or
/// JSON.
fn decode(chunks: &[&[u8]]) -> Result<usize, TestCaseError> {
    let mut decoder = sse::Decoder::default();
    let mut n = 0;
    for chunk in chunks {
        decoder.feed(chunk);
        while let Some(data) = decoder.next_event() {
            let data = data.map_err(|e| TestCaseError::fail(e.to_string()))?;
            if data != "[DONE]" {
                serde_json::from_str::<Value>(data)
                    .map_err(|e| TestCaseError::fail(format!("{e}: {data}")))?;
            }
            n += 1;
        }
    }
    Ok(n)
}

/// Property 3: a valid stream cut before its ending event is dropped, naming the tool call it
/// cut, if any; cut after it, it is the whole reply (usage aside: OpenAI sends it after the
/// finish reason).
#[test]
fn a_stream_cut_before_its_end_is_dropped() {
    let rt = runtime();
    check(
        (
            family(),
            reply(),
            framing(),
            prop::collection::vec(any::<Index>(), 1..3),
            chunking(),
        ),
        |(family, reply, framing, ends, chunking)| {
            let events = render(family, &reply);
            let (bytes, dispatched) = frame(&events, &framing);
            let expected = reply.expected(family);
            let complete_at = events
                .iter()
                .zip(&dispatched)
                .find(|(e, _)| e.complete)
                .map(|(_, at)| *at)
                .expect("a valid stream ends");
            for end in ends {
                let end = end.index(bytes.len());
                let cut = &bytes[..end];
                let result = fold(&rt, family, &chunking.apply(cut));
                if end >= complete_at {
                    let got = result.map_err(fail)?;
                    prop_assert_eq!(&got.text, &expected.text);
                    prop_assert_eq!(&got.parts, &expected.parts);
                    prop_assert_eq!(&got.streamed_calls, &expected.streamed_calls);
                    prop_assert_eq!(&got.finish, &expected.finish);
                    continue;
                }
                let e = match result {
                    Ok(got) => {
                        return Err(TestCaseError::fail(format!(
                            "cut at {end} of {} (complete at {complete_at}) gave {got:?}",
                            bytes.len()
                        )));
                    }
                    Err(e) => e,
                };
                prop_assert_eq!(e.kind, ErrorKind::Connection, "{:?}", e);
                let open = events
                    .iter()
                    .zip(&dispatched)
                    .take_while(|(_, at)| **at <= end)
                    .last()
                    .and_then(|(ev, _)| ev.open.clone());
                match open {
                    Some((name, id)) => prop_assert!(
                        e.message
                            .starts_with(&format!("stream ended inside tool call '{name}' ({id})")),
                        "{}",
                        e.message
                    ),
                    None => {
                        prop_assert!(e.message.starts_with("stream ended early"), "{}", e.message)
                    }
                }
            }
            Ok(())
        },
    );
}

/// Property 2, bytes: arbitrary bytes never panic and end as a typed error or a consistent
/// reply.
#[test]
fn arbitrary_bytes_end_as_an_error_or_a_reply() {
    let rt = runtime();
    // Mostly bytes an SSE stream is made of, so the decoder gets past its first line.
    let sse_byte = prop_oneof![
        3 => select(&b"data: {}[]\"\\:,0aA\n\r\n\r\xEF\xBB\xBF\xF0\x9F\xFF\x80[DONE]"[..]),
        1 => any::<u8>(),
    ];
    check(
        (
            family(),
            prop::collection::vec(sse_byte, 0..300),
            chunking(),
        ),
        |(family, bytes, chunking)| consistent(fold(&rt, family, &chunking.apply(&bytes))),
    );
}

/// Property 4: the reply sent whole, with its optional fields `null` here and there, parses to
/// it.
#[test]
fn a_whole_reply_parses_to_its_reply() {
    check((family(), reply()), |(family, reply)| {
        let body = render_whole(family, &reply).to_string();
        let mut acc = Accum::new(request().conversation.messages.len());
        wire(family)
            .parse_reply(body.as_bytes(), &mut acc)
            .map_err(fail)?;
        let got: Whole = (
            acc.text,
            acc.parts,
            acc.model,
            acc.finish_reason,
            (acc.input_tokens, acc.output_tokens),
        );
        prop_assert_eq!(got, reply.expected_whole(family));
        Ok(())
    });
}

/// Property 2, damaged streams: a valid stream with bytes changed, removed, repeated or added.
#[test]
fn damaged_streams_end_as_an_error_or_a_reply() {
    let rt = runtime();
    let edit = (
        0..4u8,
        any::<Index>(),
        any::<Index>(),
        prop::collection::vec(any::<u8>(), 0..6),
    );
    check(
        (
            family(),
            reply(),
            framing(),
            prop::collection::vec(edit, 1..5),
            chunking(),
        ),
        |(family, reply, framing, edits, chunking)| {
            let (mut bytes, _) = frame(&render(family, &reply), &framing);
            for (kind, a, b, new) in edits {
                let (a, b) = (a.index(bytes.len() + 1), b.index(bytes.len() + 1));
                let (a, b) = (a.min(b), a.max(b));
                match kind {
                    0 => {
                        bytes.splice(a..a, new);
                    }
                    1 => {
                        bytes.drain(a..b);
                    }
                    2 => {
                        let copy = bytes[a..b].to_vec();
                        bytes.splice(b..b, copy);
                    }
                    _ => {
                        for (byte, new) in bytes[a..].iter_mut().zip(new) {
                            *byte = new;
                        }
                    }
                }
            }
            consistent(fold(&rt, family, &chunking.apply(&bytes)))
        },
    );
}

/// Property 2, random events: each family's event types with random fields, in random order,
/// framed properly.
#[test]
fn random_events_end_as_an_error_or_a_reply() {
    let rt = runtime();
    check(
        (family(), prop::collection::vec(any_event(), 0..12)),
        |(family, events)| {
            let mut bytes = Vec::new();
            for e in &events {
                let (name, data) = e.render(family);
                if let Some(name) = name {
                    bytes.extend_from_slice(format!("event: {name}\n").as_bytes());
                }
                bytes.extend_from_slice(format!("data: {data}\n\n").as_bytes());
            }
            consistent(fold(&rt, family, &[&bytes]))
        },
    );
}

fn fail(e: ProviderError) -> TestCaseError {
    TestCaseError::fail(format!("{:?}: {}", e.kind, e.message))
}

/// A typed error, or a reply that agrees with itself: what was streamed is what was returned.
fn consistent(result: Result<Outcome, ProviderError>) -> Result<(), TestCaseError> {
    let got = match result {
        Err(e) => {
            prop_assert!(!e.message.is_empty(), "{:?}", e.kind);
            return Ok(());
        }
        Ok(got) => got,
    };
    let text: String = got
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    prop_assert_eq!(&got.text, &text);
    prop_assert_eq!(&got.streamed_text, &text);
    let calls: Vec<&ToolCall> = got
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolCall(c) => Some(c),
            _ => None,
        })
        .collect();
    prop_assert_eq!(got.streamed_calls.len(), calls.len());
    for c in &got.streamed_calls {
        prop_assert!(calls.contains(&c), "{:?} was handed out but not kept", c);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Random events: the shapes each family's folding reads, with values of the right type most of
// the time and extremes (huge counts, reused indexes, unknown types) often.

#[derive(Debug, Clone)]
struct RandomEvent {
    kind: u8,
    index: u64,
    text: Option<String>,
    id: Option<String>,
    name: Option<String>,
    value: Value,
    tokens: (Option<u64>, Option<u64>, Option<u64>),
    reason: Option<String>,
    nulls: Nulls,
}

fn any_event() -> impl Strategy<Value = RandomEvent> {
    let tokens = prop_oneof![
        3 => (0..1000u64).prop_map(Some),
        1 => any::<u64>().prop_map(Some),
        1 => Just(Some(u64::MAX)),
        1 => Just(None),
    ];
    (
        0..12u8,
        prop_oneof![4 => 0..3u64, 1 => any::<u64>()],
        prop::option::of(any_text(6)),
        prop::option::of(select(&["", "c1", "c2", "call_omc_1_0"][..]).prop_map(str::to_owned)),
        prop::option::of(select(&["", "t", "u"][..]).prop_map(str::to_owned)),
        json_value(),
        (tokens.clone(), tokens.clone(), tokens),
        prop::option::of(select(&["stop", "end_turn", "STOP", "tool_use", ""][..]))
            .prop_map(|r| r.map(str::to_owned)),
        nulls(),
    )
        .prop_map(
            |(kind, index, text, id, name, value, tokens, reason, nulls)| RandomEvent {
                kind,
                index,
                text,
                id,
                name,
                value,
                tokens,
                reason,
                nulls,
            },
        )
}

/// Puts `value` at `key` when there is one.
fn put(v: &mut Value, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        v[key] = value.into();
    }
}

impl RandomEvent {
    fn render(&self, family: Family) -> (Option<&'static str>, String) {
        let (name, data) = match family {
            Family::OpenAi => (None, self.openai()),
            Family::Anthropic => self.anthropic(),
            _ => (None, self.gemini()),
        };
        match serde_json::from_str::<Value>(&data) {
            Ok(v) => (name, self.nulls.apply(family, v).to_string()),
            Err(_) => (name, data),
        }
    }

    fn openai(&self) -> String {
        if self.kind == 0 {
            return "[DONE]".into();
        }
        let mut delta = json!({});
        put(&mut delta, "content", self.text.clone());
        if self.kind % 2 == 1 {
            let mut f = json!({});
            put(&mut f, "name", self.name.clone());
            f["arguments"] = match self.kind {
                3 => self.value.clone(),
                _ => json!(self.text.clone().unwrap_or_default()),
            };
            let mut frag = json!({"function": f});
            if self.kind != 5 {
                frag["index"] = json!(self.index);
            }
            put(&mut frag, "id", self.id.clone());
            delta["tool_calls"] = json!([frag]);
        }
        let mut choice = json!({"index": 0, "delta": delta});
        put(&mut choice, "finish_reason", self.reason.clone());
        let mut chunk = json!({"choices": [choice]});
        if self.kind == 6 {
            chunk["usage"] =
                json!({"prompt_tokens": self.tokens.0, "completion_tokens": self.tokens.1});
        }
        if self.kind == 8 {
            chunk["error"] = json!({"message": self.text, "type": self.name});
        }
        chunk.to_string()
    }

    fn anthropic(&self) -> (Option<&'static str>, String) {
        let usage = json!({"input_tokens": self.tokens.0, "output_tokens": self.tokens.1});
        let block_types = [
            "text",
            "tool_use",
            "thinking",
            "redacted_thinking",
            "server_tool_use",
        ];
        let delta_types = [
            "text_delta",
            "input_json_delta",
            "thinking_delta",
            "signature_delta",
        ];
        let pick = |list: &[&'static str]| list[(self.index % list.len() as u64) as usize];
        let index = self.index % 4;
        let (name, v) = match self.kind {
            0 => (
                "message_start",
                json!({"type": "message_start", "message": {"model": self.name, "usage": usage}}),
            ),
            1 | 2 => {
                let mut block = json!({"type": pick(&block_types)});
                put(&mut block, "id", self.id.clone());
                put(&mut block, "name", self.name.clone());
                put(&mut block, "text", self.text.clone());
                block["input"] = self.value.clone();
                (
                    "content_block_start",
                    json!({"type": "content_block_start", "index": index, "content_block": block}),
                )
            }
            3..=5 => {
                let mut delta = json!({"type": pick(&delta_types)});
                for field in ["text", "partial_json", "thinking", "signature"] {
                    put(&mut delta, field, self.text.clone());
                }
                (
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": index, "delta": delta}),
                )
            }
            6 => (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": index}),
            ),
            7 => {
                let mut delta = json!({});
                put(&mut delta, "stop_reason", self.reason.clone());
                (
                    "message_delta",
                    json!({"type": "message_delta", "delta": delta, "usage": usage}),
                )
            }
            8 => ("message_stop", json!({"type": "message_stop"})),
            9 => (
                "error",
                json!({"type": "error", "error": {"type": self.name, "message": self.text}}),
            ),
            10 => ("ping", json!({"type": "ping"})),
            _ => ("mystery", json!({"type": "mystery", "index": self.value})),
        };
        (Some(name), v.to_string())
    }

    fn gemini(&self) -> String {
        let mut part = json!({});
        match self.kind % 4 {
            0 => put(&mut part, "text", self.text.clone()),
            1 => {
                let mut fc = json!({"args": self.value});
                put(&mut fc, "name", self.name.clone());
                put(&mut fc, "id", self.id.clone());
                part["functionCall"] = fc;
            }
            2 => {
                put(&mut part, "text", self.text.clone());
                part["thought"] = json!(true);
            }
            _ => {}
        }
        if self.kind >= 6 {
            put(&mut part, "thoughtSignature", self.id.clone());
        }
        let mut candidate = json!({"content": {"parts": [part]}});
        put(&mut candidate, "finishReason", self.reason.clone());
        let mut r = json!({"candidates": [candidate]});
        if self.kind >= 4 {
            r["usageMetadata"] = json!({
                "promptTokenCount": self.tokens.0,
                "candidatesTokenCount": self.tokens.1,
                "thoughtsTokenCount": self.tokens.2,
            });
        }
        if self.kind == 11 {
            r["promptFeedback"] = json!({"blockReason": self.reason});
        }
        if self.kind == 10 {
            r["error"] = json!({"code": self.index, "message": self.text, "status": self.name});
        }
        r.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Requests with attachments and structured output: what each family is sent, read back.

/// A user message's content as generated: text and files, in order.
#[derive(Debug, Clone)]
enum Content {
    Text(String),
    File { name: &'static str, bytes: Vec<u8> },
}

/// The signatures omc types files by; what follows is random.
const SIGNATURES: &[&[u8]] = &[
    b"\x89PNG\r\n\x1a\n",
    &[0xff, 0xd8, 0xff],
    b"GIF89a",
    b"RIFF\x10\0\0\0WEBP",
    b"%PDF-",
];

fn file() -> impl Strategy<Value = Content> {
    let bytes = prop_oneof![
        3 => (select(SIGNATURES), prop::collection::vec(any::<u8>(), 0..48))
            .prop_map(|(sig, rest)| [sig, &rest[..]].concat()),
        // Text files: any text without NUL bytes (which would make them binary).
        1 => any_text(24).prop_map(|t| t.replace('\0', "").into_bytes()),
    ];
    (
        select(&["p.png", "r.pdf", "notes.txt", "a b.gif", "é\"<x>.bin"][..]),
        bytes,
    )
        .prop_map(|(name, bytes)| Content::File { name, bytes })
}

/// A user turn: at least one file, text around it.
fn user_turn() -> impl Strategy<Value = Vec<Content>> {
    (
        prop::collection::vec(
            prop_oneof![any_text(8).prop_map(Content::Text), file()],
            0..4,
        ),
        file(),
        any::<Index>(),
    )
        .prop_map(|(mut items, f, at)| {
            let at = at.index(items.len() + 1);
            items.insert(at, f);
            items
        })
}

const SCHEMAS: &[&str] = &[
    "name, age int, tags [str]",
    "ok bool",
    "score float: from 0 to 1, labels [int]",
    r#"{"title": "Nested one", "type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}, "c": {"type": "array", "items": {"type": "object", "properties": {"d": {"type": "integer"}}}}}}"#,
];

#[derive(Debug, Clone)]
struct AttachCase {
    family: Family,
    system: Option<String>,
    /// One or two user turns (an answer between them): a continued conversation replays its
    /// files.
    turns: Vec<Vec<Content>>,
    schema: Option<&'static str>,
    stream: bool,
}

fn attach_case() -> impl Strategy<Value = AttachCase> {
    (
        family(),
        prop::option::of(any_text(6)),
        prop::collection::vec(user_turn(), 1..3),
        prop::option::of(select(SCHEMAS)),
        any::<bool>(),
    )
        .prop_map(|(family, system, turns, schema, stream)| AttachCase {
            family,
            system,
            turns,
            schema,
            stream,
        })
}

/// Content as it reads back from a request: text, or a file's media type, bytes and name.
#[derive(Debug, Clone, PartialEq)]
enum Sent {
    Text(String),
    File {
        media: String,
        bytes: Vec<u8>,
        name: Option<String>,
    },
}

impl AttachCase {
    fn request(&self) -> ChatRequest {
        let mut conv = super::Conversation::new(self.system.clone());
        for (i, turn) in self.turns.iter().enumerate() {
            if i > 0 {
                conv.push(super::Message::assistant("ok"));
            }
            let parts = turn
                .iter()
                .map(|c| match c {
                    Content::Text(t) => Part::text(t.as_str()),
                    Content::File { name, bytes } => Part::Attachment(
                        crate::attach::Attachment::from_bytes(name, bytes).expect("typed"),
                    ),
                })
                .collect();
            conv.push(super::Message {
                role: super::Role::User,
                parts,
            });
        }
        let mut req = ChatRequest::new("asked-model", conv);
        req.stream = self.stream;
        req.schema = self
            .schema
            .map(|s| crate::schema::OutputSchema::parse(s).expect("a valid schema"));
        req
    }

    /// The turns each family must be sent, by the family's role names, read back as [`Sent`].
    fn expected(&self, req: &ChatRequest) -> Vec<(&'static str, Vec<Sent>)> {
        use crate::attach::Kind;
        let family = self.family;
        req.conversation
            .messages
            .iter()
            .map(|m| {
                let role = match (m.role, family) {
                    (super::Role::Assistant, Family::Gemini) => "model",
                    (super::Role::Assistant, _) => "assistant",
                    _ => "user",
                };
                let sent = m
                    .parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::Text { text } if text.is_empty() => None,
                        Part::Text { text } => Some(Sent::Text(text.clone())),
                        Part::Attachment(a) if a.kind == Kind::Text => {
                            Some(Sent::Text(a.as_text()))
                        }
                        Part::Attachment(a) => Some(Sent::File {
                            media: a.media_type().to_owned(),
                            bytes: base64_decode(&a.data).expect("omc's own base64"),
                            name: (family == Family::OpenAi && a.kind == Kind::Pdf)
                                .then(|| a.name.clone()),
                        }),
                        _ => None,
                    })
                    .collect();
                (role, sent)
            })
            .collect()
    }
}

fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("bad base64: {e}"))
}

/// `data:MEDIA;base64,DATA`.
fn data_url(url: &Value) -> Result<(String, Vec<u8>), String> {
    let url = url.as_str().ok_or("a data URL must be a string")?;
    let rest = url.strip_prefix("data:").ok_or("not a data URL")?;
    let (media, data) = rest.split_once(";base64,").ok_or("not base64")?;
    Ok((media.to_owned(), base64_decode(data)?))
}

/// A request body's turns read back, in each family's documented shape; anything else is an
/// error naming it.
fn sent_turns(family: Family, body: &Value) -> Result<Vec<(String, Vec<Sent>)>, String> {
    let text = |v: &Value| -> Result<Sent, String> {
        Ok(Sent::Text(
            v.as_str().ok_or("text must be a string")?.to_owned(),
        ))
    };
    let mut turns = Vec::new();
    match family {
        Family::OpenAi => {
            for m in body["messages"].as_array().ok_or("no messages")? {
                let role = m["role"].as_str().ok_or("no role")?;
                if role == "system" {
                    continue;
                }
                let content = match &m["content"] {
                    Value::String(s) if s.is_empty() => Vec::new(),
                    Value::String(s) => vec![Sent::Text(s.clone())],
                    Value::Array(parts) => parts
                        .iter()
                        .map(|p| match p["type"].as_str() {
                            Some("text") => text(&p["text"]),
                            Some("image_url") => {
                                let (media, bytes) = data_url(&p["image_url"]["url"])?;
                                Ok(Sent::File {
                                    media,
                                    bytes,
                                    name: None,
                                })
                            }
                            Some("file") => {
                                let (media, bytes) = data_url(&p["file"]["file_data"])?;
                                let name = p["file"]["filename"].as_str().map(str::to_owned);
                                Ok(Sent::File { media, bytes, name })
                            }
                            _ => Err(format!("unknown content part {p}")),
                        })
                        .collect::<Result<_, _>>()?,
                    other => return Err(format!("content {other}")),
                };
                turns.push((role.to_owned(), content));
            }
        }
        Family::Anthropic => {
            for m in body["messages"].as_array().ok_or("no messages")? {
                let role = m["role"].as_str().ok_or("no role")?;
                let content = match &m["content"] {
                    Value::String(s) => vec![Sent::Text(s.clone())],
                    Value::Array(blocks) => blocks
                        .iter()
                        .map(|b| {
                            let kind = b["type"].as_str().unwrap_or_default();
                            match kind {
                                "text" => text(&b["text"]),
                                "image" | "document" => {
                                    let s = &b["source"];
                                    if s["type"] != "base64" {
                                        return Err(format!("source {s}"));
                                    }
                                    let media = s["media_type"].as_str().unwrap_or_default();
                                    // Images as image blocks, PDFs as documents.
                                    if (kind == "image") != media.starts_with("image/") {
                                        return Err(format!("{media} in a {kind} block"));
                                    }
                                    Ok(Sent::File {
                                        media: media.to_owned(),
                                        bytes: base64_decode(s["data"].as_str().unwrap_or("?"))?,
                                        name: None,
                                    })
                                }
                                _ => Err(format!("unknown block {b}")),
                            }
                        })
                        .collect::<Result<_, _>>()?,
                    other => return Err(format!("content {other}")),
                };
                turns.push((role.to_owned(), content));
            }
        }
        Family::Gemini => {
            for c in body["contents"].as_array().ok_or("no contents")? {
                let role = c["role"].as_str().ok_or("no role")?;
                let parts = c["parts"]
                    .as_array()
                    .ok_or("no parts")?
                    .iter()
                    .map(|p| {
                        if let Some(t) = p.get("text") {
                            return text(t);
                        }
                        let d = p.get("inlineData").ok_or_else(|| format!("part {p}"))?;
                        Ok(Sent::File {
                            media: d["mimeType"].as_str().unwrap_or_default().to_owned(),
                            bytes: base64_decode(d["data"].as_str().unwrap_or("?"))?,
                            name: None,
                        })
                    })
                    .collect::<Result<_, _>>()?;
                turns.push((role.to_owned(), parts));
            }
        }
        Family::Echo => unreachable!("no wire format"),
    }
    Ok(turns)
}

/// Where each family's native structured output puts the schema, if anywhere.
fn sent_schema(family: Family, body: &Value) -> Option<Value> {
    match family {
        Family::OpenAi => body.get("response_format").cloned(),
        Family::Anthropic => body.get("output_config").cloned(),
        Family::Gemini => {
            let c = body.get("generationConfig")?;
            let mime = c.get("responseMimeType");
            let schema = c.get("responseJsonSchema");
            (mime.is_some() || schema.is_some()).then(|| json!([mime, schema]))
        }
        Family::Echo => None,
    }
}

/// Strict modes want every object closed and every property required.
fn strict(schema: &Value) -> Result<(), String> {
    match schema {
        Value::Object(o) => {
            if o.get("type") == Some(&json!("object")) || o.contains_key("properties") {
                if o.get("additionalProperties") != Some(&json!(false)) {
                    return Err(format!("an open object: {schema}"));
                }
                let props: Vec<&String> = o
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|p| p.keys().collect())
                    .unwrap_or_default();
                let required = o.get("required").cloned().unwrap_or(json!([]));
                if props
                    .iter()
                    .any(|p| !required.as_array().is_some_and(|r| r.contains(&json!(p))))
                {
                    return Err(format!("a property not required: {schema}"));
                }
            }
            o.values().try_for_each(strict)
        }
        Value::Array(items) => items.iter().try_for_each(strict),
        _ => Ok(()),
    }
}

/// Property 5: a conversation with images, PDFs and text files, with or without a schema,
/// streamed or whole, is sent in the family's documented shape: each file once, in place, its
/// declared type the one its bytes have, its bytes exact (base64); text files and text in
/// order; the schema where the family's structured output takes it, strict; nothing of either
/// when there are none.
#[test]
fn attachments_and_schemas_are_sent_in_each_familys_shape() {
    let key = secrecy::SecretString::from("sk-fuzz");
    check(attach_case(), |case| {
        let req = case.request();
        let p = wire(case.family)
            .chat_request("http://127.0.0.1:9", &key, &req)
            .map_err(fail)?;
        let body: Value =
            serde_json::from_slice(p.body.as_deref().unwrap_or_default()).expect("JSON body");
        let got = sent_turns(case.family, &body).map_err(TestCaseError::fail)?;
        let want: Vec<(String, Vec<Sent>)> = case
            .expected(&req)
            .into_iter()
            .map(|(r, s)| (r.to_owned(), s))
            .collect();
        prop_assert_eq!(&got, &want);
        for (_, sent) in &got {
            for s in sent {
                if let Sent::File { media, bytes, .. } = s {
                    let typed = crate::attach::Kind::detect(bytes).map(|k| k.media_type());
                    prop_assert_eq!(typed, Some(media.as_str()));
                }
            }
        }
        let schema = sent_schema(case.family, &body);
        match &req.schema {
            None => prop_assert_eq!(schema, None),
            Some(s) => {
                let want = match case.family {
                    Family::OpenAi => json!({"type": "json_schema", "json_schema": {
                        "name": s.name, "schema": s.schema, "strict": true}}),
                    Family::Anthropic => {
                        json!({"format": {"type": "json_schema", "schema": s.schema}})
                    }
                    _ => json!(["application/json", s.schema]),
                };
                prop_assert_eq!(schema, Some(want));
                strict(&s.schema).map_err(TestCaseError::fail)?;
            }
        }
        match case.family {
            Family::Gemini => prop_assert_eq!(
                p.url.as_str().ends_with(":streamGenerateContent?alt=sse"),
                case.stream
            ),
            _ => prop_assert_eq!(&body["stream"], &json!(case.stream)),
        }
        Ok(())
    });
}

/// Property 6: a schema's answer, cut anywhere and streamed in any legal framing, or sent
/// whole, folds to the same text, which validates against the schema.
#[test]
fn a_schema_answer_streamed_or_whole_validates() {
    let rt = runtime();
    check(
        (
            family(),
            select(SCHEMAS),
            any::<bool>(),
            prop::collection::vec(any::<Index>(), 0..6),
            framing(),
            chunking(),
        ),
        |(family, spec, pretty, cuts, framing, chunking)| {
            let schema = crate::schema::OutputSchema::parse(spec).expect("a valid schema");
            let doc = schema.sample();
            let text = if pretty {
                serde_json::to_string_pretty(&doc).expect("JSON")
            } else {
                doc.to_string()
            };
            // Cut on character boundaries.
            let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let mut at: Vec<usize> = cuts.iter().map(|c| bounds[c.index(bounds.len())]).collect();
            at.sort_unstable();
            at.dedup();
            let mut pieces = Vec::new();
            let mut from = 0;
            for p in at.into_iter().chain([text.len()]) {
                if p > from {
                    pieces.push(text[from..p].to_owned());
                    from = p;
                }
            }
            let reply = Reply {
                model: "m",
                items: vec![Item::Text(pieces)],
                ending: Ending::Natural,
                usage: Some((3, 5)),
                nulls: Nulls { bits: Vec::new() },
            };
            let (bytes, _) = frame(&render(family, &reply), &framing);
            let streamed = fold(&rt, family, &chunking.apply(&bytes)).map_err(fail)?;
            prop_assert_eq!(&streamed.text, &text);
            prop_assert_eq!(schema.check_answer(&streamed.text), Ok(doc.clone()));
            let whole = render_whole(family, &reply).to_string();
            let mut acc = Accum::new(1);
            wire(family)
                .parse_reply(whole.as_bytes(), &mut acc)
                .map_err(fail)?;
            prop_assert_eq!(&acc.text, &text);
            prop_assert_eq!(schema.check_answer(&acc.text), Ok(doc));
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions: cases the properties found, shrunk, kept as they were found.

/// Gemini's output tokens are candidates plus thoughts; huge counts overflowed (a panic in debug
/// builds, a wrapped count in release).
#[test]
fn regression_gemini_token_counts_near_the_limit_saturate() {
    let data = json!({"candidates": [{"content": {"parts": [{}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 0, "candidatesTokenCount": 1,
            "thoughtsTokenCount": u64::MAX}});
    let stream = format!("data: {data}\n\n");
    let got = fold(&runtime(), Family::Gemini, &[stream.as_bytes()]).expect("a reply");
    assert_eq!(got.usage, Some((Some(0), Some(u64::MAX))));
}

/// An error event with no message (Anthropic's `error` with nulls, or an empty `message` in any
/// family) gave an error with an empty message: an `omc: error:` line saying nothing.
#[test]
fn regression_an_error_event_without_a_message_still_says_something() {
    let rt = runtime();
    let cases = [
        (
            Family::Anthropic,
            r#"{"type":"error","error":{"type":null,"message":null}}"#,
        ),
        (
            Family::Anthropic,
            r#"{"type":"error","error":{"type":"","message":""}}"#,
        ),
        (Family::OpenAi, r#"{"error":{"message":""}}"#),
        (Family::Gemini, r#"{"error":{"message":" "}}"#),
    ];
    for (family, data) in cases {
        let stream = format!("data: {data}\n\n");
        let e = fold(&rt, family, &[stream.as_bytes()]).expect_err("an error");
        assert_eq!(e.message, "no message", "{family:?} {data}");
    }
}

/// A Gemini reply with text "hé" and usage, its events framed with `eol`.
fn gemini_stream(eol: &str) -> Vec<u8> {
    let text = json!({"candidates": [{"content": {"parts": [{"text": "hé"}]}}]});
    let last = json!({"candidates": [{"content": {"parts": [{"text": ""}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2}});
    format!("data: {text}{eol}{eol}data: {last}{eol}{eol}").into_bytes()
}

/// eventsource-stream 0.2.3 skipped a leading BOM with `&s[1..]`, inside the BOM's three bytes:
/// a panic. (Upstream pull request #10, unmerged; omc has its own decoder now.)
#[test]
fn regression_a_stream_starting_with_a_bom_is_read() {
    let rt = runtime();
    let stream = [b"\xEF\xBB\xBF".as_slice(), &gemini_stream("\n")].concat();
    for at in 0..=4 {
        let (a, b) = stream.split_at(at);
        let got = fold(&rt, Family::Gemini, &[a, b]).expect("a reply");
        assert_eq!(got.text, "hé");
    }
}

/// With CR line ends, eventsource-stream waited for the byte after the last CR (it might have
/// been CRLF's LF), so the last event, which carries Gemini's finish reason, was never read.
#[test]
fn regression_a_cr_only_stream_keeps_its_last_event() {
    let got = fold(&runtime(), Family::Gemini, &[&gemini_stream("\r")]).expect("a reply");
    assert_eq!(got.finish_reason.as_deref(), Some("STOP"));
    assert_eq!(got.usage, Some((Some(3), Some(2))));
}

/// A stream cut inside a multi-byte character ended as "malformed event stream: UTF8 error"
/// rather than as a dropped connection.
#[test]
fn regression_a_stream_cut_inside_a_character_is_dropped() {
    let stream = gemini_stream("\n");
    let cut = stream
        .windows(2)
        .position(|w| w == "é".as_bytes())
        .expect("é")
        + 1;
    let e = fold(&runtime(), Family::Gemini, &[&stream[..cut]]).expect_err("dropped");
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.starts_with("stream ended early"), "{}", e.message);
}

/// A byte that is not UTF-8 made eventsource-stream buffer everything after it until the
/// connection closed; now the event holding it is an error at once.
#[test]
fn regression_invalid_utf8_is_malformed_where_it_is() {
    let stream = [
        b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\xFF\"}]}}]}\n\n"
            .as_slice(),
        &gemini_stream("\n"),
    ]
    .concat();
    let e = fold(&runtime(), Family::Gemini, &[&stream]).expect_err("malformed");
    assert_eq!(e.kind, ErrorKind::Malformed);
    assert!(e.message.contains("event stream"), "{}", e.message);
}
