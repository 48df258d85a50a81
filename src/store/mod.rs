//! The SQLite store: one file, WAL, busy timeout, foreign keys, `secure_delete`, versioned
//! migrations. It holds ciphertexts only; nothing in it can be read without the master key.

mod agents;
mod audit;
mod backends;
mod bench;
mod bench_agent;
mod conversations;
mod credentials;
mod ledger;
mod peek;
mod profiles;
pub mod schema;
mod usage;

use std::path::Path;
use std::time::Duration;

use rand::RngCore;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use zeroize::Zeroizing;

pub use agents::{AgentRunRow, AgentRunUpdate, TrustRecord};
pub use audit::{AuditEntry, Chain, actor, record as audit_record};
pub use backends::{
    LOGIN_BINDING, LOGIN_PROVIDER, LoginKind, RemoteProfile, SealedLogin, login_binding,
    reseal_login, sealed_logins,
};
pub use bench::{BenchRunRow, BenchStatus, HEARTBEAT_MS, parse_run_id};
pub use conversations::{ConversationRow, ConversationSave, LogId, LogRow};
pub use credentials::{Credential, Filter, NewCredential, Sealed, all_ciphertexts};
pub use ledger::{FailKind, RunEnd, RunKind, RunStart, RunStatus};
pub use peek::Peek;
pub use profiles::{Profile, validate_name};
pub use usage::{GroupBy, Limits, Today, UsageRow};

use crate::error::{Error, Result};
use crate::keys::master::Backend;
use crate::paths::{self, Paths};

const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Past this many pages of new commits the WAL is folded into `omc.db` by a checkpoint in the
/// background of the write that grew it.
///
/// A quarter of SQLite's own autocheckpoint point, because every omc process pays for the WAL
/// at its start: the first connection to open a WAL database rebuilds the WAL's index by
/// reading every frame written since the last reset (`omc key` with 1,000 frames read 4 MiB).
/// 256 frames bound that to about a millisecond; the checkpoint it costs (two fsyncs, off the
/// command's own path until it exits) comes once every hundred or so `omc key`s.
///
/// Counted in frames, as SQLite reports them after each commit, not by the WAL's file size: a
/// reset WAL keeps its old size on disk (up to `journal_size_limit`), so a size test would start
/// a checkpoint on every write once the file had grown there once.
const WAL_CHECKPOINT_PAGES: i64 = 256;

/// How long a background checkpoint waits for other processes' readers and writers.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(250);

/// The `meta` key that says a destroyed secret's pages still wait to be wiped.
const WIPE_PENDING: &str = "wipe_pending";

pub struct Store {
    conn: Connection,
    pub meta: Meta,
    db: std::path::PathBuf,
    checkpoint: Option<std::thread::JoinHandle<()>>,
    /// Frames in the WAL after this connection's last commit (SQLite's WAL hook).
    wal_pages: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(h) = self.checkpoint.take() {
            let _ = h.join();
        }
    }
}

/// Whether a write must be on disk when its command returns. See [`Store::write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// `synchronous = FULL` for this commit: one fsync of the WAL.
    Durable,
    /// `synchronous = NORMAL`: atomic, survives a killed omc; a power cut can lose it until
    /// the next durable commit or checkpoint.
    Light,
}

/// What the store knows about itself.
pub struct Meta {
    pub store_id: String,
    pub recipient: String,
    pub backend: Backend,
    pub created_at: i64,
    fingerprint_key: Zeroizing<Vec<u8>>,
    /// A write destroyed a secret (delete, rotate, `master rotate`) while another process held
    /// a read transaction, so its old pages could not be wiped from `omc.db` and its WAL at
    /// once; the next write finishes the job.
    pub wipe_pending: bool,
}

impl Store {
    pub fn exists(paths: &Paths) -> bool {
        paths.db().exists()
    }

