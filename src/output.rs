//! Rendering for people and machines. Commands hand finished values here; the core never prints.
//! The table engine and colours are in [`crate::table`], which the core may use.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::error::{Error, Result};
use crate::table::{Table, YELLOW_BOLD, paint};

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
    /// The width of the terminal stdout is, when it is one: `COLUMNS` when set (as a shell
    /// exports it), else what the terminal says. `None` in a pipe: scripts get every column.
    pub fn stdout_width(&self) -> Option<usize> {
        let stdout = std::io::stdout();
        if !stdout.is_terminal() {
            return None;
        }
        if let Some(n) = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
        {
            return Some(n);
        }
        #[cfg(unix)]
        {
            rustix::termios::tcgetwinsize(&stdout)
                .ok()
                .map(|w| usize::from(w.ws_col))
                .filter(|n| *n > 0)
        }
        #[cfg(not(unix))]
        None
    }

    pub fn table(&self, header: &[&str]) -> Table {
        Table::new(header)
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
