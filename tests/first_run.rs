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

/// The README's and the docs' shell blocks, run in order in one bash, as a new user would. The
/// only changes are listed here, and each must still apply: the installer takes the binary
/// under test instead of building one, and `omc add openai` reads the key from stdin and talks
/// to a local fake instead of prompting and calling OpenAI.
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

/// Every ```sh block of the section under `heading` in `file` (up to the next heading of the
/// same or a higher level), as lines without comments.
fn doc_blocks(file: &str, heading: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(Path::new(REPO).join(file)).unwrap();
    let start = text
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("{file} has no '{heading}' section"));
    let level = heading.split(' ').next().unwrap().len();
    // The section ends at the next heading of its level or above, outside code blocks.
    let body = &text[start + heading.len() + 2..];
    let mut end = body.len();
    let mut offset = 0;
    let mut fenced = false;
    for line in body.split_inclusive('\n') {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            let hashes = line.chars().take_while(|c| *c == '#').count();
            if hashes > 0 && hashes <= level && line[hashes..].starts_with(' ') {
                end = offset;
                break;
            }
        }
        offset += line.len();
    }
    let mut rest = &body[..end];
    let mut blocks = Vec::new();
    while let Some(open) = rest.find("```sh\n") {
        let body = &rest[open + "```sh\n".len()..];
        let close = body.find("```").expect("the block ends");
        // One command per line, but a here-document is one command with its lines.
        let mut lines: Vec<String> = Vec::new();
        let mut heredoc: Option<(String, String)> = None;
        for l in body[..close].lines() {
            if let Some((end, cmd)) = &mut heredoc {
                cmd.push('\n');
                cmd.push_str(l);
                if l.trim() == end {
                    lines.push(heredoc.take().unwrap().1);
                }
                continue;
            }
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            match l.split_once("<<'") {
                Some((_, tail)) => {
                    let end = tail.split('\'').next().unwrap().to_owned();
                    heredoc = Some((end, l.to_owned()));
                }
                None => lines.push(l.to_owned()),
            }
        }
        assert!(heredoc.is_none(), "an unterminated here-document in {file}");
        blocks.push(lines);
        rest = &body[close + 3..];
    }
    assert!(!blocks.is_empty(), "{file} '{heading}' has no sh block");
    blocks
}

/// Turn doc lines into a bash script that stops at the first failing line, naming it; `used`
/// counts the rewrites applied.
fn script_of(lines: &[String], used: &mut [usize; REWRITES.len()]) -> String {
    let mut script = String::from("set -o pipefail\n");
    for line in lines {
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
        let quoted = line.lines().next().unwrap().replace('\'', r"'\''");
        script.push_str(&format!(
            "printf '%s\\n' '+ {quoted}' >&2\n{cmd}\nst=$?\n\
             if [ $st -ne 0 ]; then printf 'doc line failed (exit %s): %s\\n' \"$st\" '{quoted}' >&2; exit 1; fi\n"
        ));
    }
    script
}

/// The Quickstart and the agent dry run, then the usage per provider to check (in a scratch
/// directory for the files the dry run writes).
fn quickstart_and_dry_run() -> Vec<String> {
    let mut lines: Vec<String> = doc_blocks("README.md", "## Quickstart").concat();
    lines.push("cd \"$(mktemp -d)\"".into());
    lines.extend(doc_blocks("docs/agents.md", "## Dry run, offline").concat());
    lines.push("printf '%s\\n' '--- usage by provider'".into());
    lines.push("omc usage --group-by provider --format csv".into());
    lines
}

/// What the Quickstart and the dry run must have shown, whichever shell ran them.
fn check_quickstart(out: &Output, fake: &Fake) {
    let (o, e) = (stdout(out), stderr(out));
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
    // The agent dry run called its tool and answered with what the tool said.
    assert!(o.contains("echo: tool words returned: 3"), "{o}");
    assert!(e.contains("→ words {\"text\":\"one two three\"}"), "{e}");
    // `omc usage` counts both providers: the echo runs (two, then the agent's two turns) and the
    // openai ones.
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
    assert_eq!(runs_of("echo"), 4, "{csv}");
    assert_eq!(runs_of("openai"), 2, "{csv}");
}

