//! `omc run --schema`: the JSON Schema an answer must match, from a file, inline JSON or a
//! concise spec (`'name, age int, tags [str]'`), made fit for every family's strict structured
//! output, and the validator an answer is checked with.
//!
//! # Why not a crate
//!
//! `jsonschema` (the well-kept one) pulls in a regex engine, an HTTP client for remote `$ref`s
//! and much more, for a binary that starts in a millisecond. omc validates what structured
//! output can produce: the schemas it generates and the keywords strict modes accept. The
//! validator here checks `type`, `properties`, `required`, `additionalProperties`, `items`,
//! `prefixItems`, `enum`, `const`, `minimum`, `maximum`, `exclusiveMinimum`,
//! `exclusiveMaximum`, `multipleOf`, `minLength`, `maxLength`, `minItems`, `maxItems`,
//! `uniqueItems`, `minProperties`, `maxProperties`, `anyOf`, `oneOf`, `allOf`, `not` and local
//! `$ref`s (`#/$defs/…`, `#/definitions/…`, `#`). `pattern` and `format` are not checked (the
//! providers' strict modes do not enforce them either); every other keyword is an annotation.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// A schema ready to send: normalised for strict modes, with the name OpenAI wants.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSchema {
    /// `^[a-zA-Z0-9_-]{1,64}$`: the schema's `title`, or the file's stem, or `output`.
    pub name: String,
    pub schema: Value,
}

impl OutputSchema {
    /// `--schema ARG`: a file (when `ARG` names one), inline JSON (when it starts with `{`), or
    /// a concise spec.
    pub fn parse(arg: &str) -> Result<OutputSchema> {
        let trimmed = arg.trim();
        let path = std::path::Path::new(trimmed);
        let (schema, stem) = if !trimmed.starts_with('{') && path.is_file() {
            let text = crate::bounded::read_file_string(path, crate::bounded::Limit::SCHEMA)?;
            let v: Value = serde_json::from_str(&text).map_err(|e| {
                Error::usage_hint(
                    format!("{} is not a JSON Schema: {e}", path.display()),
                    "a schema file holds one JSON object",
                )
            })?;
            (
                v,
                path.file_stem().and_then(|s| s.to_str()).map(str::to_owned),
            )
        } else if trimmed.starts_with('{') {
            let v: Value = serde_json::from_str(trimmed).map_err(|e| {
                Error::usage_hint(
                    format!("--schema is not valid JSON: {e}"),
                    "give a JSON Schema object, a file, or a spec such as 'name, age int, tags [str]'",
                )
            })?;
            (v, None)
        } else {
            (parse_spec(trimmed)?, None)
        };
        if !schema.is_object() {
            return Err(Error::usage(
                "--schema must be a JSON object (a JSON Schema)",
            ));
        }
        check_refs(&schema, &schema)?;
        let name = schema["title"]
            .as_str()
            .map(str::to_owned)
            .or(stem)
            .map(|n| sanitise_name(&n))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "output".to_owned());
        Ok(OutputSchema {
            name,
            schema: normalise(schema),
        })
    }

    /// The answer as the JSON document it must be, checked against the schema; the error
    /// says where and why it is not.
    pub fn check_answer(&self, text: &str) -> std::result::Result<Value, String> {
        let doc: Value = serde_json::from_str(strip_fence(text))
            .map_err(|e| format!("the answer is not JSON: {e}"))?;
        let mut errors = Vec::new();
        validate(&self.schema, &self.schema, &doc, "$", &mut errors);
        match errors.len() {
            0 => Ok(doc),
            _ => Err(format!(
                "the answer does not match the schema: {}",
                errors.join("; ")
            )),
        }
    }

    /// A deterministic document that matches the schema (what the echo provider answers).
    pub fn sample(&self) -> Value {
        sample(&self.schema, &self.schema, 0)
    }
}

/// The answer's text without the Markdown fence some models put around JSON even when asked
/// for structured output.
pub fn document_text(text: &str) -> &str {
    strip_fence(text)
}

/// Models sometimes wrap JSON in a Markdown fence even in JSON mode.
fn strip_fence(text: &str) -> &str {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("```")
        && let Some(body) = rest.strip_suffix("```")
    {
        return body
            .split_once('\n')
            .map_or(body, |(_lang, inner)| inner)
            .trim();
    }
    t
}

fn sanitise_name(n: &str) -> String {
    n.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect()
}

