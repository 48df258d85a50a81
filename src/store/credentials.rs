//! Credential rows. Reads never return plaintext: ciphertexts go to the vault to be opened.

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

use super::audit::record;
use super::{Store, new_id, profiles::validate_name};
use crate::error::{Error, Result};
use crate::time::now_ms;

/// A credential as listed: everything but the secret.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Credential {
    pub id: String,
    pub profile: String,
    #[serde(skip)]
    pub profile_id: i64,
    pub name: String,
    pub provider: String,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub masked_key: String,
    pub is_default: bool,
    pub is_provider_default: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_used_at: Option<i64>,
    pub validated_at: Option<i64>,
    pub validation_status: Option<String>,
    pub validation_latency_ms: Option<i64>,
    pub deleted_at: Option<i64>,
}

/// What `add` stores. `seal` encrypts the key for the row's id and profile id.
pub struct NewCredential<'a> {
    pub profile: &'a str,
    pub name: &'a str,
    pub provider: &'a str,
    pub model: Option<&'a str>,
    pub base_url: Option<&'a str>,
    pub mask: &'a str,
    pub fingerprint: &'a [u8],
    pub make_default: bool,
    pub validation: Option<(&'a str, i64)>,
}

const COLUMNS: &str = "c.id, p.name, c.profile_id, c.name, c.provider, c.model, c.base_url, c.mask,
    c.is_default, c.is_provider_default, c.created_at, c.updated_at, c.last_used_at,
    c.validated_at, c.validation_status, c.validation_latency_ms, c.deleted_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Credential> {
    Ok(Credential {
        id: r.get(0)?,
        profile: r.get(1)?,
        profile_id: r.get(2)?,
        name: r.get(3)?,
        provider: r.get(4)?,
        model: r.get(5)?,
        base_url: r.get(6)?,
        masked_key: r.get(7)?,
        is_default: r.get(8)?,
        is_provider_default: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        last_used_at: r.get(12)?,
        validated_at: r.get(13)?,
        validation_status: r.get(14)?,
        validation_latency_ms: r.get(15)?,
        deleted_at: r.get(16)?,
    })
}

/// What `omc list`'s table shows ([`Fields::Shown`]): neither the id, nor the profile (one
/// profile's listing knows it), nor `updated_at` or the validation latency. Each column left out
/// saves SQLite a decode and rusqlite three calls per row, 10,000 times in a large store.
const SHOWN_COLUMNS: &str = "c.name, c.provider, c.model, c.base_url, c.mask, c.is_default,
    c.is_provider_default, c.created_at, c.last_used_at, c.validated_at, c.validation_status,
    c.deleted_at";

/// Which of a credential's fields a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    All,
    /// Those the table of `omc list` shows; the others are left empty (see [`SHOWN_COLUMNS`]).
    Shown,
}

/// Column `i` as text, `None` for NULL.
fn text<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        v => v
            .as_str()
            .map(Some)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), Box::new(e))),
    }
}

/// `s` set to column `i`'s text, reusing its buffer.
fn set(s: &mut String, r: &Row<'_>, i: usize) -> rusqlite::Result<()> {
    s.clear();
    s.push_str(text(r, i)?.unwrap_or_default());
    Ok(())
}

/// [`set`] for a column that may be NULL.
fn set_opt(s: &mut Option<String>, r: &Row<'_>, i: usize) -> rusqlite::Result<()> {
    match (text(r, i)?, s.as_mut()) {
        (None, _) => *s = None,
        (Some(t), Some(old)) => {
            old.clear();
            old.push_str(t);
        }
        (Some(t), None) => *s = Some(t.to_owned()),
    }
    Ok(())
}

