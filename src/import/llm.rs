//! Simon Willison's `llm`: `keys.json` in `$LLM_USER_PATH`, else its config directory
//! (`~/.config/io.datasette.llm/`, macOS `~/Library/Application Support/io.datasette.llm/`).
//! A flat `{alias: key}` object, with a `"// Note"` entry that is not a key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use super::{Entry, provider_named};
use crate::error::{Error, Result};

/// Where llm keeps `keys.json`.
pub fn default_path() -> Result<PathBuf> {
    let dir = match std::env::var_os("LLM_USER_PATH").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => super::config_dir("io.datasette.llm")?,
    };
    Ok(dir.join("keys.json"))
}

pub fn read(path: &Path) -> Result<Vec<Entry>> {
    // Anything there that is not a regular file (a FIFO, a device) is refused by the reader.
    if !path.exists() {
        return Err(Error::Missing {
            message: format!("llm's keys file {} does not exist", path.display()),
            hint: "give its path (omc import llm FILE), or set LLM_USER_PATH to llm's directory"
                .into(),
        });
    }
    let text = super::read_secret_file(path)?;
    parse(&text, path)
}

fn parse(text: &str, path: &Path) -> Result<Vec<Entry>> {
    let keys: BTreeMap<String, SecretString> = serde_json::from_str(text).map_err(|e| {
        super::parse_error(
            path,
            "llm keys JSON (an object of strings)",
            Some((e.line(), e.column())),
        )
    })?;
    let mut found = Vec::new();
    for (alias, key) in keys {
        if alias.starts_with("//") {
            continue;
        }
        let provider = provider_named(&alias).ok_or_else(|| {
            format!(
                "llm alias '{alias}' names no omc provider; import it with --map {alias}=PROVIDER"
            )
            .into()
        });
        let key = key.expose_secret().trim();
        found.push(Entry {
            name: alias.as_str().into(),
            from: alias.into(),
            provider,
            model: None,
            base_url: None,
            secret: (!key.is_empty()).then(|| SecretString::from(key.to_owned())),
            file: Some(path.to_path_buf()),
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_is_skipped_and_unknown_aliases_are_reported() {
        let text = r#"{
  "// Note": "This file stores secret API credentials. Do not share!",
  "openai": "sk-llm-openai-aaaaaaaaaaaaaaaa",
  "claude": "sk-ant-bbbbbbbbbbbbbbbbbbbb",
  "replicate": "r8_cccccccccccccccccccc"
}"#;
        let found = parse(text, Path::new("keys.json")).unwrap();
        let names: Vec<_> = found.iter().map(|f| f.name.expose_raw()).collect();
        assert_eq!(names, ["claude", "openai", "replicate"]);
        assert_eq!(found[0].provider.as_ref().unwrap().id, "anthropic");
        assert!(
            found[2]
                .provider
                .as_ref()
                .unwrap_err()
                .expose_raw()
                .contains("--map replicate=")
        );
    }

    #[test]
    fn parse_errors_do_not_quote_the_file() {
        let err = parse(r#"{"openai": ["sk-CANARY"]}"#, Path::new("keys.json")).unwrap_err();
        let shown = format!("{err} {err:?} {}", err.hint().unwrap_or_default());
        assert!(!shown.contains("CANARY"), "{shown}");
        assert!(shown.contains("line 1"), "{shown}");
    }
}
