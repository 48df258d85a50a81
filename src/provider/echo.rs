//! The built-in offline provider: no network, a deterministic reply, exact token counts.
//!
//! The reply is `echo:` followed by the prompt's words (a fixed lorem ipsum when the prompt is
//! empty), streamed one word per delta. Token counts are word counts — input: the system and
//! prompt words; output: the reply's words — and are not estimates, since echo *is* the provider.
//! `max_tokens` caps the reply's words (finish reason `length`, else `stop`). Attachments in
//! the prompt's message are acknowledged before its words, each as `[MEDIA/TYPE N bytes]`.
//!
//! # Tools
//!
//! Echo speaks tools deterministically, so an agent can be dry-run offline:
//!
//! - When the last message is a user message, each line `/call NAME ARGS` becomes a tool call
//!   of `NAME` with arguments `ARGS` (a JSON object; empty: none; anything else: a malformed
//!   call), id `echo_call_T_K` (`T` messages before the reply, `K`-th call from 0), streamed
//!   as one piece each. The reply is only those calls (finish reason `tool_calls`).
//! - When the last message holds tool results, the reply is `echo:` and, per result,
//!   ` tool NAME returned: CONTENT` (`failed:` for an error), one line each — unless a result
//!   that is not an error holds `/call` lines: then those are the next calls, as above, so a
//!   tool can drive a dry run for as many turns as it likes.
//!
//! # Simulated latency
//!
//! `OMC_ECHO_DELAY`, or the credential's base URL as `echo:SPEC` / `echo://SPEC`, sets a delay
//! before the first word and between words, for dry runs of benchmarks:
//!
//! ```text
//! OMC_ECHO_DELAY=ttft=50ms,token=5ms
//! ```
//!
//! Durations are humantime's (`250us`, `5ms`, `1s`). The environment variable wins over the base
//! URL, being the more immediate choice.

use std::time::{Duration, Instant};

use super::conversation::{FinishReason, Message, Part, Role, ToolCall};
use super::types::{
    ChatRequest, ChatResponse, Delta, ErrorKind, Event, ProviderError, Timing, Usage,
};
use super::wire;

pub const DELAY_VAR: &str = "OMC_ECHO_DELAY";
pub const MODELS: &[&str] = &["echo-1"];

const LOREM: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delays {
    pub ttft: Duration,
    pub token: Duration,
}

impl Delays {
    /// Parses `ttft=50ms,token=5ms` (either part optional, any order).
    pub fn parse(spec: &str) -> Result<Delays, String> {
        let mut d = Delays::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("expected NAME=DURATION, got '{part}'"))?;
            let value = humantime::parse_duration(value.trim())
                .map_err(|e| format!("bad duration for {}: {e}", name.trim()))?;
            match name.trim() {
                "ttft" => d.ttft = value,
                "token" => d.token = value,
                other => return Err(format!("unknown delay '{other}' (expected ttft or token)")),
            }
        }
        Ok(d)
    }

    fn from_env_or(base_url: Option<&str>) -> Result<Delays, ProviderError> {
        let bad = |e: String| wire::error(ErrorKind::BadRequest, None, format!("{DELAY_VAR}: {e}"));
        if let Ok(spec) = std::env::var(DELAY_VAR) {
            return Delays::parse(&spec).map_err(bad);
        }
        match base_url.and_then(|b| b.strip_prefix("echo:")) {
            Some(spec) => Delays::parse(spec.trim_start_matches("//")).map_err(bad),
            None => Ok(Delays::default()),
        }
    }
}

/// What echo says, in the pieces it streams.
enum Piece {
    Text(String),
    Call(ToolCall),
}

