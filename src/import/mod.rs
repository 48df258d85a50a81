//! Reading keys from where other tools keep them in plaintext: llm's `keys.json`, aichat's
//! `config.yaml` and `.env`, dotenv files and the environment. Parsers only: they never write a
//! source, never print, and their errors name files and line numbers, never content.

pub mod aichat;
pub mod dotenv;
pub mod llm;

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::error::{Error, Result};
use crate::provider::{self, ProviderSpec};
use crate::terminal::Untrusted;

/// One key found in a source, before it is stored. Its text is the source's (a file someone
/// else may have written, a bundle from a teammate): [`Untrusted`], shown only escaped.
#[derive(Debug)]
pub struct Entry {
    /// What the source calls it: llm alias, aichat client name, variable name.
    pub from: Untrusted,
    /// The credential name it gets by default.
    pub name: Untrusted,
    /// The provider omc would store it for, or why it is skipped (quoting the source).
    pub provider: std::result::Result<&'static ProviderSpec, Untrusted>,
    pub model: Option<Untrusted>,
    pub base_url: Option<Untrusted>,
    pub secret: Option<SecretString>,
    /// The plaintext file the key came from (`None`: the environment, or a bundle).
    pub file: Option<PathBuf>,
}

/// A provider that a source's own label names, when importing under that name makes sense:
/// not the offline `echo`, not `openai-compatible` (it needs a base URL the label cannot give).
pub fn provider_named(label: &str) -> Option<&'static ProviderSpec> {
    provider::lookup(label).filter(|p| p.id != "echo" && p.id != "openai-compatible")
}

/// `--map ALIAS=PROVIDER` and `--base-url ALIAS=URL` pairs: a label in the source, and the
/// provider it stands for or the base URL its keys go to.
#[derive(Debug, Default)]
pub struct Maps {
    providers: Vec<Pair<&'static ProviderSpec>>,
    bases: Vec<Pair<String>>,
}

#[derive(Debug)]
struct Pair<T> {
    alias: String,
    value: T,
    used: std::cell::Cell<bool>,
}

/// Split `ALIAS=VALUE` as `flag` takes it.
fn split_pair<'a>(flag: &str, arg: &'a str, example: &str) -> Result<(String, &'a str)> {
    let Some((alias, value)) = arg.split_once('=') else {
        return Err(Error::usage_hint(
            format!(
                "{flag} '{arg}' is not {}",
                example.split(' ').next().unwrap_or("")
            ),
            format!("e.g. {flag} {}", example.split(' ').nth(1).unwrap_or("")),
        ));
    };
    let alias = alias.trim();
    if alias.is_empty() {
        return Err(Error::usage(format!("{flag} '{arg}' has no alias")));
    }
    Ok((alias.to_owned(), value.trim()))
}

impl Maps {
    pub fn parse(maps: &[String], bases: &[String]) -> Result<Self> {
        let mut out = Maps::default();
        for arg in maps {
            let (alias, provider) =
                split_pair("--map", arg, "ALIAS=PROVIDER together=openai-compatible")?;
            out.providers.push(Pair {
                alias,
                value: provider::require(provider)?,
                used: Default::default(),
            });
        }
        for arg in bases {
            let (alias, url) = split_pair(
                "--base-url",
                arg,
                "ALIAS=URL together=https://api.together.xyz/v1",
            )?;
            let url = crate::bounds::check_base_url(url)?;
            out.bases.push(Pair {
                alias,
                value: url,
                used: Default::default(),
            });
        }
        Ok(out)
    }

