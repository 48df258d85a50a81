//! Rendering for people and machines. Commands hand finished values here; the core never prints.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub color: bool,
    /// Colour for what goes to stderr (warnings), decided on stderr's own terminal.
    pub stderr_color: bool,
    pub stderr_tty: bool,
}

impl Output {
    pub fn new(global: &GlobalArgs) -> Self {
        let stderr_tty = std::io::stderr().is_terminal();
        Output {
            json: global.json,
            quiet: global.quiet,
            color: use_color(global.color, std::io::stdout().is_terminal()),
            stderr_color: use_color(global.color, stderr_tty),
            stderr_tty,
        }
    }

    /// One JSON document on stdout.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        // Stdout is line-buffered: without this, every line of JSON is a write syscall.
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, value).map_err(|e| match e.io_error_kind() {
            Some(kind) => stdout_error(kind.into()),
            None => Error::Other(format!("cannot write JSON: {e}")),
        })?;
        writeln!(out)
            .and_then(|_| out.flush())
            .map_err(stdout_error)
    }

    /// A line of the command's result on stdout.
    pub fn line(&self, text: impl std::fmt::Display) -> Result<()> {
        writeln!(std::io::stdout().lock(), "{text}").map_err(stdout_error)
    }

    /// A status message for the person (stderr), silenced by `-q`.
    pub fn note(&self, text: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A warning on stderr, even with `-q`. It may quote a provider, so it is shown escaped.
    pub fn warn(&self, text: impl std::fmt::Display) {
        eprintln!(
            "omc: {}: {}",
            paint(self.stderr_color, YELLOW_BOLD, "warning"),
            crate::terminal::line(&text.to_string())
        );
    }

    /// A table in omc's style: aligned columns, no borders.
    pub fn table(&self, header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn print_table(&self, table: &Table) -> Result<()> {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        table
            .write(&mut out)
            .and_then(|_| out.flush())
            .map_err(stdout_error)
    }
}

pub fn stdout_error(e: std::io::Error) -> Error {
    Error::io("cannot write to stdout", e)
}

/// Neutralise a cell a spreadsheet would run as a formula (=, +, -, @, tab, CR).
pub fn csv_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// SGR codes for [`paint`].
pub const RED_BOLD: &str = "1;31";
pub const YELLOW_BOLD: &str = "1;33";
pub const GREEN: &str = "32";
pub const RED: &str = "31";
pub const YELLOW: &str = "33";
pub const CYAN_BOLD: &str = "1;36";

/// `text` in the SGR style `sgr` when `on`, else as it is.
pub fn paint(on: bool, sgr: &str, text: &str) -> String {
    if on {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Characters a terminal shows: ANSI colour sequences (`ESC [ … m`) take no room.
fn visible_width(s: &str) -> usize {
    if !s.contains('\x1b') {
        return s.chars().count();
    }
    let mut n = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// Colour on when asked, or when `auto` on a terminal without `NO_COLOR` or `TERM=dumb`.
pub fn use_color(choice: ColorChoice, tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// Aligned columns without borders, like `gh` and `kubectl` print. Hand-written because it is
/// on `omc list`'s hot path: a general table crate costs several milliseconds per thousand rows.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn add_row(&mut self, row: Vec<String>) -> &mut Self {
        self.rows.push(row);
        self
    }

    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| visible_width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(visible_width(cell));
            }
        }
        let mut line = String::with_capacity(widths.iter().sum::<usize>() + 3 * columns);
        // A key-value table (`master status`) has no header line at all, not a blank one.
        let header = (!self.header.iter().all(String::is_empty)).then_some(&self.header);
        for row in header.into_iter().chain(&self.rows) {
            line.clear();
            for (i, width) in widths.iter().enumerate() {
                let cell = row.get(i).map_or("", String::as_str);
                line.push(' ');
                line.push_str(cell);
                for _ in visible_width(cell)..*width {
                    line.push(' ');
                }
                line.push(' ');
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_on_characters_not_bytes() {
        let mut t = Table {
            header: vec!["NAME".into(), "KEY".into(), "X".into()],
            rows: Vec::new(),
        };
        t.add_row(vec!["a".into(), "sk-…wxyz".into(), "1".into()]);
        t.add_row(vec!["longer".into(), "-".into(), String::new()]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            " NAME    KEY       X\n a       sk-…wxyz  1\n longer  -\n"
        );
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+x", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(csv_cell("openai/gpt-4o"), "openai/gpt-4o");
    }

    #[test]
    fn coloured_cells_align_like_plain_ones() {
        let mut t = Table {
            header: vec!["CHECK".into(), "STATUS".into(), "DETAIL".into()],
            rows: Vec::new(),
        };
        t.add_row(vec!["a".into(), paint(true, RED_BOLD, "FAIL"), "x".into()]);
        t.add_row(vec!["bb".into(), paint(false, GREEN, "ok"), "y".into()]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            " CHECK  STATUS  DETAIL\n a      \x1b[1;31mFAIL\x1b[0m    x\n bb     ok      y\n"
        );
        assert_eq!(paint(false, RED, "plain"), "plain");
    }
}
