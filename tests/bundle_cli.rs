//! Sharing bundles: `omc export` to age and SSH recipients, `omc import bundle`, and the real
//! `age` tool on both sides (honouring OMC_TEST_REQUIRE_AGE=1 like the other age tests).

#[path = "support/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use common::*;
use serde_json::Value;

const CANARY: &str = "sk-CANARY-bundle-0a9b8c7d6e5f4a3b";

/// Whether `tool` runs; without it the test is skipped, unless CI requires the age tools.
fn have(tool: &str, version_arg: &str) -> bool {
    require(
        Command::new(tool).arg(version_arg).output().is_ok(),
        &format!("`{tool}`"),
        Some("OMC_TEST_REQUIRE_AGE"),
    )
}

/// An SSH key pair made by ssh-keygen: (private key path, public key line).
fn ssh_key(dir: &Path, kind: &str, comment: &str) -> (PathBuf, String) {
    let path = dir.join(format!("id_{kind}_{}", comment.replace('@', "_")));
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-t", kind, "-N", "", "-C", comment, "-f"])
        .arg(&path);
    if kind == "rsa" {
        cmd.args(["-b", "2048"]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (path, public.trim().to_owned())
}

/// A fresh age identity written to a file: (path, recipient).
fn age_identity(dir: &Path, name: &str) -> (PathBuf, String) {
    let id = age::x25519::Identity::generate();
    let path = dir.join(name);
    use secrecy::ExposeSecret;
    std::fs::write(
        &path,
        format!("# test identity\n{}\n", id.to_string().expose_secret()),
    )
    .unwrap();
    (path, id.to_public().to_string())
}

fn recipient_of(home: &Home) -> String {
    age::x25519::Identity::from_str(&home.master_key)
        .unwrap()
        .to_public()
        .to_string()
}

/// A home with three credentials, one with a base URL and a model.
fn team_home() -> Home {
    let home = Home::new();
    ok(&home.add("openai", "team-openai", CANARY));
    ok(&home.add(
        "anthropic",
        "team-claude",
        "sk-ant-bundle-bbbbbbbbbbbbbbbbbbbb",
    ));
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "openai-compatible",
            "--name",
            "local",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "llama3",
            "--no-validate",
            "--key-stdin",
        ]),
        "local-bundle-key-cccccccccccc",
    ));
    home
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(out), stderr(out)))
}

