//! A small JSON Schema (2020-12) validator for `schema/bench-report.schema.json`, shared by the
//! core's tests (`tests/bench`) and the CLI's (`tests/bench_cli.rs`). A crate validator would pull
//! in a regex engine, an HTTP client and more for a few tests on a 2-core machine. It implements
//! every keyword the schema uses, and a test fails if the schema starts using one it does not,
//! so nothing is silently skipped.
#![allow(dead_code)]

use serde_json::Value;

pub const SUPPORTED: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "title",
    "description",
    "format",
    "type",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "minLength",
    "maxLength",
    "anyOf",
    "oneOf",
];

pub fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/bench-report.schema.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

struct Validator<'a> {
    root: &'a Value,
}

impl Validator<'_> {
    fn validate(&self, s: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(s) = s.as_object() else {
            if s == &Value::Bool(false) {
                errors.push(format!("{at}: not allowed"));
            }
            return;
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let target = r
                .strip_prefix("#/")
                .unwrap()
                .split('/')
                .fold(self.root, |node, key| &node[key]);
            assert!(!target.is_null(), "dangling $ref {r}");
            self.validate(target, v, at, errors);
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(x) => vec![x.as_str()],
                Value::Array(xs) => xs.iter().map(|x| x.as_str().unwrap()).collect(),
                _ => panic!("bad type"),
            };
            if !types.iter().any(|t| type_matches(t, v)) {
                errors.push(format!("{at}: {v} is not of type {types:?}"));
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            errors.push(format!("{at}: {v} not in {e:?}"));
        }
        if let Some(c) = s.get("const")
            && c != v
        {
            errors.push(format!("{at}: {v} is not {c}"));
        }
        if let Some(n) = v.as_f64() {
            let num = |k: &str| s.get(k).and_then(Value::as_f64);
            if num("minimum").is_some_and(|m| n < m) {
                errors.push(format!("{at}: {n} below minimum"));
            }
            if num("maximum").is_some_and(|m| n > m) {
                errors.push(format!("{at}: {n} above maximum"));
            }
            if num("exclusiveMinimum").is_some_and(|m| n <= m) {
                errors.push(format!("{at}: {n} not above exclusiveMinimum"));
            }
        }
        if let Some(text) = v.as_str() {
            let len = text.chars().count() as u64;
            let num = |k: &str| s.get(k).and_then(Value::as_u64);
            if num("minLength").is_some_and(|m| len < m)
                || num("maxLength").is_some_and(|m| len > m)
            {
                errors.push(format!("{at}: length {len} out of bounds"));
            }
        }
        for (key, want_one) in [("anyOf", false), ("oneOf", true)] {
            if let Some(alts) = s.get(key).and_then(Value::as_array) {
                let passing = alts
                    .iter()
                    .filter(|alt| {
                        let mut e = Vec::new();
                        self.validate(alt, v, at, &mut e);
                        e.is_empty()
                    })
                    .count();
                if passing == 0 || (want_one && passing > 1) {
                    errors.push(format!("{at}: {passing} of {key} match"));
                }
            }
        }
        if let Some(obj) = v.as_object() {
            if let Some(req) = s.get("required").and_then(Value::as_array) {
                for k in req {
                    if !obj.contains_key(k.as_str().unwrap()) {
                        errors.push(format!("{at}: missing required {k}"));
                    }
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (k, val) in obj {
                let path = format!("{at}.{k}");
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => self.validate(ps, val, &path, errors),
                    None => {
                        if let Some(extra) = s.get("additionalProperties") {
                            self.validate(extra, val, &path, errors);
                        }
                    }
                }
            }
        }
        if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
            for (i, x) in arr.iter().enumerate() {
                self.validate(items, x, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        // JSON Schema: a number with no fractional part, whatever its spelling.
        "integer" => v.is_u64() || v.is_i64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => panic!("unknown type {t}"),
    }
}

pub fn errors_for(v: &Value) -> Vec<String> {
    let root = schema();
    let mut errors = Vec::new();
    Validator { root: &root }.validate(&root, v, "$", &mut errors);
    errors
}

/// `v` against `schema/NAME` (e.g. `bench-agent-report.schema.json`).
pub fn errors_against(name: &str, v: &Value) -> Vec<String> {
    let path = format!("{}/schema/{name}", env!("CARGO_MANIFEST_DIR"));
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut errors = Vec::new();
    Validator { root: &root }.validate(&root, v, "$", &mut errors);
    errors
}
