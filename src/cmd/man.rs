//! `omc man [--out DIR]`: man pages generated from the clap definition.

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use crate::cli::Cli;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write omc.1 and one page per subcommand (omc-add.1, …) into DIR instead of printing omc.1
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: &ManArgs) -> Result<()> {
    let cmd = without_help_subcommands(Cli::command());
    match &args.out {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .map_err(crate::output::stdout_error)
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io_path("create", dir, e))?;
            for (name, page) in pages()? {
                let path = dir.join(name);
                std::fs::write(&path, page).map_err(|e| Error::io_path("write", &path, e))?;
            }
            Ok(())
        }
    }
}

/// Every page, by file name: `omc.1`, then `omc-SUB.1` and `omc-SUB-SUBSUB.1`.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = without_help_subcommands(Cli::command());
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, "omc", &mut pages)?;
    Ok(pages)
}

fn collect(cmd: &clap::Command, name: &str, pages: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let mut buf = Vec::new();
    let page = cmd.clone().name(leak(name));
    clap_mangen::Man::new(page)
        .render(&mut buf)
        .map_err(|e| Error::io("cannot render a man page", e))?;
    pages.push((format!("{name}.1"), buf));
    for sub in cmd.get_subcommands() {
        collect(sub, &format!("{name}-{}", sub.get_name()), pages)?;
    }
    Ok(())
}

/// The command tree without clap's `help` subcommands: `omc help X` is `omc X --help`, and a
/// man page must not point to an `omc-help(1)` that does not exist.
fn without_help_subcommands(cmd: clap::Command) -> clap::Command {
    cmd.disable_help_subcommand(true)
        .mut_subcommands(without_help_subcommands)
}

/// clap wants a `'static` name; man pages are rendered once per process, so leaking is fine.
fn leak(name: &str) -> &'static str {
    Box::leak(name.to_owned().into_boxed_str())
}