    /// Open the store, or `None` when it has not been created yet.
    pub fn open(paths: &Paths) -> Result<Option<Store>> {
        let db = paths.db();
        if !db.exists() {
            return Ok(None);
        }
        check_modes(paths)?;
        let wal_missing = !wal_path(&db).exists();
        let mut conn = connect(&db, false)?;
        let wal_pages = count_wal_pages(&mut conn)?;
        migrate(&conn)?;
        let meta = read_meta(&conn)?.ok_or_else(|| Error::Store {
            message: format!("{} is not an initialised omc store", db.display()),
            hint: "move it away and run `omc init`".into(),
        })?;
        if wal_missing {
            // SQLite just created the WAL (a store last closed by an older omc, or whose WAL was
            // removed): its directory entry must be durable before a commit relies on it.
            sync_dir(&paths.data_dir);
        }
        Ok(Some(Store {
            conn,
            meta,
            db,
            checkpoint: None,
            wal_pages,
        }))
    }

    /// Open the store or fail with "not found" and the command that creates it.
    pub fn open_existing(paths: &Paths) -> Result<Store> {
        Store::open(paths)?
            .ok_or_else(|| Error::not_found("store", paths.db().display().to_string()))
    }

    /// Create a new store for `recipient`. Fails if one exists already.
    pub fn create(
        paths: &Paths,
        store_id: &str,
        recipient: &str,
        backend: Backend,
    ) -> Result<Store> {
        paths.ensure_data_dir()?;
        check_modes(paths)?;
        let db = paths.db();
        precreate_private(&db)?;
        let mut conn = connect(&db, true)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let wal_pages = count_wal_pages(&mut conn)?;
        migrate(&conn)?;
        let mut fp_key = Zeroizing::new(vec![0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut fp_key);
        let now = crate::time::now_ms();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if read_meta(&tx)?.is_some() {
            return Err(Error::conflict(
                format!("a store already exists at {}", db.display()),
                "see it with `omc master status`; omc never replaces a store",
            ));
        }
        for (k, v) in [
            ("store_id", store_id.to_owned()),
            ("recipient", recipient.to_owned()),
            ("backend", backend.as_str().to_owned()),
            ("created_at", now.to_string()),
            ("fingerprint_key", hex(&fp_key)),
        ] {
            tx.execute("INSERT INTO meta(key, value) VALUES (?1, ?2)", (k, v))?;
        }
        tx.execute(
            "INSERT OR IGNORE INTO profiles(name, created_at) VALUES ('default', ?1)",
            [now],
        )?;
        tx.commit()?;
        for suffix in ["-wal", "-shm"] {
            let p = Path::new(&format!("{}{suffix}", db.display())).to_path_buf();
            if p.exists() {
                paths::set_mode(&p, 0o600)?;
            }
        }
        sync_dir(&paths.data_dir);
        let meta = read_meta(&conn)?.expect("meta was just written");
        Ok(Store {
            conn,
            meta,
            db,
            checkpoint: None,
            wal_pages,
        })
    }

    /// Run `f` in an IMMEDIATE transaction (the write lock is taken up front, so concurrent
    /// writers queue on the busy timeout instead of failing on lock upgrade), durably: the
    /// commit is fsynced (one fsync: the WAL's) before this returns. For credential, profile,
    /// limit and master-key changes, which a user expects to survive a power cut.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.write_with(Durability::Durable, f)
    }