/// [`from_row`] into an existing credential, reusing its strings: a listing of thousands of
/// rows allocates for the longest of each field, not once per field per row.
fn fill_from_row(c: &mut Credential, r: &Row<'_>) -> rusqlite::Result<()> {
    set(&mut c.id, r, 0)?;
    set(&mut c.profile, r, 1)?;
    c.profile_id = r.get(2)?;
    set(&mut c.name, r, 3)?;
    set(&mut c.provider, r, 4)?;
    set_opt(&mut c.model, r, 5)?;
    set_opt(&mut c.base_url, r, 6)?;
    set(&mut c.masked_key, r, 7)?;
    c.is_default = r.get(8)?;
    c.is_provider_default = r.get(9)?;
    c.created_at = r.get(10)?;
    c.updated_at = r.get(11)?;
    c.last_used_at = r.get(12)?;
    c.validated_at = r.get(13)?;
    set_opt(&mut c.validation_status, r, 14)?;
    c.validation_latency_ms = r.get(15)?;
    c.deleted_at = r.get(16)?;
    Ok(())
}

/// [`fill_from_row`] for a row of [`SHOWN_COLUMNS`].
fn fill_shown(c: &mut Credential, r: &Row<'_>) -> rusqlite::Result<()> {
    set(&mut c.name, r, 0)?;
    set(&mut c.provider, r, 1)?;
    set_opt(&mut c.model, r, 2)?;
    set_opt(&mut c.base_url, r, 3)?;
    set(&mut c.masked_key, r, 4)?;
    c.is_default = r.get(5)?;
    c.is_provider_default = r.get(6)?;
    c.created_at = r.get(7)?;
    c.last_used_at = r.get(8)?;
    c.validated_at = r.get(9)?;
    set_opt(&mut c.validation_status, r, 10)?;
    c.deleted_at = r.get(11)?;
    Ok(())
}

/// The query behind [`Store::each_credential`]. For one profile (every `omc list` but
/// `--all-profiles`) it reads the covering index `credentials_listing` (schema step 9) in its
/// own order: neither the rows, which carry the ciphertexts, nor a sort.
fn listing_sql(one_profile: bool, fields: Fields) -> String {
    let columns = match fields {
        Fields::All => COLUMNS,
        // Only one profile's listing can leave its name out.
        Fields::Shown if one_profile => SHOWN_COLUMNS,
        Fields::Shown => COLUMNS,
    };
    let order = if one_profile {
        "c.provider, c.name, c.created_at"
    } else {
        "p.name, c.provider, c.name, c.created_at"
    };
    format!(
        "SELECT {columns} {} ORDER BY {order}",
        listing_from(one_profile)
    )
}

/// The listing's FROM and WHERE, shared with [`Store::count_credentials`].
fn listing_from(one_profile: bool) -> &'static str {
    if one_profile {
        "FROM profiles p JOIN credentials c ON c.profile_id = p.id
         WHERE p.name = ?1
           AND (?2 IS NULL OR c.provider = ?2)
           AND (?3 OR c.deleted_at IS NULL)"
    } else {
        "FROM credentials c JOIN profiles p ON p.id = c.profile_id
         WHERE (?1 IS NULL OR p.name = ?1)
           AND (?2 IS NULL OR c.provider = ?2)
           AND (?3 OR c.deleted_at IS NULL)"
    }
}

/// A ciphertext and the row identity bound into it.
pub struct Sealed {
    pub id: String,
    pub profile_id: i64,
    pub provider: String,
    pub ciphertext: Vec<u8>,
    pub name: String,
    pub profile: String,
    /// When its secret was last written (added or rotated).
    pub updated_at: i64,
}

/// Which credentials `list` shows.
#[derive(Debug, Default, Clone)]
pub struct Filter<'a> {
    pub profile: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub include_deleted: bool,
}

impl Store {
    /// Insert a credential; `seal(id, profile_id)` returns its ciphertext.
    /// Refuses a new credential whose name is taken, or whose secret is already stored, in
    /// `profile`. `add` asks before it validates the key, so a duplicate is never sent to the
    /// provider; [`Store::insert_credential`] asks again under its write lock.
    pub fn check_new_credential(
        &self,
        profile: &str,
        name: &str,
        fingerprint: &[u8],
    ) -> Result<()> {
        check_new(&self.conn, profile, name, fingerprint)
    }

