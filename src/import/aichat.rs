//! aichat: `$AICHAT_CONFIG_FILE`, else `config.yaml` in `$AICHAT_CONFIG_DIR` (else
//! `$XDG_CONFIG_HOME/aichat`); its `clients:` entries, and the `.env` beside the config.
//!
//! aichat reads a client's key from its `api_key`, else from `{NAME}_API_KEY` in the
//! environment (which its `.env` fills): `OPENAI_API_KEY`, `CLAUDE_API_KEY`, `DEEPINFRA_API_KEY`
//! for a client named `deepinfra`. omc follows the same rule.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{Entry, dotenv, provider_named};
use crate::error::{Error, Result};
use crate::provider;
use crate::terminal::Untrusted;

#[derive(Deserialize, Default)]
struct Config {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    clients: Vec<Client>,
}

#[derive(Deserialize)]
struct Client {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    api_base: Option<String>,
    #[serde(default)]
    api_key: Option<SecretString>,
}

/// aichat's config file and the `.env` it reads.
pub struct Paths {
    pub config: PathBuf,
    pub env: PathBuf,
}

pub fn default_paths() -> Result<Paths> {
    let dir = match std::env::var_os("AICHAT_CONFIG_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => super::config_dir("aichat")?,
    };
    let config = std::env::var_os("AICHAT_CONFIG_FILE")
        .filter(|v| !v.is_empty())
        .map_or_else(|| dir.join("config.yaml"), PathBuf::from);
    Ok(Paths {
        config,
        env: dir.join(".env"),
    })
}

/// The paths for a config file given by name: its `.env` is the one beside it.
pub fn paths_for(config: &Path) -> Paths {
    Paths {
        config: config.to_path_buf(),
        env: config
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(".env"),
    }
}

pub fn read(paths: &Paths) -> Result<Vec<Entry>> {
    // Anything there that is not a regular file (a FIFO, a device) is refused by the reader.
    let has_config = paths.config.exists();
    let has_env = paths.env.exists();
    if !has_config && !has_env {
        return Err(Error::Missing {
            message: format!(
                "found neither aichat's {} nor {}",
                paths.config.display(),
                paths.env.display()
            ),
            hint: "give the config's path (omc import aichat FILE), or set AICHAT_CONFIG_DIR"
                .into(),
        });
    }
    let config = if has_config {
        let text = super::read_secret_file(&paths.config)?;
        if text.trim().is_empty() {
            Config::default()
        } else {
            serde_yaml_ng::from_str(&text).map_err(|e| {
                super::parse_error(
                    &paths.config,
                    "aichat YAML",
                    e.location().map(|l| (l.line(), l.column())),
                )
            })?
        }
    } else {
        Config::default()
    };
    let env = if has_env {
        dotenv::parse(&super::read_secret_file(&paths.env)?).vars
    } else {
        Vec::new()
    };
    Ok(resolve(config, &env, &paths.config, &paths.env))
}

fn resolve(
    config: Config,
    env: &[(String, SecretString)],
    file: &Path,
    env_file: &Path,
) -> Vec<Entry> {
    let mut found = Vec::new();
    let mut used_vars = Vec::new();
    for client in config.clients {
        let name = client
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| client.kind.clone());
        let var = format!("{}_API_KEY", name.to_ascii_uppercase().replace('-', "_"));
        let (secret, from_file) = match client
            .api_key
            .as_ref()
            .map(|k| k.expose_secret().trim())
            .filter(|k| !k.is_empty())
        {
            Some(key) => (Some(SecretString::from(key.to_owned())), file),
            None => match env.iter().rev().find(|(k, _)| *k == var) {
                Some((_, v)) => {
                    used_vars.push(var.clone());
                    (
                        Some(SecretString::from(v.expose_secret().trim().to_owned())),
                        env_file,
                    )
                }
                None => (None, file),
            },
        };
        let model = config.model.as_deref().and_then(|m| {
            m.split_once(':')
                .filter(|(client, _)| *client == name)
                .map(|(_, model)| model.to_owned())
        });
        let secret = secret.filter(|s| !s.expose_secret().is_empty());
        let provider = match (&secret, provider_for(&client, &name)) {
            (None, Ok(_)) => Err(format!("no api_key in the config and no {var} in .env")),
            (_, p) => p,
        };
        found.push(Entry {
            from: name.as_str().into(),
            name: name.into(),
            provider: provider.map_err(Untrusted::from),
            model: model.map(Untrusted::from),
            base_url: client
                .api_base
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(Untrusted::from),
            secret,
            file: Some(from_file.to_path_buf()),
        });
    }
    // Keys in .env that no client claimed: as a dotenv file, with aichat's CLAUDE_API_KEY.
    let rest: Vec<(String, SecretString)> = env
        .iter()
        .filter(|(k, _)| !used_vars.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    found.extend(super::from_vars(&rest, Some(env_file), |var| {
        (var == "CLAUDE_API_KEY").then(|| provider::lookup("anthropic").expect("in the table"))
    }));
    found
}

