//! `omc doctor`: is everything omc stands on in order?

use clap::Args;
use serde::Serialize;

use super::Ctx;
use crate::error::{Error, Result};
use crate::keys::master::{self, Backend};
use crate::keys::{self, keyring, pin, unlock_cache};
use crate::paths::mode_of;
use crate::store::{Chain, Store};
use crate::ui::Interaction;

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

impl Check {
    fn new(check: &'static str, status: Level, detail: String) -> Self {
        Check {
            check,
            status,
            detail,
        }
    }
}

pub fn run(ctx: &Ctx, args: &DoctorArgs) -> Result<()> {
    let mut checks = vec![data_dir(ctx), config(ctx)];
    checks.extend(modes(ctx));
    let store = Store::open(&ctx.paths);
    checks.push(os_keyring(&store));
    match store {
        Ok(None) => checks.push(Check::new(
            "store",
            Level::Warn,
            format!(
                "{} does not exist yet: run `omc init` or `omc add PROVIDER`",
                ctx.paths.db().display()
            ),
        )),
        Err(e) => checks.push(Check::new("store", Level::Fail, error_text(&e))),
        Ok(Some(mut store)) => {
            if store.meta.wipe_pending {
                checks.push(pending_wipe(&mut store));
            }
            checks.extend(store_checks(ctx, args, &store));
        }
    }
    print(ctx, &checks)
}

fn data_dir(ctx: &Ctx) -> Check {
    if ctx.paths.data_dir.is_dir() {
        Check::new(
            "data dir",
            Level::Ok,
            ctx.paths.data_dir.display().to_string(),
        )
    } else {
        Check::new(
            "data dir",
            Level::Warn,
            format!(
                "{} does not exist yet: `omc init` or `omc add PROVIDER` creates it",
                ctx.paths.data_dir.display()
            ),
        )
    }
}

fn config(ctx: &Ctx) -> Check {
    let config = &ctx.paths.config_file;
    match crate::config::Config::load(config) {
        Ok(_) if config.is_file() => Check::new("config", Level::Ok, config.display().to_string()),
        Ok(_) => Check::new(
            "config",
            Level::Ok,
            format!("none at {} (built-in defaults)", config.display()),
        ),
        Err(e) => Check::new("config", Level::Fail, e.to_string()),
    }
}

/// The data dir and its files are the user's alone; a file that does not exist is not checked.
fn modes(ctx: &Ctx) -> Vec<Check> {
    let mut checks = Vec::new();
    for (what, path, want) in [
        ("data dir mode", ctx.paths.data_dir.clone(), 0o700),
        ("omc.db mode", ctx.paths.db(), 0o600),
        ("master.age mode", ctx.paths.master_age(), 0o600),
    ] {
        if let Some(mode) = mode_of(&path) {
            checks.push(if mode & 0o077 == 0 {
                Check::new(what, Level::Ok, format!("{mode:04o}"))
            } else {
                Check::new(
                    what,
                    Level::Fail,
                    format!("{mode:04o}: run chmod {want:o} '{}'", path.display()),
                )
            });
        }
    }
    checks
}

/// The OS keyring: a failure only when this store keeps its master key there.
fn os_keyring(store: &Result<Option<Store>>) -> Check {
    let backend = match store {
        Ok(Some(s)) => Some(s.meta.backend),
        _ => None,
    };
    match backend {
        // A file or env store never asks the keyring: probing it would only wait on D-Bus
        // and warn about something that does not matter here.
        Some(b @ (Backend::File | Backend::Env)) => Check::new(
            "OS keyring",
            Level::Ok,
            format!("not used by this store (backend {})", b.as_str()),
        ),
        _ => match keyring::probe() {
            Ok(()) => Check::new(
                "OS keyring",
                Level::Ok,
                "reachable; write, read back and delete work".into(),
            ),
            Err(e) => Check::new(
                "OS keyring",
                if backend == Some(Backend::Keyring) {
                    Level::Fail
                } else {
                    Level::Warn
                },
                e.to_string(),
            ),
        },
    }
}

/// The checks of a store that opened, in the order they are shown.
fn store_checks(ctx: &Ctx, args: &DoctorArgs, store: &Store) -> Vec<Check> {
    let mut checks = vec![
        Check::new(
            "store",
            Level::Ok,
            format!(
                "{} (backend {})",
                ctx.paths.db().display(),
                store.meta.backend.as_str()
            ),
        ),
        match store.schema_version() {
            Ok(v) => Check::new("schema version", Level::Ok, v.to_string()),
            Err(e) => Check::new("schema version", Level::Fail, error_text(&e)),
        },
        integrity(store),
        audit_chain(store),
        recipient_pin(ctx, store),
    ];
    if let Some(cache) = super::lock::state(store) {
        let level = match cache.state {
            unlock_cache::State::Stale | unlock_cache::State::Unavailable => Level::Warn,
            _ => Level::Ok,
        };
        checks.push(Check::new("unlock cache", level, cache.describe()));
    }
    checks.extend(master_key(ctx, args, store));
    // A vault profile that cannot be reached is the engine's state, not this store's: a
    // warning.
    for (name, result) in vault_profiles(ctx, store) {
        checks.push(match result {
            Ok(detail) => Check::new("vault profile", Level::Ok, format!("{name}: {detail}")),
            Err(e) => Check::new(
                "vault profile",
                Level::Warn,
                format!("{name}: {}", error_text(&e)),
            ),
        });
    }
    checks
}

