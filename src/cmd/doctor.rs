//! `omc doctor`: is everything omc stands on in order?

use clap::Args;
use serde::Serialize;

use super::Ctx;
use crate::error::{Error, Result};
use crate::paths::mode_of;
use crate::store::Store;
use crate::ui::Interaction;
use crate::vault::keyring;
use crate::vault::master::{self, Backend};

#[derive(Debug, Args)]
pub struct DoctorArgs {}

#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
struct Check {
    check: &'static str,
    status: Level,
    detail: String,
}

pub fn run(ctx: &Ctx, _args: &DoctorArgs) -> Result<()> {
    let mut checks = Vec::new();
    let mut add = |check, status, detail: String| {
        checks.push(Check {
            check,
            status,
            detail,
        })
    };

    if ctx.paths.data_dir.is_dir() {
        add(
            "data dir",
            Level::Ok,
            ctx.paths.data_dir.display().to_string(),
        );
    } else {
        add(
            "data dir",
            Level::Warn,
            format!(
                "{} does not exist yet: `omc init` or `omc add PROVIDER` creates it",
                ctx.paths.data_dir.display()
            ),
        );
    }
    let config = &ctx.paths.config_file;
    match crate::config::Config::load(config) {
        Ok(_) if config.is_file() => add("config", Level::Ok, config.display().to_string()),
        Ok(_) => add(
            "config",
            Level::Ok,
            format!("none at {} (built-in defaults)", config.display()),
        ),
        Err(e) => add("config", Level::Fail, e.to_string()),
    }
    for (what, path, want) in [
        ("data dir mode", ctx.paths.data_dir.clone(), 0o700),
        ("omc.db mode", ctx.paths.db(), 0o600),
        ("master.age mode", ctx.paths.master_age(), 0o600),
    ] {
        if let Some(mode) = mode_of(&path) {
            if mode & 0o077 == 0 {
                add(what, Level::Ok, format!("{mode:04o}"));
            } else {
                add(
                    what,
                    Level::Fail,
                    format!("{mode:04o}: run chmod {want:o} '{}'", path.display()),
                );
            }
        }
    }

    let store = Store::open(&ctx.paths);
    let keyring_needed = matches!(&store, Ok(Some(s)) if s.meta.backend == Backend::Keyring);
    match keyring::probe() {
        Ok(()) => add(
            "OS keyring",
            Level::Ok,
            "reachable; write, read back and delete work".into(),
        ),
        Err(e) => add(
            "OS keyring",
            if keyring_needed {
                Level::Fail
            } else {
                Level::Warn
            },
            e.to_string(),
        ),
    }

    match store {
        Ok(None) => add(
            "store",
            Level::Warn,
            format!(
                "{} does not exist yet: run `omc init` or `omc add PROVIDER`",
                ctx.paths.db().display()
            ),
        ),
        Err(e) => add("store", Level::Fail, error_text(&e)),
        Ok(Some(store)) => {
            add(
                "store",
                Level::Ok,
                format!(
                    "{} (backend {})",
                    ctx.paths.db().display(),
                    store.meta.backend.as_str()
                ),
            );
            match store.schema_version() {
                Ok(v) => add("schema version", Level::Ok, v.to_string()),
                Err(e) => add("schema version", Level::Fail, error_text(&e)),
            }
            match store.integrity_check() {
                Ok(lines) if lines == ["ok"] => {
                    add("integrity", Level::Ok, "PRAGMA integrity_check: ok".into())
                }
                Ok(lines) => add("integrity", Level::Fail, lines.join("; ")),
                Err(e) => add("integrity", Level::Fail, error_text(&e)),
            }
            let info = master::StoreKeyInfo {
                store_id: &store.meta.store_id,
                recipient: &store.meta.recipient,
                backend: store.meta.backend,
            };
            match master::unlock(&ctx.paths, &info, Interaction { allowed: false }) {
                Ok(k) => add(
                    "master key",
                    Level::Ok,
                    format!("unlocks this store, from {}", k.source.describe()),
                ),
                Err(e) => add("master key", Level::Fail, error_text(&e)),
            }
            // A vault profile that cannot be reached is the engine's state, not this store's:
            // a warning.
            for (name, result) in vault_profiles(ctx, &store) {
                match result {
                    Ok(detail) => add("vault profile", Level::Ok, format!("{name}: {detail}")),
                    Err(e) => add(
                        "vault profile",
                        Level::Warn,
                        format!("{name}: {}", error_text(&e)),
                    ),
                }
            }
        }
    }

    let failed = checks.iter().filter(|c| c.status == Level::Fail).count();
    if ctx.global.json {
        ctx.out
            .json(&serde_json::json!({ "ok": failed == 0, "checks": checks }))?;
    } else {
        let mut table = ctx.out.table(&["CHECK", "STATUS", "DETAIL"]);
        for c in &checks {
            use crate::output::{GREEN, RED_BOLD, YELLOW, paint};
            let (status, sgr) = match c.status {
                Level::Ok => ("ok", GREEN),
                Level::Warn => ("warn", YELLOW),
                Level::Fail => ("FAIL", RED_BOLD),
            };
            table.add_row(vec![
                c.check.to_owned(),
                paint(ctx.out.color, sgr, status),
                c.detail.clone(),
            ]);
        }
        ctx.out.print_table(&table)?;
    }
    if failed > 0 {
        return Err(Error::Other(format!("{failed} check(s) failed")));
    }
    Ok(())
}

/// Each vault profile: its engine reachable and the token accepted, with the credentials seen.
fn vault_profiles(ctx: &Ctx, store: &Store) -> Vec<(String, Result<String>)> {
    let names = match store.remote_profile_names() {
        Ok(n) => n,
        Err(e) => return vec![("?".into(), Err(e))],
    };
    let unlocker = crate::creds::Unlocker {
        paths: ctx.paths.clone(),
        ui: Interaction { allowed: false },
    };
    names
        .into_iter()
        .map(|name| {
            let result = (|| {
                let remote = store
                    .remote_profile(&name)?
                    .ok_or_else(|| Error::not_found("profile", &name))?;
                let rt = crate::creds::runtime()?;
                let token = crate::creds::resolve_token(store, &remote, &unlocker, &rt)?;
                let kv = crate::kv::Kv::new(remote.location.clone(), token)?;
                let n = rt.block_on(kv.list())?.len();
                Ok(format!(
                    "{} at {}: token accepted, {n} credential(s) listed",
                    remote.location.display(),
                    remote.location.address
                ))
            })();
            (name, result)
        })
        .collect()
}

fn error_text(e: &Error) -> String {
    match e.hint() {
        // Inside doctor, "run `omc doctor`" is no advice: keep only the rest of the hint.
        Some(h) => {
            let h = h.replace("run `omc doctor`, and ", "");
            format!("{e} ({h})")
        }
        None => e.to_string(),
    }
}