    fn find<'a, T>(pairs: &'a [Pair<T>], label: &str) -> Option<&'a T> {
        pairs
            .iter()
            .find(|p| p.alias.eq_ignore_ascii_case(label))
            .map(|p| {
                p.used.set(true);
                &p.value
            })
    }

    /// The provider `--map` gives `label` (compared without case).
    pub fn get(&self, label: &str) -> Option<&'static ProviderSpec> {
        Self::find(&self.providers, label).copied()
    }

    /// Flags naming an alias no entry of the source matched, for a warning (`--map ALIAS`).
    pub fn unused(&self) -> Vec<String> {
        let unused =
            |flag: &str, alias: &str, used: bool| (!used).then(|| format!("{flag} {alias}"));
        self.providers
            .iter()
            .filter_map(|p| unused("--map", &p.alias, p.used.get()))
            .chain(
                self.bases
                    .iter()
                    .filter_map(|p| unused("--base-url", &p.alias, p.used.get())),
            )
            .collect()
    }

    /// Apply the maps to what a source found: a mapped label takes that provider, whether or
    /// not the source knew it, and that base URL.
    pub fn apply(&self, found: &mut [Entry]) {
        for f in found {
            if let Some(spec) = self.get(f.from.expose_raw()) {
                f.provider = Ok(spec);
            }
            if let Some(url) = Self::find(&self.bases, f.from.expose_raw()) {
                f.base_url = Some(url.as_str().into());
            }
        }
    }
}

/// `--prefix P` and `--rename OLD=NEW`: the names credentials get instead of the source's.
#[derive(Debug, Default)]
pub struct Renames {
    prefix: Option<String>,
    renames: Vec<Pair<String>>,
}

impl Renames {
    pub fn parse(prefix: Option<&str>, renames: &[String]) -> Result<Self> {
        let mut out = Renames {
            prefix: prefix.map(str::to_owned),
            renames: Vec::new(),
        };
        for arg in renames {
            let (old, new) = split_pair("--rename", arg, "OLD=NEW openai=work-openai")?;
            crate::store::validate_name("credential", new)?;
            out.renames.push(Pair {
                alias: old,
                value: new.to_owned(),
                used: Default::default(),
            });
        }
        Ok(out)
    }

    /// Rename what the source found: `--rename` by the name it would get (exactly), then
    /// `--prefix` in front of every name not renamed.
    pub fn apply(&self, found: &mut [Entry]) {
        for f in found {
            let renamed = self
                .renames
                .iter()
                .find(|p| p.alias == f.name.expose_raw())
                .map(|p| {
                    p.used.set(true);
                    p.value.clone()
                });
            match (renamed, &self.prefix) {
                (Some(new), _) => f.name = new.into(),
                (None, Some(prefix)) => {
                    f.name = format!("{prefix}{}", f.name.expose_raw()).into();
                }
                (None, None) => {}
            }
        }
    }

    /// `--rename` names no entry of the source has, for a warning.
    pub fn unused(&self) -> Vec<&str> {
        self.renames
            .iter()
            .filter(|p| !p.used.get())
            .map(|p| p.alias.as_str())
            .collect()
    }
}

/// A provider's conventional `*_API_KEY` variables, as `exec` sets them, and the provider's
/// `*_BASE_URL` variable. omc's own `OMC_ECHO_API_KEY` is not a key to import.
pub fn known_key_var(var: &str) -> Option<&'static ProviderSpec> {
    provider::PROVIDERS
        .iter()
        .filter(|p| p.id != "echo")
        .find(|p| p.key_vars.contains(&var))
}

