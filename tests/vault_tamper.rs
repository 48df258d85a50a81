//! Someone who can write `omc.db` but holds no master key (a restored backup, a synced folder, a
//! CI cache): a forged recipient (issue #9, finding 3) and an edited audit trail (finding 8).

#[path = "support/common.rs"]
mod common;

use std::process::Command;

use common::*;
use secrecy::ExposeSecret;

const PASS: &str = "tamper passphrase";

fn file_cmd(home: &Home) -> Command {
    let mut cmd = home.bare();
    cmd.env("OMC_PASSPHRASE", PASS)
        .env("OMC_TEST_SCRYPT_LOG_N", "10");
    cmd
}

fn add(cmd: &mut Command, name: &str, key: &str) -> std::process::Output {
    run_stdin(
        cmd.args([
            "add",
            "openai",
            "--name",
            name,
            "--no-validate",
            "--key-stdin",
        ]),
        key,
    )
}

fn forge_recipient(home: &Home) -> age::x25519::Identity {
    let attacker = age::x25519::Identity::generate();
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'recipient'",
        [attacker.to_public().to_string()],
    )
    .unwrap();
    attacker
}

fn names(home: &Home, cmd: &mut Command) -> Vec<String> {
    let _ = home;
    let list: serde_json::Value =
        serde_json::from_str(&ok(&run(cmd.args(["list", "--json"])))).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

fn recipient(cmd: &mut Command) -> String {
    let out = run(cmd.args(["master", "status", "--json"]));
    let status: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    status["recipient"].as_str().unwrap().to_owned()
}

/// A `file` store: `add` needs no passphrase, so it checks the recipient against the pin; a
/// store from before pins is caught at the next unlock, which names what was exposed.
#[test]
fn a_forged_recipient_is_refused_and_reported() {
    let home = Home::new();
    ok(&run(file_cmd(&home).args(["init", "--backend", "file"])));
    ok(&add(
        &mut file_cmd(&home),
        "a",
        "sk-forge-aaaaaaaaaaaaaaaaaaaaa",
    ));
    let ours = recipient(&mut file_cmd(&home));
    let attacker = forge_recipient(&home);

    let out = add(&mut file_cmd(&home), "b", "sk-forge-bbbbbbbbbbbbbbbbbbbbb");
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("is not its master key's"), "{err}");
    assert!(err.contains("recipient.pin"), "{err}");
    assert!(err.contains("nothing was stored"), "{err}");
    let out = run_stdin(
        file_cmd(&home).args(["rotate", "a", "--no-validate", "--key-stdin"]),
        "sk-forge-rotated-aaaaaaaaaaaaaa",
    );
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert_eq!(names(&home, &mut file_cmd(&home)), ["a"]);
    let doctor = run(file_cmd(&home).arg("doctor"));
    assert_eq!(code(&doctor), 1);
    assert!(
        stdout(&doctor).contains("omc.db was changed outside omc"),
        "{}",
        stdout(&doctor)
    );

    // A store from before pins: `add` cannot tell, and the key goes to the forger…
    std::fs::remove_file(home.data().join("recipient.pin")).unwrap();
    ok(&add(
        &mut file_cmd(&home),
        "b",
        "sk-forge-bbbbbbbbbbbbbbbbbbbbb",
    ));
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let ct: Vec<u8> = conn
        .query_row(
            "SELECT ciphertext FROM credentials WHERE name = 'b'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let stolen = age::decrypt(&attacker, &ct).unwrap();
    assert!(contains(&stolen, "sk-forge-bbbbbbbbbbbbbbbbbbbbb"));

    // …and the next unlock says exactly that, naming it.
    let out = run(file_cmd(&home).args(["key", "a"]));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the store's recipient was changed: credentials added since"),
        "{err}"
    );
    assert!(err.contains("may be readable by someone else"), "{err}");
    assert!(
        err.contains("rotate them at the provider: b (profile default)"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let deep = run(file_cmd(&home).args(["doctor", "--deep"]));
    assert_eq!(code(&deep), 1);
    assert!(
        stdout(&deep).contains("1 of 2 do not open with the master key: b (profile default)"),
        "{}",
        stdout(&deep)
    );

    // Once the exposed key is gone, the next unlock puts the recipient back, and says so.
    ok(&run(file_cmd(&home).args(["delete", "b", "--yes"])));
    let out = run(file_cmd(&home).args(["key", "a"]));
    assert_eq!(ok(&out), "sk-forge-aaaaaaaaaaaaaaaaaaaaa\n");
    assert!(
        stderr(&out).contains("it is now your master key's again"),
        "{}",
        stderr(&out)
    );
    assert_eq!(recipient(&mut file_cmd(&home)), ours);
    ok(&add(
        &mut file_cmd(&home),
        "c",
        "sk-forge-ccccccccccccccccccccc",
    ));
    assert_eq!(
        ok(&run(file_cmd(&home).args(["key", "c"]))),
        "sk-forge-ccccccccccccccccccccc\n"
    );
    ok(&run(file_cmd(&home).args(["doctor", "--deep"])));
    let audit = ok(&run(file_cmd(&home).args(["audit", "--json"])));
    assert!(audit.contains("recipient-restored"), "{audit}");
}

/// Where the identity is at hand (`OMC_MASTER_KEY`), it is the check; without it, the pin.
#[test]
fn a_forged_recipient_is_refused_on_env_stores() {
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-forgenv-aaaaaaaaaaaaaaaaaaa"));
    let attacker = forge_recipient(&home);
    let out = run_stdin(
        home.cmd().args([
            "add",
            "openai",
            "--name",
            "b",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-forgenv-bbbbbbbbbbbbbbbbbbb",
    );
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    // Without any key in the environment, the pin catches it.
    let out = add(&mut home.bare(), "b", "sk-forgenv-bbbbbbbbbbbbbbbbbbb");
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("recipient.pin"), "{}", stderr(&out));
    assert_eq!(names(&home, &mut home.cmd()), ["a"]);
    let _ = attacker.to_string().expose_secret().len();
    // The user's own key proves the store is theirs (it opens a): the recipient is put back.
    let out = run(home.cmd().args(["key", "a"]));
    assert_eq!(ok(&out), "sk-forgenv-aaaaaaaaaaaaaaaaaaa\n");
    assert!(
        stderr(&out).contains("had been changed"),
        "{}",
        stderr(&out)
    );
    ok(&home.add("openai", "b", "sk-forgenv-bbbbbbbbbbbbbbbbbbb"));
}

fn doctor_check(home: &Home, name: &str) -> (String, String) {
    let out = run(home.cmd().args(["doctor", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check: {report:#}"))
        .clone();
    (
        check["status"].as_str().unwrap().to_owned(),
        check["detail"].as_str().unwrap().to_owned(),
    )
}

/// Finding 8: audit rows could be deleted unnoticed, and the actor came from `$USER` alone.
#[test]
fn the_audit_trail_is_chained_and_records_the_uid() {
    let home = Home::new();
    ok(&home.add("openai", "a", "sk-audit-aaaaaaaaaaaaaaaaaaaaa"));
    ok(&home.add("openai", "b", "sk-audit-bbbbbbbbbbbbbbbbbbbbb"));
    ok(&run(home.cmd().args(["key", "a"])));
    ok(&run(home.cmd().args(["delete", "b", "--yes"])));
    assert_eq!(
        doctor_check(&home, "audit chain"),
        ("ok".to_owned(), "4 rows chained".to_owned())
    );

    let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    let audit: serde_json::Value = serde_json::from_str(&ok(&run(home
        .cmd()
        .env("USER", "someone-else")
        .args(["audit", "--json"]))))
    .unwrap();
    assert_eq!(audit[0]["uid"].to_string(), uid.trim(), "{audit:#}");

    let conn = rusqlite::Connection::open(home.db()).unwrap();
    conn.execute("DELETE FROM audit WHERE action = 'key'", [])
        .unwrap();
    let (status, detail) = doctor_check(&home, "audit chain");
    assert_eq!(status, "fail");
    assert_eq!(detail, "breaks at row 4: row 3 before it was deleted");

    let home = Home::new();
    ok(&home.add("openai", "a", "sk-audit-aaaaaaaaaaaaaaaaaaaaa"));
    ok(&run(home.cmd().args(["key", "a"])));
    ok(&run(home.cmd().args(["key", "a"])));
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    conn.execute(
        "UPDATE audit SET actor = 'mallory (pid 1)' WHERE id = 2",
        [],
    )
    .unwrap();
    let (status, detail) = doctor_check(&home, "audit chain");
    assert_eq!(status, "fail");
    assert!(
        detail.starts_with("breaks at row 2: it (key at "),
        "{detail}"
    );
    let out = run(home.cmd().arg("doctor"));
    assert_eq!(code(&out), 1);
}