/// `'name, age int, tags [str]'`: comma-separated fields, each a name and a type (`str`, the
/// default; `int`, `float`, `bool`, `[T]` for a list). A description may follow a colon:
/// `'age int: years since birth'`.
pub fn parse_spec(spec: &str) -> Result<Value> {
    let bad = |what: String| {
        Error::usage_hint(
            format!("--schema: {what}"),
            "a spec is 'name, age int, tags [str]' (types: str, int, float, bool, [T]), or give a JSON Schema",
        )
    };
    let mut properties = Map::new();
    for field in spec.split(',').map(str::trim) {
        if field.is_empty() {
            return Err(bad("an empty field".into()));
        }
        let (decl, description) = match field.split_once(':') {
            Some((d, desc)) => (d.trim(), Some(desc.trim())),
            None => (field, None),
        };
        let (name, ty) = match decl.split_once(char::is_whitespace) {
            Some((n, t)) => (n, t.trim()),
            None => (decl, "str"),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(bad(format!(
                "'{}' is not a field name",
                crate::terminal::line(name)
            )));
        }
        let mut prop = spec_type(ty)
            .ok_or_else(|| bad(format!("unknown type '{}'", crate::terminal::line(ty))))?;
        if let Some(d) = description.filter(|d| !d.is_empty()) {
            prop["description"] = json!(d);
        }
        if properties.insert(name.to_owned(), prop).is_some() {
            return Err(bad(format!("field '{name}' is given twice")));
        }
    }
    Ok(json!({"type": "object", "properties": properties}))
}

fn spec_type(ty: &str) -> Option<Value> {
    let ty = ty.trim();
    if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return Some(json!({"type": "array", "items": spec_type(inner)?}));
    }
    Some(match ty {
        "str" | "string" | "" => json!({"type": "string"}),
        "int" | "integer" => json!({"type": "integer"}),
        "float" | "number" => json!({"type": "number"}),
        "bool" | "boolean" => json!({"type": "boolean"}),
        _ => return None,
    })
}

/// What strict structured output needs (OpenAI's strict mode, Anthropic's structured
/// outputs): every object lists all its properties as `required` and allows no others.
pub fn normalise(mut schema: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                let is_object = map.get("type").is_some_and(|t| {
                    t == "object" || t.as_array().is_some_and(|a| a.contains(&json!("object")))
                }) || map.contains_key("properties");
                if is_object {
                    let keys: Vec<Value> = map
                        .get("properties")
                        .and_then(Value::as_object)
                        .map(|p| p.keys().map(|k| json!(k)).collect())
                        .unwrap_or_default();
                    map.insert("required".into(), Value::Array(keys));
                    map.insert("additionalProperties".into(), json!(false));
                    map.entry("properties").or_insert_with(|| json!({}));
                }
                for (k, child) in map.iter_mut() {
                    // Values of these are data, not schemas.
                    if !matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                        walk(child);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut schema);
    schema
}

/// Every `$ref` must be local and resolve: a remote one would need fetching, which omc never
/// does.
fn check_refs(root: &Value, v: &Value) -> Result<()> {
    match v {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref") {
                let r = r.as_str().unwrap_or_default();
                if resolve(root, r).is_none() {
                    return Err(Error::usage(format!(
                        "--schema: $ref '{}' does not point into the schema (only local references like #/$defs/NAME are followed)",
                        crate::terminal::line(r)
                    )));
                }
            }
            map.values().try_for_each(|c| check_refs(root, c))
        }
        Value::Array(items) => items.iter().try_for_each(|c| check_refs(root, c)),
        _ => Ok(()),
    }
}

