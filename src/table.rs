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
    Paint(on, sgr, text).to_string()
}

/// [`paint`] written where it is displayed (`format_args!`), without a `String` of its own:
/// `Paint(on, sgr, text)`.
pub struct Paint<'a>(pub bool, pub &'a str, pub &'a str);

impl std::fmt::Display for Paint<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Paint(true, sgr, text) => write!(f, "\x1b[{sgr}m{text}\x1b[0m"),
            Paint(false, _, text) => f.write_str(text),
        }
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
    if s.bytes().all(|b| b != 0x1b && b.is_ascii()) {
        return s.len();
    }
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

fn push_spaces(line: &mut Vec<u8>, mut n: usize) {
    const SPACES: &[u8; 64] = &[b' '; 64];
    while n > 0 {
        let k = n.min(SPACES.len());
        line.extend_from_slice(&SPACES[..k]);
        n -= k;
    }
}

/// Write `line` without its trailing padding, and start the next.
fn end_line(line: &mut Vec<u8>, out: &mut impl Write) -> std::io::Result<()> {
    out.write_all(line.trim_ascii_end())?;
    line.clear();
    out.write_all(b"\n")
}

/// A cell's length in bytes and its visible width, 16 bits each: four bytes a cell, so that a
/// ten-thousand-row `omc list` keeps 360 KB of them, not 720 KB (pages the kernel must fault in
/// one by one). A cell too big for that, a 64 KiB name say, is marked [`LONG`] and its sizes
/// kept aside in [`Table::long`].
#[derive(Debug, Clone, Copy)]
struct Cell {
    len: u16,
    width: u16,
}

/// The [`Cell::len`] of a cell whose sizes are in [`Table::long`].
const LONG: u16 = u16::MAX;

#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    /// Per column; a column without an entry is left-aligned.
    align: Vec<Align>,
    /// Columns left out when written (one the caller found nothing to show in).
    hidden: Vec<bool>,
    /// Every cell's text back to back, row after row: one buffer rather than a `String` per
    /// cell, so a ten-thousand-row `omc list` allocates a handful of times, not 100,000.
    text: String,
    /// Each cell's length in `text` and its [`visible_width`] (measured once, as it is added);
    /// cell `c` of row `r` is number `r × columns + c`, and starts where the one before ends.
    cells: Vec<Cell>,
    /// The sizes (bytes, visible width) of the [`LONG`] cells, in order.
    long: Vec<(usize, usize)>,
    /// Where the next cell's text starts in `text`.
    cell_start: usize,
    /// Each column's widest cell so far, its title included.
    widths: Vec<usize>,
}

impl Table {
    /// A table with these column titles. All empty: a key-value table without a header line.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            align: Vec::new(),
            hidden: vec![false; header.len()],
            text: String::new(),
            cells: Vec::new(),
            long: Vec::new(),
            cell_start: 0,
            widths: header.iter().map(|h| visible_width(h)).collect(),
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

    /// Room for `rows` rows of about `bytes_per_row` bytes of text.
    pub fn reserve(&mut self, rows: usize, bytes_per_row: usize) {
        self.text.reserve(rows * bytes_per_row);
        self.cells.reserve(rows * self.header.len());
    }

    /// Leave column `i` out when the table is written.
    pub fn hide(&mut self, i: usize, hidden: bool) {
        if let Some(h) = self.hidden.get_mut(i) {
            *h = hidden;
        }
    }

    /// Hide columns, in the order given, until the table is at most `max` columns wide (what a
    /// terminal of that width shows without wrapping); the columns not named always stay.
    /// Returns the titles of the columns it hid.
    pub fn fit(&mut self, max: usize, drop_order: &[usize]) -> Vec<String> {
        let width = |t: &Table| -> usize {
            (0..t.columns())
                .filter(|&i| !t.hidden[i])
                .map(|i| t.widths[i] + 2)
                .sum()
        };
        let mut dropped = Vec::new();
        for &i in drop_order {
            if width(self) <= max {
                break;
            }
            if i < self.columns() && !self.hidden[i] {
                self.hidden[i] = true;
                dropped.push(self.header[i].clone());
            }
        }
        dropped
    }