/// The provider whose default base URL `base` is (compared as `--base-url` normalises them).
fn provider_at(base: &str) -> Option<&'static provider::ProviderSpec> {
    let base = crate::bounds::check_base_url(base.trim()).ok()?;
    provider::PROVIDERS.iter().find(|p| {
        p.id != "echo"
            && p.default_base
                .and_then(|d| crate::bounds::check_base_url(d).ok())
                .is_some_and(|d| d == base)
    })
}

/// The omc provider for an aichat client.
fn provider_for(
    client: &Client,
    name: &str,
) -> std::result::Result<&'static provider::ProviderSpec, String> {
    let has_base = client
        .api_base
        .as_deref()
        .is_some_and(|b| !b.trim().is_empty());
    let id = match client.kind.as_str() {
        "openai" => "openai",
        "claude" => "anthropic",
        "gemini" => "gemini",
        // A known platform's own URL (groq, deepseek, …) imports as that provider.
        "openai-compatible" if has_base => {
            let base = client.api_base.as_deref().unwrap_or_default();
            return Ok(provider_at(base)
                .unwrap_or_else(|| provider::lookup("openai-compatible").expect("in the table")));
        }
        // aichat knows the base of well-known OpenAI-compatible platforms by name.
        "openai-compatible" => {
            return provider_named(name)
                .ok_or_else(|| format!("openai-compatible client '{name}' has no api_base"));
        }
        other => {
            return Err(format!(
                "aichat client type '{other}' is not supported; import it with --map {name}=PROVIDER"
            ));
        }
    };
    Ok(provider::lookup(id).expect("in the provider table"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
model: claude:claude-3-5-sonnet-latest
save: true
clients:
  - type: openai
    api_key: sk-aichat-openai-aaaaaaaaaaaa
  - type: openai-compatible
    name: deepinfra
    api_base: https://api.deepinfra.com/v1/openai
    models:
      - name: meta-llama/Meta-Llama-3.1-8B-Instruct
  - type: claude
    api_key: sk-ant-aichat-bbbbbbbbbbbb
  - type: gemini
  - type: vertexai
    project_id: p
  - type: openai-compatible
    name: fastgroq
    api_base: https://api.groq.com/openai/v1/
    api_key: gsk_aichat_ffffffffff
"#;

    #[test]
    fn four_client_types_and_the_env_file() {
        let config: Config = serde_yaml_ng::from_str(CONFIG).unwrap();
        let env = dotenv::parse(
            "DEEPINFRA_API_KEY=di-cccccccccccc\nGEMINI_API_KEY=AIzaddddddddddddd\nGROQ_API_KEY=gsk_eeeeeeeeee\n",
        )
        .vars;
        let found = resolve(config, &env, Path::new("config.yaml"), Path::new(".env"));
        let summary: Vec<(String, String, Option<String>)> = found
            .iter()
            .map(|f| {
                (
                    f.name.expose_raw().to_owned(),
                    f.provider
                        .as_ref()
                        .map_or_else(|e| format!("skip: {}", e.expose_raw()), |p| p.id.to_owned()),
                    f.base_url.as_ref().map(|b| b.expose_raw().to_owned()),
                )
            })
            .collect();
        assert_eq!(summary[0], ("openai".into(), "openai".into(), None));
        assert_eq!(
            summary[1],
            (
                "deepinfra".into(),
                "openai-compatible".into(),
                Some("https://api.deepinfra.com/v1/openai".into())
            )
        );
        assert_eq!(summary[2], ("claude".into(), "anthropic".into(), None));
        assert_eq!(summary[3], ("gemini".into(), "gemini".into(), None));
        assert!(summary[4].1.contains("vertexai"), "{summary:?}");
        assert_eq!(
            summary[5],
            (
                "fastgroq".into(),
                "groq".into(),
                Some("https://api.groq.com/openai/v1/".into())
            )
        );
        assert_eq!(summary[6], ("groq".into(), "groq".into(), None));
        assert_eq!(summary.len(), 7);
        assert_eq!(
            found[2].model.as_ref().map(Untrusted::expose_raw),
            Some("claude-3-5-sonnet-latest")
        );
        assert_eq!(found[1].file.as_deref(), Some(Path::new(".env")));
    }
}
