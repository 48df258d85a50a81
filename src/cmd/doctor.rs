//! `omc doctor`: is everything omc stands on in order?

use clap::Args;
use serde::Serialize;

use super::Ctx;
use crate::error::{Error, Result};
use crate::paths::mode_of;
use crate::store::{Chain, Store};
use crate::ui::Interaction;
use crate::vault::master::{self, Backend};
use crate::vault::{self, Binding, keyring, pin};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also unlock the master key and decrypt every stored key, naming any that no longer opens
    /// (nothing is printed but the names)
    #[arg(long)]
    pub deep: bool,
}

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

pub fn run(ctx: &Ctx, args: &DoctorArgs) -> Result<()> {
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
    let backend = match &store {
        Ok(Some(s)) => Some(s.meta.backend),
        _ => None,
    };
    match backend {
        // A file or env store never asks the keyring: probing it would only wait on D-Bus
        // and warn about something that does not matter here.
        Some(b @ (Backend::File | Backend::Env)) => add(
            "OS keyring",
            Level::Ok,
            format!("not used by this store (backend {})", b.as_str()),
        ),
        _ => match keyring::probe() {
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
        },
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
            match store.verify_audit_chain() {
                Ok(Chain::Intact { chained, legacy }) => add(
                    "audit chain",
                    Level::Ok,
                    if legacy > 0 {
                        format!(
                            "{chained} rows chained ({legacy} older rows from before the chain)"
                        )
                    } else {
                        format!("{chained} rows chained")
                    },
                ),
                Ok(Chain::Broken { at_row, reason }) => add(
                    "audit chain",
                    Level::Fail,
                    format!("breaks at row {at_row}: {reason}"),
                ),
                Err(e) => add("audit chain", Level::Fail, error_text(&e)),
            }
            match pin::read(&ctx.paths) {
                Ok(Some(p)) if p.allows(&store.meta.recipient) => add(
                    "recipient pin",
                    Level::Ok,
                    "omc.db's recipient is the one omc pinned".into(),
                ),
                Ok(Some(p)) => add(
                    "recipient pin",
                    Level::Fail,
                    format!(
                        "omc.db names recipient {}, but omc pinned {}: omc.db was changed outside \
                         omc, and `add` refuses to encrypt to it (see `omc doctor --deep`)",
                        store.meta.recipient, p.current
                    ),
                ),
                Ok(None) => add(
                    "recipient pin",
                    Level::Warn,
                    "none yet: written on the next unlock with the master key".into(),
                ),
                Err(e) => add("recipient pin", Level::Fail, error_text(&e)),
            }
            if let Some(cache) = super::lock::state(&store) {
                let level = match cache.state {
                    "stale" | "unavailable" => Level::Warn,
                    _ => Level::Ok,
                };
                add("unlock cache", level, cache.describe());
            }
            // --deep may prompt for master.age's passphrase: the user asked for the check.
            let ui = if args.deep {
                ctx.ui
            } else {
                Interaction { allowed: false }
            };
            match master::find(&ctx.paths, &info, ui) {
                Ok(Ok(k)) => {
                    add(
                        "master key",
                        Level::Ok,
                        format!("unlocks this store, from {}", k.source.describe()),
                    );
                    if args.deep {
                        let (check, status, detail) = deep(&store, &k);
                        add(check, status, detail);
                    }
                }
                Ok(Err(k)) => {
                    add(
                        "master key",
                        Level::Fail,
                        error_text(&master::mismatch(k.source, &store.meta.recipient)),
                    );
                    if args.deep {
                        let (check, status, detail) = deep(&store, &k);
                        add(check, status, detail);
                    }
                }
                Err(e) => {
                    add("master key", Level::Fail, error_text(&e));
                    if args.deep {
                        add(
                            "credentials",
                            Level::Fail,
                            "not checked: the master key is unavailable".into(),
                        );
                    }
                }
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

/// `--deep`: decrypt every live ciphertext with the master identity (age X25519 stanzas name no
/// recipient, so only the identity can tell which rows no longer open).
fn deep(store: &Store, key: &master::MasterKey) -> (&'static str, Level, String) {
    let rows = match crate::store::all_ciphertexts(store.conn()) {
        Ok(rows) => rows,
        Err(e) => return ("credentials", Level::Fail, error_text(&e)),
    };
    let bad: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            vault::open(
                &key.identity,
                &Binding {
                    credential_id: &row.id,
                    profile_id: row.profile_id,
                    provider: &row.provider,
                },
                &row.ciphertext,
            )
            .err()
            .map(|_| format!("{} (profile {})", row.name, row.profile))
        })
        .collect();
    if bad.is_empty() {
        (
            "credentials",
            Level::Ok,
            format!("all {} open with the master key", rows.len()),
        )
    } else {
        (
            "credentials",
            Level::Fail,
            format!(
                "{} of {} do not open with the master key: {}",
                bad.len(),
                rows.len(),
                bad.join(", ")
            ),
        )
    }
}

/// Each vault profile: its engine reachable and the token accepted, with the credentials seen.
fn vault_profiles(ctx: &Ctx, store: &Store) -> Vec<(String, Result<String>)> {
    let names = match store.remote_profile_names() {
        Ok(n) => n,
        Err(e) => return vec![("?".into(), Err(e))],
    };
    names
        .into_iter()
        .map(|name| {
            let result = (|| {
                let remote = store
                    .remote_profile(&name)?
                    .ok_or_else(|| Error::not_found("profile", &name))?;
                let rt = crate::creds::runtime()?;
                let token = crate::creds::resolve_token(store, &remote, &|s| ctx.unlock(s), &rt)?;
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
