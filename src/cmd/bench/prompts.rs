//! What `omc bench` sends: the built-in complexity levels, `--prompt TEXT`, and `--suite FILE`.

use std::path::Path;

use clap::ValueEnum;
use serde::Deserialize;

use crate::error::{Error, Result};

/// One prompt to benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchPrompt {
    pub name: String,
    pub system: Option<String>,
    pub text: String,
    /// A suite prompt's own cap: wins over `--max-tokens`.
    pub max_tokens: Option<u32>,
    /// A level's cap: `--max-tokens` wins over it.
    pub level_max_tokens: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    /// A one-line question with a one-word answer: time to first token dominates
    Short,
    /// A paragraph-long explanation: a few hundred tokens
    Medium,
    /// A multi-part technical answer with code: generation speed dominates
    Long,
    /// All three, in order
    All,
}

const SHORT: &str = "What is the capital of France? Answer with one word.";
const MEDIUM: &str = "Explain in about 150 words how HTTPS protects data in transit. Cover the \
TLS handshake, certificates and the switch to symmetric encryption.";
const LONG: &str = "Write a detailed technical comparison of three rate-limiting algorithms for \
distributed systems: token bucket, leaky bucket and sliding-window log. For each one, explain the \
algorithm step by step, give a short Python implementation, analyse its time and memory cost, and \
describe how it behaves under bursty traffic and clock skew. Finish with a recommendation for an \
API gateway serving 10,000 requests per second across several regions, with reasons.";

impl Level {
    fn prompts(self) -> Vec<BenchPrompt> {
        let p = |name: &str, text: &str, max: u32| BenchPrompt {
            name: name.into(),
            system: None,
            text: text.into(),
            max_tokens: None,
            level_max_tokens: Some(max),
        };
        match self {
            Level::Short => vec![p("short", SHORT, 16)],
            Level::Medium => vec![p("medium", MEDIUM, 300)],
            Level::Long => vec![p("long", LONG, 1500)],
            Level::All => [Level::Short, Level::Medium, Level::Long]
                .into_iter()
                .flat_map(Level::prompts)
                .collect(),
        }
    }
}

/// A `--suite` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    /// Default system prompt of every prompt that sets none.
    system: Option<String>,
    /// Default max tokens of every prompt that sets none.
    max_tokens: Option<u32>,
    #[serde(default)]
    prompt: Vec<SuitePrompt>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuitePrompt {
    name: String,
    text: String,
    system: Option<String>,
    max_tokens: Option<u32>,
}

pub fn load_suite(path: &Path) -> Result<Vec<BenchPrompt>> {
    let text = crate::bounded::read_file_string(path, crate::bounded::Limit::PROMPTS).map_err(
        |e| match e {
            // A suite that is not there is a mistyped argument (exit 2), like a bad one.
            Error::Io { source, .. } => Error::usage_hint(
                format!("cannot read the suite {}: {source}", path.display()),
                "--suite takes a TOML file of [[prompt]] tables (name, text)",
            ),
            // Too large, not a regular file, not UTF-8: already a usage error naming the path.
            other => other,
        },
    )?;
    parse_suite(&text).map_err(|e| match e {
        Error::Usage { message, hint } => Error::Usage {
            message: format!("{}: {message}", path.display()),
            hint,
        },
        other => other,
    })
}

fn parse_suite(text: &str) -> Result<Vec<BenchPrompt>> {
    let hint = "a suite is [[prompt]] tables with name and text (system and max_tokens optional)";
    let suite: Suite = toml::from_str(text)
        .map_err(|e| Error::usage_hint(format!("not a valid suite: {e}"), hint))?;
    if suite.prompt.is_empty() {
        return Err(Error::usage_hint("the suite has no [[prompt]]", hint));
    }
    Ok(suite
        .prompt
        .into_iter()
        .map(|p| BenchPrompt {
            name: p.name,
            system: p.system.or_else(|| suite.system.clone()),
            text: p.text,
            max_tokens: p.max_tokens.or(suite.max_tokens),
            level_max_tokens: None,
        })
        .collect())
}

/// Every prompt the flags ask for, in order: levels, then `--prompt`s, then the suite's. With
/// none of them, the `short` level.
pub fn collect(
    levels: &[Level],
    texts: &[String],
    suite: Option<&Path>,
) -> Result<Vec<BenchPrompt>> {
    let mut out: Vec<BenchPrompt> = Vec::new();
    for l in levels {
        out.extend(l.prompts());
    }
    for (i, t) in texts.iter().enumerate() {
        if t.trim().is_empty() {
            return Err(Error::usage("--prompt is empty"));
        }
        out.push(BenchPrompt {
            name: if texts.len() == 1 {
                "prompt".into()
            } else {
                format!("prompt-{}", i + 1)
            },
            system: None,
            text: t.clone(),
            max_tokens: None,
            level_max_tokens: None,
        });
    }
    if let Some(path) = suite {
        out.extend(load_suite(path)?);
    }
    if out.is_empty() {
        out = Level::Short.prompts();
    }
    let mut seen = std::collections::HashSet::new();
    for p in &out {
        if p.name.trim().is_empty() {
            return Err(Error::usage("a prompt has an empty name"));
        }
        if !seen.insert(p.name.as_str()) {
            return Err(Error::usage_hint(
                format!("two prompts are named '{}'", p.name),
                "give every prompt of a suite its own name, and do not repeat a --level",
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_take_defaults_and_reject_unknown_keys() {
        let p = parse_suite(
            r#"
            system = "be brief"
            max_tokens = 64
            [[prompt]]
            name = "a"
            text = "hello"
            [[prompt]]
            name = "b"
            text = "bye"
            system = "be kind"
            max_tokens = 8
            "#,
        )
        .unwrap();
        assert_eq!(p[0].system.as_deref(), Some("be brief"));
        assert_eq!(p[0].max_tokens, Some(64));
        assert_eq!(p[1].system.as_deref(), Some("be kind"));
        assert_eq!(p[1].max_tokens, Some(8));
        assert!(parse_suite("[[prompt]]\nname='a'\ntext='x'\ntemp=1").is_err());
        assert!(parse_suite("").is_err());
    }

    #[test]
    fn levels_grow_and_default_to_short() {
        let all = collect(&[Level::All], &[], None).unwrap();
        let names: Vec<_> = all.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["short", "medium", "long"]);
        assert!(all[0].text.len() < all[1].text.len() && all[1].text.len() < all[2].text.len());
        assert_eq!(collect(&[], &[], None).unwrap()[0].name, "short");
        assert!(collect(&[Level::Short, Level::All], &[], None).is_err());
    }
}
