//! The built-in offline provider: no network, a deterministic reply, exact token counts.
//!
//! The reply is `echo:` followed by the prompt's words (a fixed lorem ipsum when the prompt is
//! empty), streamed one word per delta. Token counts are word counts — input: the system and
//! prompt words; output: the reply's words — and are not estimates, since echo *is* the provider.
//! `max_tokens` caps the reply's words (finish reason `length`, else `stop`).
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

use super::types::{ChatRequest, ChatResponse, Delta, ErrorKind, ProviderError, Timing, Usage};
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

/// Answers `req` as the echo provider.
pub(crate) async fn chat(
    base_url: Option<&str>,
    req: &ChatRequest,
    on_delta: &mut (dyn FnMut(Delta<'_>) + Send),
) -> Result<ChatResponse, ProviderError> {
    let delays = Delays::from_env_or(base_url)?;
    let started = Instant::now();

    let prompt = if req.prompt.trim().is_empty() {
        LOREM
    } else {
        req.prompt.as_str()
    };
    let input_words = req.system.as_deref().map_or(0, count_words) + count_words(&req.prompt);
    let limit = req.max_tokens.map_or(usize::MAX, |n| n as usize);
    let words = std::iter::once("echo:").chain(prompt.split_whitespace());
    let total = 1 + prompt.split_whitespace().count();
    let finish = if total > limit { "length" } else { "stop" };

    let mut text = String::with_capacity(prompt.len() + 8);
    let mut timing = Timing::default();
    // When the first word went out: later ones are timed from it.
    let mut first: Option<Instant> = None;
    for (i, word) in words.take(limit).enumerate() {
        let before = text.len();
        if i > 0 {
            text.push(' ');
        }
        text.push_str(word);
        // Each word is due a whole number of token delays after the first, which is due `ttft`
        // after the start: the timer's lateness (up to its 1 ms tick) delays one word, and does
        // not add up over the reply.
        let due = match first {
            None => started + delays.ttft,
            Some(first) => first + delays.token * i as u32,
        };
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        let at = Instant::now();
        first.get_or_insert(at);
        // Unstreamed, the whole reply arrives when the last word would have.
        if req.stream {
            timing.delta(at);
            on_delta(Delta {
                text: &text[before..],
                at,
            });
        }
    }
    if !req.stream && !text.is_empty() {
        let at = Instant::now();
        timing.delta(at);
        on_delta(Delta { text: &text, at });
    }

    Ok(ChatResponse {
        usage: Usage {
            input_tokens: Some(input_words as u64),
            output_tokens: Some(total.min(limit) as u64),
            estimated: false,
        },
        text,
        model: req.model.clone(),
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
        ChatRequest {
            model: "echo-1".into(),
            system: None,
            prompt: prompt.into(),
            temperature: None,
            max_tokens: None,
            stream,
        }
    }

    #[tokio::test]
    async fn streams_the_prompt_back_word_by_word() {
        let mut deltas = Vec::new();
        let r = chat(None, &req("hello  big world", true), &mut |d: Delta<'_>| {
            deltas.push(d.text.to_owned())
        })
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
        let resp = chat(None, &r, &mut |_: Delta<'_>| n += 1).await.unwrap();
        assert_eq!(n, 1);
        assert_eq!(resp.text, "echo: a");
        assert_eq!(resp.finish_reason.as_deref(), Some("length"));
    }

    #[tokio::test]
    async fn simulated_latency_from_the_base_url() {
        let r = chat(
            Some("echo://ttft=30ms,token=1ms"),
            &req("x y", true),
            &mut |_: Delta<'_>| {},
        )
        .await
        .unwrap();
        let ttft = r.ttft().unwrap();
        assert!(ttft >= Duration::from_millis(30), "{ttft:?}");
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