    /// [`Store::write`] without the fsync, for rows that record what happened rather than what
    /// the user set: audit rows of reads (`key`, `exec`, `env`, `run`), validation results, the
    /// usage and bench ledgers. The commit is atomic and survives omc being killed; only a power
    /// cut or OS crash in the next seconds can lose it (and then the audit chain is one row
    /// shorter, still intact).
    pub fn write_light<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.write_with(Durability::Light, f)
    }

    fn write_with<T>(
        &mut self,
        durability: Durability,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.with_durability(durability, |conn| {
            let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Run `f` with `synchronous` set for `durability`, back to NORMAL after; then start a
    /// background checkpoint if the WAL holds [`WAL_CHECKPOINT_PAGES`] or more.
    fn with_durability<T>(
        &mut self,
        durability: Durability,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        if durability == Durability::Durable {
            self.conn.pragma_update(None, "synchronous", "FULL")?;
        }
        let out = f(&self.conn);
        if durability == Durability::Durable {
            let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
        }
        if out.is_ok() {
            if self.meta.wipe_pending {
                // An earlier delete or rotation could not wipe its old pages at once.
                if self.checkpoint_briefly() {
                    self.clear_wipe_pending();
                }
            } else {
                self.checkpoint_in_background();
            }
        }
        out
    }

    /// Fold the WAL into `omc.db` on another connection while this command goes on (joined
    /// when the store is dropped). PASSIVE: it never waits for, nor blocks, other omc processes.
    fn checkpoint_in_background(&mut self) {
        use std::sync::atomic::Ordering;
        if self.wal_pages.load(Ordering::Relaxed) < WAL_CHECKPOINT_PAGES {
            return;
        }
        // One at a time; a finished one is reaped, so a long-lived writer (a benchmark's
        // record writer) keeps checkpointing, not just once per process.
        match &self.checkpoint {
            Some(h) if !h.is_finished() => return,
            Some(_) => {
                if let Some(h) = self.checkpoint.take() {
                    let _ = h.join();
                }
            }
            None => {}
        }
        let db = self.db.clone();
        self.checkpoint = Some(std::thread::spawn(move || {
            // TRUNCATE, not PASSIVE: the WAL must also be emptied here, in this process. A
            // checkpoint's progress is kept only in the WAL index, which the next process
            // rebuilds from the WAL file as if nothing had been checkpointed; a WAL that is
            // only ever checkpointed, never reset, grows without end, and every later write
            // copies all of it again. Other omc processes' readers are waited for briefly; a
            // checkpoint that cannot finish is left to the next write.
            let checkpoint = |c: Connection| -> Result<bool> {
                c.busy_timeout(CHECKPOINT_WAIT)?;
                Ok(c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    r.get::<_, i64>(0)
                })? == 0)
            };
            match connect(&db, false).and_then(checkpoint) {
                Ok(true) => tracing::debug!("checkpointed and emptied the WAL"),
                Ok(false) => tracing::debug!("the WAL is in use; the checkpoint waits"),
                Err(e) => tracing::debug!("background checkpoint failed: {e}"),
            }
        }));
    }

    /// Make the last commit durable and fold the WAL into `omc.db` now, emptying it (for
    /// writes that destroy a ciphertext, so its pages linger in neither file). Two fsyncs: the
    /// WAL's (which makes the commit durable) and `omc.db`'s. Whether it finished: a reader in
    /// another process (an `omc run` streaming, a `sqlite3` shell) keeps the frames its
    /// snapshot needs, and with them the destroyed bytes.
    pub fn checkpoint_truncate(&self) -> bool {
        let busy = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            });
        matches!(busy, Ok(0))
    }

    /// After a write that destroyed a secret: wipe its old pages from `omc.db` and the WAL now
    /// (`secure_delete` zeroed them in the new page versions; the checkpoint writes those over
    /// the old ones and empties the WAL). When another process's read transaction prevents
    /// that, the store remembers it (`meta.wipe_pending`) and the next write by any omc finishes
    /// it. Returns whether the wipe is complete.
    pub fn wipe_destroyed(&mut self) -> bool {
        if self.checkpoint_briefly() {
            if self.meta.wipe_pending {
                self.clear_wipe_pending();
            }
            return true;
        }
        let marked = self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (WIPE_PENDING, crate::time::now_ms().to_string()),
        );
        if let Err(e) = marked {
            tracing::warn!("could not record the unfinished wipe: {e}");
        }
        self.meta.wipe_pending = true;
        false
    }

    /// [`Store::checkpoint_truncate`], waiting for other processes' readers only briefly.
    fn checkpoint_briefly(&self) -> bool {
        self.conn.busy_timeout(CHECKPOINT_WAIT).ok();
        let done = self.checkpoint_truncate();
        self.conn.busy_timeout(BUSY_TIMEOUT).ok();
        done
    }

    /// The pending wipe is done: forget it. The row's removal lands in the WAL, which holds
    /// nothing else now.
    fn clear_wipe_pending(&mut self) {
        match self
            .conn
            .execute("DELETE FROM meta WHERE key = ?1", [WIPE_PENDING])
        {
            Ok(_) => self.meta.wipe_pending = false,
            Err(e) => tracing::debug!("could not clear the pending wipe: {e}"),
        }
    }

    /// Run `f` in an IMMEDIATE transaction that encrypts to the store's recipient, read under
    /// the write lock, so a `master rotate` that commits while this command was busy (validating
    /// a key, say) cannot leave a row sealed to the recipient it replaced.
    ///
    /// `verify` vouches for a recipient before anything is encrypted to it (against the master
    /// identity where that is cheap, else the recipient pin). It runs outside the transaction:
    /// when the recipient it vouched for is no longer the store's by the time the write lock is
    /// held, the new one is verified in turn and the write redone against it.
    pub fn write_sealed<T>(
        &mut self,
        verify: impl Fn(&str) -> Result<()>,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &age::x25519::Recipient) -> Result<T>,
    ) -> Result<T> {
        self.write_sealed_with(Durability::Durable, verify, f)
    }

    /// [`Store::write_sealed`] without the fsync at commit, for a caller that checkpoints
    /// right after ([`Store::checkpoint_truncate`]), which makes it durable.
    pub fn write_sealed_then_checkpoint<T>(
        &mut self,
        verify: impl Fn(&str) -> Result<()>,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &age::x25519::Recipient) -> Result<T>,
    ) -> Result<T> {
        let out = self.write_sealed_with(Durability::Light, verify, f)?;
        self.wipe_destroyed();
        Ok(out)
    }

    fn write_sealed_with<T>(
        &mut self,
        durability: Durability,
        verify: impl Fn(&str) -> Result<()>,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &age::x25519::Recipient) -> Result<T>,
    ) -> Result<T> {
        let (out, recipient) =
            self.with_durability(durability, |conn| sealed_tx(conn, verify, f))?;
        self.meta.recipient = recipient;
        Ok(out)
    }
}

