//! Scrubbing secrets out of text that came back from a provider before anyone sees it.
//!
//! Providers echo keys back (OpenAI's "Incorrect API key provided: sk-…"), and proxies in front of
//! them sometimes echo whole requests. Every provider error message passes through [`redact`].

/// What a redacted key is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Prefixes real key formats start with. A token with one of these and enough length is a key
/// even when it is partly masked (`sk-abc***wxyz`).
const KEY_PREFIXES: &[&str] = &[
    "sk-",
    "sk_",
    "AIza",
    "xai-",
    "gsk_",
    "ghp_",
    "gho_",
    "github_pat_",
    "hf_",
    "r8_",
];

/// `text` with `secret` (when given) and anything else that looks like an API key replaced by
/// `[REDACTED]`. Ordinary prose, URLs without credentials, numbers and short ids are kept.
pub fn redact(text: &str, secret: Option<&str>) -> String {
    // Too short a "secret" would shred the message without protecting anything real.
    let owned;
    let text = match secret.map(str::trim) {
        Some(s) if s.len() >= 4 && text.contains(s) => {
            owned = text.replace(s, REDACTED);
            owned.as_str()
        }
        _ => text,
    };

    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_token_char) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
        let token = &rest[..end];
        if looks_like_key(token) {
            out.push_str(REDACTED);
        } else {
            out.push_str(token);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `text` cut to at most `max` characters (on a character boundary), marked with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Characters keys are made of. `*` is included so a masked key stays one token; `.` and `/` are
/// not, so URLs and sentences split into ordinary words.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '+' | '=')
}

fn looks_like_key(token: &str) -> bool {
    let token = token.trim_end_matches('=');
    if KEY_PREFIXES
        .iter()
        .any(|p| token.starts_with(p) && token.len() >= p.len() + 12)
    {
        return true;
    }
    // Long runs mixing letters and digits are keys, tokens or hashes; prose words and numbers are
    // neither that long nor that mixed.
    let len = token.len();
    let digits = token.bytes().filter(u8::is_ascii_digit).count();
    let letters = token.bytes().filter(u8::is_ascii_alphabetic).count();
    len >= 32 && digits >= 3 && letters >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_the_exact_secret_wherever_it_is() {
        let out = redact("bad key: hunter2hunter2!", Some("hunter2hunter2"));
        assert_eq!(out, "bad key: [REDACTED]!");
    }

    #[test]
    fn removes_key_shaped_tokens_without_being_told() {
        for key in [
            "sk-proj-AbCdEf0123456789AbCdEf0123456789",
            "sk-ant-api03-AbCdEf0123456789_AbCdEf-0123456789",
            "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv",
            "xai-0123456789abcdefABCDEF",
            "gsk_0123456789abcdefABCDEF",
            "sk-abc*************************wxyz",
            "0123456789abcdef0123456789abcdef01234567",
        ] {
            let text = format!("Incorrect API key provided: {key}. See the docs.");
            let out = redact(&text, None);
            assert!(!out.contains(key), "{out}");
            assert_eq!(out, "Incorrect API key provided: [REDACTED]. See the docs.");
        }
    }

    #[test]
    fn keeps_normal_prose() {
        for text in [
            "The model `gpt-4o-mini` does not exist or you do not have access to it.",
            "models/gemini-2.5-flash is not found for API version v1beta",
            "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1.",
            "See https://platform.openai.com/account/api-keys for details.",
            "scikit-learn and sk-learn are libraries",
            "Overloaded",
        ] {
            assert_eq!(redact(text, None), text);
        }
    }

    #[test]
    fn a_short_secret_does_not_shred_the_message() {
        assert_eq!(redact("a b c", Some("a")), "a b c");
    }

    #[test]
    fn truncates_on_a_character_boundary() {
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("hi", 5), "hi");
    }
}
