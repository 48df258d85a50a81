//! `.env` files as python-dotenv, docker compose and aichat write them: `KEY=value` lines,
//! `export ` prefixes, `#` comments, single quotes (literal), double quotes (with `\n`, `\"`,
//! `\\` escapes, may span lines). `${VAR}` expansion is not done: API keys do not use it.
//!
//! Values are secrets: they go straight into [`SecretString`]s, and errors name line numbers,
//! never content.

use secrecy::SecretString;
use zeroize::Zeroizing;

/// The assignments of a dotenv file, in order, and the line numbers that were not assignments.
pub struct Parsed {
    pub vars: Vec<(String, SecretString)>,
    pub bad_lines: Vec<usize>,
}

pub fn parse(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut vars = Vec::new();
    let mut bad_lines = Vec::new();
    let mut pos = 0;
    let mut line_no = 0;
    while pos < text.len() {
        line_no += 1;
        let (line, _) = split_line(&text[pos..]);
        let mut next = next_line(text, pos);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            pos = next;
            continue;
        }
        let parsed = strip_export(trimmed)
            .split_once('=')
            .filter(|(key, _)| is_name(key.trim()))
            .and_then(|(key, value)| {
                // A quoted value may run past this line: parse it in the whole text.
                let start = offset_in(text, value.trim_start());
                let (value, used) = parse_value(&text[start..])?;
                next = next.max(next_line(text, start + used));
                Some((key.trim().to_owned(), value))
            });
        match parsed {
            Some(var) => vars.push(var),
            None => bad_lines.push(line_no),
        }
        // Lines a multi-line value used count too.
        line_no += text[pos..next].trim_end_matches('\n').matches('\n').count();
        pos = next;
    }
    Parsed { vars, bad_lines }
}

/// Where `part`, a slice of `text`, starts in it.
fn offset_in(text: &str, part: &str) -> usize {
    part.as_ptr() as usize - text.as_ptr() as usize
}

/// The start of the line after the one holding byte `at`.
fn next_line(text: &str, at: usize) -> usize {
    match text[at..].find('\n') {
        Some(i) => at + i + 1,
        None => text.len(),
    }
}

/// `line` (without its `\n` or `\r\n`) and the text after it.
fn split_line(text: &str) -> (&str, &str) {
    match text.find('\n') {
        Some(i) => (text[..i].trim_end_matches('\r'), &text[i + 1..]),
        None => (text, ""),
    }
}

fn strip_export(line: &str) -> &str {
    match line.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => line,
    }
}

fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// The value at the start of `text` and how many bytes of `text` it used; `None` when a quote
/// is never closed or junk follows a closing quote.
fn parse_value(text: &str) -> Option<(SecretString, usize)> {
    let mut value = Zeroizing::new(String::new());
    let used = match text.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let mut end = None;
            let mut chars = text.char_indices().skip(1);
            while let Some((i, c)) = chars.next() {
                match c {
                    c if c == q => {
                        end = Some(i + 1);
                        break;
                    }
                    '\\' if q == '"' => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, 'r')) => value.push('\r'),
                        Some((_, 't')) => value.push('\t'),
                        Some((_, e @ ('"' | '\\' | '\'' | '$'))) => value.push(e),
                        Some((_, other)) => {
                            value.push('\\');
                            value.push(other);
                        }
                        None => return None,
                    },
                    c => value.push(c),
                }
            }
            let end = end?;
            // After the closing quote: nothing but blanks and an optional comment.
            let (tail, _) = split_line(&text[end..]);
            let tail = tail.trim_start();
            if !(tail.is_empty() || tail.starts_with('#')) {
                return None;
            }
            end
        }
        _ => {
            let (line, _) = split_line(text);
            // An unquoted value ends at a ` #` comment.
            let mut cut = line.len();
            let bytes = line.as_bytes();
            for i in 0..bytes.len() {
                if bytes[i] == b'#' && (i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
                    cut = i;
                    break;
                }
            }
            value.push_str(line[..cut].trim_end());
            line.len()
        }
    };
    Some((SecretString::from(value.as_str().to_owned()), used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn vars(text: &str) -> Vec<(String, String)> {
        parse(text)
            .vars
            .into_iter()
            .map(|(k, v)| (k, v.expose_secret().to_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn quotes_exports_and_comments() {
        let text = "\u{feff}# a comment\n\
            export OPENAI_API_KEY=sk-plain # trailing comment\n\
            \n\
            ANTHROPIC_API_KEY = \"sk-ant-\\\"quoted\\\"\"  # after\r\n\
            GEMINI_API_KEY='AIza#not-a-comment'\n\
            URL=http://x/#frag\n\
            EMPTY=\n\
            exported=1\n";
        assert_eq!(
            vars(text),
            pairs(&[
                ("OPENAI_API_KEY", "sk-plain"),
                ("ANTHROPIC_API_KEY", "sk-ant-\"quoted\""),
                ("GEMINI_API_KEY", "AIza#not-a-comment"),
                ("URL", "http://x/#frag"),
                ("EMPTY", ""),
                ("exported", "1"),
            ])
        );
    }

    #[test]
    fn multi_line_values_and_bad_lines() {
        let text = "A=\"one\ntwo\"\nnot an assignment\nB='x'junk\nC=3\nD=\"never closed\n";
        let parsed = parse(text);
        let got: Vec<(String, String)> = parsed
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
            .collect();
        assert_eq!(got, pairs(&[("A", "one\ntwo"), ("C", "3")]));
        assert_eq!(parsed.bad_lines, vec![3, 4, 6]);
    }
}
