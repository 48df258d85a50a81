//! `omc completions SHELL`: the script that makes the shell ask omc for completions (commands,
//! flags, provider ids, credential and profile names, bench run ids). Touches nothing else.

use clap::Args;
use clap_complete::Shell;

use crate::error::Result;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &CompletionsArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    crate::complete::write_script(&args.shell.to_string(), &mut out)
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(crate::output::stdout_error)
}

/// The file name clap_complete gives each shell's script (`omc.bash`, `_omc`, …).
pub fn file_name(shell: Shell) -> String {
    use clap_complete::Generator;
    shell.file_name("omc")
}