/// The body of [`Store::write_sealed`]: the result and the recipient it sealed to.
fn sealed_tx<T>(
    conn: &Connection,
    verify: impl Fn(&str) -> Result<()>,
    f: impl FnOnce(&rusqlite::Transaction<'_>, &age::x25519::Recipient) -> Result<T>,
) -> Result<(T, String)> {
    let mut vouched = current_recipient(conn)?;
    verify(&vouched)?;
    let mut f = Some(f);
    for _ in 0..3 {
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let now = current_recipient(&tx)?;
        if now != vouched {
            // Rotated (or changed) since it was verified: verify the new one, then redo.
            drop(tx);
            verify(&now)?;
            vouched = now;
            continue;
        }
        let recipient = crate::keys::parse_recipient(&now)?;
        let f = f.take().expect("the write runs once");
        let out = f(&tx, &recipient)?;
        // Under the write lock nothing else can have changed it; checked anyway, since a
        // row sealed to a stale recipient is a lost key.
        if current_recipient(&tx)? != now {
            return Err(Error::Other(
                "the store's recipient changed inside a write transaction; nothing was stored"
                    .into(),
            ));
        }
        tx.commit()?;
        return Ok((out, now));
    }
    Err(Error::master(
        "the store's master key kept changing while omc tried to store the key; nothing was stored",
        "wait for `omc master rotate` to finish, then run the command again",
    ))
}

impl Store {
    /// Run `f` on one consistent snapshot of the store (one read transaction), with
    /// `meta.recipient` read in the same snapshot: a credential row and the recipient it is
    /// checked against never straddle a `master rotate`.
    pub fn snapshot<T>(&mut self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        let tx = self.conn.unchecked_transaction()?;
        self.meta.recipient = current_recipient(&tx)?;
        let out = f(self)?;
        tx.commit()?;
        Ok(out)
    }

    /// Put the master key's recipient back after it was changed outside omc (only when every
    /// live credential opens with that key). Audited.
    pub fn restore_recipient(&self, from: &str, to: &str) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let out = self.restore_recipient_tx(from, to);
        let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
        out
    }

    fn restore_recipient_tx(&self, from: &str, to: &str) -> Result<()> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE meta SET value = ?2 WHERE key = 'recipient' AND value = ?1",
            (from, to),
        )?;
        if changed == 1 {
            audit_record(
                &tx,
                "recipient-restored",
                None,
                None,
                Some(&format!("had been changed to {from} outside omc")),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Re-read the recipient (after waiting on a lock, say).
    pub fn refresh_recipient(&mut self) -> Result<()> {
        self.meta.recipient = current_recipient(&self.conn)?;
        Ok(())
    }

    /// Whether `omc master rotate` has replaced the key the store was created with.
    pub fn was_rotated(&self) -> bool {
        self.conn
            .query_row(
                "SELECT 1 FROM meta WHERE key = 'previous_recipient'",
                [],
                |_| Ok(()),
            )
            .optional()
            .is_ok_and(|found| found.is_some())
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: "ok" or the problems found.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )?;
        Ok(())
    }
}

