//! `omc unlock [--for 15m]` and `omc lock`: keep a `file` store's master key in the Linux kernel
//! keyring for a while, so the commands that follow skip the passphrase and scrypt.

use std::time::Duration;

use clap::Args;

use super::Ctx;
use crate::error::{Error, Result};
use crate::keys::master::{Backend, Sources};
use crate::keys::unlock_cache;
use crate::store::Store;
use crate::time::rfc3339;

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// How long the master key stays unlocked (the kernel drops it then), at most 24h
    #[arg(long = "for", value_name = "DURATION", default_value = "15m")]
    pub duration: String,
}

#[derive(Debug, Args)]
pub struct LockArgs {}

fn parse_duration(text: &str) -> Result<Duration> {
    let d = humantime::parse_duration(text).map_err(|e| {
        Error::usage_hint(
            format!("--for {text}: {e}"),
            "give a duration such as 90s, 15m or 2h",
        )
    })?;
    if d < Duration::from_secs(1) || d > unlock_cache::MAX_TTL {
        return Err(Error::usage_hint(
            format!("--for {text} is out of range"),
            "give a duration from 1s to 24h",
        ));
    }
    Ok(d)
}

pub fn unlock(ctx: &Ctx, args: &UnlockArgs) -> Result<()> {
    let ttl = parse_duration(&args.duration)?;
    if !unlock_cache::SUPPORTED {
        return Err(unlock_cache::not_supported());
    }
    let store = ctx.store()?;
    let key = ctx.keys.unlock_from(&store, Sources::PassphraseFile)?;
    let expires_at = crate::time::now_ms() + ttl.as_millis() as i64;
    unlock_cache::store(&store.meta.store_id, &key.identity, expires_at)?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "unlocked": true,
            "store_id": store.meta.store_id,
            "expires_at": rfc3339(expires_at),
        }));
    }
    ctx.out.note(format!(
        "Unlocked until {} ({}): the master key is in the kernel keyring; `omc lock` drops it",
        rfc3339(expires_at),
        humantime::format_duration(ttl)
    ));
    Ok(())
}

pub fn lock(ctx: &Ctx, _args: &LockArgs) -> Result<()> {
    if !unlock_cache::SUPPORTED {
        return Err(unlock_cache::not_supported());
    }
    let store = ctx.store()?;
    let dropped = unlock_cache::remove(&store.meta.store_id)?;
    if ctx.global.json {
        return ctx
            .out
            .json(&serde_json::json!({ "locked": true, "dropped": dropped }));
    }
    ctx.out.note(if dropped {
        "Locked: the master key is no longer in the kernel keyring"
    } else {
        "Already locked: the kernel keyring held no master key for this store"
    });
    Ok(())
}

/// The cache as `master status` and `doctor` show it; `None` for stores that do not use
/// master.age.
pub fn state(store: &Store) -> Option<unlock_cache::Status> {
    (store.meta.backend == Backend::File)
        .then(|| unlock_cache::status(&store.meta.store_id, &store.meta.recipient))
}
