//! `omc import llm|aichat|dotenv|env`: real-format files written here, the real binary, keys
//! validated live against local fakes speaking each provider's wire format.

#[path = "support/common.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;
use support::fake_provider::Family;
use support::server::Fake;

const CANARY: &str = "sk-CANARY-import-5e8d2a7c9b1f3e6d";

/// A directory outside the home for source files, so the home's files can be searched for keys
/// without finding the sources themselves.
fn sources() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(out), stderr(out)))
}

/// `(name, status-list, reason)` of a report, for compact assertions.
fn names(report: &Value, list: &str) -> Vec<String> {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

fn reason<'a>(report: &'a Value, list: &str, name: &str) -> &'a str {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {list}: {report}"))["reason"]
        .as_str()
        .unwrap_or("")
}

fn list(home: &Home) -> Vec<Value> {
    let out = ok(&run(home.cmd().args(["list", "--json"])));
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn key(home: &Home, name: &str) -> String {
    ok(&run(home.cmd().args(["key", name])))
        .trim_end()
        .to_owned()
}

const LLM_KEYS: &str = r#"{
    "// Note": "This file stores secret API credentials. Do not share!",
    "openai": "sk-llm-openai-aaaaaaaaaaaaaaaaaaaa",
    "anthropic": "sk-ant-llm-bbbbbbbbbbbbbbbbbbbb",
    "gemini": "AIzaSyLLM-cccccccccccccccccccc",
    "replicate": "r8_llm_dddddddddddddddddddd"
}
"#;

