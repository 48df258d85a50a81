//! Talking to the person at the terminal: hidden prompts and confirmations, only on a TTY and
//! never under `--no-input` or `CI=true`.

use std::io::IsTerminal;

use secrecy::SecretString;

use crate::error::{Error, Result};

/// Whether omc may ask the user anything.
#[derive(Debug, Clone, Copy)]
pub struct Interaction {
    pub allowed: bool,
}

impl Interaction {
    pub fn detect(no_input: bool) -> Self {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        let tty = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        Interaction {
            allowed: tty && !no_input && !ci,
        }
    }

    /// Ask for a secret without echo. `instead` names the non-interactive way, for the error.
    pub fn secret(&self, prompt: &str, confirm: bool, instead: &str) -> Result<SecretString> {
        if !self.allowed {
            return Err(Error::usage_hint(
                format!("{prompt}: cannot prompt (no terminal, --no-input, or CI)"),
                format!("pass {instead}"),
            ));
        }
        let mut input = dialoguer::Password::new().with_prompt(prompt);
        if confirm {
            input = input.with_confirmation("Repeat", "the two entries differ");
        }
        let value = input
            .interact()
            .map_err(|e| Error::Other(format!("cannot read from the terminal: {e}")))?;
        Ok(SecretString::from(value))
    }

    /// Pick one of `items`; without a terminal, fail saying what to give `instead`.
    pub fn select(&self, prompt: &str, items: &[String], instead: &str) -> Result<usize> {
        if !self.allowed {
            return Err(Error::usage_hint(
                format!("{prompt} (cannot ask: no terminal, --no-input, or CI)"),
                format!("give {instead}"),
            ));
        }
        dialoguer::Select::new()
            .with_prompt(prompt)
            .items(items)
            .default(0)
            .interact()
            .map_err(|e| match e {
                dialoguer::Error::IO(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    Error::Interrupted
                }
                e => Error::Other(format!("cannot read from the terminal: {e}")),
            })
    }

    /// Ask yes/no; without a terminal, fail naming the flag that answers yes.
    pub fn confirm(&self, question: &str, flag: &str) -> Result<bool> {
        if !self.allowed {
            return Err(Error::usage_hint(
                format!(
                    "cannot ask for confirmation without a terminal (or with --no-input, or CI): {question}"
                ),
                format!("pass {flag} to confirm"),
            ));
        }
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact()
            .map_err(|e| Error::Other(format!("cannot read from the terminal: {e}")))
    }
}
