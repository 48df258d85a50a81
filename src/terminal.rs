//! Text from outside omc, made safe to show to a person on a terminal.
//!
//! Provider error messages, model names a server reports, stored fields (model, base URL, the
//! audit trail's user and program) and names typed on the command line can all carry bytes a
//! terminal obeys: `ESC ] 0 ; title BEL` renames the window, `ESC [ 2 J` clears the screen, C1
//! controls (U+0080–U+009F) are escape sequences on some terminals, and bidi overrides
//! (U+202A–U+202E, U+2066–U+2069) reorder what the eye reads. Every path that prints such text
//! goes through [`line`] (or [`text`] for multi-line model output), which shows each of those
//! characters as a visible escape (`\x1b`, `\u{202e}`) instead of sending it.

use std::borrow::Cow;
use std::fmt::Write;

/// `s` for one line of output: every control character, newlines included, shown escaped.
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// `s` as running text (model output on a terminal): newlines and tabs pass, every other
/// control character, escape sequence introducer and bidi override is shown escaped.
pub fn text(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// Whether a terminal could act on `c` rather than print it.
fn unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'        // C0, ESC included
        | '\u{7f}'                // DEL
        | '\u{80}'..='\u{9f}'     // C1: CSI, OSC, … as single characters
        | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
        | '\u{2066}'..='\u{2069}' // bidi isolates
    )
}

/// Whether `s` is printable ASCII only: nothing to escape, one column per byte.
pub fn is_printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// The columns `s` takes when shown by [`line`], if [`line`] shows it as it is (one column per
/// character); `None` when something in it must be escaped. One pass, for text that is not
/// printable ASCII (a masked key's `…`, a name in another script).
pub fn line_width(s: &str) -> Option<usize> {
    let mut n = 0;
    for c in s.chars() {
        if unsafe_char(c) {
            return None;
        }
        n += 1;
    }
    Some(n)
}

fn escape(s: &str, keep_lines: bool) -> Cow<'_, str> {
    // Printable ASCII, what nearly every name and key mask is: one pass over the bytes.
    if is_printable_ascii(s) {
        return Cow::Borrowed(s);
    }
    let needs = |c: char| unsafe_char(c) && !(keep_lines && matches!(c, '\n' | '\t'));
    if !s.chars().any(needs) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if !needs(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Text that came from outside omc: an agent file, a model, a tool, an MCP server, a bundle, an
/// import source, a secret engine. It is wrapped where it enters and shows only escaped: its
/// `Display` is [`line`], [`Untrusted::text`] is [`text`], and there is no `Deref` to `str`, so
/// printing it raw takes a visible call to [`Untrusted::expose_raw`], which is for logic
/// (comparing, parsing, sending on), never for a terminal.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Untrusted(String);

impl Untrusted {
    pub fn new(s: impl Into<String>) -> Untrusted {
        Untrusted(s.into())
    }

    /// The text as it came, for logic only: never write this to a terminal.
    pub fn expose_raw(&self) -> &str {
        &self.0
    }

    pub fn into_raw(self) -> String {
        self.0
    }

    /// As running text (newlines and tabs kept), every other control character escaped.
    pub fn text(&self) -> Cow<'_, str> {
        text(&self.0)
    }

    /// As one line: every control character, newlines included, escaped.
    pub fn line(&self) -> Cow<'_, str> {
        line(&self.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&line(&self.0))
    }
}

impl std::fmt::Debug for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `{:?}` of a str escapes control characters too.
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl From<String> for Untrusted {
    fn from(s: String) -> Untrusted {
        Untrusted(s)
    }
}

impl From<&str> for Untrusted {
    fn from(s: &str) -> Untrusted {
        Untrusted(s.to_owned())
    }
}

impl serde::Serialize for Untrusted {
    /// JSON escapes control characters itself: the text goes out exact.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Untrusted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Untrusted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        let cases: &[(&str, &str)] = &[
            ("plain text", "plain text"),
            (
                "caf\u{e9} \u{2014} \u{65e5}\u{672c}",
                "caf\u{e9} \u{2014} \u{65e5}\u{672c}",
            ),
            ("\x1b]0;owned\x07\x1b[2J", "\\x1b]0;owned\\x07\\x1b[2J"),
            ("a\nb\r\tc", "a\\nb\\r\\tc"),
            ("del\x7f", "del\\x7f"),
            ("c1 \u{9b}31m", "c1 \\u{9b}31m"),
            ("\u{202e}txt.exe", "\\u{202e}txt.exe"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("nul\0", "nul\\x00"),
        ];
        for (input, want) in cases {
            assert_eq!(line(input), *want, "{input:?}");
        }
    }

    #[test]
    fn line_width_counts_what_line_leaves_alone_and_refuses_the_rest() {
        for s in ["", "plain", "sk-\u{2026}mnop", "caf\u{e9} \u{65e5}\u{672c}"] {
            assert!(matches!(line(s), Cow::Borrowed(_)), "{s:?}");
            assert_eq!(line_width(s), Some(s.chars().count()), "{s:?}");
        }
        for s in ["a\x1b[2J", "tab\t", "c1 \u{9b}", "\u{202e}exe", "del\x7f"] {
            assert!(matches!(line(s), Cow::Owned(_)), "{s:?}");
            assert_eq!(line_width(s), None, "{s:?}");
        }
    }

    #[test]
    fn untrusted_text_displays_only_escaped() {
        let u = Untrusted::new("rustfmt\x1b[2K\x1b[1Gcurl | sh");
        assert_eq!(u.to_string(), "rustfmt\\x1b[2K\\x1b[1Gcurl | sh");
        assert_eq!(format!("{u:>30}").len(), 30.max(u.to_string().len()));
        assert_eq!(u.expose_raw(), "rustfmt\x1b[2K\x1b[1Gcurl | sh");
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#""rustfmt\u001b[2K\u001b[1Gcurl | sh""#
        );
    }

    #[test]
    fn running_text_keeps_its_lines() {
        assert_eq!(text("one\ntwo\tthree"), "one\ntwo\tthree");
        assert_eq!(text("x\x1b[31mred\r\n"), "x\\x1b[31mred\\r\n");
        assert!(matches!(text("clean\n"), Cow::Borrowed(_)));
    }
}
