//! `omc master status | rotate`.

use std::path::PathBuf;

use age::x25519::Identity;
use clap::{Args, Subcommand};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::Ctx;
use crate::error::{Error, Result};
use crate::keys::master::{self, Backend};
use crate::keys::{self, pin, recipient_string};
use crate::store::{all_ciphertexts, audit_record, current_recipient};
use crate::time::rfc3339;
use crate::ui::Interaction;

#[derive(Debug, Subcommand)]
pub enum MasterCommand {
    /// Where the master key comes from, and whether it unlocks this store
    Status,
    /// Re-encrypt every credential to a new master key, atomically
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// For stores whose key comes from the environment: write the new identity to this new
    /// file (mode 0600), to become the new OMC_MASTER_KEY
    #[arg(long, value_name = "FILE")]
    pub new_key_file: Option<PathBuf>,
}

#[derive(Serialize)]
struct Status {
    store: String,
    store_id: String,
    backend: Backend,
    recipient: String,
    created_at: String,
    schema_version: i64,
    source: Option<&'static str>,
    unlocked: bool,
    error: Option<String>,
    /// `omc unlock`'s cache (file stores only).
    unlock_cache: Option<crate::keys::unlock_cache::Status>,
}

pub fn run(ctx: &Ctx, cmd: &MasterCommand) -> Result<()> {
    match cmd {
        MasterCommand::Status => status(ctx),
        MasterCommand::Rotate(args) => rotate(ctx, args),
    }
}

