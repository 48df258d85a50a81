//! Shell completion that knows omc: clap_complete's dynamic engine asks these functions for
//! provider ids, credential, profile and agent names, and bench run ids while the user presses
//! TAB.
//!
//! The shell scripts (`omc completions SHELL`) call `OMC_COMPLETE=SHELL omc -- WORDS…`; `main`
//! answers that before anything else runs. Every function here is fast and quiet: it reads
//! names from the store read-only, never unlocks the master key, and a missing or broken store
//! completes nothing rather than printing an error into the user's prompt.

use std::ffi::OsString;

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use crate::paths::Paths;
use crate::store::Peek;

/// The variable the completion scripts set when they call omc.
pub const ENV_VAR: &str = "OMC_COMPLETE";

/// Answer a completion request and exit, when `OMC_COMPLETE` says this is one.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(crate::cli::command)
        .var(ENV_VAR)
        .bin("omc")
        .completer("omc")
        .complete();
}

/// Write the registration script for `shell` (what `omc completions SHELL` prints). The scripts
/// call `omc` from `PATH`, so one committed file serves every install.
pub fn write_script(shell: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells
        .completer(shell)
        .ok_or_else(|| std::io::Error::other(format!("no completion for shell {shell}")))?;
    completer.write_registration(ENV_VAR, "omc", "omc", "omc", out)?;
    if shell == "zsh" {
        // Autoloaded from site-functions as `_omc`, the file's body runs on the first TAB:
        // complete that TAB too instead of only registering for the next one.
        writeln!(
            out,
            "if [ \"$funcstack[1]\" = \"_omc\" ]; then\n    _clap_dynamic_completer_omc \"$@\"\nfi"
        )?;
    }
    Ok(())
}

pub fn providers() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        crate::provider::PROVIDERS
            .iter()
            .map(|p| CompletionCandidate::new(p.id).help(Some(family(p).into())))
            .collect::<Vec<_>>()
    })
}

fn family(p: &crate::provider::ProviderSpec) -> &'static str {
    use crate::provider::Family;
    match p.family {
        Family::OpenAi if p.id == "openai" => "OpenAI Chat Completions",
        Family::OpenAi => "OpenAI-compatible",
        Family::Anthropic => "Anthropic Messages",
        Family::Gemini => "Gemini Generative Language",
        Family::Echo => "built in, offline",
    }
}

/// Live credentials of the profile on the command line (`--profile`, `OMC_PROFILE`, default).
pub fn credentials() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        peek(|store| {
            store
                .credentials(&profile())
                .into_iter()
                .map(|(name, provider)| CompletionCandidate::new(name).help(Some(provider.into())))
                .collect()
        })
    })
}

pub fn profiles() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        peek(|store| {
            store
                .profiles()
                .into_iter()
                .map(|(name, count)| CompletionCandidate::new(name).help(Some(count.into())))
                .collect()
        })
    })
}

/// Bench run ids of the profile, newest first, and `last`.
pub fn bench_runs() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let mut runs = vec![
            CompletionCandidate::new("last").help(Some("the latest run with a report".into())),
        ];
        runs.extend(peek(|store| {
            store
                .bench_runs(&profile(), 50)
                .into_iter()
                .map(|(id, status)| CompletionCandidate::new(id).help(Some(status.into())))
                .collect()
        }));
        runs
    })
}

/// Agent names, for `--agent` and `omc agent show|check|trust`: the agents `omc agent list`
/// finds (the user's, and the project's `.omc/agents/` walking up, which wins by name), with
/// the description as help. Each file is read as every agent session reads it (once, a regular
/// file of at most 1 MiB: a link to `/proc/self/pagemap` is an error, not a read without end),
/// never trusted or run; one that cannot be read says why in its help.
pub fn agents() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let Ok(found) = crate::agent::Dirs::from_env().list() else {
            return Vec::new();
        };
        found
            .into_iter()
            // A file whose name is no agent name (a cloned project's `\x1b]0;…\x07.toml`) is
            // not offered: the shell would print its name raw, and no command takes it.
            .filter(|(f, _)| crate::agent::locate::check_name(&f.name).is_ok())
            .map(|(f, _)| {
                let name = f.name.clone();
                let project = f.origin == crate::agent::Origin::Project;
                // The file's own words, and errors that quote them: shown only escaped.
                let mut help = match crate::agent::Session::read(f) {
                    Ok(s) => s
                        .agent
                        .description
                        .as_ref()
                        .map(first_line)
                        .unwrap_or_default(),
                    Err(e) => format!("cannot be used: {}", first_line(&e.to_string().into())),
                };
                if project {
                    help = if help.is_empty() {
                        "project agent".into()
                    } else {
                        format!("project agent: {help}")
                    };
                }
                CompletionCandidate::new(name).help((!help.is_empty()).then(|| help.into()))
            })
            .collect()
    })
}

/// The first line of text from a file, escaped: help must not move the user's cursor.
fn first_line(text: &crate::terminal::Untrusted) -> String {
    crate::terminal::Untrusted::from(text.expose_raw().lines().next().unwrap_or("")).to_string()
}

fn peek(f: impl FnOnce(&Peek) -> Vec<CompletionCandidate>) -> Vec<CompletionCandidate> {
    Paths::from_env(None)
        .ok()
        .and_then(|paths| Peek::open(&paths))
        .map(|store| f(&store))
        .unwrap_or_default()
}

/// The profile the command being completed works in: the engine does not hand completers the
/// other arguments, so read `--profile` from the words the shell passed.
fn profile() -> String {
    profile_in(std::env::args_os()).unwrap_or_else(|| {
        std::env::var("OMC_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "default".into())
    })
}

fn profile_in(words: impl Iterator<Item = OsString>) -> Option<String> {
    let words: Vec<String> = words.map(|w| w.to_string_lossy().into_owned()).collect();
    let mut found = None;
    for (i, word) in words.iter().enumerate() {
        if let Some(value) = word.strip_prefix("--profile=") {
            found = Some(value.to_owned());
        } else if word == "--profile"
            && let Some(value) = words.get(i + 1)
        {
            found = Some(value.clone());
        }
    }
    found.filter(|p| !p.is_empty() && !p.starts_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_comes_from_the_words_being_completed() {
        let words = |s: &str| {
            s.split(' ')
                .map(OsString::from)
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert_eq!(profile_in(words("omc -- omc key")), None);
        assert_eq!(
            profile_in(words("omc -- omc --profile work key")).as_deref(),
            Some("work")
        );
        assert_eq!(
            profile_in(words("omc -- omc key --profile=ci ")).as_deref(),
            Some("ci")
        );
        // `--profile` with its value still being typed is no profile yet.
        assert_eq!(profile_in(words("omc -- omc key --profile")), None);
    }
}