fn resolve<'a>(root: &'a Value, r: &str) -> Option<&'a Value> {
    let path = r.strip_prefix('#')?;
    if path.is_empty() {
        return Some(root);
    }
    path.strip_prefix('/')?
        .split('/')
        .map(|seg| seg.replace("~1", "/").replace("~0", "~"))
        .try_fold(root, |node, key| node.get(&key))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(v: &Value, ty: &str) -> bool {
    match ty {
        "integer" => match v {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        "number" => v.is_number(),
        other => type_name(v) == other,
    }
}

fn validate(root: &Value, s: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    if errors.len() >= 5 {
        return;
    }
    let Some(s) = s.as_object() else {
        if s == &Value::Bool(false) {
            errors.push(format!("{at}: no value is allowed here"));
        }
        return;
    };
    if let Some(target) = s
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(root, r))
    {
        validate(root, target, v, at, errors);
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.is_empty() && !types.iter().any(|t| has_type(v, t)) {
            errors.push(format!(
                "{at}: expected {}, got {}",
                types.join(" or "),
                type_name(v)
            ));
            return;
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errors.push(format!(
            "{at}: {v} is not one of {}",
            Value::Array(e.clone())
        ));
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        errors.push(format!("{at}: expected {c}, got {v}"));
    }
    let num = |k: &str| s.get(k).and_then(Value::as_f64);
    if let Some(x) = v.as_f64() {
        if let Some(m) = num("minimum").filter(|m| x < *m) {
            errors.push(format!("{at}: {x} is less than the minimum {m}"));
        }
        if let Some(m) = num("maximum").filter(|m| x > *m) {
            errors.push(format!("{at}: {x} is more than the maximum {m}"));
        }
        if let Some(m) = num("exclusiveMinimum").filter(|m| x <= *m) {
            errors.push(format!("{at}: {x} is not more than {m}"));
        }
        if let Some(m) = num("exclusiveMaximum").filter(|m| x >= *m) {
            errors.push(format!("{at}: {x} is not less than {m}"));
        }
        if let Some(m) = num("multipleOf").filter(|m| *m > 0.0 && (x / m).fract().abs() > 1e-9) {
            errors.push(format!("{at}: {x} is not a multiple of {m}"));
        }
    }
    let count = |k: &str| s.get(k).and_then(Value::as_u64).map(|n| n as usize);
    if let Some(text) = v.as_str() {
        let n = text.chars().count();
        if let Some(m) = count("minLength").filter(|m| n < *m) {
            errors.push(format!("{at}: shorter than {m} characters"));
        }
        if let Some(m) = count("maxLength").filter(|m| n > *m) {
            errors.push(format!("{at}: longer than {m} characters"));
        }
    }
    if let Some(items) = v.as_array() {
        if let Some(m) = count("minItems").filter(|m| items.len() < *m) {
            errors.push(format!("{at}: fewer than {m} items"));
        }
        if let Some(m) = count("maxItems").filter(|m| items.len() > *m) {
            errors.push(format!("{at}: more than {m} items"));
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true))
            && items
                .iter()
                .enumerate()
                .any(|(i, a)| items[..i].contains(a))
        {
            errors.push(format!("{at}: items are not unique"));
        }
        let prefix = s.get("prefixItems").and_then(Value::as_array);
        let skip = prefix.map_or(0, Vec::len);
        for (i, (p, item)) in prefix.into_iter().flatten().zip(items).enumerate() {
            validate(root, p, item, &format!("{at}[{i}]"), errors);
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate().skip(skip) {
                validate(root, item_schema, item, &format!("{at}[{i}]"), errors);
            }
        }
    }
    if let Some(obj) = v.as_object() {
        if let Some(m) = count("minProperties").filter(|m| obj.len() < *m) {
            errors.push(format!("{at}: fewer than {m} properties"));
        }
        if let Some(m) = count("maxProperties").filter(|m| obj.len() > *m) {
            errors.push(format!("{at}: more than {m} properties"));
        }
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(k) = r.as_str()
                && !obj.contains_key(k)
            {
                errors.push(format!("{at}: missing required property '{k}'"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, item) in obj {
            let child = format!("{at}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(root, ps, item, &child, errors),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errors.push(format!("{at}: property '{k}' is not allowed"))
                    }
                    Some(extra @ Value::Object(_)) => validate(root, extra, item, &child, errors),
                    _ => {}
                },
            }
        }
    }
    let passes = |sub: &Value| {
        let mut e = Vec::new();
        validate(root, sub, v, at, &mut e);
        e.is_empty()
    };
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            validate(root, sub, v, at, errors);
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(passes)
    {
        errors.push(format!("{at}: matches none of the anyOf choices"));
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let n = one.iter().filter(|sub| passes(sub)).count();
        if n != 1 {
            errors.push(format!(
                "{at}: matches {n} of the oneOf choices, not exactly one"
            ));
        }
    }
    if let Some(not) = s.get("not")
        && passes(not)
    {
        errors.push(format!("{at}: matches a schema it must not"));
    }
}

