//! `omc run --schema` through the real binary against local fakes of each family: the native
//! structured-output shape arrives, a matching answer is printed as exactly the document, one
//! that does not match exits 6.

#[path = "support/common.rs"]
mod common;
mod support;

use common::*;
use serde_json::{Value, json};
use support::fake_provider::{Behaviour, Family, Reply};
use support::server::Fake;

const FAMILIES: [Family; 3] = [Family::OpenAi, Family::Anthropic, Family::Gemini];
const SPEC: &str = "name, age int, tags [str]";

fn key(family: Family) -> String {
    format!("sk-{}-GOODKEY-4f1c9a7e2b", family.provider_id())
}

fn home_with(fake: &Fake, family: Family) -> Home {
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            family.provider_id(),
            "--base-url",
            &fake.server().base_url(),
            "--key-stdin",
        ]),
        &key(family),
    ));
    home
}

fn strict_schema() -> Value {
    json!({"type": "object", "properties": {
        "age": {"type": "integer"},
        "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
    }, "required": ["age", "name", "tags"], "additionalProperties": false})
}

#[test]
fn each_family_gets_its_native_schema_and_a_valid_answer_is_the_document() {
    let doc = r#"{"name": "Ada", "age": 36, "tags": ["math"]}"#;
    for family in FAMILIES {
        let fake = Fake::start(family, &key(family));
        let home = home_with(&fake, family);
        fake.server()
            .set_default(Behaviour::Reply(Reply::text(&[&doc[..10], &doc[10..]])));
        let out = ok(&run(home.cmd().args(["run", "who?", "--schema", SPEC])));
        assert_eq!(out, format!("{doc}\n"), "{family:?}");
        let body = fake.server().requests().last().unwrap().json();
        match family {
            Family::OpenAi => assert_eq!(
                body["response_format"],
                json!({"type": "json_schema", "json_schema": {"name": "output", "schema": strict_schema(), "strict": true}})
            ),
            Family::Anthropic => {
                assert_eq!(
                    body["output_config"],
                    json!({"format": {"type": "json_schema", "schema": strict_schema()}})
                );
                let last = fake.server().requests().last().unwrap().clone();
                assert!(last.header("anthropic-beta").is_none());
            }
            Family::Gemini => {
                assert_eq!(
                    body["generationConfig"]["responseMimeType"],
                    "application/json"
                );
                assert_eq!(
                    body["generationConfig"]["responseJsonSchema"],
                    strict_schema()
                );
            }
        }
        // With --json the document is under "output".
        let out = ok(&run(home.cmd().args([
            "run",
            "who?",
            "--schema",
            SPEC,
            "--json",
            "--no-stream",
        ])));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["output"], serde_json::from_str::<Value>(doc).unwrap());
    }
}

#[test]
fn an_answer_that_does_not_match_exits_6_naming_why() {
    for family in FAMILIES {
        let fake = Fake::start(family, &key(family));
        let home = home_with(&fake, family);
        fake.server().set_default(Behaviour::Reply(Reply::text(&[
            r#"{"name": "Ada", "age": "old", "tags": []}"#,
        ])));
        let out = run(home.cmd().args(["run", "who?", "--schema", SPEC]));
        assert_eq!(code(&out), 6, "{family:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{}", stdout(&out));
        assert!(
            stderr(&out).contains("$.age: expected integer, got string"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_schema_file_and_the_echo_provider_work_offline() {
    let home = Home::new();
    ok(&run_stdin(
        home.cmd()
            .args(["add", "echo", "--name", "e", "--key-stdin", "--no-validate"]),
        "x",
    ));
    let file = home.path().join("person.json");
    std::fs::write(
        &file,
        r#"{"type": "object", "properties": {"colour": {"enum": ["red", "blue"]}, "n": {"type": "integer", "minimum": 2}}}"#,
    )
    .unwrap();
    let out = ok(&run(home.cmd().args([
        "run",
        "pick",
        "--schema",
        file.to_str().unwrap(),
    ])));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v, json!({"colour": "red", "n": 2}));
    let bad = run(home
        .cmd()
        .args(["run", "pick", "--schema", "name, age integ"]));
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("unknown type 'integ'"),
        "{}",
        stderr(&bad)
    );
}
