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

/// The shortest run of a key's characters that is redacted on its own: a provider that echoes
/// part of a key (`… (request from plainlocal.key)` for `plainlocal.key.42`) gives away that
/// part, whatever the key looks like.
pub const MIN_FRAGMENT: usize = 8;

/// `text` with `secret` (when given), every run of [`MIN_FRAGMENT`] or more of its consecutive
/// characters, and anything else that looks like an API key replaced by `[REDACTED]`.
/// Ordinary prose, URLs without credentials, numbers and short ids are kept.
pub fn redact(text: &str, secret: Option<&str>) -> String {
    let owned;
    let text = match secret.map(str::trim) {
        Some(s) if s.len() >= MIN_FRAGMENT => {
            owned = Fragments::of(s).redact(text);
            owned.as_str()
        }
        // Too short a "secret" would shred the message without protecting anything real.
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

/// Whether `text` holds `secret` or any run of [`MIN_FRAGMENT`] of its characters (or all of a
/// shorter secret of at least 4).
pub fn contains_secret(text: &str, secret: &str) -> bool {
    let secret = secret.trim();
    if secret.len() >= MIN_FRAGMENT {
        Fragments::of(secret).spans(text).next().is_some()
    } else {
        secret.len() >= 4 && text.contains(secret)
    }
}

/// Every [`MIN_FRAGMENT`]-byte window of a key, to find in a text in one pass: each position of
/// the text costs a multiply and a bit test, and only a hit is looked up among the windows.
/// Runs longer than a window are found as overlapping windows, which merge.
struct Fragments {
    /// The key's windows as little-endian words, sorted, without repeats.
    windows: Vec<u64>,
    /// One bit per hash of a window: most positions of a text are turned away here.
    filter: Vec<u64>,
}

const FILTER_BITS: u32 = 16;

impl Fragments {
    fn of(key: &str) -> Fragments {
        let mut windows: Vec<u64> = key.as_bytes().windows(MIN_FRAGMENT).map(word).collect();
        windows.sort_unstable();
        windows.dedup();
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        for &w in &windows {
            let h = hash(w);
            filter[h >> 6] |= 1 << (h & 63);
        }
        Fragments { windows, filter }
    }

    fn hit(&self, w: u64) -> bool {
        let h = hash(w);
        self.filter[h >> 6] & (1 << (h & 63)) != 0 && self.windows.binary_search(&w).is_ok()
    }

    /// The byte ranges of `text` made of the key's windows, merged where they touch or overlap,
    /// widened to whole characters.
    fn spans<'t>(&'t self, text: &'t str) -> impl Iterator<Item = (usize, usize)> + 't {
        let bytes = text.as_bytes();
        let mut at = 0usize;
        std::iter::from_fn(move || {
            while at + MIN_FRAGMENT <= bytes.len() {
                let i = at;
                at += 1;
                if !self.hit(word(&bytes[i..i + MIN_FRAGMENT])) {
                    continue;
                }
                let mut end = i + MIN_FRAGMENT;
                // Extend over every further window that starts inside the run so far.
                while at + MIN_FRAGMENT <= bytes.len() && at <= end {
                    if self.hit(word(&bytes[at..at + MIN_FRAGMENT])) {
                        end = at + MIN_FRAGMENT;
                    }
                    at += 1;
                }
                at = at.max(end);
                let mut start = i;
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                return Some((start, end));
            }
            None
        })
    }

    fn redact(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        let mut any = false;
        for (start, end) in self.spans(text) {
            // Widened to whole characters, a span may reach back into the one before.
            if any && start <= last {
                last = last.max(end);
                continue;
            }
            out.push_str(&text[last..start]);
            out.push_str(REDACTED);
            last = end;
            any = true;
        }
        out.push_str(&text[last..]);
        out
    }
}

fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; MIN_FRAGMENT];
    w.copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

fn hash(w: u64) -> usize {
    (w.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
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
    fn runs_of_eight_characters_of_the_key_are_redacted_wherever_they_are() {
        let key = "plainlocal.key.42";
        let text = "Incorrect API key provided: pla*****.42 (request from plainlocal.key)";
        let out = redact(text, Some(key));
        assert_eq!(
            out,
            "Incorrect API key provided: pla*****.42 (request from [REDACTED])"
        );
        // Any eight in a row, in the middle of other text, and several of them.
        let out = redact("xxinlocal.kyy and ainlocazz, key.42", Some(key));
        assert_eq!(out, "xx[REDACTED]yy and ainlocazz, key.42");
        let out = redact("a=plainloc b=l.key.42!", Some(key));
        assert_eq!(out, "a=[REDACTED] b=[REDACTED]!");
        // Seven in a row is not a fragment; the whole key is one redaction.
        assert_eq!(redact("plainlo", Some(key)), "plainlo");
        assert_eq!(redact("<plainlocal.key.42>", Some(key)), "<[REDACTED]>");
        assert!(contains_secret("id-local.ke-x", key));
        assert!(!contains_secret("id-local.k-x", key));
        assert!(contains_secret("abcd", "abcd"));
    }

    #[test]
    fn fragments_cut_on_character_boundaries_and_scale_to_long_texts() {
        let key = "clé-secrète-0123";
        let out = redact("voici secrète-01!", Some(key));
        assert_eq!(out, "voici [REDACTED]!");
        // A megabyte of text against a long key: one pass, not a search per fragment.
        let key: String = (0..4096)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let mut text = "z".repeat(1 << 20);
        text.push_str(&key[100..120]);
        let started = std::time::Instant::now();
        let out = redact(&text, Some(&key));
        assert!(out.ends_with(REDACTED), "{}", &out[out.len() - 40..]);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
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