/// The reply's pieces, its finish reason and its output token count, by the rules in the
/// module's documentation.
fn plan(req: &ChatRequest) -> (Vec<Piece>, &'static str, usize) {
    let conv = &req.conversation;
    let last = conv.messages.last();
    if let Some(m) = last.filter(|m| m.role == Role::Tool) {
        let asked: String = m
            .tool_results_iter()
            .filter(|r| !r.is_error)
            .map(|r| format!("{}\n", r.content))
            .collect();
        if let Some(calls) = calls_in(&asked, conv.messages.len()) {
            return calls;
        }
        let turn = conv.messages.len() - 1;
        let mut text = String::from("echo:");
        for r in m.tool_results_iter() {
            let name = conv
                .find_call(&r.call_id, turn)
                .map_or("?", |c| c.name.as_str());
            let verb = if r.is_error { "failed" } else { "returned" };
            text.push_str(&format!(" tool {name} {verb}: {}", r.content));
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        let text = text.trim_end().to_owned();
        let words = count_words(&text);
        // In pieces that end after whitespace, so together they are the text exactly.
        let pieces = text
            .split_inclusive(char::is_whitespace)
            .map(|p| Piece::Text(p.to_owned()))
            .collect();
        return (pieces, "stop", words);
    }
    let prompt = last.map(Message::text).unwrap_or_default();
    if let Some(calls) = calls_in(&prompt, conv.messages.len()) {
        return calls;
    }
    if let Some(schema) = &req.schema {
        // A schema request is answered with a document that matches it, in one piece.
        let doc = schema.sample().to_string();
        let words = count_words(&doc);
        return (vec![Piece::Text(doc)], "stop", words);
    }
    // Attachments are acknowledged by type and size, before the prompt's words.
    let seen: String = last
        .filter(|m| m.role == Role::User)
        .into_iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::Attachment(a) => Some(format!("[{} {} bytes] ", a.media_type(), a.size)),
            _ => None,
        })
        .collect();
    let prompt = if prompt.trim().is_empty() && seen.is_empty() {
        LOREM.to_owned()
    } else {
        format!("{seen}{prompt}")
    };
    let prompt = prompt.as_str();
    let limit = req.max_tokens.map_or(usize::MAX, |n| n as usize);
    let total = 1 + prompt.split_whitespace().count();
    let finish = if total > limit { "length" } else { "stop" };
    let pieces = std::iter::once("echo:")
        .chain(prompt.split_whitespace())
        .take(limit)
        .enumerate()
        .map(|(i, w)| {
            Piece::Text(if i == 0 {
                w.to_owned()
            } else {
                format!(" {w}")
            })
        })
        .collect();
    (pieces, finish, total.min(limit))
}

/// The calls that `/call NAME ARGS` lines in `text` ask for, as a reply; `turn` is the number
/// of messages before it (for the call ids).
fn calls_in(text: &str, turn: usize) -> Option<(Vec<Piece>, &'static str, usize)> {
    let calls: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("/call "))
        .collect();
    if calls.is_empty() {
        return None;
    }
    let mut words = 0;
    let pieces = calls
        .iter()
        .enumerate()
        .map(|(k, line)| {
            let line = line.trim();
            let (name, args) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            words += 1 + count_words(args);
            Piece::Call(ToolCall::from_raw(
                format!("echo_call_{turn}_{k}"),
                name,
                args.trim(),
            ))
        })
        .collect();
    Some((pieces, "tool_calls", words))
}

