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
    let vars = super::exec::variables(creds.as_mut(), &args.selection, "env", None)?;
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
        Shell::Sh => format!("export {name}='{}'", value.replace('\'', r"'\''")),
        Shell::Fish => format!(
            "set -gx {name} '{}'",
            value.replace('\\', r"\\").replace('\'', r"\'")
        ),
        Shell::Powershell => format!("$env:{name} = '{}'", value.replace('\'', "''")),
    }
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
}
