//! The tasks of `omc bench --agent`: `[[task]]` tables of a `--suite` file (or `--prompt`s), and
//! the checks a finished run's answer and transcript must pass.
//!
//! ```toml
//! [[task]]
//! name = "lookup"
//! prompt = "What is the weather in {{city}}?"
//! vars = { city = "Paris" }
//! contains = ["Paris"]            # every string must be in the answer
//! regex = "\\d+ ?°C"              # the answer must match
//! json_schema = "city, temp int"  # the answer is a JSON document that validates
//! tool_called = "weather"         # or { name = "weather", arguments = { city = "Paris" } }
//! max_turns = 3
//! max_cost_usd = 0.01
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::agent::transcript::Transcript;
use crate::error::{Error, Result};
use crate::schema::OutputSchema;

const HINT: &str = "an agent suite is [[task]] tables: name, prompt, and optional vars, contains, \
regex, json_schema, tool_called, max_turns, max_cost_usd";

/// One task, ready to run and check.
#[derive(Debug, Clone)]
pub struct Task {
    pub name: String,
    /// `{{KEY}}` in it filled from `vars`.
    pub prompt: String,
    /// Fill the agent's system prompt too (as `--var`).
    pub vars: Vec<(String, String)>,
    pub checks: Checks,
}

/// What a run of a task must show to count as a success (besides ending with an answer).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Checks {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_called: Option<ToolCalled>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost_usd: Option<f64>,
}

/// `tool_called = "name"`, or with arguments the call must have (each key equal; others free).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ToolCalled {
    Name(String),
    With {
        name: String,
        #[serde(default)]
        arguments: serde_json::Map<String, serde_json::Value>,
    },
}

impl ToolCalled {
    fn parts(&self) -> (&str, Option<&serde_json::Map<String, serde_json::Value>>) {
        match self {
            ToolCalled::Name(n) => (n, None),
            ToolCalled::With { name, arguments } => (name, Some(arguments)),
        }
    }
}

/// The checks, compiled once.
#[derive(Debug, Clone)]
pub struct Compiled {
    checks: Checks,
    regex: Option<regex::Regex>,
    schema: Option<OutputSchema>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    #[serde(default)]
    task: Vec<SuiteTask>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteTask {
    name: String,
    prompt: String,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default)]
    contains: Vec<String>,
    regex: Option<String>,
    json_schema: Option<String>,
    tool_called: Option<ToolCalled>,
    max_turns: Option<u32>,
    max_cost_usd: Option<f64>,
}

/// The tasks of an agent suite file.
pub fn load(path: &Path) -> Result<Vec<Task>> {
    let text = crate::bounded::read_file_string(path, crate::bounded::Limit::PROMPTS).map_err(
        |e| match e {
            Error::Io { source, .. } => Error::usage_hint(
                format!("cannot read the suite {}: {source}", path.display()),
                HINT,
            ),
            other => other,
        },
    )?;
    parse(&text).map_err(|e| match e {
        Error::Usage { message, hint } => Error::Usage {
            message: format!("{}: {message}", path.display()),
            hint,
        },
        other => other,
    })
}

pub fn parse(text: &str) -> Result<Vec<Task>> {
    let suite: Suite = toml::from_str(text)
        .map_err(|e| Error::usage_hint(format!("not a valid agent suite: {e}"), HINT))?;
    if suite.task.is_empty() {
        return Err(Error::usage_hint("the suite has no [[task]]", HINT));
    }
    let mut out: Vec<Task> = Vec::new();
    for t in suite.task {
        if out.iter().any(|o| o.name == t.name) {
            return Err(Error::usage_hint(
                format!("two tasks are named '{}'", t.name),
                "give every [[task]] its own name",
            ));
        }
        let prompt = fill(&t.prompt, &t.vars);
        let task = Task {
            name: t.name,
            prompt,
            vars: t.vars.into_iter().collect(),
            checks: Checks {
                contains: t.contains,
                regex: t.regex,
                json_schema: t.json_schema,
                tool_called: t.tool_called,
                max_turns: t.max_turns,
                max_cost_usd: t.max_cost_usd,
            },
        };
        task.compile()?;
        out.push(task);
    }
    Ok(out)
}