    /// Insert a credential; `seal(recipient, id, profile_id)` returns its ciphertext, sealed
    /// to the recipient read under the write lock (see [`Store::write_sealed`]).
    pub fn insert_credential(
        &mut self,
        new: &NewCredential<'_>,
        verify: impl Fn(&str) -> Result<()>,
        seal: impl FnOnce(&age::x25519::Recipient, &str, i64) -> Result<Vec<u8>>,
    ) -> Result<Credential> {
        validate_name("credential", new.name)?;
        let id = self.write_sealed(verify, |tx, recipient| {
            let profile_id = Store::ensure_profile(tx, new.profile)?;
            // Checked again here, in the write transaction, against a concurrent `add`.
            check_new(tx, new.profile, new.name, new.fingerprint)?;
            let id = new_id();
            let ciphertext = seal(recipient, &id, profile_id)?;
            let now = now_ms();
            let (status, latency) = new.validation.map_or((None, None), |(s, l)| (Some(s), Some(l)));
            tx.execute(
                "INSERT INTO credentials(id, profile_id, name, provider, model, base_url, ciphertext,
                     mask, fingerprint, created_at, updated_at, validated_at, validation_status,
                     validation_latency_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13)",
                rusqlite::params![
                    id, profile_id, new.name, new.provider, new.model, new.base_url, ciphertext,
                    new.mask, new.fingerprint, now, status.map(|_| now), status, latency
                ],
            )?;
            let has_default: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM credentials WHERE profile_id = ?1 AND is_default = 1 AND deleted_at IS NULL)",
                [profile_id],
                |r| r.get(0),
            )?;
            let has_provider_default: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM credentials WHERE profile_id = ?1 AND provider = ?2
                     AND is_provider_default = 1 AND deleted_at IS NULL)",
                (profile_id, new.provider),
                |r| r.get(0),
            )?;
            if new.make_default {
                set_default_tx(tx, profile_id, &id, new.provider)?;
            } else {
                if !has_default {
                    tx.execute("UPDATE credentials SET is_default = 1 WHERE id = ?1", [&id])?;
                }
                if !has_provider_default {
                    tx.execute(
                        "UPDATE credentials SET is_provider_default = 1 WHERE id = ?1",
                        [&id],
                    )?;
                }
            }
            record(tx, "add", Some(new.profile), Some((new.name, &id)), Some(new.provider))?;
            Ok(id)
        })?;
        self.credential_by_id(&id)
    }

    fn credential_by_id(&self, id: &str) -> Result<Credential> {
        Ok(self.conn.query_row(
            &format!("SELECT {COLUMNS} FROM credentials c JOIN profiles p ON p.id = c.profile_id WHERE c.id = ?1"),
            [id],
            from_row,
        )?)
    }

    pub fn list_credentials(&self, filter: &Filter<'_>) -> Result<Vec<Credential>> {
        let mut all = Vec::new();
        self.each_credential(filter, Fields::All, &mut |c| {
            all.push(c.clone());
            Ok(())
        })?;
        Ok(all)
    }

    /// [`Store::list_credentials`] one at a time, in the same order, without building the
    /// list: `f` sees each credential in a buffer reused for the next.
    /// With [`Fields::Shown`] and one profile, `f` gets only what `omc list`'s table shows (the
    /// profile's name included); id, profile id, `updated_at` and the validation latency are
    /// left empty.
    pub fn each_credential(
        &self,
        filter: &Filter<'_>,
        fields: Fields,
        f: &mut dyn FnMut(&Credential) -> Result<()>,
    ) -> Result<()> {
        let one_profile = filter.profile.is_some();
        let sql = listing_sql(one_profile, fields);
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params![
            filter.profile,
            filter.provider,
            filter.include_deleted
        ])?;
        let mut c = Credential {
            profile: filter.profile.unwrap_or_default().to_owned(),
            ..Credential::default()
        };
        let fill = match fields {
            Fields::Shown if one_profile => fill_shown,
            _ => fill_from_row,
        };
        while let Some(r) = rows.next()? {
            fill(&mut c, r)?;
            f(&c)?;
        }
        Ok(())
    }

    /// How many credentials [`Store::each_credential`] gives for `filter`: a count over the
    /// same covering index, without reading a column.
    pub fn count_credentials(&self, filter: &Filter<'_>) -> Result<usize> {
        let count = format!("SELECT count(*) {}", listing_from(filter.profile.is_some()));
        let n: i64 = self.conn.query_row(
            &count,
            rusqlite::params![filter.profile, filter.provider, filter.include_deleted],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// A live credential by name, with its ciphertext.
    pub fn credential(&self, profile: &str, name: &str) -> Result<(Credential, Vec<u8>)> {
        let found = self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS}, c.ciphertext FROM credentials c JOIN profiles p ON p.id = c.profile_id
                     WHERE p.name = ?1 AND c.name = ?2 AND c.deleted_at IS NULL"
                ),
                (profile, name),
                |r| Ok((from_row(r)?, r.get::<_, Vec<u8>>(17)?)),
            )
            .optional()?;
        match found {
            Some(found) => Ok(found),
            None => {
                // A profile that does not exist is the thing to report.
                self.require_profile(profile)?;
                Err(Error::not_found("credential", name))
            }
        }
    }

    /// The name of the profile's default credential (or its provider's default), or an error
    /// that says what is missing: the profile itself, or a credential for that role.
    pub fn require_default(&self, profile: &str, provider: Option<&str>) -> Result<String> {
        if let Some(name) = self.default_credential(profile, provider)? {
            return Ok(name);
        }
        self.require_profile(profile)?;
        Err(match provider {
            Some(p) => Error::Missing {
                message: format!("profile '{profile}' has no {p} credential"),
                hint: format!("add one: omc add {p}"),
            },
            None => {
                let live: i64 = self.conn.query_row(
                    "SELECT count(*) FROM credentials c JOIN profiles p ON p.id = c.profile_id
                     WHERE p.name = ?1 AND c.deleted_at IS NULL",
                    [profile],
                    |r| r.get(0),
                )?;
                if live == 0 {
                    Error::Missing {
                        message: format!("profile '{profile}' has no credentials"),
                        hint: "add one: omc add PROVIDER".into(),
                    }
                } else {
                    Error::Missing {
                        message: format!("profile '{profile}' has no default credential"),
                        hint: "pick one: omc default NAME (see `omc list`)".into(),
                    }
                }
            }
        })
    }

    /// The profile's default credential, or its provider's default when `provider` is given.
    pub fn default_credential(
        &self,
        profile: &str,
        provider: Option<&str>,
    ) -> Result<Option<String>> {
        let sql = match provider {
            None => "SELECT c.name FROM credentials c JOIN profiles p ON p.id = c.profile_id
                     WHERE p.name = ?1 AND c.is_default = 1 AND c.deleted_at IS NULL AND ?2 IS NULL",
            Some(_) => "SELECT c.name FROM credentials c JOIN profiles p ON p.id = c.profile_id
                     WHERE p.name = ?1 AND c.provider = ?2 AND c.is_provider_default = 1 AND c.deleted_at IS NULL",
        };
        Ok(self
            .conn
            .query_row(sql, rusqlite::params![profile, provider], |r| r.get(0))
            .optional()?)
    }

    pub fn set_default(&mut self, profile: &str, name: &str) -> Result<()> {
        let (cred, _) = self.credential(profile, name)?;
        self.write(|tx| {
            set_default_tx(tx, cred.profile_id, &cred.id, &cred.provider)?;
            record(tx, "default", Some(profile), Some((name, &cred.id)), None)
        })
    }

    /// Tombstone (ciphertext and fingerprint destroyed) or, with `purge`, remove the row.
    pub fn delete_credential(&mut self, profile: &str, name: &str, purge: bool) -> Result<()> {
        let (cred, _) = self.credential(profile, name)?;
        // Not fsynced at commit: the checkpoint below syncs the WAL (making the commit durable)
        // before it overwrites the old pages, and omc.db after: two fsyncs in all.
        self.write_light(|tx| {
            if purge {
                tx.execute("DELETE FROM credentials WHERE id = ?1", [&cred.id])?;
            } else {
                tx.execute(
                    "UPDATE credentials SET ciphertext = NULL, fingerprint = NULL, deleted_at = ?2,
                         is_default = 0, is_provider_default = 0, updated_at = ?2
                     WHERE id = ?1",
                    (&cred.id, now_ms()),
                )?;
            }
            // Hand the defaults to the oldest remaining credential, as a user would expect.
            if cred.is_default {
                tx.execute(
                    "UPDATE credentials SET is_default = 1 WHERE id =
                       (SELECT id FROM credentials WHERE profile_id = ?1 AND deleted_at IS NULL
                        ORDER BY created_at LIMIT 1)",
                    [cred.profile_id],
                )?;
            }
            if cred.is_provider_default {
                tx.execute(
                    "UPDATE credentials SET is_provider_default = 1 WHERE id =
                       (SELECT id FROM credentials WHERE profile_id = ?1 AND provider = ?2
                        AND deleted_at IS NULL ORDER BY created_at LIMIT 1)",
                    (cred.profile_id, &cred.provider),
                )?;
            }
            let action = if purge { "purge" } else { "delete" };
            record(tx, action, Some(profile), Some((name, &cred.id)), None)
        })?;
        // Tombstoned bytes are zeroed in the file by secure_delete; fold the WAL in now so
        // the old pages do not linger there either.
        self.checkpoint_truncate();
        Ok(())
    }

    /// How many tombstones (deleted credentials, kept for the audit trail) `name` has in
    /// `profile`.
    pub fn tombstones(&self, profile: &str, name: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM credentials c JOIN profiles p ON p.id = c.profile_id
             WHERE p.name = ?1 AND c.name = ?2 AND c.deleted_at IS NOT NULL",
            (profile, name),
            |r| r.get(0),
        )?)
    }

    /// Remove the tombstones of `name` in `profile` (`delete --purge` after a plain `delete`).
    pub fn purge_tombstones(&mut self, profile: &str, name: &str) -> Result<usize> {
        self.write(|tx| {
            let ids: Vec<String> = tx
                .prepare(
                    "SELECT c.id FROM credentials c JOIN profiles p ON p.id = c.profile_id
                     WHERE p.name = ?1 AND c.name = ?2 AND c.deleted_at IS NOT NULL",
                )?
                .query_map((profile, name), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for id in &ids {
                tx.execute("DELETE FROM credentials WHERE id = ?1", [id])?;
                record(tx, "purge", Some(profile), Some((name, id)), None)?;
            }
            Ok(ids.len())
        })
    }

    /// Replace a credential's secret (rotate), sealed by `seal` to the recipient read under
    /// the write lock (see [`Store::write_sealed`]).
    pub fn replace_secret(
        &mut self,
        cred: &Credential,
        mask: &str,
        fingerprint: &[u8],
        verify: impl Fn(&str) -> Result<()>,
        seal: impl FnOnce(&age::x25519::Recipient) -> Result<Vec<u8>>,
        validation: Option<(&str, i64)>,
    ) -> Result<()> {
        // Durable through the checkpoint that empties the WAL of the old ciphertext.
        self.write_sealed_then_checkpoint(verify, |tx, recipient| {
            let clash: Option<String> = tx
                .query_row(
                    "SELECT name FROM credentials WHERE profile_id = ?1 AND fingerprint = ?2
                     AND deleted_at IS NULL AND id != ?3",
                    (cred.profile_id, fingerprint, &cred.id),
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = clash {
                return Err(Error::conflict(
                    format!("this key is already stored in profile '{}' as '{other}'", cred.profile),
                    "the same secret is stored once per profile",
                ));
            }
            let ciphertext = seal(recipient)?;
            let now = now_ms();
            let (status, latency) = validation.map_or((None, None), |(s, l)| (Some(s), Some(l)));
            let changed = tx.execute(
                "UPDATE credentials SET ciphertext = ?2, mask = ?3, fingerprint = ?4, updated_at = ?5,
                     validated_at = ?6, validation_status = ?7, validation_latency_ms = ?8
                 WHERE id = ?1 AND deleted_at IS NULL",
                rusqlite::params![
                    cred.id, ciphertext, mask, fingerprint, now, status.map(|_| now), status, latency
                ],
            )?;
            if changed == 0 {
                // Deleted by another command while this one validated the new key.
                return Err(Error::not_found("credential", &cred.name));
            }
            record(tx, "rotate", Some(&cred.profile), Some((&cred.name, &cred.id)), None)
        })
    }

    /// Record that secrets were handed out (`key`, `exec`, `env`, `run`).
    pub fn mark_used(
        &mut self,
        creds: &[&Credential],
        action: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        self.write_light(|tx| {
            let now = now_ms();
            for c in creds {
                tx.execute(
                    "UPDATE credentials SET last_used_at = ?2 WHERE id = ?1",
                    (&c.id, now),
                )?;
                record(tx, action, Some(&c.profile), Some((&c.name, &c.id)), detail)?;
            }
            Ok(())
        })
    }

    pub fn record_validation(
        &mut self,
        cred: &Credential,
        status: &str,
        latency_ms: i64,
    ) -> Result<()> {
        self.write_light(|tx| {
            tx.execute(
                "UPDATE credentials SET validated_at = ?2, validation_status = ?3, validation_latency_ms = ?4
                 WHERE id = ?1",
                (&cred.id, now_ms(), status, latency_ms),
            )?;
            record(tx, "validate", Some(&cred.profile), Some((&cred.name, &cred.id)), Some(status))
        })
    }

    /// Every live ciphertext with the row it is bound to.
    pub fn all_ciphertexts(&self) -> Result<Vec<Sealed>> {
        all_ciphertexts(&self.conn)
    }
}

/// Every live ciphertext with the row it is bound to, read on `conn` (inside the caller's
/// transaction when it has one), oldest change first.
pub fn all_ciphertexts(conn: &Connection) -> Result<Vec<Sealed>> {
    let mut stmt = conn.prepare(
        "SELECT c.id, c.profile_id, c.provider, c.ciphertext, c.name, p.name, c.updated_at
         FROM credentials c JOIN profiles p ON p.id = c.profile_id
         WHERE c.deleted_at IS NULL ORDER BY c.updated_at, c.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Sealed {
            id: r.get(0)?,
            profile_id: r.get(1)?,
            provider: r.get(2)?,
            ciphertext: r.get(3)?,
            name: r.get(4)?,
            profile: r.get(5)?,
            updated_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn set_default_tx(
    tx: &rusqlite::Transaction<'_>,
    profile_id: i64,
    id: &str,
    provider: &str,
) -> Result<()> {
    tx.execute(
        "UPDATE credentials SET is_default = 0 WHERE profile_id = ?1 AND is_default = 1",
        [profile_id],
    )?;
    tx.execute(
        "UPDATE credentials SET is_provider_default = 0
         WHERE profile_id = ?1 AND provider = ?2 AND is_provider_default = 1",
        (profile_id, provider),
    )?;
    tx.execute(
        "UPDATE credentials SET is_default = 1, is_provider_default = 1 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

fn check_new(conn: &Connection, profile: &str, name: &str, fingerprint: &[u8]) -> Result<()> {
    // A vault profile's credentials live in the engine: a local row there would be invisible.
    super::backends::refuse_remote(conn, profile)?;
    let live = "FROM credentials c JOIN profiles p ON p.id = c.profile_id
                WHERE p.name = ?1 AND c.deleted_at IS NULL";
    let taken: Option<i64> = conn
        .query_row(
            &format!("SELECT 1 {live} AND c.name = ?2"),
            (profile, name),
            |r| r.get(0),
        )
        .optional()?;
    if taken.is_some() {
        return Err(Error::conflict(
            format!("a credential named '{name}' already exists in profile '{profile}'"),
            format!("choose another with --name, or replace its key: omc rotate {name}"),
        ));
    }
    let same: Option<(String, String)> = conn
        .query_row(
            &format!("SELECT c.name, c.provider {live} AND c.fingerprint = ?2"),
            (profile, fingerprint),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((existing, provider)) = same {
        return Err(Error::conflict(
            format!(
                "this key is already stored in profile '{profile}' as '{existing}' ({provider})"
            ),
            format!(
                "a secret is stored once per profile: use '{existing}', or give it another key \
                 with `omc rotate {existing}` and add this one (--name picks its name), or add \
                 it to another profile with --profile"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_profiles_listing_reads_the_covering_index_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        for step in super::super::schema::MIGRATIONS {
            conn.execute_batch(step).unwrap();
        }
        for fields in [Fields::All, Fields::Shown] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {}", listing_sql(true, fields)))
                .unwrap()
                .query_map(rusqlite::params!["default", None::<String>, false], |r| {
                    r.get::<_, String>(3)
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join("\n");
            assert!(
                plan.contains("COVERING INDEX credentials_listing"),
                "{fields:?}: {plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "a sort: {plan}");
        }
    }

    #[test]
    fn the_count_matches_the_listing_for_every_filter() {
        let conn = Connection::open_in_memory().unwrap();
        for step in super::super::schema::MIGRATIONS {
            conn.execute_batch(step).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO profiles(id, name, created_at) VALUES (1, 'default', 0), (2, 'work', 0);",
        )
        .unwrap();
        // Two profiles, two providers, live and deleted rows.
        for (i, (profile, provider, deleted)) in [
            (1, "openai", false),
            (1, "openai", true),
            (1, "anthropic", false),
            (2, "openai", false),
            (2, "gemini", true),
            (2, "gemini", false),
        ]
        .into_iter()
        .enumerate()
        {
            conn.execute(
                "INSERT INTO credentials(id, profile_id, name, provider, ciphertext, mask,
                     created_at, updated_at, deleted_at)
                 VALUES (?1, ?2, ?1, ?3, ?4, 'sk-…', 0, 0, ?5)",
                rusqlite::params![
                    format!("c{i}"),
                    profile,
                    provider,
                    (!deleted).then_some(b"sealed".to_vec()),
                    deleted.then_some(1)
                ],
            )
            .unwrap();
        }
        let rows = |sql: &str, f: &Filter<'_>| -> usize {
            conn.prepare(sql)
                .unwrap()
                .query_map(
                    rusqlite::params![f.profile, f.provider, f.include_deleted],
                    |_| Ok(()),
                )
                .unwrap()
                .count()
        };
        for profile in [Some("default"), Some("work"), Some("nobody"), None] {
            for provider in [None, Some("openai"), Some("gemini")] {
                for include_deleted in [false, true] {
                    let f = Filter {
                        profile,
                        provider,
                        include_deleted,
                    };
                    let listed = rows(&listing_sql(profile.is_some(), Fields::All), &f);
                    let counted: i64 = conn
                        .query_row(
                            &format!("SELECT count(*) {}", listing_from(profile.is_some())),
                            rusqlite::params![f.profile, f.provider, f.include_deleted],
                            |r| r.get(0),
                        )
                        .unwrap();
                    assert_eq!(
                        counted as usize, listed,
                        "{profile:?} {provider:?} {include_deleted}"
                    );
                }
            }
        }
        // The filters do filter: the test would pass on two empty queries otherwise.
        let all = Filter {
            profile: None,
            provider: None,
            include_deleted: true,
        };
        assert_eq!(rows(&listing_sql(false, Fields::All), &all), 6);
        let live_openai_default = Filter {
            profile: Some("default"),
            provider: Some("openai"),
            include_deleted: false,
        };
        assert_eq!(
            rows(&listing_sql(true, Fields::All), &live_openai_default),
            1
        );
    }

    #[test]
    fn the_shown_fields_read_alone_are_the_full_reads_fields() {
        let conn = Connection::open_in_memory().unwrap();
        for step in super::super::schema::MIGRATIONS {
            conn.execute_batch(step).unwrap();
        }
        conn.execute_batch("INSERT INTO profiles(id, name, created_at) VALUES (1, 'work', 0);")
            .unwrap();
        // Every shown field set and unset across the rows: model, base URL, validation, use,
        // defaults, deletion.
        for i in 0..6i64 {
            let deleted = i == 5;
            conn.execute(
                "INSERT INTO credentials(id, profile_id, name, provider, model, base_url,
                     ciphertext, mask, is_default, is_provider_default, created_at, updated_at,
                     last_used_at, validated_at, validation_status, validation_latency_ms,
                     deleted_at)
                 VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                rusqlite::params![
                    format!("id{i}"),
                    format!("name{i}"),
                    ["openai", "anthropic"][i as usize % 2],
                    (i % 2 == 0).then(|| format!("model-{i}")),
                    (i % 3 == 0).then(|| format!("http://127.0.0.1:{i}/v1")),
                    (!deleted).then_some(b"sealed".to_vec()),
                    format!("sk-…{i:04}"),
                    i == 0,
                    i == 1,
                    1_000 + i,
                    2_000 + i,
                    (i % 2 == 1).then_some(3_000 + i),
                    (i < 3).then_some(4_000 + i),
                    (i < 3).then(|| ["valid", "invalid", "unknown"][i as usize]),
                    (i < 3).then_some(50 + i),
                    deleted.then_some(5_000 + i),
                ],
            )
            .unwrap();
        }
        let read = |fields: Fields| -> Vec<Credential> {
            let mut stmt = conn.prepare(&listing_sql(true, fields)).unwrap();
            let mut rows = stmt
                .query(rusqlite::params!["work", None::<String>, true])
                .unwrap();
            let mut out = Vec::new();
            while let Some(r) = rows.next().unwrap() {
                let mut c = Credential::default();
                match fields {
                    Fields::All => fill_from_row(&mut c, r).unwrap(),
                    Fields::Shown => fill_shown(&mut c, r).unwrap(),
                }
                out.push(c);
            }
            out
        };
        let (all, shown) = (read(Fields::All), read(Fields::Shown));
        assert_eq!(all.len(), 6);
        assert_eq!(all.len(), shown.len());
        let shown_fields = |c: &Credential| {
            format!(
                "{} {} {:?} {:?} {} {} {} {} {:?} {:?} {:?} {:?}",
                c.name,
                c.provider,
                c.model,
                c.base_url,
                c.masked_key,
                c.is_default,
                c.is_provider_default,
                c.created_at,
                c.last_used_at,
                c.validated_at,
                c.validation_status,
                c.deleted_at
            )
        };
        for (a, s) in all.iter().zip(&shown) {
            assert_eq!(shown_fields(a), shown_fields(s));
            // And the rest is left out, not read by another name.
            assert!(s.id.is_empty() && s.updated_at == 0 && s.validation_latency_ms.is_none());
        }
        assert!(
            all.iter()
                .any(|c| c.validation_status.is_some() && c.model.is_some())
        );
        assert!(
            all.iter()
                .any(|c| c.deleted_at.is_some() && c.base_url.is_none())
        );
    }
}
