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

impl Credential {
    /// What its ciphertext is bound to: this row, its profile and provider.
    pub fn binding(&self) -> crate::keys::Binding<'_> {
        crate::keys::Binding::new(&self.id, self.profile_id, &self.provider)
    }
}

impl Sealed {
    /// What its ciphertext is bound to (as [`Credential::binding`]).
    pub fn binding(&self) -> crate::keys::Binding<'_> {
        crate::keys::Binding::new(&self.id, self.profile_id, &self.provider)
    }
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

/// Where a listing row's fields come from: the virtual column `listing` (schema step 10),
/// stored in the covering index `credentials_listing`. SQLite packs every field but the
/// profile's name into it, in the order [`fill_listed`] reads them:
/// - an integer is its decimal digits and a `,` (just the `,` for NULL);
/// - a text is its length in bytes, `:` and the text itself (`~` alone for NULL).
///
/// One column a row instead of sixteen: at 10,000 credentials SQLite decodes 10,000 values,
/// not 160,000, and rusqlite makes one call per row, not three per field.
struct Packed<'a> {
    column: &'a str,
    /// Where the next field starts.
    at: usize,
}

impl<'a> Packed<'a> {
    /// The decimal digits before the next `stop` as a number (`None` inside for no digits),
    /// and the rest after `stop`; `None` for anything but digits, or more than 18 of them.
    /// One pass over the bytes: the fields are a few digits long, shorter than a search
    /// routine takes to start.
    fn number(&mut self, stop: u8) -> Option<Option<u64>> {
        let bytes = &self.column.as_bytes()[self.at..];
        let mut n: u64 = 0;
        let mut end = 0;
        // 18 digits cannot overflow a u64; an i64 holds 19, which no field here reaches (a
        // time in milliseconds has 13).
        while let Some(d) = bytes.get(end).map(|b| b.wrapping_sub(b'0')) {
            if d > 9 || end == 18 {
                break;
            }
            n = n * 10 + u64::from(d);
            end += 1;
        }
        if bytes.get(end) != Some(&stop) {
            return None;
        }
        self.at += end + 1;
        Some((end > 0).then_some(n))
    }

    /// The next integer field; `None` if the text is not one.
    fn int(&mut self) -> Option<Option<i64>> {
        let negative = self.column.as_bytes().get(self.at) == Some(&b'-');
        self.at += usize::from(negative);
        let n = self.number(b',')?;
        match (n.map(i64::try_from), negative) {
            (None, false) => Some(None),
            (Some(Ok(n)), false) => Some(Some(n)),
            (Some(Ok(n)), true) => Some(Some(-n)),
            _ => None,
        }
    }

    /// The next text field; `None` if the text is not one.
    fn text(&mut self) -> Option<Option<&'a str>> {
        if self.column.as_bytes().get(self.at) == Some(&b'~') {
            self.at += 1;
            return Some(None);
        }
        let len = usize::try_from(self.number(b':')??).ok()?;
        // `get` refuses a length that ends past the column or inside a character.
        let text = self.column.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(Some(text))
    }

    fn is_done(&self) -> bool {
        self.at == self.column.len()
    }
}

/// Column `i`, which must be text.
fn column_str<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    let v = r.get_ref(i)?;
    v.as_str()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), Box::new(e)))
}

/// `s` set to `text`, reusing its buffer.
fn set(s: &mut String, text: &str) {
    s.clear();
    s.push_str(text);
}

/// [`set`] for a field that may be NULL.
fn set_opt(s: &mut Option<String>, text: Option<&str>) {
    match (text, s.as_mut()) {
        (None, _) => *s = None,
        (Some(t), Some(old)) => set(old, t),
        (Some(t), None) => *s = Some(t.to_owned()),
    }
}

