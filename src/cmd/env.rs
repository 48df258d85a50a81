//! `omc env`: the `exec` variables as lines for `eval`.

use clap::{Args, ValueEnum};
use secrecy::ExposeSecret;

use super::Ctx;
use super::exec::Selection;
use crate::error::Result;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Sh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub selection: Selection,

    /// Syntax of the lines
    #[arg(long, value_enum, default_value_t = Shell::Sh)]
    pub shell: Shell,
}

pub fn run(ctx: &Ctx, args: &EnvArgs) -> Result<()> {
    let mut creds = ctx.credentials()?;
    let vars = crate::creds::variables(creds.as_mut(), &args.selection.chosen(), "env", None)?;
    if ctx.global.json {
        let map: serde_json::Map<String, serde_json::Value> = vars
            .iter()
            .map(|v| (v.name.to_owned(), v.value.expose_secret().into()))
            .collect();
        return ctx.out.json(&map);
    }
    for var in &vars {
        ctx.out
            .line(line(args.shell, var.name, var.value.expose_secret()))?;
    }
    Ok(())
}

/// One assignment, quoted so that any value is taken literally.
pub fn line(shell: Shell, name: &str, value: &str) -> String {
    match shell {
        Shell::Sh => format!("export {name}={}", quoted(shell, value)),
        Shell::Fish => format!("set -gx {name} {}", quoted(shell, value)),
        Shell::Powershell => format!("$env:{name} = {}", quoted(shell, value)),
    }
}

/// `value` as a single-quoted string of `shell`: taken literally, whatever it holds.
pub fn quoted(shell: Shell, value: &str) -> String {
    match shell {
        Shell::Sh => format!("'{}'", value.replace('\'', r"'\''")),
        Shell::Fish => format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'")),
        Shell::Powershell => format!("'{}'", powershell_quoted(value)),
    }
}

/// PowerShell's single-quote characters: ASCII `'` and U+2018–U+201B (‘ ’ ‚ ‛). Its tokenizer
/// ends a single-quoted string at any of them, and reads any two in a row as the second one,
/// literally (about_Quoting_Rules; PowerShell's `CodeGeneration.EscapeSingleQuotedStringContent`
/// doubles each the same way).
fn is_powershell_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}'..='\u{201b}')
}

/// The contents of a PowerShell single-quoted string that reads as `value`.
fn powershell_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        if is_powershell_quote(c) {
            out.push(c);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_survive_each_shell() {
        assert_eq!(line(Shell::Sh, "K", "a'b"), r"export K='a'\''b'");
        assert_eq!(line(Shell::Fish, "K", r"a'b\c"), r"set -gx K 'a\'b\\c'");
        assert_eq!(line(Shell::Powershell, "K", "a'b"), "$env:K = 'a''b'");
    }

    /// PowerShell's tokenizer for a single-quoted string, as documented: the string ends at an
    /// unpaired quote character (any of the five), and a pair reads as its second character.
    /// Returns the value and whatever follows the closing quote.
    fn powershell_parse(line: &str) -> (String, String) {
        let body = line.split_once(" = ").expect("an assignment").1;
        let mut chars = body.chars().peekable();
        assert!(chars.next().is_some_and(is_powershell_quote), "{line}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            if is_powershell_quote(c) {
                match chars.peek() {
                    Some(&next) if is_powershell_quote(next) => {
                        value.push(next);
                        chars.next();
                    }
                    _ => return (value, chars.collect()),
                }
            } else {
                value.push(c);
            }
        }
        panic!("unterminated string: {line}");
    }

    #[test]
    fn powershell_reads_every_quote_character_literally() {
        let table: &[(&str, &str)] = &[
            ("plain", "'plain'"),
            ("a'b", "'a''b'"),
            ("\u{2018}", "'\u{2018}\u{2018}'"),
            (
                "x\u{2019};calc;\u{2019}",
                "'x\u{2019}\u{2019};calc;\u{2019}\u{2019}'",
            ),
            ("\u{201a}\u{201b}", "'\u{201a}\u{201a}\u{201b}\u{201b}'"),
            ("'\u{2019}", "'''\u{2019}\u{2019}'"),
            ("$(calc) `n \"x\"", "'$(calc) `n \"x\"'"),
            ("\u{201c}double\u{201d}", "'\u{201c}double\u{201d}'"),
        ];
        for (value, quoted) in table {
            let line = line(Shell::Powershell, "K", value);
            assert_eq!(line, format!("$env:K = {quoted}"), "{value:?}");
            let (parsed, rest) = powershell_parse(&line);
            assert_eq!(&parsed, value, "{line}");
            assert_eq!(rest, "", "nothing runs after the string: {line}");
        }
    }
}
