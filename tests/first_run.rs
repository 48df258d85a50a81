//! A stranger's first minutes: `install.sh` into a fresh `HOME` (no `XDG_*`, no `OMC_HOME`),
//! then the README's Set-up and Quickstart, top to bottom.

#[path = "support/common.rs"]
mod common;
mod support;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use support::fake_provider::Family;
use support::server::Fake;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// A command with nothing but a fresh `HOME`, a system `PATH` and no reachable keyring: no
/// `XDG_*`, no `OMC_HOME`, so omc uses its defaults under `HOME`.
fn stranger(program: impl AsRef<std::ffi::OsStr>, home: &Path, path: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", path)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/omc-test-bus",
        )
        .env("OMC_KEYRING_TIMEOUT", "2s")
        .stdin(std::process::Stdio::null());
    cmd
}

const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

fn install(home: &Path, args: &[&str]) -> Output {
    stranger("sh", home, SYSTEM_PATH)
        .arg(Path::new(REPO).join("install.sh"))
        .args(["--binary", BIN])
        .args(args)
        .output()
        .unwrap()
}

fn installed_omc(home: &Path) -> Command {
    let bin = home.join(".local/bin/omc");
    let path = format!("{}:{SYSTEM_PATH}", home.join(".local/bin").display());
    stranger(bin, home, &path)
}

/// Regression: install.sh wrote its manifest and completions into ~/.local/share/omc, omc's own
/// default data dir, creating it 0755, so every store there was refused as readable by others.
#[test]
fn install_into_a_fresh_home_leaves_the_default_data_dir_to_omc() {
    let home = tempfile::tempdir().unwrap();
    let out = install(home.path(), &[]);
    ok(&out);
    let data_dir = home.path().join(".local/share/omc");
    assert!(
        !data_dir.exists(),
        "install.sh created omc's data dir {}",
        data_dir.display()
    );
    let own = home.path().join(".local/share/omc-install");
    assert!(own.join("install-manifest").is_file());
    assert!(own.join("completions/omc.elv").is_file());

    // The workstation path, headless: `omc init --backend env`, then `omc add` in the default
    // location, with no chmod in between.
    let init = ok(&installed_omc(home.path())
        .args(["init", "--backend", "env"])
        .output()
        .unwrap());
    let key = init.trim().to_owned();
    assert!(key.starts_with("AGE-SECRET-KEY-1"), "{init}");
    assert_eq!(mode(&data_dir), 0o700);
    let add = run_stdin(
        installed_omc(home.path())
            .env("OMC_MASTER_KEY", &key)
            .args(["add", "echo", "--key-stdin"]),
        "any",
    );
    ok(&add);
    let list = ok(&installed_omc(home.path())
        .env("OMC_MASTER_KEY", &key)
        .args(["list", "--json"])
        .output()
        .unwrap());
    assert!(list.contains("\"echo\""), "{list}");

    // Uninstall removes what it installed and nothing of the user's.
    ok(&install(home.path(), &["--uninstall"]));
    assert!(!home.path().join(".local/bin/omc").exists());
    assert!(!own.exists());
    assert!(data_dir.join("omc.db").is_file());
}

/// An install made before the fix: its files in the data dir, the dir 0755. An upgrade moves
/// them out and removes the dir it left behind, so the default store can be created.
#[test]
fn upgrade_moves_an_old_install_out_of_the_data_dir() {
    let home = tempfile::tempdir().unwrap();
    let old = home.path().join(".local/share/omc");
    std::fs::create_dir_all(old.join("completions")).unwrap();
    let stray = old.join("completions/omc.elv");
    std::fs::write(&stray, "old").unwrap();
    std::fs::write(
        old.join("install-manifest"),
        format!("{}\n", stray.display()),
    )
    .unwrap();
    set_mode(&old, 0o755);

    ok(&install(home.path(), &[]));
    assert!(!old.exists(), "the old layout's data dir was left behind");
    assert!(
        home.path()
            .join(".local/share/omc-install/install-manifest")
            .is_file()
    );
    let init = installed_omc(home.path())
        .args(["init", "--backend", "env"])
        .output()
        .unwrap();
    ok(&init);
}

/// An old install whose data dir also holds the user's store keeps the store.
#[test]
fn upgrade_keeps_a_store_next_to_an_old_install() {
    let home = tempfile::tempdir().unwrap();
    let old = home.path().join(".local/share/omc");
    std::fs::create_dir_all(old.join("completions")).unwrap();
    let stray = old.join("completions/omc.elv");
    std::fs::write(&stray, "old").unwrap();
    std::fs::write(
        old.join("install-manifest"),
        format!("{}\n", stray.display()),
    )
    .unwrap();
    std::fs::write(old.join("omc.db"), "not really").unwrap();
    ok(&install(home.path(), &[]));
    assert!(!stray.exists());
    assert!(!old.join("install-manifest").exists());
    assert!(old.join("omc.db").is_file());
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Regression: `export OMC_MASTER_KEY="$(omc init --backend env)"` with a failing init leaves
/// the variable empty; the next command blamed the OS keyring.
#[test]
fn an_empty_master_key_variable_is_named_as_such() {
    let home = Home::new();
    for var in ["OMC_MASTER_KEY", "OMC_MASTER_KEY_FILE"] {
        let out = run_stdin(
            home.bare()
                .env(var, "")
                .args(["add", "echo", "--key-stdin"]),
            "any",
        );
        assert_eq!(code(&out), 4, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("{var} is set but empty")), "{err}");
        assert!(err.contains(&format!("unset {var}")), "{err}");
        assert!(!err.contains("keyring"), "{err}");
        assert!(!home.db().exists(), "nothing is created");
    }
    // `omc init --backend env` is what fills that variable: an empty one does not stop it.
    let out = home
        .bare()
        .env("OMC_MASTER_KEY", "")
        .args(["init", "--backend", "env"])
        .output()
        .unwrap();
    assert!(ok(&out).trim().starts_with("AGE-SECRET-KEY-1"));
}

