//! `omc master status | rotate`.

use std::path::PathBuf;

use age::x25519::Identity;
use clap::{Args, Subcommand};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::Ctx;
use crate::error::{Error, Result};
use crate::store::audit_record;
use crate::time::rfc3339;
use crate::ui::Interaction;
use crate::vault::master::{self, Backend};
use crate::vault::{self, Binding, recipient_string};

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
        ctx.out.print_table(&t)?;
    }
    unlocked.map(|_| ())
}

/// A crash hook for tests: `OMC_TEST_CRASH_AT=point` aborts the process there, as a kill would.
fn crash_point(point: &str) {
    if crate::hardening::test_hook("OMC_TEST_CRASH_AT").is_some_and(|p| p == point) {
        std::process::abort();
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
    let old = ctx.unlock(&store)?;
    let new = Identity::generate();
    let new_recipient = recipient_string(&new);
    let store_id = store.meta.store_id.clone();

    if let Some(path) = &args.new_key_file {
        write_new_key_file(path, &new)?;
    }
    master::discard_pending(backend, &ctx.paths, &store_id);
    master::stash_pending(&old, backend, &ctx.paths, &store_id, &new)?;
    crash_point("rotate-after-stash");

    let rows = store.all_ciphertexts()?;
    let logins = store.sealed_logins()?;
    let old_recipient = store.meta.recipient.clone();
    let count = rows.len();
    store.write(|tx| {
        let recipient = new.to_public();
        for (i, row) in rows.iter().enumerate() {
            let binding = Binding {
                credential_id: &row.id,
                profile_id: row.profile_id,
                provider: &row.provider,
            };
            let secret = vault::open(&old.identity, &binding, &row.ciphertext)?;
            let sealed = vault::seal(&recipient, &binding, &secret)?;
            tx.execute(
                "UPDATE credentials SET ciphertext = ?2 WHERE id = ?1",
                rusqlite::params![row.id, sealed],
            )?;
            if i + 1 == count / 2 + 1 {
                crash_point("rotate-mid-reencrypt");
            }
        }
        // Vault profiles' stored logins are sealed to the master key too.
        for login in &logins {
            let binding = Binding {
                credential_id: crate::store::LOGIN_BINDING,
                profile_id: login.profile_id,
                provider: crate::store::LOGIN_PROVIDER,
            };
            let secret = vault::open(&old.identity, &binding, &login.ciphertext)?;
            let sealed = vault::seal(&recipient, &binding, &secret)?;
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
        )
    })?;
    crash_point("rotate-after-commit");
    master::promote_pending(backend, &ctx.paths, &store_id, &new)?;

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