fn status(ctx: &Ctx) -> Result<()> {
    let store = ctx.store()?;
    // Status never prompts: it reports what a non-interactive run would find.
    let quiet_ctx = Interaction { allowed: false };
    let unlocked = master::unlock(
        &ctx.paths,
        &master::StoreKeyInfo {
            store_id: &store.meta.store_id,
            recipient: &store.meta.recipient,
            backend: store.meta.backend,
        },
        quiet_ctx,
    );
    let (source, error) = match &unlocked {
        Ok(k) => (Some(k.source.describe()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let status = Status {
        store: ctx.paths.db().display().to_string(),
        store_id: store.meta.store_id.clone(),
        backend: store.meta.backend,
        recipient: store.meta.recipient.clone(),
        created_at: rfc3339(store.meta.created_at),
        schema_version: store.schema_version()?,
        source,
        unlocked: unlocked.is_ok(),
        error,
        unlock_cache: super::lock::state(&store),
    };
    if ctx.global.json {
        ctx.out.json(&status)?;
    } else {
        let mut t = ctx.out.table(&["", ""]);
        t.add_row(vec!["store".to_string(), status.store.clone()]);
        t.add_row(vec![
            "backend".to_string(),
            status.backend.as_str().to_string(),
        ]);
        t.add_row(vec!["recipient".to_string(), status.recipient.clone()]);
        t.add_row(vec!["created".to_string(), status.created_at.clone()]);
        t.add_row(vec![
            "schema".to_string(),
            status.schema_version.to_string(),
        ]);
        t.add_row(vec![
            "master key".into(),
            match (&status.source, &status.error) {
                (Some(s), _) => format!("unlocked from {s}"),
                (None, Some(e)) => format!("unavailable: {e}"),
                (None, None) => "unavailable".into(),
            },
        ]);
        if let Some(cache) = &status.unlock_cache {
            t.add_row(vec!["unlock".into(), cache.describe()]);
        }
        ctx.out.print_table(&t)?;
    }
    unlocked.map(|_| ())
}

/// A crash hook for tests: `OMC_TEST_CRASH_AT=point` aborts the process there, as a kill would.
/// Debug builds only.
fn crash_point(point: &str) {
    if crate::hardening::test_hook("OMC_TEST_CRASH_AT").is_some_and(|p| p == point) {
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}

/// `--new-key-file` until the rotation has committed: removed if the rotation fails, so no file
/// is left holding a key that opens nothing.
struct NewKeyFile<'a>(Option<&'a std::path::Path>);

impl Drop for NewKeyFile<'_> {
    fn drop(&mut self) {
        if let Some(path) = self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn rotate(ctx: &Ctx, args: &RotateArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let backend = store.meta.backend;
    if backend == Backend::Env && args.new_key_file.is_none() {
        return Err(Error::usage_hint(
            "this store's master key comes from the environment: omc needs somewhere to put the new one",
            "pass --new-key-file FILE, then set OMC_MASTER_KEY from it",
        ));
    }
    // One rotation at a time, from before the new key is stashed until it is promoted: two at
    // once would each replace the other's pending key.
    let _lock = master::lock_rotation(&ctx.paths)?;
    crate::testhook::pause("rotate-locked");
    // Another rotation may have finished while this one opened the store.
    store.refresh_recipient()?;
    // master.age's passphrase is needed to write the new one: not the `omc unlock` cache.
    let old = ctx.keys.unlock_from(&store, master::Sources::NoCache)?;
    // The unlocked key's own recipient: the one the database must still name when the write
    // lock is held (unlock may have just put it back after a change outside omc).
    let old_recipient = recipient_string(&old.identity);
    let new = Identity::generate();
    let new_recipient = recipient_string(&new);
    let store_id = store.meta.store_id.clone();

    let mut new_key_file = NewKeyFile(None);
    if let Some(path) = &args.new_key_file {
        write_new_key_file(path, &new)?;
        new_key_file.0 = Some(path);
    }
    master::discard_pending(backend, &ctx.paths, &store_id);
    master::stash_pending(&old, backend, &ctx.paths, &store_id, &new)?;
    // The pin vouches for the new recipient from now on, so an `add` whose write lands after
    // the commit below encrypts to it instead of being refused.
    let mut pin = pin::Pin::new(&store_id, &old_recipient);
    pin.pending = Some(new_recipient.clone());
    pin::write(&ctx.paths, &pin)?;
    crash_point("rotate-after-stash");

    let reencrypt = |tx: &rusqlite::Transaction<'_>| {
        // Read under the write lock: a row added or rotated while this command waited for it
        // is re-encrypted too, never left sealed to the old recipient.
        if current_recipient(tx)? != old_recipient {
            return Err(Error::master(
                "the store's master key changed while this rotation waited for the database",
                "nothing was changed by this rotation; run `omc master rotate` again",
            ));
        }
        let rows = all_ciphertexts(tx)?;
        let count = rows.len();
        let recipient = new.to_public();
        for (i, row) in rows.iter().enumerate() {
            let binding = row.binding();
            let secret =
                keys::open(&old.identity, &binding, &row.ciphertext).map_err(|e| Error::Store {
                    message: format!(
                        "credential '{}' (profile {}) does not open with the master key: {e}",
                        row.name, row.profile
                    ),
                    hint: "nothing was changed; `omc doctor --deep` lists every credential that \
                           does not open, and `omc delete NAME` removes one"
                        .into(),
                })?;
            let sealed = keys::seal(&recipient, &binding, &secret)?;
            tx.execute(
                "UPDATE credentials SET ciphertext = ?2 WHERE id = ?1",
                rusqlite::params![row.id, sealed],
            )?;
            if i + 1 == count / 2 + 1 {
                crash_point("rotate-mid-reencrypt");
            }
        }
        // Vault profiles' stored logins are sealed to the master key too.
        for login in crate::store::sealed_logins(tx)? {
            let binding = login.binding();
            let secret = keys::open(&old.identity, &binding, &login.ciphertext)?;
            let sealed = keys::seal(&recipient, &binding, &secret)?;
            crate::store::reseal_login(tx, login.profile_id, &sealed)?;
        }
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'recipient'",
            [&new_recipient],
        )?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('previous_recipient', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [&old_recipient],
        )?;
        audit_record(
            tx,
            "master-rotate",
            None,
            None,
            Some(&format!("{count} credentials")),
        )?;
        Ok(count)
    };
    let count = match store.write(reencrypt) {
        Ok(count) => count,
        Err(e) => {
            master::discard_pending(backend, &ctx.paths, &store_id);
            let _ = pin::write(&ctx.paths, &pin::Pin::new(&store_id, &old_recipient));
            return Err(e);
        }
    };
    // Committed: the new key is the only one that opens the store now. The old ciphertexts'
    // pages go from omc.db and its WAL (or at the next write, if another process is reading).
    let wiped = store.wipe_destroyed();
    new_key_file.0 = None;
    crash_point("rotate-after-commit");
    master::promote_pending(backend, &ctx.paths, &store_id, &new)?;
    pin::write(&ctx.paths, &pin::Pin::new(&store_id, &new_recipient))?;
    crate::keys::unlock_cache::replace(&store_id, &new);

    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "rotated": count,
            "recipient": new_recipient,
            "backend": backend,
            "new_key_file": args.new_key_file,
        }));
    }
    ctx.out.note(format!(
        "Re-encrypted {count} credential(s) to the new master key {new_recipient}"
    ));
    if !wiped {
        super::warn_wipe_pending(ctx, "the old ciphertexts");
    }
    if let Some(path) = &args.new_key_file {
        ctx.out.note(format!(
            "The new identity is in {}: set OMC_MASTER_KEY from it; the old key no longer opens this store",
            path.display()
        ));
    }
    Ok(())
}

fn write_new_key_file(path: &std::path::Path, identity: &Identity) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts
        .open(path)
        .map_err(|e| Error::io_path("create", path, e))?;
    crate::paths::set_mode(path, 0o600)?;
    writeln!(file, "{}", identity.to_string().expose_secret())
        .and_then(|_| file.sync_all())
        .map_err(|e| Error::io_path("write", path, e))
}