/// `{{KEY}}` → its value.
fn fill(text: &str, vars: &BTreeMap<String, String>) -> String {
    vars.iter().fold(text.to_owned(), |acc, (k, v)| {
        acc.replace(&format!("{{{{{k}}}}}"), v)
    })
}

impl Task {
    /// The checks compiled, or a usage error naming the task and the bad check.
    pub fn compile(&self) -> Result<Compiled> {
        let bad = |what: &str, e: String| {
            Error::usage_hint(format!("task '{}': {what}: {e}", self.name), HINT)
        };
        let regex = match &self.checks.regex {
            Some(r) => Some(regex::Regex::new(r).map_err(|e| bad("regex", e.to_string()))?),
            None => None,
        };
        let schema = match &self.checks.json_schema {
            Some(s) => Some(OutputSchema::parse(s).map_err(|e| bad("json_schema", e.to_string()))?),
            None => None,
        };
        if self.checks.max_turns == Some(0) {
            return Err(bad("max_turns", "must be at least 1".into()));
        }
        Ok(Compiled {
            checks: self.checks.clone(),
            regex,
            schema,
        })
    }
}

impl Compiled {
    /// `None` when the run passes every check, else the first failure in words.
    pub fn failure(&self, t: &Transcript) -> Option<String> {
        let c = &self.checks;
        let answer = t.text.as_str();
        for s in &c.contains {
            if !answer.contains(s.as_str()) {
                return Some(format!("contains: the answer has no {s:?}"));
            }
        }
        if let Some(re) = &self.regex
            && !re.is_match(answer)
        {
            return Some(format!(
                "regex: the answer does not match /{}/",
                re.as_str()
            ));
        }
        if let Some(schema) = &self.schema
            && let Err(e) = schema.check_answer(answer)
        {
            return Some(format!("json_schema: {e}"));
        }
        if let Some(tc) = &c.tool_called {
            let (name, args) = tc.parts();
            let calls: Vec<_> = t
                .turns
                .iter()
                .flat_map(|turn| &turn.tool_calls)
                .filter(|call| call.name == name)
                .collect();
            if calls.is_empty() {
                return Some(format!("tool_called: {name} was not called"));
            }
            if let Some(want) = args
                && !calls.iter().any(|call| {
                    want.iter()
                        .all(|(k, v)| call.arguments.get(k).is_some_and(|got| got == v))
                })
            {
                return Some(format!(
                    "tool_called: {name} was not called with {}",
                    serde_json::Value::Object(want.clone())
                ));
            }
        }
        let turns = t.turns.len() as u32;
        if let Some(max) = c.max_turns
            && turns > max
        {
            return Some(format!("max_turns: {turns} turns > {max}"));
        }
        if let Some(max) = c.max_cost_usd {
            match t.totals.cost_usd {
                Some(spent) if spent > max => {
                    return Some(format!(
                        "max_cost_usd: ${} > ${}",
                        crate::pricing::usd(spent),
                        crate::pricing::usd(max)
                    ));
                }
                None => return Some("max_cost_usd: no price known for the model".into()),
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_parse_and_bad_checks_name_their_task() {
        let tasks = parse(
            r#"
[[task]]
name = "a"
prompt = "hi {{who}}"
vars = { who = "there" }
contains = ["x"]
tool_called = { name = "t", arguments = { k = 1 } }

[[task]]
name = "b"
prompt = "p"
tool_called = "t"
"#,
        )
        .unwrap();
        assert_eq!(tasks[0].prompt, "hi there");
        assert!(matches!(
            tasks[0].checks.tool_called,
            Some(ToolCalled::With { .. })
        ));
        assert_eq!(
            tasks[1].checks.tool_called,
            Some(ToolCalled::Name("t".into()))
        );
        let err = parse("[[task]]\nname = \"r\"\nprompt = \"p\"\nregex = \"(\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("task 'r': regex"), "{err}");
        let err = parse("[[task]]\nname = \"r\"\nprompt = \"p\"\nnope = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");
    }
}