#[test]
fn llm_keys_json_imports_known_aliases_and_reports_the_rest() {
    let home = Home::new();
    // llm's own default location under a cleared environment: ~/.config/io.datasette.llm.
    let config = if cfg!(target_os = "macos") {
        "Library/Application Support"
    } else {
        ".config"
    };
    let file = write(
        home.path(),
        &format!("{config}/io.datasette.llm/keys.json"),
        LLM_KEYS,
    );
    let before = std::fs::read(&file).unwrap();

    // A dry run: masked, nothing stored, not even a store created.
    let out = run(home.cmd().args(["import", "llm", "--dry-run", "--json"]));
    let report = json(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        names(&report, "imported"),
        ["anthropic", "gemini", "openai"]
    );
    assert_eq!(names(&report, "skipped"), ["replicate"]);
    assert!(reason(&report, "skipped", "replicate").contains("--map replicate=PROVIDER"));
    assert_eq!(report["imported"][2]["key"], "sk-…aaaa");
    assert!(!contains(&out.stdout, "llm-openai"), "{}", stdout(&out));
    assert!(!home.db().exists(), "a dry run creates no store");

    let out = run(home
        .cmd()
        .args(["import", "llm", "--no-validate", "--json"]));
    let report = json(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        names(&report, "imported"),
        ["anthropic", "gemini", "openai"]
    );
    assert_eq!(
        report["plaintext_sources"][0].as_str().unwrap(),
        file.display().to_string()
    );
    assert_eq!(key(&home, "openai"), "sk-llm-openai-aaaaaaaaaaaaaaaaaaaa");
    let providers: Vec<String> = list(&home)
        .iter()
        .map(|c| c["provider"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(providers, ["anthropic", "gemini", "openai"]);

    // Mapped to a provider that needs a base URL llm cannot give: it fails (usage, exit 2).
    let out = run(home.cmd().args([
        "import",
        "llm",
        "--no-validate",
        "--json",
        "--map",
        "replicate=openai-compatible",
    ]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(reason(&json(&out), "failed", "replicate").contains("needs a base URL"));

    // Again, with the unknown alias mapped: the three are duplicates, replicate comes in.
    let out = run(home
        .cmd()
        .args(["import", "llm", "--no-validate", "--map", "replicate=groq"]));
    let table = ok(&out);
    assert!(table.contains("replicate"), "{table}");
    assert_eq!(list(&home).len(), 4);
    let err = stderr(&out);
    assert!(err.contains("Imported 1, skipped 3, failed 0"), "{err}");
    assert!(err.contains("still in plaintext in"), "{err}");
    assert!(table.contains("already exists"), "{table}");

    // The audit log says where each key came from.
    let audit = ok(&run(home.cmd().args(["audit", "--json"])));
    assert!(audit.contains("\"import\""), "{audit}");
    assert!(audit.contains("keys.json"), "{audit}");

    // The source is never touched.
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // LLM_USER_PATH wins over the default directory.
    let other = sources();
    write(
        other.path(),
        "keys.json",
        r#"{"mistral": "mistral-key-eeeeeeeeeeeeeee"}"#,
    );
    let out = run(home.cmd().env("LLM_USER_PATH", other.path()).args([
        "import",
        "llm",
        "--no-validate",
        "--json",
    ]));
    assert_eq!(names(&json(&out), "imported"), ["mistral"]);
}

#[test]
fn a_missing_source_says_where_it_looked() {
    let home = Home::new();
    let out = run(home.cmd().args(["import", "llm"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("io.datasette.llm/keys.json"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("LLM_USER_PATH"), "{}", stderr(&out));
    let out = run(home.cmd().args(["import", "aichat"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("aichat/config.yaml"),
        "{}",
        stderr(&out)
    );
    let out = run(home.cmd().args(["import", "dotenv", "nope.env"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
}

#[test]
fn aichat_config_with_four_client_types_and_its_env_file_validated_live() {
    let openai = Fake::start(Family::OpenAi, "sk-aichat-openai-aaaaaaaaaaaa");
    let compatible = Fake::start(Family::OpenAi, "local-aichat-key-bbbbbbbbbbbb");
    let anthropic = Fake::start(Family::Anthropic, "sk-ant-aichat-cccccccccccc");
    // This one rejects what the config holds: the key fails validation and is not stored.
    let gemini = Fake::start(Family::Gemini, "AIza-the-right-one-dddddddddd");
    let home = Home::new();
    let src = sources();
    let config = format!(
        r#"# aichat config
model: claude:claude-3-5-haiku-latest
stream: true
clients:
  - type: openai
    api_base: {openai}
    api_key: sk-aichat-openai-aaaaaaaaaaaa
  - type: openai-compatible
    name: localai
    api_base: {compatible}
    models:
      - name: llama3
        max_input_tokens: 8192
  - type: claude
    api_base: {anthropic}
  - type: gemini
    api_base: {gemini}
    api_key: AIza-wrong-key-eeeeeeeeeeeeee
  - type: bedrock
    access_key_id: x
"#,
        openai = openai.server().base_url(),
        compatible = compatible.server().base_url(),
        anthropic = anthropic.server().base_url(),
        gemini = gemini.server().base_url(),
    );
    write(src.path(), "aichat/config.yaml", &config);
    write(
        src.path(),
        "aichat/.env",
        "# aichat reads {NAME}_API_KEY\nLOCALAI_API_KEY=local-aichat-key-bbbbbbbbbbbb\nCLAUDE_API_KEY=\"sk-ant-aichat-cccccccccccc\"\n",
    );
    let out = run(home
        .cmd()
        .env("AICHAT_CONFIG_DIR", src.path().join("aichat"))
        .args(["import", "aichat", "--json"]));
    let report = json(&out);
    assert_eq!(
        code(&out),
        5,
        "the gemini key was rejected: {}",
        stderr(&out)
    );
    assert_eq!(names(&report, "imported"), ["openai", "localai", "claude"]);
    assert_eq!(names(&report, "skipped"), ["bedrock"]);
    assert!(reason(&report, "skipped", "bedrock").contains("'bedrock' is not supported"));
    assert_eq!(names(&report, "failed"), ["gemini"]);
    assert!(
        reason(&report, "failed", "gemini").contains("rejected"),
        "{report}"
    );
    assert!(reason(&report, "imported", "openai").starts_with("valid"));
    assert!(stderr(&out).contains("1 of 5 keys failed to import: gemini"));
    assert!(
        stderr(&out).contains("rerun with --no-validate to store them unchecked"),
        "a failed check names add's way past it: {}",
        stderr(&out)
    );

    let creds = list(&home);
    let by_name = |n: &str| creds.iter().find(|c| c["name"] == n).unwrap().clone();
    assert_eq!(by_name("localai")["provider"], "openai-compatible");
    assert_eq!(
        by_name("localai")["base_url"],
        compatible.server().base_url().as_str()
    );
    assert_eq!(by_name("claude")["provider"], "anthropic");
    assert_eq!(by_name("claude")["model"], "claude-3-5-haiku-latest");
    assert_eq!(by_name("claude")["validation"], "valid");
    assert_eq!(key(&home, "claude"), "sk-ant-aichat-cccccccccccc");
    assert_eq!(creds.len(), 3);
    let sources: Vec<&str> = report["plaintext_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(sources[0].ends_with("config.yaml") || sources[1].ends_with("config.yaml"));
    assert!(sources.iter().any(|s| s.ends_with(".env")));

    // The config named as an argument, its .env beside it; everything is there already now.
    let out = run(home.cmd().args([
        "import",
        "aichat",
        src.path().join("aichat/config.yaml").to_str().unwrap(),
        "--no-validate",
        "--json",
    ]));
    let report = json(&out);
    assert_eq!(names(&report, "imported"), ["gemini"]);
    assert_eq!(
        names(&report, "skipped"),
        ["openai", "localai", "claude", "bedrock"]
    );
}

#[test]
fn dotenv_with_quotes_exports_and_comments() {
    let home = Home::new();
    let src = sources();
    let file = write(
        src.path(),
        "project/.env",
        "# API keys for the project\n\
         export OPENAI_API_KEY=\"sk-dotenv-openai-aaaaaaaaaaaa\"   # the team key\n\
         OPENAI_BASE_URL=http://127.0.0.1:9/v1\n\
         ANTHROPIC_API_KEY='sk-ant-dotenv-bbbbbbbbbbbb'\n\
         \n\
         export DEEPSEEK_API_KEY=sk-dotenv-deepseek-cccccccc # trailing comment\n\
         TOGETHER_API_KEY=together-dddddddddddddddd\n\
         TOGETHER_BASE_URL=https://api.together.xyz/v1\n\
         DATABASE_URL=postgres://localhost/db\n\
         this line is not an assignment\n",
    );
    let path = file.to_str().unwrap();
    let out = run(home
        .cmd()
        .args(["import", "dotenv", path, "--no-validate", "--json"]));
    let report = json(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        names(&report, "imported"),
        ["openai", "anthropic", "deepseek"]
    );
    assert_eq!(names(&report, "skipped"), ["together"]);
    assert!(
        stderr(&out).contains("ignored line(s) 10"),
        "{}",
        stderr(&out)
    );
    assert_eq!(key(&home, "openai"), "sk-dotenv-openai-aaaaaaaaaaaa");
    assert_eq!(key(&home, "anthropic"), "sk-ant-dotenv-bbbbbbbbbbbb");
    assert_eq!(key(&home, "deepseek"), "sk-dotenv-deepseek-cccccccc");
    let creds = list(&home);
    assert_eq!(creds[2]["name"], "openai");
    assert_eq!(creds[2]["base_url"], "http://127.0.0.1:9/v1");

    let out = run(home.cmd().args([
        "import",
        "dotenv",
        path,
        "--no-validate",
        "--map",
        "TOGETHER_API_KEY=openai-compatible",
        "--json",
    ]));
    let report = json(&out);
    assert_eq!(names(&report, "imported"), ["together"]);
    let together = list(&home)
        .into_iter()
        .find(|c| c["name"] == "together")
        .unwrap();
    assert_eq!(together["base_url"], "https://api.together.xyz/v1");
    assert_eq!(together["provider"], "openai-compatible");
}

#[test]
fn env_import_skips_the_same_key_under_two_names() {
    let home = Home::new();
    let out = run(home
        .cmd()
        .env("GEMINI_API_KEY", "AIzaSyENV-aaaaaaaaaaaaaaaaaa")
        .env("GOOGLE_API_KEY", "AIzaSyENV-aaaaaaaaaaaaaaaaaa")
        .env("GROQ_API_KEY", "gsk_env_bbbbbbbbbbbbbbbbbbbb")
        .args(["import", "env", "--no-validate", "--json"]));
    let report = json(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut imported = names(&report, "imported");
    imported.sort();
    assert_eq!(imported, ["gemini", "groq"]);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 1);
    assert_eq!(report["plaintext_sources"][0], "the environment");

    // In a dry run against the existing store: both are there already.
    let out = run(home
        .cmd()
        .env("GEMINI_API_KEY", "AIzaSyENV-aaaaaaaaaaaaaaaaaa")
        .env("GROQ_API_KEY", "gsk_env_bbbbbbbbbbbbbbbbbbbb")
        .args(["import", "env", "--dry-run", "--json"]));
    let report = json(&out);
    assert!(
        report["imported"].as_array().unwrap().is_empty(),
        "{report}"
    );
    assert!(
        reason(&report, "skipped", "groq").contains("already"),
        "{report}"
    );
}

#[test]
fn taken_names_come_in_under_a_prefix_or_a_rename_and_unknown_aliases_with_a_base_url() {
    let home = Home::new();
    ok(&home.add("openai", "openai", "sk-mine-aaaaaaaaaaaaaaaaaaaa"));
    ok(&home.add("anthropic", "anthropic", "sk-ant-mine-bbbbbbbbbbbbbbbb"));
    let src = sources();
    let file = write(
        src.path(),
        "keys.json",
        r#"{"openai": "sk-llm-cccccccccccccccccccc", "anthropic": "sk-ant-llm-dddddddddddddddd",
            "replicate": "r8_eeeeeeeeeeeeeeeeeeee"}"#,
    );
    let file = file.to_str().unwrap();

    // Both names are taken: skipped, and the report names the way past it.
    let out = run(home
        .cmd()
        .args(["import", "llm", file, "--no-validate", "--json"]));
    let report = json(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        names(&report, "skipped"),
        ["anthropic", "openai", "replicate"]
    );
    assert!(
        stderr(&out).contains("2 skipped because the name is taken (anthropic, openai)")
            && stderr(&out).contains("--prefix P or --rename OLD=NEW"),
        "{}",
        stderr(&out)
    );

    // A dry run shows the new names; then one is renamed and the rest take the prefix.
    let out = run(home.cmd().args([
        "import",
        "llm",
        file,
        "--dry-run",
        "--json",
        "--prefix",
        "llm-",
    ]));
    assert_eq!(
        names(&json(&out), "imported"),
        ["llm-anthropic", "llm-openai"]
    );
    let out = run(home.cmd().args([
        "import",
        "llm",
        file,
        "--no-validate",
        "--json",
        "--prefix",
        "llm-",
        "--rename",
        "openai=work-openai",
        "--rename",
        "mistral=x",
        // llm's replicate alias, to a server omc has no default for.
        "--map",
        "replicate=openai-compatible",
        "--base-url",
        "replicate=https://openai-proxy.replicate.example/v1",
    ]));
    let report = json(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        names(&report, "imported"),
        ["llm-anthropic", "work-openai", "llm-replicate"]
    );
    assert!(
        stderr(&out).contains("--rename mistral=…: the source has no entry named 'mistral'"),
        "{}",
        stderr(&out)
    );
    assert_eq!(key(&home, "work-openai"), "sk-llm-cccccccccccccccccccc");
    assert_eq!(key(&home, "openai"), "sk-mine-aaaaaaaaaaaaaaaaaaaa");
    let creds = list(&home);
    let replicate = creds.iter().find(|c| c["name"] == "llm-replicate").unwrap();
    assert_eq!(replicate["provider"], "openai-compatible");
    assert_eq!(
        replicate["base_url"],
        "https://openai-proxy.replicate.example/v1"
    );
    assert_eq!(creds.len(), 5);

    // A bad --rename or --base-url is a usage error before anything is read.
    let out = run(home
        .cmd()
        .args(["import", "llm", file, "--rename", "openai"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let out = run(home
        .cmd()
        .args(["import", "llm", file, "--base-url", "replicate=ftp://x"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn an_aichat_client_at_a_known_platforms_url_imports_as_that_provider() {
    let home = Home::new();
    let src = sources();
    write(
        src.path(),
        "aichat/config.yaml",
        "clients:\n  - type: openai-compatible\n    name: fast\n    api_base: https://api.groq.com/openai/v1\n    api_key: gsk_aichat_ffffffffffffffff\n  - type: openai-compatible\n    name: ds\n    api_base: https://api.deepseek.com/\n    api_key: sk-ds-gggggggggggggggg\n",
    );
    let out = run(home
        .cmd()
        .env("AICHAT_CONFIG_DIR", src.path().join("aichat"))
        .args(["import", "aichat", "--no-validate", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let creds = list(&home);
    let provider = |n: &str| creds.iter().find(|c| c["name"] == n).unwrap()["provider"].clone();
    assert_eq!(provider("fast"), "groq");
    assert_eq!(provider("ds"), "deepseek");
}

#[test]
fn a_dry_run_changes_nothing_in_an_existing_store() {
    let home = Home::new();
    ok(&home.add("openai", "mine", "sk-existing-aaaaaaaaaaaaaaaa"));
    let src = sources();
    let file = write(
        src.path(),
        "keys.json",
        r#"{"openai": "sk-existing-aaaaaaaaaaaaaaaa", "anthropic": "sk-ant-new-bbbbbbbbbbbbbbbb"}"#,
    );
    let audit_before = ok(&run(home.cmd().args(["audit", "--json"])));
    let out = run(home
        .cmd()
        .args(["import", "llm", file.to_str().unwrap(), "--dry-run"]));
    let table = ok(&out);
    assert!(table.contains("would import"), "{table}");
    assert!(
        table.contains("already stored in profile 'default' as 'mine'"),
        "{table}"
    );
    assert!(
        stderr(&out).contains("nothing was stored"),
        "{}",
        stderr(&out)
    );
    assert_eq!(ok(&run(home.cmd().args(["audit", "--json"]))), audit_before);
    assert_eq!(list(&home).len(), 1);
}

#[test]
fn the_canary_key_never_shows_at_any_log_level() {
    let home = Home::new();
    let src = sources();
    let llm = write(
        src.path(),
        "llm/keys.json",
        &format!(r#"{{"// Note": "x", "openai": "{CANARY}", "unknownalias": "{CANARY}x"}}"#),
    );
    let aichat = write(
        src.path(),
        "aichat/config.yaml",
        &format!(
            "clients:\n  - type: claude\n    api_key: {CANARY}a\n  - type: azure-openai\n    api_key: {CANARY}b\n"
        ),
    );
    let dotenv = write(
        src.path(),
        "x.env",
        &format!("export GROQ_API_KEY=\"{CANARY}g\"\nODD_API_KEY={CANARY}o\n"),
    );
    // Broken files whose text holds the canary: the errors name a line, never the content.
    let bad_json = write(
        src.path(),
        "bad/keys.json",
        &format!(r#"{{"openai": ["{CANARY}"]}}"#),
    );
    let bad_yaml = write(
        src.path(),
        "bad/config.yaml",
        &format!("clients:\n  - type: openai\n    api_key: [{CANARY}\n"),
    );
    let bad_shape = write(
        src.path(),
        "shape/config.yaml",
        &format!("clients: \"{CANARY}\"\n"),
    );
    let p = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let runs: Vec<Vec<String>> = vec![
        vec!["import".into(), "llm".into(), p(&llm), "--dry-run".into()],
        vec![
            "import".into(),
            "llm".into(),
            p(&llm),
            "--dry-run".into(),
            "--json".into(),
        ],
        vec![
            "import".into(),
            "llm".into(),
            p(&llm),
            "--no-validate".into(),
        ],
        vec![
            "import".into(),
            "llm".into(),
            p(&llm),
            "--no-validate".into(),
            "--json".into(),
        ],
        vec![
            "import".into(),
            "aichat".into(),
            p(&aichat),
            "--no-validate".into(),
            "--json".into(),
        ],
        vec![
            "import".into(),
            "aichat".into(),
            p(&aichat),
            "--dry-run".into(),
        ],
        vec![
            "import".into(),
            "dotenv".into(),
            p(&dotenv),
            "--no-validate".into(),
        ],
        vec![
            "import".into(),
            "env".into(),
            "--no-validate".into(),
            "--json".into(),
        ],
        vec!["import".into(), "llm".into(), p(&bad_json)],
        vec!["import".into(), "aichat".into(), p(&bad_yaml)],
        vec!["import".into(), "aichat".into(), p(&bad_shape)],
        vec!["list".into(), "--json".into()],
        vec!["audit".into()],
    ];
    for args in &runs {
        let out = run(home
            .cmd()
            .env("OMC_LOG", "trace")
            .env("MISTRAL_API_KEY", format!("{CANARY}m"))
            .arg("-vvv")
            .args(args));
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !contains(bytes, &CANARY[3..20]),
                "{args:?} {what}: {}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
    // The failures were the broken files, each a usage error naming its line.
    let out = run(home.cmd().args(["import", "aichat", &p(&bad_yaml)]));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("line "), "{}", stderr(&out));
    // Four keys went in (openai, claude, groq, mistral), none readable on disk.
    assert_eq!(list(&home).len(), 4);
    for entry in walk(home.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !contains(&bytes, &CANARY[3..20]),
            "canary in {}",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