    /// A row of cells; cells past the last column are ignored, missing ones are empty.
    pub fn add_row<S: AsRef<str>>(&mut self, row: impl IntoIterator<Item = S>) -> &mut Self {
        let mut r = self.row();
        for cell in row {
            r.cell(cell.as_ref());
        }
        drop(r);
        self
    }

    /// A row written cell by cell, straight into the table's buffer
    /// ([`Row::cell`], [`Row::cell_fmt`]); it ends when dropped.
    pub fn row(&mut self) -> Row<'_> {
        Row {
            first: self.cells.len(),
            table: self,
        }
    }

    pub fn len(&self) -> usize {
        self.cells.len() / self.header.len().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn columns(&self) -> usize {
        self.header.len()
    }

    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let columns = self.columns();
        let width_sum: usize = (0..columns)
            .filter(|&i| !self.hidden[i])
            .map(|i| self.widths[i])
            .sum();
        let mut line = Vec::with_capacity(width_sum + 3 * columns);
        // A key-value table (`master status`) has no header line at all, not a blank one.
        if !self.header.iter().all(String::is_empty) {
            for (i, title) in self.header.iter().enumerate() {
                self.push_cell(&mut line, i, title.as_bytes(), visible_width(title));
            }
            end_line(&mut line, out)?;
        }
        if columns == 0 {
            return Ok(());
        }
        // Each cell starts where the one before it ended.
        let text = self.text.as_bytes();
        let mut start = 0;
        let mut long = self.long.iter();
        for cells in self.cells.chunks_exact(columns) {
            for (i, cell) in cells.iter().enumerate() {
                let (len, width) = match cell.len {
                    LONG => *long.next().expect("a long cell's sizes are kept"),
                    len => (usize::from(len), usize::from(cell.width)),
                };
                self.push_cell(&mut line, i, &text[start..start + len], width);
                start += len;
            }
            end_line(&mut line, out)?;
        }
        Ok(())
    }

    /// Column `i`'s cell, padded to the column's width, unless the column is hidden.
    fn push_cell(&self, line: &mut Vec<u8>, i: usize, cell: &[u8], cell_width: usize) {
        if self.hidden[i] {
            return;
        }
        let width = self.widths[i];
        let pad = width - cell_width.min(width);
        line.push(b' ');
        if self.align.get(i) == Some(&Align::Right) {
            push_spaces(line, pad);
            line.extend_from_slice(cell);
        } else {
            line.extend_from_slice(cell);
            push_spaces(line, pad);
        }
        line.push(b' ');
    }

    /// Ends the cell of `column` whose text was just appended to `text`.
    fn end_cell(&mut self, column: usize) {
        self.end_cell_of_width(column, visible_width(&self.text[self.cell_start..]));
    }

    /// [`Table::end_cell`] for a cell whose visible width is known.
    fn end_cell_of_width(&mut self, column: usize, width: usize) {
        self.widths[column] = self.widths[column].max(width);
        let len = self.text.len() - self.cell_start;
        self.cell_start = self.text.len();
        let cell = if len < usize::from(LONG) && width <= usize::from(u16::MAX) {
            // Both fit: checked just above.
            Cell {
                len: len as u16,
                width: width as u16,
            }
        } else {
            self.long.push((len, width));
            Cell {
                len: LONG,
                width: LONG,
            }
        };
        self.cells.push(cell);
    }
}

/// One row being added to a [`Table`]; see [`Table::row`].
pub struct Row<'a> {
    table: &'a mut Table,
    /// The row's first cell.
    first: usize,
}