/// Answers `req` as the echo provider.
pub(crate) async fn chat(
    base_url: Option<&str>,
    req: &ChatRequest,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<ChatResponse, ProviderError> {
    let delays = Delays::from_env_or(base_url)?;
    let started = Instant::now();
    let input_words = count_words(&req.conversation.text_for_estimate_spaced());
    let (pieces, finish, output_words) = plan(req);

    let mut text = String::new();
    let mut parts: Vec<Part> = Vec::new();
    let mut timing = Timing::default();
    // When the first piece went out: later ones are timed from it.
    let mut first: Option<Instant> = None;
    for (i, piece) in pieces.into_iter().enumerate() {
        // Each piece is due a whole number of token delays after the first, which is due `ttft`
        // after the start: the timer's lateness (up to its 1 ms tick) delays one piece, and
        // does not add up over the reply.
        let due = match first {
            None => started + delays.ttft,
            Some(first) => first + delays.token * i as u32,
        };
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        let at = Instant::now();
        first.get_or_insert(at);
        match piece {
            Piece::Text(t) => {
                text.push_str(&t);
                match parts.last_mut() {
                    Some(Part::Text { text }) => text.push_str(&t),
                    _ => parts.push(Part::text(t.as_str())),
                }
                // Unstreamed, the whole reply arrives when the last piece would have.
                if req.stream {
                    timing.delta(at);
                    on_event(Event::Text(Delta { text: &t, at }));
                }
            }
            Piece::Call(call) => {
                if req.stream {
                    timing.delta(at);
                    on_event(Event::ToolCall { call: &call, at });
                }
                parts.push(Part::ToolCall(call));
            }
        }
    }
    if !req.stream && !parts.is_empty() {
        let at = Instant::now();
        timing.delta(at);
        if !text.is_empty() {
            on_event(Event::Text(Delta { text: &text, at }));
        }
        for p in &parts {
            if let Part::ToolCall(call) = p {
                on_event(Event::ToolCall { call, at });
            }
        }
    }
    let finish_reason = match finish {
        "tool_calls" => FinishReason::ToolCalls,
        "length" => FinishReason::Length,
        _ => FinishReason::Stop,
    };

    Ok(ChatResponse {
        usage: Usage {
            input_tokens: Some(input_words as u64),
            output_tokens: Some(output_words as u64),
            estimated: false,
        },
        text,
        message: Message {
            role: Role::Assistant,
            parts,
        },
        model: req.model.clone(),
        finish: Some(finish_reason),
        finish_reason: Some(finish.to_owned()),
        started,
        first_token: timing.first,
        last_token: timing.last,
        finished: Instant::now(),
        chunks: timing.chunks,
        streamed: req.stream,
        gaps: timing.gaps,
        request_id: None,
    })
}

fn count_words(s: &str) -> usize {
    s.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(prompt: &str, stream: bool) -> ChatRequest {
        let mut r = ChatRequest::prompt("echo-1", None, prompt);
        r.stream = stream;
        r
    }

    fn texts(deltas: &mut Vec<String>) -> impl FnMut(Event<'_>) + Send + '_ {
        move |e: Event<'_>| {
            if let Event::Text(d) = e {
                deltas.push(d.text.to_owned())
            }
        }
    }

    #[tokio::test]
    async fn streams_the_prompt_back_word_by_word() {
        let mut deltas = Vec::new();
        let r = chat(
            None,
            &req("hello  big world", true),
            &mut texts(&mut deltas),
        )
        .await
        .unwrap();
        assert_eq!(deltas, ["echo:", " hello", " big", " world"]);
        assert_eq!(r.text, "echo: hello big world");
        assert_eq!(r.usage.input_tokens, Some(3));
        assert_eq!(r.usage.output_tokens, Some(4));
        assert!(!r.usage.estimated);
        assert_eq!(r.chunks, 4);
        assert_eq!(r.finish_reason.as_deref(), Some("stop"));
    }

    #[tokio::test]
    async fn unstreamed_is_one_delta_and_max_tokens_cuts() {
        let mut r = req("a b c d", false);
        r.max_tokens = Some(2);
        let mut n = 0;
        let resp = chat(None, &r, &mut |_: Event<'_>| n += 1).await.unwrap();
        assert_eq!(n, 1);
        assert_eq!(resp.text, "echo: a");
        assert_eq!(resp.finish_reason.as_deref(), Some("length"));
    }

    #[tokio::test]
    async fn simulated_latency_from_the_base_url() {
        let r = chat(
            Some("echo://ttft=30ms,token=1ms"),
            &req("x y", true),
            &mut |_: Event<'_>| {},
        )
        .await
        .unwrap();
        let ttft = r.ttft().unwrap();
        assert!(ttft >= Duration::from_millis(30), "{ttft:?}");
    }

    #[tokio::test]
    async fn a_call_line_is_answered_with_that_tool_call_streamed() {
        let r = req(
            "/call weather {\"city\": \"Oslo\"}\n/call clock\n/call bad {oops",
            true,
        );
        let mut seen = Vec::new();
        let resp = chat(None, &r, &mut |e: Event<'_>| match e {
            Event::ToolCall { call, .. } => seen.push(call.clone()),
            Event::Text(d) => panic!("no text expected, got {:?}", d.text),
        })
        .await
        .unwrap();
        let calls: Vec<&ToolCall> = resp.tool_calls().collect();
        assert_eq!(seen.len(), 3);
        assert_eq!(calls[0], &seen[0]);
        assert_eq!(
            (calls[0].id.as_str(), calls[0].name.as_str()),
            ("echo_call_1_0", "weather")
        );
        assert_eq!(calls[0].valid_arguments().unwrap()["city"], "Oslo");
        assert!(calls[1].valid_arguments().unwrap().is_empty());
        assert_eq!(
            calls[2].valid_arguments().unwrap_err().kind,
            ErrorKind::Malformed
        );
        assert_eq!(resp.finish, Some(FinishReason::ToolCalls));
        assert_eq!(resp.text, "");
        assert_eq!(resp.chunks, 3);
    }

    #[tokio::test]
    async fn a_tool_result_is_answered_with_text_quoting_it() {
        let mut r = req("/call weather {\"city\": \"Oslo\"}", false);
        let first = chat(None, &r, &mut |_: Event<'_>| {}).await.unwrap();
        let id = first.tool_calls().next().unwrap().id.clone();
        r.conversation.push(first.message);
        r.conversation.push(Message::tool_results(vec![
            crate::provider::ToolResult::ok(&id, "rain,  4°C"),
        ]));
        r.stream = true;
        let mut deltas = Vec::new();
        let resp = chat(None, &r, &mut texts(&mut deltas)).await.unwrap();
        assert_eq!(resp.text, "echo: tool weather returned: rain,  4°C");
        assert_eq!(deltas.concat(), resp.text);
        assert!(deltas.len() > 1);
        assert_eq!(resp.finish, Some(FinishReason::Stop));
        assert!(resp.tool_calls().next().is_none());
    }

    #[tokio::test]
    async fn call_lines_in_a_tool_result_are_the_next_calls_unless_it_failed() {
        let mut r = req("/call step {}", false);
        let first = chat(None, &r, &mut |_: Event<'_>| {}).await.unwrap();
        let id = first.tool_calls().next().unwrap().id.clone();
        r.conversation.push(first.message);
        r.conversation.push(Message::tool_results(vec![
            crate::provider::ToolResult::ok(&id, "next:\n/call step {\"n\": 2}"),
        ]));
        let second = chat(None, &r, &mut |_: Event<'_>| {}).await.unwrap();
        let calls: Vec<&ToolCall> = second.tool_calls().collect();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].id, "echo_call_3_0");
        assert_ne!(calls[0].id, id);
        assert_eq!(calls[0].valid_arguments().unwrap()["n"], 2);
        assert_eq!(second.finish, Some(FinishReason::ToolCalls));

        // A failed tool's `/call` lines are only quoted.
        let last = r.conversation.messages.len() - 1;
        r.conversation.messages[last] =
            Message::tool_results(vec![crate::provider::ToolResult::error(
                &id,
                "/call step {}",
            )]);
        let third = chat(None, &r, &mut |_: Event<'_>| {}).await.unwrap();
        assert_eq!(third.text, "echo: tool step failed: /call step {}");
    }

    #[test]
    fn delay_specs_parse() {
        assert_eq!(
            Delays::parse("token=5ms, ttft=1s").unwrap(),
            Delays {
                ttft: Duration::from_secs(1),
                token: Duration::from_millis(5)
            }
        );
        assert!(Delays::parse("ttft").is_err());
        assert!(Delays::parse("warp=1ms").is_err());
    }
}
