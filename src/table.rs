//! Aligned columns without borders, like `gh` and `kubectl` print, with ANSI colour that takes
//! no room. One table engine for every command (`omc list`, `doctor`, bench reports); it knows
//! nothing of the CLI: callers pass plain values (colour on or off, not a `--color` choice).
//!
//! Hand-written because it is on `omc list`'s hot path: a general table crate costs several
//! milliseconds per thousand rows.

use std::io::Write;

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

/// Neutralise a cell a spreadsheet would run as a formula (=, +, -, @, tab, CR).
pub fn csv_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// Characters a terminal shows: ANSI colour sequences (`ESC [ … m`) take no room.
pub fn visible_width(s: &str) -> usize {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    /// Numbers: their digits line up.
    Right,
}

#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    /// Per column; a column without an entry is left-aligned.
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles. All empty: a key-value table without a header line.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            align: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Each column's alignment, in order (titles align like their column).
    pub fn align(mut self, align: &[Align]) -> Self {
        self.align = align.to_vec();
        self
    }

    /// Right-align column `first` and every column after it.
    pub fn right_align_from(self, first: usize) -> Self {
        let align: Vec<Align> = (0..self.header.len())
            .map(|i| if i < first { Align::Left } else { Align::Right })
            .collect();
        self.align(&align)
    }

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
                let pad = width - visible_width(cell).min(*width);
                line.push(' ');
                if self.align.get(i) == Some(&Align::Right) {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
                line.push(' ');
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = Vec::new();
        self.write(&mut out).map_err(|_| std::fmt::Error)?;
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_on_characters_not_bytes() {
        let mut t = Table::new(&["NAME", "KEY", "X"]);
        t.add_row(vec!["a".into(), "sk-…wxyz".into(), "1".into()]);
        t.add_row(vec!["longer".into(), "-".into(), String::new()]);
        assert_eq!(
            t.to_string(),
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
        let mut t = Table::new(&["CHECK", "STATUS", "DETAIL"]);
        t.add_row(vec!["a".into(), paint(true, RED_BOLD, "FAIL"), "x".into()]);
        t.add_row(vec!["bb".into(), paint(false, GREEN, "ok"), "y".into()]);
        assert_eq!(
            t.to_string(),
            " CHECK  STATUS  DETAIL\n a      \x1b[1;31mFAIL\x1b[0m    x\n bb     ok      y\n"
        );
        assert_eq!(paint(false, RED, "plain"), "plain");
    }

    #[test]
    fn numbers_align_right_coloured_or_not() {
        let mut t = Table::new(&["Target", "OK", "Cost"]).right_align_from(1);
        t.add_row(vec!["a".into(), paint(true, RED, "5"), "$0.1".into()]);
        t.add_row(vec!["bb".into(), "15".into(), "–".into()]);
        assert_eq!(
            t.to_string(),
            " Target  OK  Cost\n a        \x1b[31m5\x1b[0m  $0.1\n bb      15     –\n"
        );
    }
}