impl Meta {
    pub fn fingerprint(&self, secret: &str) -> Vec<u8> {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.fingerprint_key)
            .expect("HMAC takes any key length");
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// New random id: 16 bytes, hex.
pub fn new_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex(&b)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

fn connect(db: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(db, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Commits are fsynced only where a write asks for it (see `Store::write`); checkpoints run
    // in the background of a write that grew the WAL, never on close, so the WAL (and its
    // index) stays between processes instead of being folded in, fsynced and deleted every
    // time the last omc exits.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA synchronous = NORMAL;
         PRAGMA wal_autocheckpoint = 0;
         PRAGMA journal_size_limit = 4194304;
         PRAGMA mmap_size = 67108864;",
    )?;
    Ok(conn)
}

/// Keep count of the frames in the WAL after each commit on `conn`, for
/// [`Store::checkpoint_in_background`]. Registered after `wal_autocheckpoint`, which replaces
/// any WAL hook.
fn count_wal_pages(conn: &mut Connection) -> Result<std::sync::Arc<std::sync::atomic::AtomicI64>> {
    let pages = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let seen = std::sync::Arc::clone(&pages);
    conn.wal_hook(Some(
        move |_: &mut rusqlite::hooks::Wal, n: std::ffi::c_int| {
            seen.store(i64::from(n), std::sync::atomic::Ordering::Relaxed);
            Ok(())
        },
    ))?;
    Ok(pages)
}

/// Make the entries of files created in `dir` durable. omc builds SQLite with
/// `SQLITE_DISABLE_DIRSYNC` (.cargo/config.toml), which otherwise fsyncs the directory once per
/// process for the WAL it opens, whether or not it created it; the WAL now stays between
/// processes, so omc does it only when the WAL is new.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn wal_path(db: &Path) -> std::path::PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    p.into()
}

/// Bring the schema up to date, one transaction per step, safe against concurrent openers.
fn migrate(conn: &Connection) -> Result<()> {
    let target = schema::MIGRATIONS.len() as i64;
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current == target {
        return Ok(());
    }
    if current > target {
        return Err(Error::Store {
            message: format!(
                "the store has schema version {current}, newer than this omc understands ({target})"
            ),
            hint: "upgrade omc".into(),
        });
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, step) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
            conn.execute_batch(step)?;
            conn.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        Ok::<_, Error>(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    Ok(())
}

/// The recipient as the database holds it now.
pub fn current_recipient(conn: &Connection) -> Result<String> {
    conn.query_row("SELECT value FROM meta WHERE key = 'recipient'", [], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| Error::Store {
        message: "the store's metadata is damaged (recipient)".into(),
        hint: "restore omc.db and omc.db-wal together from a backup".into(),
    })
}

fn read_meta(conn: &Connection) -> Result<Option<Meta>> {
    // One statement for the five keys, not one each: every open reads them.
    let mut found: [Option<String>; 6] = Default::default();
    const KEYS: [&str; 6] = [
        "store_id",
        "recipient",
        "backend",
        "created_at",
        "fingerprint_key",
        WIPE_PENDING,
    ];
    let mut stmt = conn.prepare("SELECT key, value FROM meta")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let key: String = row.get(0)?;
        if let Some(i) = KEYS.iter().position(|k| *k == key) {
            found[i] = Some(row.get(1)?);
        }
    }
    let [
        store_id,
        recipient,
        backend,
        created_at,
        fingerprint_key,
        wipe_pending,
    ] = found;
    let Some(store_id) = store_id else {
        return Ok(None);
    };
    let damaged = |what: &str| Error::Store {
        message: format!("the store's metadata is damaged ({what})"),
        hint: "restore omc.db and omc.db-wal together from a backup".into(),
    };
    let recipient = recipient.ok_or_else(|| damaged("recipient"))?;
    let backend = backend
        .as_deref()
        .and_then(Backend::parse)
        .ok_or_else(|| damaged("backend"))?;
    let created_at = created_at
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| damaged("created_at"))?;
    let fingerprint_key = fingerprint_key
        .as_deref()
        .and_then(unhex)
        .ok_or_else(|| damaged("fingerprint key"))?;
    Ok(Some(Meta {
        store_id,
        recipient,
        backend,
        created_at,
        fingerprint_key: Zeroizing::new(fingerprint_key),
        wipe_pending: wipe_pending.is_some(),
    }))
}