/// A delete or rotation whose old pages another process's reader kept: finish it now.
fn pending_wipe(store: &mut Store) -> Check {
    if store.wipe_destroyed() {
        Check::new(
            "wipe",
            Level::Ok,
            "wiped the pages a delete or rotation left while another process was reading".into(),
        )
    } else {
        Check::new(
            "wipe",
            Level::Warn,
            "a deleted or rotated key's old pages are still in omc.db or its WAL: another \
             process is reading the store; the next command that writes wipes them"
                .into(),
        )
    }
}

fn integrity(store: &Store) -> Check {
    match store.integrity_check() {
        Ok(lines) if lines == ["ok"] => {
            Check::new("integrity", Level::Ok, "PRAGMA integrity_check: ok".into())
        }
        Ok(lines) => Check::new("integrity", Level::Fail, lines.join("; ")),
        Err(e) => Check::new("integrity", Level::Fail, error_text(&e)),
    }
}

fn audit_chain(store: &Store) -> Check {
    match store.verify_audit_chain() {
        Ok(Chain::Intact { chained, legacy }) => Check::new(
            "audit chain",
            Level::Ok,
            if legacy > 0 {
                format!("{chained} rows chained ({legacy} older rows from before the chain)")
            } else {
                format!("{chained} rows chained")
            },
        ),
        Ok(Chain::Broken { at_row, reason }) => Check::new(
            "audit chain",
            Level::Fail,
            format!("breaks at row {at_row}: {reason}"),
        ),
        Err(e) => Check::new("audit chain", Level::Fail, error_text(&e)),
    }
}

fn recipient_pin(ctx: &Ctx, store: &Store) -> Check {
    match pin::read(&ctx.paths) {
        Ok(Some(p)) if p.allows(&store.meta.recipient) => Check::new(
            "recipient pin",
            Level::Ok,
            "omc.db's recipient is the one omc pinned".into(),
        ),
        Ok(Some(p)) => Check::new(
            "recipient pin",
            Level::Fail,
            format!(
                "omc.db names recipient {}, but omc pinned {}: omc.db was changed outside \
                 omc, and `add` refuses to encrypt to it (see `omc doctor --deep`)",
                store.meta.recipient, p.current
            ),
        ),
        Ok(None) => Check::new(
            "recipient pin",
            Level::Warn,
            "none yet: written on the next unlock with the master key".into(),
        ),
        Err(e) => Check::new("recipient pin", Level::Fail, error_text(&e)),
    }
}

/// Whether a master key is found and unlocks this store; with `--deep`, whether every stored
/// key decrypts with it.
fn master_key(ctx: &Ctx, args: &DoctorArgs, store: &Store) -> Vec<Check> {
    let info = master::StoreKeyInfo {
        store_id: &store.meta.store_id,
        recipient: &store.meta.recipient,
        backend: store.meta.backend,
    };
    // --deep may prompt for master.age's passphrase: the user asked for the check.
    let ui = if args.deep {
        ctx.ui
    } else {
        Interaction { allowed: false }
    };
    let (found, key) = match master::find(&ctx.paths, &info, ui) {
        Ok(Ok(k)) => (
            Check::new(
                "master key",
                Level::Ok,
                format!("unlocks this store, from {}", k.source.describe()),
            ),
            Some(k),
        ),
        Ok(Err(k)) => (
            Check::new(
                "master key",
                Level::Fail,
                error_text(&master::mismatch(k.source, &store.meta.recipient)),
            ),
            Some(k),
        ),
        // A passphrase store with nobody to ask is locked, which is its normal state.
        Err(e) if master::is_locked(&e) => (
            Check::new(
                "master key",
                Level::Warn,
                format!(
                    "locked: master.age needs its passphrase ({})",
                    e.hint().unwrap_or_default()
                ),
            ),
            None,
        ),
        Err(e) => (Check::new("master key", Level::Fail, error_text(&e)), None),
    };
    if !args.deep {
        return vec![found];
    }
    let credentials = match key {
        Some(k) => {
            let (check, status, detail) = deep(store, &k);
            Check::new(check, status, detail)
        }
        None => Check::new(
            "credentials",
            Level::Fail,
            "not checked: the master key is unavailable".into(),
        ),
    };
    vec![found, credentials]
}

/// The checks as JSON or a table; an error (exit 1) when any failed.
fn print(ctx: &Ctx, checks: &[Check]) -> Result<()> {
    let failed = checks.iter().filter(|c| c.status == Level::Fail).count();
    if ctx.global.json {
        ctx.out
            .json(&serde_json::json!({ "ok": failed == 0, "checks": checks }))?;
    } else {
        use crate::table::{GREEN, RED_BOLD, YELLOW, paint};
        let mut table = ctx.out.table(&["CHECK", "STATUS", "DETAIL"]);
        for c in checks {
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

fn deep(store: &Store, key: &master::MasterKey) -> (&'static str, Level, String) {
    let rows = match crate::store::all_ciphertexts(store.conn()) {
        Ok(rows) => rows,
        Err(e) => return ("credentials", Level::Fail, error_text(&e)),
    };
    let bad: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            keys::open(&key.identity, &row.binding(), &row.ciphertext)
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
                let kv = crate::openbao::Kv::new(remote.location.clone(), token)?;
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
