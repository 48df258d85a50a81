//! Token prices: `prices.toml`, built into the binary, overridable in `config.toml`.

use std::collections::HashMap;

use serde::Deserialize;

use crate::error::{Error, Result};

/// `prices.toml`, compiled in by build.rs: (provider, model, input, output).
const BUILT_IN: &[(&str, &str, f64, f64)] = include!(concat!(env!("OUT_DIR"), "/prices.rs"));

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

impl Price {
    pub const fn new(input: f64, output: f64) -> Price {
        Price { input, output }
    }

    /// USD for these token counts.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input + output_tokens as f64 * self.output) / 1_000_000.0
    }
}

/// The price table, keyed by provider then model name.
#[derive(Debug, Clone, Default)]
pub struct Prices {
    by_provider: HashMap<String, Vec<(String, Price)>>,
}

impl Prices {
    /// The built-in table with `overrides` (`"provider/model" -> price`) on top.
    pub fn load(overrides: &HashMap<String, Price>) -> Result<Prices> {
        let mut prices = Prices::default();
        for &(provider, model, input, output) in BUILT_IN {
            prices.insert(provider, model, Price { input, output });
        }
        for (key, price) in overrides {
            let (provider, model) = key.split_once('/').ok_or_else(|| {
                Error::usage_hint(
                    format!("config.toml: price key '{key}' is not provider/model"),
                    "write [prices.\"openai/gpt-4o-mini\"] input = 0.15, output = 0.60",
                )
            })?;
            prices.insert(provider, model, *price);
        }
        Ok(prices)
    }

    fn insert(&mut self, provider: &str, model: &str, price: Price) {
        let list = self.by_provider.entry(provider.to_owned()).or_default();
        list.retain(|(m, _)| m != model);
        list.push((model.to_owned(), price));
    }

    /// The price of `model`, by exact name or else the longest listed prefix.
    pub fn get(&self, provider: &str, model: &str) -> Option<Price> {
        let list = self.by_provider.get(provider)?;
        let model = model.strip_prefix("models/").unwrap_or(model);
        list.iter()
            .filter(|(m, _)| model == m || model.starts_with(&format!("{m}-")))
            .max_by_key(|(m, _)| m.len())
            .map(|(_, p)| *p)
    }
}

/// US dollars as people read them: 4 decimals, more for amounts under a cent so that a small
/// budget is not shown as 0.
pub fn usd(x: f64) -> String {
    let x = x + 0.0;
    if x != 0.0 && x.abs() < 0.01 {
        format!("{x:.6}")
    } else {
        format!("{x:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::usd;

    #[test]
    fn small_amounts_keep_their_digits() {
        assert_eq!(usd(0.5), "0.5000");
        assert_eq!(usd(0.00001), "0.000010");
        assert_eq!(usd(0.0), "0.0000");
        assert_eq!(usd(-0.0), "0.0000");
    }

    use super::*;

    #[test]
    fn built_in_table_parses_and_matches_by_prefix() {
        let prices = Prices::load(&HashMap::new()).unwrap();
        let mini = prices.get("openai", "gpt-4o-mini").unwrap();
        assert_eq!(prices.get("openai", "gpt-4o-mini-2024-07-18"), Some(mini));
        // gpt-4o-mini must not take gpt-4o's price, nor the other way round.
        assert_ne!(prices.get("openai", "gpt-4o").unwrap(), mini);
        assert_eq!(prices.get("openai", "no-such-model"), None);
        assert_eq!(
            prices
                .get("gemini", "models/gemini-2.5-flash")
                .unwrap()
                .input,
            0.30
        );
    }

    #[test]
    fn the_compiled_table_is_prices_toml_entry_for_entry() {
        #[derive(Deserialize)]
        struct File {
            price: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            provider: String,
            model: String,
            input: f64,
            output: f64,
        }
        let file: File = toml::from_str(include_str!("../prices.toml")).unwrap();
        let parsed: Vec<(&str, &str, f64, f64)> = file
            .price
            .iter()
            .map(|e| (e.provider.as_str(), e.model.as_str(), e.input, e.output))
            .collect();
        assert!(parsed.len() > 10, "prices.toml lists the providers' models");
        assert_eq!(parsed, BUILT_IN);
    }

    #[test]
    fn overrides_win() {
        let mut o = HashMap::new();
        o.insert(
            "openai/gpt-4o-mini".to_owned(),
            Price {
                input: 1.0,
                output: 2.0,
            },
        );
        o.insert(
            "custom/m".to_owned(),
            Price {
                input: 3.0,
                output: 4.0,
            },
        );
        let prices = Prices::load(&o).unwrap();
        assert_eq!(prices.get("openai", "gpt-4o-mini").unwrap().input, 1.0);
        assert_eq!(prices.get("custom", "m").unwrap().output, 4.0);
    }

    #[test]
    fn cost_is_per_million() {
        let p = Price {
            input: 0.15,
            output: 0.60,
        };
        assert!((p.cost(1_000_000, 1_000_000) - 0.75).abs() < 1e-12);
        assert!((p.cost(1000, 500) - 0.00045).abs() < 1e-12);
    }
}
