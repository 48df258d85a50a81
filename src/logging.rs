//! Logs go to stderr through tracing. `OMC_LOG` (EnvFilter syntax) wins over `-v`/`-q`.
//! Nothing logged anywhere in omc carries a secret: keys are `SecretString`s, which have no
//! `Display` and a redacted `Debug`.

use tracing_subscriber::EnvFilter;

pub fn init(verbose: u8, quiet: bool, color: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "omc=info,warn",
        (false, 2) => "omc=debug,info",
        _ => "trace",
    };
    let filter = match std::env::var("OMC_LOG") {
        Ok(spec) if !spec.is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            // Said once, then the default level: a typo must not silence real warnings.
            eprintln!(
                "omc: warning: OMC_LOG='{spec}' is not a valid filter ({e}); using '{default}'"
            );
            EnvFilter::new(default)
        }),
        _ => EnvFilter::new(default),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .try_init();
}