/// A value of schema `s`: the first choice, the smallest number, the fewest items.
fn sample(root: &Value, s: &Value, depth: usize) -> Value {
    let Some(map) = s.as_object() else {
        return Value::Null;
    };
    if depth > 16 {
        return Value::Null;
    }
    if let Some(target) = map
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(root, r))
    {
        return sample(root, target, depth + 1);
    }
    if let Some(c) = map.get("const") {
        return c.clone();
    }
    if let Some(first) = map
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    for k in ["anyOf", "oneOf"] {
        if let Some(first) = map.get(k).and_then(Value::as_array).and_then(|a| a.first()) {
            return sample(root, first, depth + 1);
        }
    }
    if let Some(first) = map
        .get("allOf")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return sample(root, first, depth + 1);
    }
    let ty = match map.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.first().and_then(Value::as_str).unwrap_or("null"),
        _ if map.contains_key("properties") => "object",
        _ => "null",
    };
    let low = map
        .get("minimum")
        .or(map.get("exclusiveMinimum"))
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = map.get("properties").and_then(Value::as_object) {
                for (k, p) in props {
                    out.insert(k.clone(), sample(root, p, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let n = map.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let item = map.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..n).map(|_| sample(root, &item, depth + 1)).collect())
        }
        "string" => {
            let n = map.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            json!("echo".repeat(n / 4 + 1))
        }
        "integer" => {
            let i = low.ceil() as i64;
            let excl = map.get("exclusiveMinimum").and_then(Value::as_f64);
            json!(if excl.is_some_and(|e| (i as f64) <= e) {
                i + 1
            } else {
                i
            })
        }
        "number" => {
            let excl = map.get("exclusiveMinimum").and_then(Value::as_f64);
            json!(if excl.is_some() { low + 1.0 } else { low })
        }
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_becomes_a_strict_schema() {
        let s =
            OutputSchema::parse("name, age int: years, tags [str], ok bool, score float").unwrap();
        assert_eq!(s.name, "output");
        assert_eq!(
            s.schema,
            json!({"type": "object", "properties": {
                "name": {"type": "string"},
                "age": {"type": "integer", "description": "years"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "ok": {"type": "boolean"},
                "score": {"type": "number"},
            }, "required": ["age", "name", "ok", "score", "tags"], "additionalProperties": false})
        );
        assert!(OutputSchema::parse("name, age integ").is_err());
        assert!(OutputSchema::parse("a, a").is_err());
        assert!(OutputSchema::parse("a,,b").is_err());
    }

    #[test]
    fn inline_json_is_normalised_at_every_level() {
        let s = OutputSchema::parse(
            r#"{"title": "A person!", "type": "object", "properties": {"pet": {"type": "object", "properties": {"n": {"type": "string"}}}}}"#,
        )
        .unwrap();
        assert_eq!(s.name, "A_person_");
        assert_eq!(s.schema["required"], json!(["pet"]));
        assert_eq!(s.schema["properties"]["pet"]["required"], json!(["n"]));
        assert_eq!(
            s.schema["properties"]["pet"]["additionalProperties"],
            json!(false)
        );
        assert!(OutputSchema::parse(r#"{"$ref": "https://x/y"}"#).is_err());
        assert!(OutputSchema::parse("[1]").is_err());
    }

    #[test]
    fn answers_are_checked_with_the_place_named() {
        let s = OutputSchema::parse("name, age int, tags [str]").unwrap();
        assert!(
            s.check_answer(r#"{"name": "a", "age": 3, "tags": ["x"]}"#)
                .is_ok()
        );
        let e = s
            .check_answer(r#"{"name": "a", "age": "3", "tags": [1]}"#)
            .unwrap_err();
        assert!(e.contains("$.age: expected integer, got string"), "{e}");
        assert!(e.contains("$.tags[0]: expected string"), "{e}");
        let e = s
            .check_answer(r#"{"name": "a", "tags": [], "x": 1}"#)
            .unwrap_err();
        assert!(e.contains("missing required property 'age'"), "{e}");
        assert!(e.contains("'x' is not allowed"), "{e}");
        assert!(s.check_answer("not json").unwrap_err().contains("not JSON"));
        assert!(
            s.check_answer("```json\n{\"name\": \"a\", \"age\": 1, \"tags\": []}\n```")
                .is_ok()
        );
    }

    #[test]
    fn the_sample_matches_its_schema() {
        for arg in [
            "name, age int, tags [str], ok bool, f float",
            r##"{"type": "object", "$defs": {"c": {"type": "string", "enum": ["red", "blue"]}}, "properties": {"c": {"$ref": "#/$defs/c"}, "n": {"type": "integer", "minimum": 3}, "xs": {"type": "array", "minItems": 2, "items": {"anyOf": [{"type": "null"}, {"type": "string"}]}}, "s": {"type": "string", "minLength": 9}}}"##,
        ] {
            let s = OutputSchema::parse(arg).unwrap();
            let doc = s.sample();
            s.check_answer(&doc.to_string())
                .unwrap_or_else(|e| panic!("{arg}: {doc}: {e}"));
        }
    }

    #[test]
    fn keywords_are_enforced() {
        let s = OutputSchema {
            name: "t".into(),
            schema: json!({"type": "array", "items": {"type": "number", "maximum": 2}, "maxItems": 2, "uniqueItems": true}),
        };
        assert!(s.check_answer("[1, 2]").is_ok());
        assert!(s.check_answer("[1, 3]").unwrap_err().contains("maximum"));
        assert!(s.check_answer("[1, 1]").unwrap_err().contains("unique"));
        assert!(
            s.check_answer("[1, 2, 0]")
                .unwrap_err()
                .contains("more than 2 items")
        );
        let s = OutputSchema {
            name: "t".into(),
            schema: json!({"oneOf": [{"type": "integer"}, {"type": "number"}]}),
        };
        assert!(s.check_answer("1.5").is_ok());
        assert!(s.check_answer("1").unwrap_err().contains("oneOf"));
    }
}
