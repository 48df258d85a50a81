//! `schema/bench-report.schema.json` checked against real reports by the validator in
//! `tests/support/json_schema.rs`.

use serde_json::{Value, json};

use crate::json_schema::{SUPPORTED, errors_for, schema};
use crate::mock::{summary, target_summary};
use crate::report::sample_report;

fn keywords(s: &Value, out: &mut Vec<String>) {
    match s {
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                match k.as_str() {
                    // Maps of names to schemas: their keys are names, not keywords.
                    "properties" | "$defs" => {
                        for sub in v.as_object().unwrap().values() {
                            keywords(sub, out);
                        }
                    }
                    "enum" | "const" | "required" | "description" | "title" => {}
                    _ => keywords(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keywords(x, out)),
        _ => {}
    }
}

#[test]
fn the_schema_uses_only_keywords_the_validator_checks() {
    let mut used = Vec::new();
    keywords(&schema(), &mut used);
    used.sort();
    used.dedup();
    let unknown: Vec<_> = used
        .iter()
        .filter(|k| !SUPPORTED.contains(&k.as_str()))
        .collect();
    assert!(unknown.is_empty(), "unsupported keywords: {unknown:?}");
    assert_eq!(
        schema()["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

#[test]
fn a_real_report_validates() {
    let r = sample_report();
    let v: Value =
        serde_json::from_str(&omc::bench::render(&r, omc::bench::Format::Json, false).unwrap())
            .unwrap();
    let errors = errors_for(&v);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_report_with_baseline_regression_gates_and_open_load_validates() {
    let mut r = sample_report();
    let base = sample_report();
    r.id = Some("42".into());
    r.baseline = Some(base.baseline_ref());
    r.config.load = omc::bench::Load::Open { rate: 2.5 };
    r.ranking = None;
    let gates = omc::bench::gate::parse_all(&["regress(ttft.p50)>10%", "cost.total>1"]).unwrap();
    r.gates = omc::bench::evaluate(&gates, &r.targets, Some(&base.targets)).unwrap();
    r.targets.push(target_summary("echo/echo-1", None));
    r.targets
        .push(target_summary("echo/echo-2", Some(summary(5, 1.0, 0.1))));
    let v = serde_json::to_value(&r).unwrap();
    let errors = errors_for(&v);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_validator_rejects_drift() {
    let good: Value = serde_json::to_value(sample_report()).unwrap();
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        errors_for(&v)
    };
    assert!(!broken(&|v| v["schema_version"] = json!(2)).is_empty());
    assert!(!broken(&|v| v["targets"][0]["ttft"]["p50"] = json!("fast")).is_empty());
    assert!(
        !broken(&|v| {
            v["targets"][0].as_object_mut().unwrap().remove("e2e");
        })
        .is_empty()
    );
    assert!(!broken(&|v| v["targets"][0]["new_field"] = json!(1)).is_empty());
    assert!(!broken(&|v| v["gates"][0]["status"] = json!("maybe")).is_empty());
    assert!(
        !broken(&|v| v["config"]["load"] = json!({"mode": "open", "concurrency": 2})).is_empty()
    );
    assert!(!broken(&|v| v["config_hash"] = json!("abc")).is_empty());
}