#[test]
fn readme_set_up_and_quickstart_work_in_order_on_a_fresh_home() {
    let set_up = doc_blocks("README.md", "## Set up");
    let mut used = [0; REWRITES.len()];
    // The first shell: the set-up line (its demo store), then the Quickstart and the dry run.
    let mut lines = set_up[0].clone();
    lines.extend(quickstart_and_dry_run());
    let script = script_of(&lines, &mut used);
    assert_eq!(
        used,
        [1; REWRITES.len()],
        "each rewrite must match one doc line; the docs changed: update REWRITES"
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
    check_quickstart(&out, &fake);
    // The demo store lived in a temp dir: nothing in the default data dir.
    assert!(!home.path().join(".local/share/omc/omc.db").exists());
}

/// The second shell: a new environment (no `OMC_HOME`, no `OMC_MASTER_KEY`, a `PATH` without
/// `~/.local/bin`), where the README's next-shell lines keep omc on `PATH` and make the real
/// store in the OS keyring, then the Quickstart and the dry run work in it. Needs a running,
/// unlocked Secret Service: `.ci/run` runs it under dbus-run-session with `--ignored`.
#[test]
#[ignore = "needs an unlocked Secret Service (see .ci/run)"]
fn real_keyring_next_shell_keeps_omc_and_makes_the_real_store() {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("a D-Bus session");
    let set_up = doc_blocks("README.md", "## Set up");
    assert_eq!(set_up.len(), 2, "the set-up line, then the next shell's");
    let mut used = [0; REWRITES.len()];
    let first = script_of(&set_up[0], &mut used);
    let mut lines = set_up[1].clone();
    lines.extend(quickstart_and_dry_run());
    let second = script_of(&lines, &mut used);
    assert_eq!(used, [1; REWRITES.len()], "update REWRITES");

    let key = "sk-readme-second-shell-77a1c3";
    let fake = Fake::start(Family::OpenAi, key);
    fake.server().record(true);
    let home = tempfile::tempdir().unwrap();
    let shell = |script: &str, path: &str| {
        stranger("bash", home.path(), path)
            .arg("-c")
            .arg(script)
            .current_dir(REPO)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .env("OMC_KEYRING_TIMEOUT", "10s")
            .env("OMC_TEST_BIN", BIN)
            .env("OMC_TEST_KEY", key)
            .env("OMC_TEST_URL", fake.server().base_url())
            .output()
            .unwrap()
    };
    let out = shell(&first, SYSTEM_PATH);
    assert!(out.status.success(), "{}", stderr(&out));
    // A new shell knows nothing of the first one's exports: omc is not on its PATH until the
    // README's line puts it there.
    let out = shell("command -v omc", SYSTEM_PATH);
    assert!(
        !out.status.success(),
        "omc on a bare PATH: {}",
        stdout(&out)
    );
    let out = shell(&second, SYSTEM_PATH);
    check_quickstart(&out, &fake);
    // The real store is in the default data dir, its master key in the OS keyring.
    let data = home.path().join(".local/share/omc");
    assert!(data.join("omc.db").exists());
    let status = shell(
        "export PATH=\"$HOME/.local/bin:$PATH\" && omc master status --json",
        SYSTEM_PATH,
    );
    let status: serde_json::Value = serde_json::from_str(&ok(&status)).unwrap();
    assert_eq!(status["backend"], "keyring", "{status}");
    assert_eq!(status["unlocked"], true, "{status}");
}

/// The release target `install.sh --download` asks for on this machine.
fn release_target() -> Option<&'static str> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("x86_64-unknown-linux-musl"),
        ("linux", "aarch64") => Some("aarch64-unknown-linux-musl"),
        ("macos", "aarch64") => Some("aarch64-apple-darwin"),
        ("macos", "x86_64") => Some("x86_64-apple-darwin"),
        _ => None,
    }
}

/// A local stand-in for a GitHub release: `download/vVERSION/NAME.tar.gz` and its `.sha256`,
/// served by python's http.server on a free loopback port. Returns the base URL.
struct Releases {
    dir: tempfile::TempDir,
    server: std::process::Child,
    base: String,
}

impl Drop for Releases {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn releases(tamper: bool) -> Releases {
    let version = env!("CARGO_PKG_VERSION");
    let target = release_target().expect("a release target");
    let dir = tempfile::tempdir().unwrap();
    let name = format!("omc-{version}-{target}");
    let rel = dir.path().join(format!("download/v{version}"));
    std::fs::create_dir_all(rel.join(&name)).unwrap();
    std::fs::copy(BIN, rel.join(&name).join("omc")).unwrap();
    let tar = format!("{name}.tar.gz");
    let made = Command::new("tar")
        .args(["czf", &tar, &name])
        .current_dir(&rel)
        .status()
        .unwrap();
    assert!(made.success());
    let sum = Command::new("sha256sum")
        .arg(&tar)
        .current_dir(&rel)
        .output()
        .unwrap();
    let mut line = String::from_utf8(sum.stdout).unwrap();
    if tamper {
        line.replace_range(0..1, if line.starts_with('0') { "1" } else { "0" });
    }
    std::fs::write(rel.join(format!("{tar}.sha256")), line).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "http.server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Releases {
        dir,
        server,
        base: format!("http://127.0.0.1:{port}"),
    }
}

#[test]
fn install_download_fetches_a_release_and_checks_its_sha256() {
    if release_target().is_none()
        || !require(
            Command::new("python3").arg("-V").output().is_ok()
                && Command::new("sha256sum").arg("--version").output().is_ok(),
            "python3 and sha256sum",
            None,
        )
    {
        return;
    }
    let good = releases(false);
    let home = tempfile::tempdir().unwrap();
    let out = stranger("sh", home.path(), SYSTEM_PATH)
        .arg(Path::new(REPO).join("install.sh"))
        .arg("--download")
        .env("OMC_RELEASE_BASE", &good.base)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("checked SHA-256"), "{}", stdout(&out));
    let installed = home.path().join(".local/bin/omc");
    let v = Command::new(&installed).arg("--version").output().unwrap();
    assert!(stdout(&v).starts_with("omc "), "{}", stdout(&v));
    assert!(good.dir.path().exists());

    // A tampered checksum: nothing is installed.
    let bad = releases(true);
    let home = tempfile::tempdir().unwrap();
    let out = stranger("sh", home.path(), SYSTEM_PATH)
        .arg(Path::new(REPO).join("install.sh"))
        .arg("--download")
        .env("OMC_RELEASE_BASE", &bad.base)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("does not match its published SHA-256"),
        "{}",
        stderr(&out)
    );
    assert!(!home.path().join(".local/bin/omc").exists());

    // No release there: it says so and names the build.
    let home = tempfile::tempdir().unwrap();
    let out = stranger("sh", home.path(), SYSTEM_PATH)
        .arg(Path::new(REPO).join("install.sh"))
        .arg("--download")
        .env("OMC_RELEASE_BASE", format!("{}/nothing-here", good.base))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("build from source"),
        "{}",
        stderr(&out)
    );
}