impl Row<'_> {
    /// The column the next cell goes in, or `None` when the row is full.
    fn column(&self) -> Option<usize> {
        let column = self.table.cells.len() - self.first;
        (column < self.table.columns()).then_some(column)
    }

    pub fn cell(&mut self, text: &str) -> &mut Self {
        if let Some(column) = self.column() {
            self.table.text.push_str(text);
            self.table.end_cell(column);
        }
        self
    }

    /// A cell of text from outside (a name, a model, a URL), any character a terminal could
    /// act on shown escaped ([`crate::terminal::line`]). Printable ASCII, what nearly every
    /// such text is, is checked and measured in one pass.
    pub fn line_cell(&mut self, text: &str) -> &mut Self {
        let Some(column) = self.column() else {
            return self;
        };
        let width = if crate::terminal::is_printable_ascii(text) {
            self.table.text.push_str(text);
            text.len()
        } else if let Some(width) = crate::terminal::line_width(text) {
            self.table.text.push_str(text);
            width
        } else {
            // Escaped, it holds no escape sequence: one column per character.
            let shown = crate::terminal::line(text);
            self.table.text.push_str(&shown);
            shown.chars().count()
        };
        self.table.end_cell_of_width(column, width);
        self
    }

    /// A cell of text from outside omc ([`crate::terminal::Untrusted`]): shown only escaped, as
    /// [`Row::line_cell`] shows it.
    pub fn untrusted_cell(&mut self, text: &crate::terminal::Untrusted) -> &mut Self {
        self.line_cell(text.expose_raw())
    }

    /// A cell written with `format_args!`, without a `String` of its own.
    pub fn cell_fmt(&mut self, args: std::fmt::Arguments<'_>) -> &mut Self {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        self.cell_with(|text| {
            let _ = text.write_fmt(args);
        })
    }

    /// [`Row::cell_with`] for text that is printable ASCII by construction (numbers, times,
    /// fixed words): its width is its length, not measured.
    pub fn ascii_cell_with(&mut self, write: impl FnOnce(&mut String)) -> &mut Self {
        if let Some(column) = self.column() {
            write(&mut self.table.text);
            let cell = &self.table.text[self.table.cell_start..];
            debug_assert!(crate::terminal::is_printable_ascii(cell), "{cell:?}");
            self.table.end_cell_of_width(column, cell.len());
        }
        self
    }

    /// A cell that `write` appends to the table's text, without a `String` of its own.
    pub fn cell_with(&mut self, write: impl FnOnce(&mut String)) -> &mut Self {
        if let Some(column) = self.column() {
            write(&mut self.table.text);
            self.table.end_cell(column);
        }
        self
    }
}

impl Drop for Row<'_> {
    fn drop(&mut self) {
        while let Some(column) = self.column() {
            self.table.end_cell(column);
        }
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
        t.add_row(["a", "sk-…wxyz", "1"]);
        t.add_row(vec!["longer".into(), "-".into(), String::new()]);
        assert_eq!(
            t.to_string(),
            " NAME    KEY       X\n a       sk-…wxyz  1\n longer  -\n"
        );
    }

    #[test]
    fn outside_text_is_escaped_and_measured_as_shown() {
        let mut t = Table::new(&["NAME", "X"]);
        t.row().line_cell("sk-\u{2026}wxyz").cell("1");
        t.row().line_cell("a\x1b[2Jb").cell("2");
        t.row().line_cell("plain").cell("3");
        assert_eq!(
            t.to_string(),
            " NAME       X\n sk-\u{2026}wxyz   1\n a\\x1b[2Jb  2\n plain      3\n"
        );
    }

    #[test]
    fn cells_too_long_for_sixteen_bits_keep_their_text_and_width() {
        let long = "n".repeat(usize::from(LONG) + 10);
        let exactly = "x".repeat(usize::from(LONG));
        let mut t = Table::new(&["NAME", "X"]);
        t.row().line_cell("a").cell("1");
        t.row().line_cell(&long).cell("2");
        t.row().cell(&exactly).cell("3");
        t.row().line_cell("b").cell("4");
        let pad = |s: &str| format!("{s}{}", " ".repeat(long.len() - s.len()));
        assert_eq!(
            t.to_string(),
            format!(
                " {}  X\n {}  1\n {long}  2\n {}  3\n {}  4\n",
                pad("NAME"),
                pad("a"),
                pad(&exactly),
                pad("b")
            )
        );
        assert_eq!(
            t.long.len(),
            2,
            "both the over-long cell and the one of exactly LONG bytes"
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
        t.add_row(["bb", "15", "–"]);
        assert_eq!(
            t.to_string(),
            " Target  OK  Cost\n a        \x1b[31m5\x1b[0m  $0.1\n bb      15     –\n"
        );
    }
}
