use std::io::IsTerminal;
use std::process::ExitCode;

/// Freed memory is zeroed: copies of secrets made by std and other crates (the environment
/// `Command` builds for `omc exec`'s child, request buffers holding keys) are wiped when freed,
/// not only the ones omc holds in `SecretString`s.
#[global_allocator]
static ALLOC: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

fn main() -> ExitCode {
    // Before anything is read: no core dump may ever hold a secret.
    omc::hardening::harden();
    // A TAB in the user's shell: answer with candidates and exit, before anything else runs.
    omc::complete::answer_if_asked();
    let cli = match omc::cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version print to stdout and succeed.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // Usage errors read like every other omc error: `omc: error: …` and exit 2.
            let args: Vec<String> = std::env::args().collect();
            eprint!("omc: {}", omc::cli::usage_error_text(&e, &args));
            return ExitCode::from(2);
        }
    };
    let stderr_color = omc::output::use_color(cli.global.color, std::io::stderr().is_terminal());
    omc::logging::init(cli.global.verbose, cli.global.quiet, stderr_color);
    match omc::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(omc::error::Error::Io { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            use omc::table::{CYAN_BOLD, RED_BOLD, paint};
            use omc::terminal::line;
            // Messages quote provider replies and names from the command line: shown escaped.
            let message = e.to_string();
            eprintln!(
                "omc: {}: {}",
                paint(stderr_color, RED_BOLD, "error"),
                line(&message)
            );
            if let Some(hint) = e.hint() {
                eprintln!(
                    "{}: {}",
                    paint(stderr_color, CYAN_BOLD, "hint"),
                    line(&hint)
                );
            }
            ExitCode::from(e.exit_code())
        }
    }
}
