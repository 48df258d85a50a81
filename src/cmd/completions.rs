//! `omc completions SHELL`: generated from the clap definition; touches nothing else.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &CompletionsArgs) -> Result<()> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "omc", &mut std::io::stdout());
    Ok(())
}

/// The file name clap_complete gives each shell's script (`omc.bash`, `_omc`, …).
pub fn file_name(shell: Shell) -> String {
    use clap_complete::Generator;
    shell.file_name("omc")
}