#[test]
fn a_bundle_opens_with_the_age_tool_and_an_ssh_key() {
    if !have("age", "--version") || !have("ssh-keygen", "-?") {
        return;
    }
    let home = team_home();
    let keys = tempfile::tempdir().unwrap();
    let (ed_key, ed_pub) = ssh_key(keys.path(), "ed25519", "alice@laptop");
    let (rsa_key, rsa_pub) = ssh_key(keys.path(), "rsa", "bob@desk");
    let (age_key, age_pub) = age_identity(keys.path(), "carol.txt");
    let recipients = keys.path().join("team.txt");
    std::fs::write(&recipients, format!("# the team\n\n{rsa_pub}\n{age_pub}\n")).unwrap();
    let bundle = keys.path().join("team.age");
    let out = run(home.cmd().env("OMC_LOG", "trace").args([
        "export",
        "--all",
        "--recipient",
        &ed_pub,
        "--recipients-file",
        recipients.to_str().unwrap(),
        "--out",
        bundle.to_str().unwrap(),
        "--json",
    ]));
    let report = json(&out);
    assert!(!contains(&out.stdout, CANARY) && !contains(&out.stderr, CANARY));
    assert_eq!(report["credentials"].as_array().unwrap().len(), 3);
    assert_eq!(report["recipients"].as_array().unwrap().len(), 3);
    assert!(
        report["recipients"][0]
            .as_str()
            .unwrap()
            .ends_with("alice@laptop")
    );
    assert_eq!(mode(&bundle), 0o600);
    let sealed = std::fs::read(&bundle).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    assert!(
        !contains(&sealed, &CANARY[3..20]),
        "the bundle is never plaintext"
    );

    // Each teammate's own key opens it with the age tool, into omc's documented format.
    for identity in [&ed_key, &rsa_key, &age_key] {
        let out = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(identity)
            .arg(&bundle)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            identity.display(),
            stderr(&out)
        );
        let plain: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(plain["omc_bundle"], 1);
        assert!(plain["created_at"].as_str().unwrap().ends_with('Z'));
        let creds = plain["credentials"].as_array().unwrap();
        let openai = creds.iter().find(|c| c["name"] == "team-openai").unwrap();
        assert_eq!(openai["provider"], "openai");
        assert_eq!(openai["key"], CANARY);
        let local = creds.iter().find(|c| c["name"] == "local").unwrap();
        assert_eq!(local["base_url"], "http://127.0.0.1:9/v1");
        assert_eq!(local["model"], "llama3");
        assert_eq!(local["provider"], "openai-compatible");
    }

    // Every credential that left is in the audit log, with the keys it went to.
    let audit = ok(&run(home.cmd().args(["audit", "--json"])));
    let audit: Value = serde_json::from_str(&audit).unwrap();
    let exports: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "export")
        .collect();
    assert_eq!(exports.len(), 3);
    let detail = exports[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("alice@laptop") && detail.contains("bob@desk"),
        "{detail}"
    );
    assert!(detail.contains(&age_pub), "{detail}");
    assert!(detail.contains("SHA256:"), "{detail}");

    // An armored bundle on stdout (piped, so not a terminal) opens too.
    let out = run(home
        .cmd()
        .args(["export", "team-claude", "--armor", "-r", &ed_pub]));
    let armored = ok(&out);
    assert!(
        armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{armored}"
    );
    let armored_path = keys.path().join("claude.age");
    std::fs::write(&armored_path, &armored).unwrap();
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&ed_key)
        .arg(&armored_path)
        .output()
        .unwrap();
    let plain: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plain["credentials"][0]["key"],
        "sk-ant-bundle-bbbbbbbbbbbbbbbbbbbb"
    );
    assert_eq!(plain["credentials"].as_array().unwrap().len(), 1);
}

