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
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunDefaults {
    pub max_tokens: Option<u32>,
    pub timeout: Option<String>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                Error::usage_hint(
                    format!("{} is not valid: {e}", path.display()),
                    "fix the file, or point --config elsewhere",
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(Error::io_path("read", path, e)),
        }
    }
}
