//! Conversations through the real binary: `omc run` stores each one age-encrypted, `-c` and
//! `--conversation` replay the right history to the provider (fakes speaking each family's wire
//! format record what was sent), `--no-log` / `log = false` keep nothing but the usage row, and
//! `omc log` lists without the key, shows, searches and really deletes.

#[path = "support/common.rs"]
mod common;
mod support;

use common::*;
use support::fake_provider::{Behaviour, Family, Reply};
use support::server::Fake;

const FAMILIES: [Family; 3] = [Family::OpenAi, Family::Anthropic, Family::Gemini];

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
            "--no-validate",
        ]),
        &key(family),
    ));
    home
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Every file under the home, as bytes: omc.db, its WAL, and whatever else omc wrote.
fn every_file(home: &Home) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![home.path().to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn ciphertexts(home: &Home) -> usize {
    every_file(home)
        .iter()
        .map(|(_, b)| {
            b.windows(21)
                .filter(|w| *w == b"age-encryption.org/v1")
                .count()
        })
        .sum()
}

#[test]
fn continue_replays_the_history_of_the_last_conversation() {
    for family in FAMILIES {
        let fake = Fake::start(family, &key(family));
        let home = home_with(&fake, family);
        fake.server()
            .push(Behaviour::Reply(Reply::text(&["FIRST-", "ANSWER"])));
        let first = ok(&run(home.cmd().args([
            "run",
            "FIRST-PROMPT",
            "--system",
            "SYSTEM-PROMPT-7",
            "--json",
        ])));
        let id = json(&first)["conversation"].as_i64().expect("stored");
        fake.server()
            .push(Behaviour::Reply(Reply::text(&["SECOND-ANSWER"])));
        let second = json(&ok(&run(home.cmd().args([
            "run",
            "-c",
            "SECOND-PROMPT",
            "--json",
        ]))));
        assert_eq!(second["conversation"], id, "{family:?}: -c continues it");
        ok(&run(home.cmd().args(["run", "-c", "THIRD-PROMPT"])));

        let reqs = fake.server().requests();
        let sent: Vec<String> = reqs.iter().map(|r| r.body.clone()).collect();
        let third = sent.last().unwrap();
        // The whole history, in order, with the system prompt carried over.
        assert!(third.contains("SYSTEM-PROMPT-7"), "{family:?}: {third}");
        let order = [
            "FIRST-PROMPT",
            "FIRST-ANSWER",
            "SECOND-PROMPT",
            "SECOND-ANSWER",
            "THIRD-PROMPT",
        ];
        let mut at = 0;
        for word in order {
            let found = third[at..]
                .find(word)
                .unwrap_or_else(|| panic!("{family:?}: {word} missing or out of order: {third}"));
            at += found;
        }
        // The first request had no history.
        assert!(!sent[sent.len() - 3].contains("SECOND"), "{family:?}");
    }
}

#[test]
fn conversation_id_continues_that_one_and_model_and_credential_carry_over() {
    let family = Family::OpenAi;
    let fake = Fake::start_any(family);
    let home = home_with(&fake, family);
    // A second credential, the default, so a carried-over credential is visible.
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--name",
            "other",
            "--base-url",
            &fake.server().base_url(),
            "--key-stdin",
            "--no-validate",
            "--default",
        ]),
        "sk-openai-OTHERKEY-99aa00bb11",
    ));
    let a = json(&ok(&run(home.cmd().args([
        "run",
        "ALPHA-PROMPT",
        "--credential",
        "openai",
        "--model",
        "fake-model-9",
        "--json",
    ]))));
    let a_id = a["conversation"].as_i64().unwrap();
    ok(&run(home.cmd().args(["run", "BETA-PROMPT"])));
    let cont = json(&ok(&run(home.cmd().args([
        "run",
        "--conversation",
        &a_id.to_string(),
        "GAMMA-PROMPT",
        "--json",
    ]))));
    assert_eq!(cont["conversation"], a_id);
    assert_eq!(cont["credential"], "openai", "the credential carried over");
    let last = fake.server().requests().last().unwrap().json();
    assert_eq!(last["model"], "fake-model-9", "the model carried over");
    let body = last.to_string();
    assert!(
        body.contains("ALPHA-PROMPT") && body.contains("GAMMA-PROMPT"),
        "{body}"
    );
    assert!(
        !body.contains("BETA-PROMPT"),
        "another conversation's history: {body}"
    );
    // A model given wins.
    ok(&run(home.cmd().args([
        "run",
        "-c",
        "DELTA",
        "--model",
        "fake-model-3",
    ])));
    assert_eq!(
        fake.server().requests().last().unwrap().json()["model"],
        "fake-model-3"
    );

    let missing = run(home.cmd().args(["run", "--conversation", "999", "x"]));
    assert_eq!(code(&missing), 3, "{}", stderr(&missing));
    let both = run(home.cmd().args(["run", "-c", "--conversation", "1", "x"]));
    assert_eq!(code(&both), 2, "{}", stderr(&both));
}