/// The README's Set-up and Quickstart blocks, extracted from README.md and run in order in one
/// bash, on a fresh `HOME`. The only changes are listed here, and each must still apply:
/// the installer takes the binary under test instead of building one, and `omc add openai`
/// reads the key from stdin and talks to a local fake instead of prompting and calling OpenAI.
const REWRITES: [(&str, &str); 2] = [
    (
        "./install.sh &&",
        "./install.sh --binary \"$OMC_TEST_BIN\" &&",
    ),
    (
        "omc add openai ",
        "printf %s \"$OMC_TEST_KEY\" | omc add openai --key-stdin --base-url \"$OMC_TEST_URL\" ",
    ),
];
/// Lines not run: the test suite itself.
const SKIPPED: [&str; 1] = ["cargo test"];

fn readme_block(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no '{heading}' section"));
    let rest = &readme[start..];
    let open = rest.find("```sh\n").expect("a ```sh block") + "```sh\n".len();
    let close = rest[open..].find("```").expect("the block ends") + open;
    rest[open..close]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn readme_set_up_and_quickstart_work_in_order_on_a_fresh_home() {
    let readme = std::fs::read_to_string(Path::new(REPO).join("README.md")).unwrap();
    let mut lines = readme_block(&readme, "## Set up");
    lines.extend(readme_block(&readme, "## Quickstart"));
    assert!(lines.len() >= 8, "{lines:?}");

    let mut used = [0; REWRITES.len()];
    let mut script = String::from("set -o pipefail\n");
    for line in &lines {
        if SKIPPED.contains(&line.as_str()) {
            continue;
        }
        let mut cmd = line.clone();
        for (i, (from, to)) in REWRITES.iter().enumerate() {
            if cmd.contains(from) {
                cmd = cmd.replacen(from, to, 1);
                used[i] += 1;
            }
        }
        let quoted = line.replace('\'', r"'\''");
        script.push_str(&format!(
            "printf '%s\\n' '+ {quoted}' >&2\n{cmd}\nst=$?\n\
             if [ $st -ne 0 ]; then printf 'README line failed (exit %s): %s\\n' \"$st\" '{quoted}' >&2; exit 1; fi\n"
        ));
    }
    assert_eq!(
        used,
        [1; REWRITES.len()],
        "each rewrite must match one README line; the README changed: update REWRITES"
    );
    // After the README's lines, in the same shell: the usage per provider, to check below.
    script.push_str(
        "printf '%s\\n' '--- usage by provider'\nomc usage --group-by provider --format csv\n",
    );

    let key = "sk-readme-walk-5d2e8b1c7a";
    let fake = Fake::start(Family::OpenAi, key);
    fake.server().record(true);
    let home = tempfile::tempdir().unwrap();
    let path = format!(
        "{}:{}",
        home.path().join(".local/bin").display(),
        SYSTEM_PATH
    );
    let out = stranger("bash", home.path(), &path)
        .arg("-c")
        .arg(&script)
        .current_dir(REPO)
        .env("OMC_TEST_BIN", BIN)
        .env("OMC_TEST_KEY", key)
        .env("OMC_TEST_URL", fake.server().base_url())
        .output()
        .unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "stdout:\n{o}\nstderr:\n{e}");
    assert!(!e.contains("error"), "{e}");
    assert!(o.contains("echo: one two three"), "{o}");
    // After `omc add openai`, `omc run` answers from openai: the fake saw the prompt.
    assert!(
        e.contains("'openai' replaces 'echo'"),
        "add says the default changed: {e}"
    );
    let prompts: Vec<String> = fake
        .server()
        .requests()
        .iter()
        .map(|r| r.raw())
        .filter(|r| r.contains("/chat/completions"))
        .collect();
    assert!(
        prompts.iter().any(|r| r.contains("Explain WAL mode")),
        "omc run after omc add openai did not reach openai"
    );
    assert!(
        prompts.iter().any(|r| r.contains("Write a commit message")),
        "the piped run did not reach openai"
    );
    // `omc usage` counts both providers: the echo runs and the openai ones, each with runs.
    let csv = o
        .split("--- usage by provider\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no usage table: {o}"));
    let runs_of = |provider: &str| -> u64 {
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let col = header
            .iter()
            .position(|h| *h == "runs")
            .expect("a runs column");
        let row = csv
            .lines()
            .find(|l| l.split(',').next() == Some(provider))
            .unwrap_or_else(|| panic!("no {provider} row in {csv}"));
        row.split(',').nth(col).unwrap().parse().unwrap()
    };
    assert_eq!(runs_of("echo"), 2, "{csv}");
    assert_eq!(runs_of("openai"), 2, "{csv}");
}
