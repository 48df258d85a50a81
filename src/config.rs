//! `config.toml`: optional settings. A missing file is an empty config.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::pricing::Price;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Price overrides and additions: `[prices."provider/model"] input = …, output = …`.
    #[serde(default)]
    pub prices: HashMap<String, Price>,
    /// Defaults for `omc run`.
    #[serde(default)]
    pub run: RunDefaults,
    /// `false`: `omc run` and `omc chat` store no conversation, only the usage row.
    #[serde(default)]
    pub log: Option<bool>,
    /// `true`: the log keeps each conversation's first words in plaintext, for `omc log`.
    #[serde(default)]
    pub log_titles: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunDefaults {
    pub max_tokens: Option<u32>,
    pub timeout: Option<String>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        // No file is the defaults; the bounded reader refuses a FIFO or device and a file
        // past the limit.
        let text = match crate::bounded::read_file_string(path, crate::bounded::Limit::CONFIG) {
            Ok(text) => text,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default());
            }
            Err(e) => return Err(e),
        };
        toml::from_str(&text).map_err(|e| {
            Error::usage_hint(
                format!("{} is not valid: {e}", path.display()),
                "fix the file, or point --config elsewhere",
            )
        })
    }
}