#[test]
fn a_canary_prompt_is_in_no_file_omc_writes_and_the_list_needs_no_key() {
    let family = Family::Anthropic;
    let fake = Fake::start(family, &key(family));
    let home = home_with(&fake, family);
    let canary = "CANARY-7f3a9c-PROMPT";
    fake.server()
        .set_default(Behaviour::Reply(Reply::text(&["CANARY-", "ANSWER-e21b"])));
    ok(&run(home.cmd().args(["run", canary])));
    ok(&run(home.cmd().args(["run", "-c", "and more"])));
    for (path, bytes) in every_file(&home) {
        assert!(
            !contains(&bytes, canary),
            "{} holds the prompt",
            path.display()
        );
        assert!(
            !contains(&bytes, "ANSWER-e21b"),
            "{} holds the answer",
            path.display()
        );
    }
    // Listing needs no master key, and shows no prompt text by default.
    let list = ok(&run(home.bare().args(["log", "--json"])));
    let rows = json(&list);
    assert_eq!(rows.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(rows[0]["exchanges"], 2);
    assert_eq!(rows[0]["credential"], "anthropic");
    assert!(rows[0].get("title").is_none(), "{list}");
    assert!(!list.contains("CANARY"));
    // Reading needs it.
    let locked = run(home.bare().args(["log", "show", "last"]));
    assert_eq!(code(&locked), 4, "{}", stderr(&locked));
    let shown = ok(&run(home.cmd().args(["log", "show", "last"])));
    assert!(
        shown.contains(canary) && shown.contains("CANARY-ANSWER-e21b"),
        "{shown}"
    );
    let md = ok(&run(home.cmd().args(["log", "show", "1", "--markdown"])));
    assert!(md.contains("## User") && md.contains(canary), "{md}");
    let js = json(&ok(&run(home.cmd().args(["log", "show", "1", "--json"]))));
    assert_eq!(js["messages"][0]["parts"][0]["text"], canary, "{js}");
    assert_eq!(js["messages"].as_array().unwrap().len(), 4, "{js}");
    let found = json(&ok(&run(home
        .cmd()
        .args(["log", "search", "7f3a9C", "--json"]))));
    assert_eq!(found[0]["id"], "1", "{found}");
    let none = json(&ok(&run(home.cmd().args([
        "log",
        "search",
        "nowhere-xyz",
        "--json",
    ]))));
    assert_eq!(none, serde_json::json!([]));
}

#[test]
fn titles_are_stored_only_when_the_user_opts_in() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &key(family));
    let home = home_with(&fake, family);
    std::fs::write(home.data().join("config.toml"), "log_titles = true\n").unwrap();
    ok(&run(home
        .cmd()
        .args(["run", "TITLED words of the first prompt"])));
    let rows = json(&ok(&run(home.bare().args(["log", "--json"]))));
    assert_eq!(rows[0]["title"], "TITLED words of the first prompt");
}

#[test]
fn no_log_and_log_false_keep_only_the_usage_row() {
    let family = Family::Gemini;
    let fake = Fake::start(family, &key(family));
    let home = home_with(&fake, family);
    let canary = "CANARY-NOLOG-55d1";
    let out = json(&ok(&run(home
        .cmd()
        .args(["run", canary, "--no-log", "--json"]))));
    assert!(out["conversation"].is_null(), "{out}");
    std::fs::write(home.data().join("config.toml"), "log = false\n").unwrap();
    ok(&run(home.cmd().args(["run", canary])));
    assert_eq!(ok(&run(home.bare().args(["log", "--json"]))).trim(), "[]");
    let none = run(home.cmd().args(["run", "-c", "more"]));
    assert_eq!(code(&none), 3, "nothing to continue: {}", stderr(&none));
    let usage = json(&ok(&run(home.cmd().args([
        "usage",
        "--group-by",
        "provider",
        "--json",
    ]))));
    assert_eq!(usage["rows"][0]["runs"], 2, "{usage}");
    for (path, bytes) in every_file(&home) {
        assert!(!contains(&bytes, canary), "{}", path.display());
    }
}

#[test]
fn log_delete_removes_the_rows_and_their_ciphertext() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &key(family));
    let home = home_with(&fake, family);
    for p in ["one", "two"] {
        ok(&run(home.cmd().args(["run", p])));
        ok(&run(home.cmd().args(["run", "-c", "again"])));
    }
    assert!(ciphertexts(&home) > 2);
    let gone = run(home.cmd().args(["log", "delete", "1", "7"]));
    assert_eq!(
        code(&gone),
        3,
        "an unknown id deletes nothing: {}",
        stderr(&gone)
    );
    assert_eq!(
        json(&ok(&run(home.bare().args(["log", "--json"]))))
            .as_array()
            .unwrap()
            .len(),
        2
    );
    ok(&run(home.cmd().args(["log", "delete", "1"])));
    let left = json(&ok(&run(home.bare().args(["log", "--json"]))));
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["id"], "2");
    let shown = run(home.cmd().args(["log", "show", "1"]));
    assert_eq!(code(&shown), 3);
    let out = json(&ok(&run(home.cmd().args([
        "log",
        "delete",
        "--older-than",
        "0s",
        "--json",
    ]))));
    assert_eq!(out["deleted"], 1);
    // Every page that held a conversation's ciphertext, in omc.db and its WAL, is wiped:
    // what is left is the credential's.
    assert_eq!(ciphertexts(&home), 1);
    let usage = json(&ok(&run(home.cmd().args(["usage", "--json"]))));
    assert_eq!(usage["total"]["runs"], 4, "usage rows stay: {usage}");
}