/// Keys among `vars` (`*_API_KEY`, with the provider's `*_BASE_URL` beside them), as `dotenv`
/// and `env` import them. `other_keys` decides labels the provider table does not know
/// (aichat's `CLAUDE_API_KEY`); unknown `*_API_KEY` variables are reported as skipped.
pub fn from_vars(
    vars: &[(String, SecretString)],
    file: Option<&Path>,
    other_keys: impl Fn(&str) -> Option<&'static ProviderSpec>,
) -> Vec<Entry> {
    use secrecy::ExposeSecret;
    let lookup = |name: &str| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.expose_secret().trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut found = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (var, value) in vars {
        // The last assignment wins, as when a shell sources the file.
        if !var.ends_with("_API_KEY") || seen.contains(&var.as_str()) {
            continue;
        }
        seen.push(var);
        let value = vars
            .iter()
            .rev()
            .find(|(k, _)| k == var)
            .map_or(value, |(_, v)| v);
        let prefix = var.trim_end_matches("_API_KEY");
        let spec = known_key_var(var).or_else(|| other_keys(var));
        let base_url = spec
            .and_then(|spec| lookup(spec.base_url_var))
            .or_else(|| lookup(&format!("{prefix}_BASE_URL")))
            .or_else(|| lookup(&format!("{prefix}_API_BASE")));
        let provider = spec.ok_or_else(|| {
            format!("no omc provider for {var}; import it with --map {var}=PROVIDER").into()
        });
        let secret = Some(SecretString::from(value.expose_secret().trim().to_owned()))
            .filter(|s| !s.expose_secret().is_empty());
        found.push(Entry {
            from: var.as_str().into(),
            name: match spec {
                Some(spec) if known_key_var(var).is_some() => spec.id.into(),
                _ => prefix.to_ascii_lowercase().replace('_', "-").into(),
            },
            provider,
            model: None,
            base_url: base_url.map(Untrusted::from),
            secret,
            file: file.map(Path::to_path_buf),
        });
    }
    found
}

/// A source file read whole into zeroized memory: a regular file of at most
/// [`Limit::IMPORT`](crate::bounded::Limit::IMPORT), as UTF-8 text.
pub fn read_secret_file(path: &Path) -> Result<zeroize::Zeroizing<String>> {
    crate::bounded::read_file_string(path, crate::bounded::Limit::IMPORT)
}

/// A config directory as the tools themselves find it: `$XDG_CONFIG_HOME` (else `~/.config`) on
/// Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
pub fn config_dir(app: &str) -> Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|d| d.config_dir().join(app))
        .ok_or_else(|| {
            Error::usage_hint(
                "cannot find the home directory",
                "give the file's path as an argument",
            )
        })
}

/// The line and column of a parse error, never its text (which may quote a key).
pub fn parse_error(path: &Path, what: &str, line: Option<(usize, usize)>) -> Error {
    Error::usage_hint(
        match line {
            Some((l, c)) => format!(
                "{} is not valid {what} (line {l}, column {c})",
                path.display()
            ),
            None => format!("{} is not valid {what}", path.display()),
        },
        "fix the file, or import its keys one at a time with `omc add PROVIDER --key-stdin`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn var(k: &str, v: &str) -> (String, SecretString) {
        (k.to_owned(), SecretString::from(v.to_owned()))
    }

    #[test]
    fn known_variables_take_their_base_url_and_the_last_assignment() {
        let vars = [
            var("OPENAI_API_KEY", "sk-first"),
            var("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
            var("TOGETHER_API_KEY", "tg-1"),
            var("OPENAI_API_KEY", "sk-second"),
            var("DATABASE_URL", "postgres://"),
        ];
        let found = from_vars(&vars, None, |_| None);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name.expose_raw(), "openai");
        assert_eq!(
            found[0].secret.as_ref().unwrap().expose_secret(),
            "sk-second"
        );
        assert_eq!(
            found[0].base_url.as_ref().map(Untrusted::expose_raw),
            Some("http://127.0.0.1:9/v1")
        );
        assert_eq!(found[1].name.expose_raw(), "together");
        assert!(
            found[1]
                .provider
                .as_ref()
                .unwrap_err()
                .expose_raw()
                .contains("--map")
        );

        let maps = Maps::parse(&["together_api_key=openai-compatible".into()], &[]).unwrap();
        let mut found = found;
        maps.apply(&mut found);
        assert_eq!(found[1].provider.as_ref().unwrap().id, "openai-compatible");
        assert!(maps.unused().is_empty());
    }

    #[test]
    fn bad_maps_are_usage_errors() {
        assert!(Maps::parse(&["nope".into()], &[]).is_err());
        assert!(Maps::parse(&["x=notaprovider".into()], &[]).is_err());
        assert!(Maps::parse(&["=openai".into()], &[]).is_err());
    }
}