#[test]
fn a_teammate_imports_with_an_ssh_key_and_duplicates_are_skipped() {
    if !have("ssh-keygen", "-?") {
        return;
    }
    let alice = team_home();
    let keys = tempfile::tempdir().unwrap();
    let (bob_key, bob_pub) = ssh_key(keys.path(), "ed25519", "bob@desk");
    let bundle = keys.path().join("for-bob.age");
    ok(&run(alice.cmd().args([
        "export",
        "team-openai",
        "local",
        "-r",
        &bob_pub,
        "-o",
        bundle.to_str().unwrap(),
    ])));

    let bob = Home::new();
    let import = |extra: &[&str]| {
        let mut cmd = bob.cmd();
        cmd.env("OMC_LOG", "trace").args([
            "import",
            "bundle",
            bundle.to_str().unwrap(),
            "--identity",
            bob_key.to_str().unwrap(),
            "--no-validate",
            "--json",
        ]);
        run(cmd.args(extra))
    };
    let out = import(&["--dry-run"]);
    let report = json(&out);
    assert_eq!(report["imported"].as_array().unwrap().len(), 2);
    assert!(!bob.db().exists(), "a dry run stores nothing");
    assert!(!contains(&out.stdout, CANARY) && !contains(&out.stderr, CANARY));

    let out = import(&[]);
    let report = json(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report["imported"].as_array().unwrap().len(), 2);
    assert!(
        report["plaintext_sources"].as_array().unwrap().is_empty(),
        "a bundle is not a plaintext source"
    );
    assert!(!contains(&out.stdout, CANARY) && !contains(&out.stderr, CANARY));
    assert_eq!(
        ok(&run(bob.cmd().args(["key", "team-openai"]))).trim(),
        CANARY
    );
    let list = ok(&run(bob.cmd().args(["list", "--json"])));
    let list: Value = serde_json::from_str(&list).unwrap();
    let local = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "local")
        .unwrap();
    assert_eq!(local["base_url"], "http://127.0.0.1:9/v1");
    assert_eq!(local["model"], "llama3");

    // Someone else's SSH key cannot open it (exit 4); a passphrase-protected key cannot be
    // asked for without a terminal (exit 4, saying so).
    let (carol_key, _) = ssh_key(keys.path(), "ed25519", "carol@desk");
    let locked = keys.path().join("id_locked");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "a passphrase", "-f"])
        .arg(&locked)
        .output()
        .unwrap();
    assert!(made.status.success());
    for (identity, says) in [
        (&carol_key, "none of the identities"),
        (&locked, "passphrase"),
    ] {
        let out = run(bob.cmd().args([
            "import",
            "bundle",
            bundle.to_str().unwrap(),
            "--identity",
            identity.to_str().unwrap(),
        ]));
        assert_eq!(code(&out), 4, "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }

    let report = json(&import(&[]));
    assert_eq!(report["skipped"].as_array().unwrap().len(), 2);
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
}

#[test]
fn a_bundle_to_a_store_opens_with_its_master_key() {
    let alice = team_home();
    let bob = Home::new();
    ok(&bob.add("echo", "bobs", "echo-key-dddddddddddddddd"));
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("to-bob.age");
    // Bob's store recipient, as `omc master status` shows it.
    let status = ok(&run(bob.cmd().args(["master", "status", "--json"])));
    let recipient = serde_json::from_str::<Value>(&status).unwrap()["recipient"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(recipient, recipient_of(&bob));
    ok(&run(alice.cmd().args([
        "export",
        "team-claude",
        "-r",
        &recipient,
        "-o",
        bundle.to_str().unwrap(),
    ])));
    let out = run(bob.cmd().args([
        "import",
        "bundle",
        bundle.to_str().unwrap(),
        "--no-validate",
    ]));
    ok(&out);
    assert_eq!(
        ok(&run(bob.cmd().args(["key", "team-claude"]))).trim(),
        "sk-ant-bundle-bbbbbbbbbbbbbbbbbbbb"
    );

    // Another store's master key cannot open it: exit 4, nothing imported.
    let carol = Home::new();
    ok(&carol.add("echo", "carols", "echo-key-eeeeeeeeeeeeeeee"));
    let out = run(carol.cmd().args([
        "import",
        "bundle",
        bundle.to_str().unwrap(),
        "--no-validate",
    ]));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no --identity was given, and this store's master key cannot open"),
        "{}",
        stderr(&out)
    );
    // Nor a wrong identity file.
    let (wrong, _) = age_identity(dir.path(), "wrong.txt");
    let out = run(carol.cmd().args([
        "import",
        "bundle",
        bundle.to_str().unwrap(),
        "-i",
        wrong.to_str().unwrap(),
    ]));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let list = ok(&run(carol.cmd().args(["list", "--json"])));
    assert_eq!(
        serde_json::from_str::<Value>(&list)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_bundle_made_by_the_age_tool_imports() {
    if !have("age", "--version") {
        return;
    }
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    // The README's format, written by hand and encrypted by the age tool, armored.
    let plain = dir.path().join("bundle.json");
    std::fs::write(
        &plain,
        r#"{
  "omc_bundle": 1,
  "credentials": [
    {"name": "shared-openai", "provider": "openai", "key": "sk-from-age-cli-aaaaaaaaaaaaaa"},
    {"name": "shared-local", "provider": "openai-compatible",
     "base_url": "http://127.0.0.1:9/v1", "model": "qwen", "key": "from-age-cli-bbbbbbbbbbbb"},
    {"name": "odd", "provider": "no-such-provider", "key": "x-cccccccccccccccccccc"}
  ]
}
"#,
    )
    .unwrap();
    let bundle = dir.path().join("bundle.age");
    let out = Command::new("age")
        .args(["-a", "-r", &recipient_of(&home), "-o"])
        .arg(&bundle)
        .arg(&plain)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The store does not exist yet: `import bundle` needs a key to open it with.
    let out = run(home.cmd().args([
        "import",
        "bundle",
        bundle.to_str().unwrap(),
        "--no-validate",
    ]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("--identity"), "{}", stderr(&out));
    ok(&run(home.cmd().args(["init", "--backend", "env"])));
    let out = run(home.cmd().args([
        "import",
        "bundle",
        bundle.to_str().unwrap(),
        "--no-validate",
        "--json",
    ]));
    let report = json(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report["imported"].as_array().unwrap().len(), 2);
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("unknown provider 'no-such-provider'")
    );
    assert_eq!(
        ok(&run(home.cmd().args(["key", "shared-local"]))).trim(),
        "from-age-cli-bbbbbbbbbbbb"
    );

    // A plaintext that is not an omc bundle is refused with the reason.
    std::fs::write(&plain, "hello\n").unwrap();
    let other = dir.path().join("other.age");
    let out = Command::new("age")
        .args(["-r", &recipient_of(&home), "-o"])
        .arg(&other)
        .arg(&plain)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = run(home
        .cmd()
        .args(["import", "bundle", other.to_str().unwrap()]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not an omc bundle"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_tampered_bundle_is_refused() {
    let alice = team_home();
    let bob = Home::new();
    ok(&bob.add("echo", "bobs", "echo-key-ffffffffffffffff"));
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b.age");
    ok(&run(alice.cmd().args([
        "export",
        "--all",
        "-r",
        &recipient_of(&bob),
        "-o",
        bundle.to_str().unwrap(),
    ])));
    let good = std::fs::read(&bundle).unwrap();
    // One bit in the payload, one in the header's MAC, the file cut short.
    let header_end = good.windows(4).position(|w| w == b"\n---").unwrap() + 6;
    let mut cases = Vec::new();
    let mut payload = good.clone();
    let last = payload.len() - 3;
    payload[last] ^= 0x01;
    cases.push(payload);
    // The MAC is base64: swap its first character for another valid one, so the header still
    // parses and only the MAC check can refuse it (flipping a bit could make it unparsable).
    let mut mac = good.clone();
    mac[header_end] = if mac[header_end] == b'A' { b'B' } else { b'A' };
    cases.push(mac);
    cases.push(good[..good.len() - 10].to_vec());
    for bad in cases {
        std::fs::write(&bundle, &bad).unwrap();
        let out = run(bob.cmd().args([
            "import",
            "bundle",
            bundle.to_str().unwrap(),
            "--no-validate",
        ]));
        assert_ne!(code(&out), 0);
        assert!(stderr(&out).contains("tampered"), "{}", stderr(&out));
    }
    let list = ok(&run(bob.cmd().args(["list", "--json"])));
    assert_eq!(
        serde_json::from_str::<Value>(&list)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing from a tampered bundle is stored"
    );
}

#[test]
fn export_refuses_without_a_recipient_and_never_writes_plaintext() {
    let home = team_home();
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("b.age");
    let out = run(home
        .cmd()
        .args(["export", "--all", "-o", out_file.to_str().unwrap()]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("no recipient"), "{}", stderr(&out));
    assert!(!out_file.exists());
    assert!(out.stdout.is_empty());

    for bad in [
        "age1notarecipient",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNh x",
        "alice",
    ] {
        let out = run(home.cmd().args(["export", "--all", "-r", bad]));
        assert_eq!(code(&out), 2, "{bad}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    let out = run(home.cmd().args(["export", "-r", &recipient_of(&home)]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--all"), "{}", stderr(&out));
    let out = run(home
        .cmd()
        .args(["export", "nope", "-r", &recipient_of(&home)]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let audit = ok(&run(home.cmd().args(["audit", "--json"])));
    assert!(
        !audit.contains("\"export\""),
        "nothing left, nothing audited"
    );
}

#[test]
fn a_binary_bundle_is_not_written_to_a_terminal() {
    if !have("script", "--version") {
        return;
    }
    let home = team_home();
    // script(1) gives omc a terminal for stdout.
    let mut cmd = Command::new("script");
    cmd.env_clear()
        .envs(
            home.cmd()
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .args([
            "-qec",
            &format!("{BIN} export --all -r {}", recipient_of(&home)),
            "/dev/null",
        ]);
    let out = cmd.output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("refusing to write a binary bundle to the terminal"),
        "{shown}"
    );
    assert!(!shown.contains("age-encryption.org"), "{shown}");
}
