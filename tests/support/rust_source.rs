//! Reading omc's own sources as code: comments and literals blanked, every `.rs` file listed.
//! For the tests that hold a rule of the code's structure (one spawn path, the core's layers).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `text` with comments, string and char literals blanked (kept as spaces, so line numbers
/// stay), leaving only code to search.
pub fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, c: u8| out.push(if c == b'\n' { b'\n' } else { b' ' });
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        out.extend_from_slice(b"  ");
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        out.extend_from_slice(b"  ");
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        blank(&mut out, b[i]);
                        i += 1;
                    }
                }
            }
            b'r' if !ident_before(b, i)
                && matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
                && raw_open(b, i + 1).is_some() =>
            {
                let (hashes, start) = raw_open(b, i + 1).unwrap();
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let end = b[start..]
                    .windows(close.len())
                    .position(|w| w == close)
                    .map_or(b.len(), |p| start + p + close.len());
                for &c in &b[i..end] {
                    blank(&mut out, c);
                }
                i = end;
            }
            b'"' => {
                blank(&mut out, b[i]);
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        blank(&mut out, b[i]);
                        i += 1;
                    }
                    if i < b.len() {
                        blank(&mut out, b[i]);
                        i += 1;
                    }
                }
                if i < b.len() {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
            // A char literal ('x', '\n', '\u{..}'); a lifetime ('a) has no closing quote.
            b'\'' => {
                let lit = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..].iter().take(12).position(|&c| c == b'\'')
                } else {
                    // One UTF-8 character, then the quote.
                    let len = std::str::from_utf8(&b[i + 1..(i + 5).min(b.len())])
                        .ok()
                        .or_else(|| std::str::from_utf8(&b[i + 1..(i + 4).min(b.len())]).ok())
                        .or_else(|| std::str::from_utf8(&b[i + 1..(i + 3).min(b.len())]).ok())
                        .or_else(|| std::str::from_utf8(&b[i + 1..(i + 2).min(b.len())]).ok())
                        .and_then(|s| s.chars().next())
                        .map_or(1, char::len_utf8);
                    (b.get(i + 1 + len) == Some(&b'\'')).then_some(len - 1)
                };
                match lit {
                    Some(n) => {
                        let end = if b.get(i + 1) == Some(&b'\\') {
                            i + 2 + n + 1
                        } else {
                            i + 1 + n + 2
                        };
                        for &c in &b[i..end.min(b.len())] {
                            blank(&mut out, c);
                        }
                        i = end;
                    }
                    None => {
                        out.push(b[i]);
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// After the `r` of a raw string: how many `#`, and where its text starts.
fn raw_open(b: &[u8], mut i: usize) -> Option<(usize, usize)> {
    let mut hashes = 0;
    while b.get(i) == Some(&b'#') {
        hashes += 1;
        i += 1;
    }
    (b.get(i) == Some(&b'"')).then_some((hashes, i + 1))
}

pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file under the crate's `src/`, with its path relative to `src/` (`/`-separated)
/// and its code (comments and literals blanked).
pub fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .iter()
        .map(|f| {
            let rel = f
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, code_only(&std::fs::read_to_string(f).unwrap()))
        })
        .collect()
}