/// A credential's fields but its profile's name from a packed [`Packed`] listing, into an
/// existing credential whose strings are reused: a listing of thousands of rows allocates for
/// the longest of each field, not once per field per row. `None` if `packed` is malformed
/// (a damaged file, or one written by a foreign tool).
fn fill_listed(c: &mut Credential, packed: &str) -> Option<()> {
    let mut p = Packed {
        column: packed,
        at: 0,
    };
    c.profile_id = p.int()??;
    set(&mut c.id, p.text()??);
    set(&mut c.name, p.text()??);
    set(&mut c.provider, p.text()??);
    set_opt(&mut c.model, p.text()?);
    set_opt(&mut c.base_url, p.text()?);
    set(&mut c.masked_key, p.text()??);
    c.is_default = p.int()?? != 0;
    c.is_provider_default = p.int()?? != 0;
    c.created_at = p.int()??;
    c.updated_at = p.int()??;
    c.last_used_at = p.int()?;
    c.validated_at = p.int()?;
    set_opt(&mut c.validation_status, p.text()?);
    c.validation_latency_ms = p.int()?;
    c.deleted_at = p.int()?;
    p.is_done().then_some(())
}

/// The query behind [`Store::each_credential`]: the packed `listing` column, after the
/// profile's name when the listing spans profiles. For one profile (every `omc list` but
/// `--all-profiles`) it reads the covering index `credentials_listing` in its own order:
/// neither the rows, which carry the ciphertexts (at 10,000 credentials, 8 MB of table against
/// about 1 MB of index), nor a sort.
fn listing_sql(one_profile: bool) -> String {
    let (columns, order) = if one_profile {
        ("c.listing", "c.provider, c.name, c.created_at")
    } else {
        (
            "p.name, c.listing",
            "p.name, c.provider, c.name, c.created_at",
        )
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
        self.each_credential(filter, &mut |c| {
            all.push(c.clone());
            Ok(())
        })?;
        Ok(all)
    }

    /// [`Store::list_credentials`] one at a time, in the same order, without building the
    /// list: `f` sees each credential in a buffer reused for the next.
    pub fn each_credential(
        &self,
        filter: &Filter<'_>,
        f: &mut dyn FnMut(&Credential) -> Result<()>,
    ) -> Result<()> {
        let one_profile = filter.profile.is_some();
        let mut stmt = self.conn.prepare(&listing_sql(one_profile))?;
        let mut rows = stmt.query(rusqlite::params![
            filter.profile,
            filter.provider,
            filter.include_deleted
        ])?;
        let mut c = Credential {
            profile: filter.profile.unwrap_or_default().to_owned(),
            ..Credential::default()
        };
        let packed_at = usize::from(!one_profile);
        while let Some(r) = rows.next()? {
            if !one_profile {
                set(&mut c.profile, column_str(r, 0)?);
            }
            let packed = column_str(r, packed_at)?;
            fill_listed(&mut c, packed).ok_or_else(|| Error::Store {
                message: "a credential's listing in the store is malformed".into(),
                hint: "the store is damaged: run `omc doctor`, and restore omc.db and \
                       omc.db-wal together from a backup"
                    .into(),
            })?;
            f(&c)?;
        }
        Ok(())
    }

    /// Every credential row, of every profile, deleted ones included: a bound on any listing.
    /// SQLite counts it from the pages of the smallest index (each page knows how many entries
    /// it holds) instead of entry by entry: at 10,000 credentials, about a tenth of the work of
    /// [`Store::count_credentials`].
    pub fn count_all_credentials(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM credentials", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
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
                let err = Error::not_found("credential", name);
                let names: Vec<String> = self
                    .conn
                    .prepare(
                        "SELECT c.name FROM credentials c JOIN profiles p ON p.id = c.profile_id
                         WHERE p.name = ?1 AND c.deleted_at IS NULL",
                    )?
                    .query_map([profile], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                Err(
                    match crate::suggest::nearest(name, names.iter().map(String::as_str)) {
                        Some(near) => err.with_hint(format!(
                            "did you mean '{near}'? (`omc list` shows the credentials of this profile)"
                        )),
                        None => err,
                    },
                )
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
        self.wipe_destroyed();
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

    /// Record one use of several credentials as a single audit row (a proxy run: one entry
    /// naming them all, written when it ends).
    pub fn mark_used_once(
        &mut self,
        profile: &str,
        creds: &[(&str, &str)],
        action: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        self.write_light(|tx| {
            let now = now_ms();
            for (_, id) in creds {
                // Remote credentials have no row here: nothing to stamp.
                tx.execute(
                    "UPDATE credentials SET last_used_at = ?2 WHERE id = ?1",
                    (id, now),
                )?;
            }
            let names: Vec<&str> = creds.iter().map(|c| c.0).collect();
            let ids: Vec<&str> = creds.iter().map(|c| c.1).collect();
            let (names, ids) = (names.join(", "), ids.join(","));
            let credential = (!creds.is_empty()).then_some((names.as_str(), ids.as_str()));
            record(tx, action, Some(profile), credential, detail)
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

    fn migrated() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for step in super::super::schema::MIGRATIONS {
            conn.execute_batch(step).unwrap();
        }
        conn
    }

    #[test]
    fn one_profiles_listing_reads_the_listing_index_alone_in_order() {
        let conn = migrated();
        let params = rusqlite::params!["default", None::<String>, false];
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", listing_sql(true)))
            .unwrap()
            .query_map(params, |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("INDEX credentials_listing"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "a sort: {plan}");
        // SQLite opens the table for a seek it defers until a column of the row is needed;
        // none is: every value comes from the index, the packed column included (not computed
        // again from the row).
        let root: i64 = conn
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'credentials'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let ops: Vec<(String, i64, i64)> = conn
            .prepare(&format!("EXPLAIN {}", listing_sql(true)))
            .unwrap()
            .query_map(params, |r| Ok((r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let table = ops
            .iter()
            .find(|(op, _, p2)| op == "OpenRead" && *p2 == root)
            .map(|(_, cursor, _)| *cursor);
        for (op, p1, _) in &ops {
            assert!(
                !(matches!(op.as_str(), "Column" | "Rowid" | "SeekRowid" | "NotExists")
                    && Some(*p1) == table),
                "the listing reads the table ({op} on cursor {p1}): {ops:?}"
            );
            assert!(
                !matches!(op.as_str(), "Function" | "PureFunc" | "Concat"),
                "the packed column is computed, not read: {ops:?}"
            );
        }
        // And the packed column is read at all, from the index.
        assert!(
            ops.iter()
                .any(|(op, p1, _)| op == "Column" && Some(*p1) != table)
        );
    }

    #[test]
    fn the_count_matches_the_listing_for_every_filter() {
        let conn = migrated();
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
                    let listed = rows(&listing_sql(profile.is_some()), &f);
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
        assert_eq!(rows(&listing_sql(false), &all), 6);
        let live_openai_default = Filter {
            profile: Some("default"),
            provider: Some("openai"),
            include_deleted: false,
        };
        assert_eq!(rows(&listing_sql(true), &live_openai_default), 1);
    }

    /// `count` credentials in profile `work` (id 1): every field set and unset across the
    /// rows, and texts that look like the packed format's own marks.
    fn varied_rows(conn: &Connection, count: i64) {
        conn.execute_batch("INSERT INTO profiles(id, name, created_at) VALUES (1, 'work', 0);")
            .unwrap();
        for i in 0..count {
            let deleted = i % 6 == 5;
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
                    [Some("12:~,x"), None, Some(""), Some("mod\u{e8}le \u{65e5}")][i as usize % 4],
                    (i % 3 == 0).then(|| format!("http://127.0.0.1:{i}/v1")),
                    (!deleted).then_some(b"sealed".to_vec()),
                    format!("sk-\u{2026}{i:04}"),
                    i == 0,
                    i == 1,
                    1_000 + i,
                    2_000 + i,
                    (i % 2 == 1).then_some(3_000 + i),
                    (i % 6 < 3).then_some(4_000 + i),
                    (i % 6 < 3).then(|| ["valid", "invalid", "~3:"][i as usize % 6]),
                    (i % 6 < 3).then_some(50 - 40 * i),
                    deleted.then_some(5_000 + i),
                ],
            )
            .unwrap();
        }
    }

    #[test]
    fn the_packed_listing_holds_what_the_columns_hold() {
        let conn = migrated();
        varied_rows(&conn, 12);
        let columns: Vec<Credential> = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM credentials c JOIN profiles p ON p.id = c.profile_id
                 ORDER BY c.provider, c.name, c.created_at"
            ))
            .unwrap()
            .query_map([], from_row)
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for one_profile in [true, false] {
            let mut stmt = conn.prepare(&listing_sql(one_profile)).unwrap();
            let params = rusqlite::params![one_profile.then_some("work"), None::<String>, true];
            let mut rows = stmt.query(params).unwrap();
            let mut listed = Vec::new();
            let mut c = Credential {
                profile: "work".into(),
                ..Credential::default()
            };
            while let Some(r) = rows.next().unwrap() {
                let packed = column_str(r, usize::from(!one_profile)).unwrap();
                fill_listed(&mut c, packed).unwrap_or_else(|| panic!("unreadable: {packed:?}"));
                listed.push(c.clone());
            }
            assert_eq!(listed.len(), 12);
            for (want, got) in columns.iter().zip(&listed) {
                assert_eq!(format!("{want:?}"), format!("{got:?}"));
            }
        }
        assert!(columns.iter().any(|c| c.model.as_deref() == Some("12:~,x")));
        assert!(
            columns
                .iter()
                .any(|c| c.model.is_none() && c.deleted_at.is_some())
        );
        assert!(
            columns
                .iter()
                .any(|c| c.validation_status.as_deref() == Some("~3:"))
        );
        assert!(columns.iter().any(|c| c.validation_latency_ms < Some(0)));
    }

    #[test]
    fn a_listing_is_the_same_after_the_packed_column_is_added() {
        // A store as step 9 left it, with rows, migrated to the packed listing.
        let conn = Connection::open_in_memory().unwrap();
        let steps = super::super::schema::MIGRATIONS;
        let packed_step = steps
            .iter()
            .position(|m| m.contains("ADD COLUMN listing"))
            .unwrap();
        for step in &steps[..packed_step] {
            conn.execute_batch(step).unwrap();
        }
        varied_rows(&conn, 6);
        let sql = format!(
            "SELECT {COLUMNS} FROM credentials c JOIN profiles p ON p.id = c.profile_id ORDER BY c.id"
        );
        let read = |conn: &Connection| -> Vec<String> {
            conn.prepare(&sql)
                .unwrap()
                .query_map([], |r| Ok(format!("{:?}", from_row(r)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let before = read(&conn);
        for step in &steps[packed_step..] {
            conn.execute_batch(step).unwrap();
        }
        assert_eq!(read(&conn), before);
        let packed: Vec<String> = conn
            .prepare("SELECT listing FROM credentials ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(packed.len(), 6);
        for (want, packed) in before.iter().zip(&packed) {
            let mut c = Credential {
                profile: "work".into(),
                ..Credential::default()
            };
            fill_listed(&mut c, packed).unwrap();
            assert_eq!(&format!("{c:?}"), want);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

        /// A damaged file gives any text: it is refused, never a panic, and never half-read
        /// as a credential (a cut anywhere in a real listing is refused).
        #[test]
        fn a_malformed_listing_is_refused_not_a_panic(
            junk in ".{0,80}",
            marks in "[0-9,:~a\u{e8}-]{0,80}",
            cut in 0usize..200,
        ) {
            let mut c = Credential::default();
            let _ = fill_listed(&mut c, &junk);
            // The format's own marks in any order: lengths past the end, numbers too long.
            let _ = fill_listed(&mut c, &marks);
            let real = "1,2:id9:name\u{e8}\u{65e5}6:openai~~4:sk-x1,0,10,20,,30,5:valid7,,";
            proptest::prop_assert!(fill_listed(&mut c, real).is_some());
            if let Some(prefix) = real.get(..cut % real.len()) {
                proptest::prop_assert!(fill_listed(&mut c, prefix).is_none(), "{prefix:?}");
            }
        }
    }
}
