//! What a proxied answer spent: token counts and the model, read from the bytes as they pass
//! through (server-sent events line by line, or the whole JSON document), in each family's format.

use serde_json::Value;

use crate::provider::Family;

/// A line of an event stream longer than this is not looked at (it is still passed on).
const MAX_LINE: usize = 1024 * 1024;
/// An unstreamed answer longer than this is passed on but not parsed for usage.
const MAX_WHOLE: usize = 16 * 1024 * 1024;

/// Token counts and model found so far; later events overwrite earlier ones (Anthropic's
/// `message_delta` carries the final output count, OpenAI's last chunk the usage).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Counts {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub model: Option<String>,
}

/// Reads an answer's bytes as they go by.
pub struct Reader {
    family: Family,
    sse: bool,
    line: Vec<u8>,
    line_too_long: bool,
    whole: Vec<u8>,
    whole_too_long: bool,
    pub found: Counts,
}

impl Reader {
    /// `sse`: the answer is `text/event-stream`.
    pub fn new(family: Family, sse: bool) -> Reader {
        Reader {
            family,
            sse,
            line: Vec::new(),
            line_too_long: false,
            whole: Vec::new(),
            whole_too_long: false,
            found: Counts::default(),
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        if !self.sse {
            if !self.whole_too_long {
                if self.whole.len() + chunk.len() > MAX_WHOLE {
                    self.whole_too_long = true;
                    self.whole = Vec::new();
                } else {
                    self.whole.extend_from_slice(chunk);
                }
            }
            return;
        }
        let mut rest = chunk;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            if !self.line_too_long && self.line.len() + i <= MAX_LINE {
                self.line.extend_from_slice(&rest[..i]);
                let line = std::mem::take(&mut self.line);
                self.event_line(&line);
            }
            self.line.clear();
            self.line_too_long = false;
            rest = &rest[i + 1..];
        }
        if self.line.len() + rest.len() > MAX_LINE {
            self.line_too_long = true;
            self.line.clear();
        } else if !self.line_too_long {
            self.line.extend_from_slice(rest);
        }
    }

    /// The answer ended: parse what was kept of an unstreamed one.
    pub fn finish(&mut self) {
        if self.sse {
            let line = std::mem::take(&mut self.line);
            self.event_line(&line);
        } else if !self.whole_too_long
            && let Ok(v) = serde_json::from_slice::<Value>(&self.whole)
        {
            match &v {
                // Gemini's `streamGenerateContent` without `alt=sse`: one array of chunks.
                Value::Array(items) => items.iter().for_each(|i| self.observe(i)),
                _ => self.observe(&v),
            }
        }
    }

    fn event_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(data) = line.strip_prefix(b"data:") else {
            return;
        };
        if let Ok(v) = serde_json::from_slice::<Value>(data.trim_ascii()) {
            self.observe(&v);
        }
    }

    fn observe(&mut self, v: &Value) {
        let count = |u: &Value, names: &[&str]| {
            let found: Vec<u64> = names.iter().filter_map(|n| u.get(n)?.as_u64()).collect();
            (!found.is_empty()).then(|| found.iter().sum())
        };
        let (usage, model, input, output): (Option<&Value>, Option<&Value>, &[&str], &[&str]) =
            match self.family {
                Family::OpenAi => (
                    // Chat Completions' last chunk or answer; the Responses API's
                    // `response.completed` event or answer.
                    v.get("usage")
                        .filter(|u| u.is_object())
                        .or_else(|| v.pointer("/response/usage")),
                    v.get("model").or_else(|| v.pointer("/response/model")),
                    &["prompt_tokens", "input_tokens"],
                    &["completion_tokens", "output_tokens"],
                ),
                Family::Anthropic => (
                    v.get("usage").or_else(|| v.pointer("/message/usage")),
                    v.get("model").or_else(|| v.pointer("/message/model")),
                    &["input_tokens"],
                    &["output_tokens"],
                ),
                Family::Gemini => (
                    v.get("usageMetadata"),
                    v.get("modelVersion"),
                    &["promptTokenCount"],
                    &["candidatesTokenCount", "thoughtsTokenCount"],
                ),
                Family::Echo => (None, None, &[], &[]),
            };
        if let Some(u) = usage.filter(|u| u.is_object()) {
            if let Some(n) = count(u, input) {
                self.found.input_tokens = Some(n);
            }
            if let Some(n) = count(u, output) {
                self.found.output_tokens = Some(n);
            }
        }
        if let Some(m) = model.and_then(Value::as_str) {
            self.found.model = Some(m.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(family: Family, sse: bool, chunks: &[&str]) -> Counts {
        let mut r = Reader::new(family, sse);
        for c in chunks {
            r.feed(c.as_bytes());
        }
        r.finish();
        r.found
    }

    #[test]
    fn streamed_usage_is_found_across_chunk_boundaries_in_each_family() {
        let openai = read(
            Family::OpenAi,
            true,
            &[
                "data: {\"model\":\"gpt-x\",\"choices\":[]}\n\ndata: {\"choices\":[],\"us",
                "age\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n",
            ],
        );
        assert_eq!(
            (
                openai.input_tokens,
                openai.output_tokens,
                openai.model.as_deref()
            ),
            (Some(7), Some(3), Some("gpt-x"))
        );
        let anthropic = read(
            Family::Anthropic,
            true,
            &[
                "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\",\"usage\":{\"input_tokens\":11,\"output_tokens\":1}}}\r\n\r\n",
                "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9}}\n\n",
            ],
        );
        assert_eq!(
            (anthropic.input_tokens, anthropic.output_tokens),
            (Some(11), Some(9))
        );
        let responses = read(
            Family::OpenAi,
            true,
            &[
                "data: {\"type\":\"response.completed\",\"response\":{\"model\":\"m\",\"usage\":{\"input_tokens\":4,\"output_tokens\":2}}}\n",
            ],
        );
        assert_eq!(
            (responses.input_tokens, responses.output_tokens),
            (Some(4), Some(2))
        );
    }

    #[test]
    fn whole_answers_and_gemini_arrays_are_read_at_the_end() {
        let gemini = read(
            Family::Gemini,
            false,
            &[
                "[{\"usageMetadata\":{\"promptTokenCount\":5}},",
                "{\"modelVersion\":\"gemini-x\",\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":6,\"thoughtsTokenCount\":1}}]",
            ],
        );
        assert_eq!(
            (
                gemini.input_tokens,
                gemini.output_tokens,
                gemini.model.as_deref()
            ),
            (Some(5), Some(7), Some("gemini-x"))
        );
        let none = read(Family::OpenAi, false, &["not json"]);
        assert_eq!(none, Counts::default());
    }
}