/// Create the database file 0600 before SQLite does, so no umask can widen it; SQLite then
/// gives its -wal and -shm files the main file's mode.
fn precreate_private(db: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(db).map_err(|e| Error::io_path("create", db, e))?;
    paths::set_mode(db, 0o600)
}

/// Refuse a store that group or others can read.
pub fn check_modes(paths: &Paths) -> Result<()> {
    paths::check_private(&paths.data_dir, 0o700)?;
    let db = paths.db();
    paths::check_private(&db, 0o600)?;
    for suffix in ["-wal", "-shm"] {
        paths::check_private(Path::new(&format!("{}{suffix}", db.display())), 0o600)?;
    }
    paths::check_private(&paths.master_age(), 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new store in a temporary directory (kept alive by the first value).
    fn new_store() -> (tempfile::TempDir, Paths, Store) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            data_dir: dir.path().join("data"),
            config_file: dir.path().join("config.toml"),
        };
        let store = Store::create(&paths, "id", "age1test", Backend::Env).unwrap();
        (dir, paths, store)
    }

    #[test]
    fn metadata_is_read_whole_and_a_missing_entry_is_named() {
        let (_dir, paths, store) = new_store();
        assert_eq!(store.meta.store_id, "id");
        assert_eq!(store.meta.recipient, "age1test");
        assert_eq!(store.meta.backend, Backend::Env);
        drop(store);
        let damage = |sql: &str| {
            let conn = Connection::open(paths.db()).unwrap();
            conn.execute_batch(sql).unwrap();
        };
        damage("DELETE FROM meta WHERE key = 'backend'");
        let err = Store::open(&paths)
            .err()
            .expect("a store without its backend");
        assert!(
            err.to_string()
                .contains("the store's metadata is damaged (backend)"),
            "{err}"
        );
        damage("DELETE FROM meta WHERE key = 'store_id'");
        let err = Store::open(&paths).err().expect("a store without its id");
        assert!(
            err.to_string().contains("is not an initialised omc store"),
            "{err}"
        );
    }

    /// One transaction of `rows` audit rows carrying `detail`.
    fn big_write(store: &mut Store, detail: &str, rows: usize) {
        store
            .write_light(|tx| {
                for _ in 0..rows {
                    audit_record(tx, "test", None, None, Some(detail))?;
                }
                Ok(())
            })
            .unwrap();
    }

    /// Writes until a background checkpoint starts; returns how many it took.
    fn writes_until_a_checkpoint(store: &mut Store, detail: &str) -> usize {
        for n in 1..=5000 {
            store.audit("test", None, None, Some(detail)).unwrap();
            if let Some(h) = store.checkpoint.take() {
                h.join().unwrap();
                return n;
            }
        }
        panic!("5000 writes and no checkpoint");
    }

    #[test]
    fn the_wal_is_checkpointed_and_emptied_by_pages_written_not_after_every_write() {
        let (_dir, paths, mut store) = new_store();
        let detail = "x".repeat(3000);
        // One commit of about 1,500 pages grows the WAL file past its 4 MiB size limit.
        big_write(&mut store, &detail, 1500);
        store
            .checkpoint
            .take()
            .expect("a checkpoint")
            .join()
            .unwrap();
        let wal_len = || std::fs::metadata(wal_path(&paths.db())).unwrap().len();
        assert_eq!(wal_len(), 0, "the checkpoint empties the WAL");
        // Small writes after it: none of them is worth a checkpoint.
        for _ in 0..30 {
            store.audit("test", None, None, None).unwrap();
            assert!(
                store.checkpoint.is_none(),
                "a checkpoint after a small write"
            );
        }
        // The next one comes once enough pages more have been written (a few per write).
        let n = writes_until_a_checkpoint(&mut store, &detail);
        assert!(
            (20..=WAL_CHECKPOINT_PAGES as usize).contains(&n),
            "a checkpoint after {n} writes"
        );
        // What the next process finds: an empty WAL, not every frame since the store began.
        drop(store);
        assert_eq!(wal_len(), 0, "the WAL left for the next process");
    }

    #[test]
    fn a_long_lived_writer_checkpoints_again_once_the_last_checkpoint_is_done() {
        let (_dir, paths, mut store) = new_store();
        let detail = "x".repeat(3000);
        big_write(&mut store, &detail, 600);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !store
            .checkpoint
            .as_ref()
            .expect("a checkpoint")
            .is_finished()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the checkpoint never ended"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // Without taking the first checkpoint's handle, as the bench writer never does.
        big_write(&mut store, &detail, 600);
        store
            .checkpoint
            .take()
            .expect("a checkpoint")
            .join()
            .unwrap();
        let wal = std::fs::metadata(wal_path(&paths.db())).unwrap().len();
        assert_eq!(wal, 0, "the second big write was not checkpointed");
    }

    #[test]
    fn an_older_store_is_migrated_in_place_and_keeps_its_rows() {
        let conn = Connection::open_in_memory().unwrap();
        // A store as omc left it before migration 4.
        for (i, step) in schema::MIGRATIONS[..3].iter().enumerate() {
            conn.execute_batch(step).unwrap();
            conn.pragma_update(None, "user_version", i as i64 + 1)
                .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO bench_runs(id, started_at, profile, config, config_hash, status)
                 VALUES (1, 0, 'default', '{}', 'h', 'done');
             INSERT INTO bench_requests(run_id, seq, target, credential, prompt, run, warmup,
                 status, scheduled_ms, queue_ms, e2e_ms, chunks, estimated)
                 VALUES (1, 0, 'openai/m', 'openai', 'short', 0, 0, 'ok', 0, 0, 5.5, 3, 0);",
        )
        .unwrap();
        for _ in 0..2 {
            // The second time finds nothing to do.
            migrate(&conn).unwrap();
            let version: i64 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(version, schema::MIGRATIONS.len() as i64);
        }
        let row: (f64, Option<String>, Option<f64>) = conn
            .query_row(
                "SELECT e2e_ms, request_id, max_gap_ms FROM bench_requests",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(row, (5.5, None, None));
    }

    #[test]
    fn error_kinds_stored_in_the_old_spellings_are_renamed() {
        let conn = Connection::open_in_memory().unwrap();
        // The store as it was just before the renaming step (wherever later steps put it).
        let before = schema::MIGRATIONS
            .iter()
            .position(|m| m.contains("WHEN 'ratelimited'"))
            .unwrap();
        for (i, step) in schema::MIGRATIONS[..before].iter().enumerate() {
            conn.execute_batch(step).unwrap();
            conn.pragma_update(None, "user_version", i as i64 + 1)
                .unwrap();
        }
        for (id, kind) in [
            (1, "ratelimited"),
            (2, "rate_limited"),
            (3, "modelnotfound"),
            (4, "badrequest"),
            (5, "server"),
            (6, "not_started"),
        ] {
            conn.execute(
                "INSERT INTO runs(id, at, profile_id, profile, provider, model, kind, status, error_kind)
                 VALUES (?1, 0, 1, 'default', 'openai', 'm', 'run', 'error', ?2)",
                (id, kind),
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO runs(id, at, profile_id, profile, provider, model, kind, status)
             VALUES (7, 0, 1, 'default', 'openai', 'm', 'run', 'ok')",
            [],
        )
        .unwrap();
        migrate(&conn).unwrap();
        let kinds: Vec<Option<String>> = conn
            .prepare("SELECT error_kind FROM runs ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        let want = [
            Some("rate_limited"),
            Some("rate_limited"),
            Some("model_not_found"),
            Some("bad_request"),
            Some("server"),
            Some("not_started"),
            None,
        ];
        assert_eq!(kinds, want.map(|k| k.map(str::to_owned)));
    }
}
