//! Messages that point the right way: each error says what happened and the next step.

#[path = "support/common.rs"]
mod common;

use common::*;

/// Regression: `rotate` whose live check failed offline gave no way forward; `add` does.
#[test]
fn rotate_that_cannot_validate_offers_no_validate() {
    let home = Home::new();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-old-0000000000",
    ));
    let out = run_stdin(
        home.cmd().args(["rotate", "openai", "--key-stdin"]),
        "sk-new-1111111111",
    );
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("hint: nothing was changed"), "{err}");
    assert!(err.contains("--no-validate"), "{err}");
    assert!(ok(&run(home.cmd().args(["list"]))).contains("…0000"));
}

#[test]
fn exec_with_no_credentials_says_how_to_add_one() {
    let home = Home::new();
    ok(&run(home.cmd().args(["init"])));
    let out = run(home.cmd().args(["exec", "--", "true"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("profile 'default' has no credentials"),
        "{err}"
    );
    assert!(err.contains("omc add PROVIDER"), "{err}");
}

/// Regression: doctor on a store that never uses the keyring warned with a D-Bus error.
#[test]
fn doctor_on_an_env_store_does_not_probe_the_keyring() {
    let home = Home::new();
    ok(&run(home.cmd().args(["init"])));
    let out = ok(&run(home.cmd().args(["doctor", "--json"])));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keyring = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "OS keyring")
        .unwrap();
    assert_eq!(keyring["status"], "ok", "{keyring}");
    assert_eq!(keyring["detail"], "not used by this store (backend env)");
    assert!(!out.to_lowercase().contains("dbus"), "{out}");
}

#[test]
fn the_key_from_before_a_master_rotate_is_named_as_such() {
    let home = Home::new();
    ok(&home.add("echo", "echo", "k-one"));
    let file = home.path().join("new-key.txt");
    ok(&run(home
        .cmd()
        .args(["master", "rotate", "--new-key-file"])
        .arg(&file)));
    // The old OMC_MASTER_KEY is still set.
    let out = run(home.cmd().args(["key", "echo"]));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the identity from the last `omc master rotate`"),
        "{err}"
    );
    // A store never rotated keeps the first hint.
    let other = Home::new();
    ok(&other.add("echo", "echo", "k-one"));
    let out = run(other
        .bare()
        .env("OMC_MASTER_KEY", generate_identity())
        .args(["key", "echo"]));
    assert!(
        stderr(&out).contains("the identity this store was created with"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_secret_stored_under_another_provider_names_its_credential() {
    let home = Home::new();
    ok(&home.add("openai", "work", "sk-shared-123456789"));
    let out = run_stdin(
        home.cmd()
            .args(["add", "openrouter", "--no-validate", "--key-stdin"]),
        "sk-shared-123456789",
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("as 'work' (openai)"), "{err}");
    assert!(err.contains("omc rotate work"), "{err}");
    assert!(err.contains("--name"), "{err}");
    assert!(!err.contains("sk-shared"), "{err}");
}

#[test]
fn a_mistyped_provider_gets_a_suggestion() {
    let home = Home::new();
    let out = run_stdin(home.cmd().args(["add", "opnai", "--key-stdin"]), "sk-x");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did you mean 'openai'?"),
        "{}",
        stderr(&out)
    );
    let out = run(home.cmd().args(["list", "--provider", "antropic"]));
    assert!(
        stderr(&out).contains("did you mean 'anthropic'?"),
        "{}",
        stderr(&out)
    );
}

/// Regression: a target that failed only with connection errors said "the report above has
/// the details", and the report had none.
#[test]
fn bench_whose_requests_all_failed_shows_the_first_error() {
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-bench-0000000000",
    ));
    let out = run(home.cmd().args(["bench", "--runs", "2", "--warmup", "0"]));
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let (report, err) = (stdout(&out), stderr(&out));
    assert!(!err.contains("report above"), "{err}");
    assert!(err.contains("2 connection); the first said: "), "{err}");
    assert!(err.contains("hint: check the network"), "{err}");
    assert!(report.contains("first connection: "), "{report}");
    let json = ok(&run(home.cmd().args(["bench", "show", "last", "--json"])));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        doc["targets"][0]["first_errors"]["connection"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{json}"
    );
}
