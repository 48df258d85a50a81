//! Every JSON document omc prints writes times one way: RFC 3339 in UTC, to the second.

#[path = "support/common.rs"]
mod common;

use common::*;
use serde_json::Value;

/// Every value under a key that names a time (`*_at`, `at`, `since`).
fn times(v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k.ends_with("_at") || k == "at" || k == "since" {
                    out.push((k.clone(), v.clone()));
                }
                times(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| times(v, out)),
        _ => {}
    }
}

fn rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && s.chars().filter(char::is_ascii_digit).count() == 14
}

#[test]
fn every_json_time_is_rfc3339_utc() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "anything-at-all-1234"));
    ok(&run(home.cmd().args(["run", "hi"])));
    ok(&run(home.cmd().args(["bench", "--runs", "2", "--json"])));
    let agent = home.path().join("dry.toml");
    std::fs::write(
        &agent,
        "models = [\"echo\"]\n[[tool]]\nname = \"words\"\ncommand = [\"wc\", \"-w\"]\napprove = \"auto\"\n",
    )
    .unwrap();
    ok(&run(home.cmd().args([
        "run",
        "--agent",
        agent.to_str().unwrap(),
        "/call words {\"text\":\"a b\"}",
    ])));
    let mut checked = 0;
    for args in [
        &["list", "--json"][..],
        &["audit", "--json"],
        &["bench", "history", "--json"],
        &["agent", "runs", "--json"],
        &["usage", "--json"],
        &["master", "status", "--json"],
        &["profile", "list", "--json"],
    ] {
        let doc: Value = serde_json::from_str(&ok(&run(home.cmd().args(args)))).unwrap();
        let mut found = Vec::new();
        times(&doc, &mut found);
        assert!(!found.is_empty(), "{args:?} shows no time: {doc}");
        for (k, v) in found {
            match &v {
                Value::Null => {}
                Value::String(s) if rfc3339_utc(s) => checked += 1,
                _ => panic!("{args:?}: {k} is {v}, not an RFC 3339 UTC time"),
            }
        }
    }
    assert!(checked >= 8, "{checked}");
}
