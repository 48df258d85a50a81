//! Where a profile's credentials live when not in this store: OpenBao / Vault KV v2, and the
//! sealed login that reaches it. The store keeps only this pointer and the ciphertext.

use rusqlite::OptionalExtension;

use super::Store;
use super::audit::record;
use crate::error::{Error, Result};
use crate::openbao::Location;

/// How omc authenticates to a profile's engine when no token is in the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginKind {
    /// A token, sealed.
    Token,
    /// AppRole: the role id in clear, the secret id sealed.
    AppRole { mount: String, role_id: String },
}

/// A profile kept in OpenBao / Vault.
#[derive(Debug, Clone)]
pub struct RemoteProfile {
    pub profile_id: i64,
    pub profile: String,
    pub location: Location,
    pub login: Option<(LoginKind, Vec<u8>)>,
}

/// A sealed login and the profile it is bound to (for `master rotate`).
pub struct SealedLogin {
    pub profile_id: i64,
    pub ciphertext: Vec<u8>,
}

/// The credential id a sealed login is bound to (with the profile's id), so a login can never
/// be swapped with a credential's ciphertext.
pub const LOGIN_BINDING: &str = "profile-login";
pub const LOGIN_PROVIDER: &str = "vault";

/// What a profile's sealed login is bound to.
pub fn login_binding(profile_id: i64) -> crate::keys::Binding<'static> {
    crate::keys::Binding::new(LOGIN_BINDING, profile_id, LOGIN_PROVIDER)
}

impl SealedLogin {
    pub fn binding(&self) -> crate::keys::Binding<'static> {
        login_binding(self.profile_id)
    }
}

/// The backend kind of a vault profile whose user opted in to plain `http://` to another host
/// (`--allow-insecure-http`); any other is `vault`.
const KIND_VAULT_HTTP: &str = "vault+insecure-http";

fn kind(location: &Location) -> &'static str {
    if location.allow_http {
        KIND_VAULT_HTTP
    } else {
        "vault"
    }
}

impl Store {
    /// Create profile `name` kept at `location`.
    pub fn add_remote_profile(&mut self, name: &str, location: &Location) -> Result<()> {
        super::validate_name("profile", name)?;
        self.write(|tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO profiles(name, created_at) VALUES (?1, ?2)",
                (name, crate::time::now_ms()),
            )?;
            if n == 0 {
                return Err(Error::conflict(
                    format!("profile '{name}' already exists"),
                    "choose another name",
                ));
            }
            tx.execute(
                "INSERT INTO profile_backends(profile_id, kind, address, mount, prefix, namespace)
                 VALUES ((SELECT id FROM profiles WHERE name = ?1), ?6, ?2, ?3, ?4, ?5)",
                (
                    name,
                    &location.address,
                    &location.mount,
                    &location.prefix,
                    &location.namespace,
                    kind(location),
                ),
            )?;
            record(
                tx,
                "profile-add",
                Some(name),
                None,
                Some(&format!(
                    "vault {} {}",
                    location.address,
                    location.display()
                )),
            )
        })
    }

    /// The profile's remote location, or `None` for a profile kept in this store.
    pub fn remote_profile(&self, name: &str) -> Result<Option<RemoteProfile>> {
        let row = self
            .conn
            .query_row(
                "SELECT p.id, b.address, b.mount, b.prefix, b.namespace, b.login_kind, b.role_id,
                        b.login, b.kind
                 FROM profile_backends b JOIN profiles p ON p.id = b.profile_id
                 WHERE p.name = ?1",
                [name],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        Location {
                            address: r.get(1)?,
                            mount: r.get(2)?,
                            prefix: r.get(3)?,
                            namespace: r.get(4)?,
                            allow_http: r.get::<_, String>(8)? == KIND_VAULT_HTTP,
                        },
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<Vec<u8>>>(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((profile_id, location, kind, role_id, login)) = row else {
            return Ok(None);
        };
        let login = match (kind.as_deref(), login) {
            (Some("token"), Some(ct)) => Some((LoginKind::Token, ct)),
            (Some(approle), Some(ct)) if approle.starts_with("approle:") => Some((
                LoginKind::AppRole {
                    mount: approle["approle:".len()..].to_owned(),
                    role_id: role_id.unwrap_or_default(),
                },
                ct,
            )),
            _ => None,
        };
        Ok(Some(RemoteProfile {
            profile_id,
            profile: name.to_owned(),
            location,
            login,
        }))
    }

    /// Every profile name kept remotely.
    pub fn remote_profile_names(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.name FROM profile_backends b JOIN profiles p ON p.id = b.profile_id
             ORDER BY p.name",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Store the sealed login of a remote profile, replacing any earlier one.
    pub fn set_login(
        &mut self,
        profile: &RemoteProfile,
        kind: &LoginKind,
        sealed: &[u8],
    ) -> Result<()> {
        let (kind_text, role_id) = match kind {
            LoginKind::Token => ("token".to_owned(), None),
            LoginKind::AppRole { mount, role_id } => {
                (format!("approle:{mount}"), Some(role_id.as_str()))
            }
        };
        self.write(|tx| {
            tx.execute(
                "UPDATE profile_backends SET login_kind = ?2, role_id = ?3, login = ?4
                 WHERE profile_id = ?1",
                rusqlite::params![profile.profile_id, kind_text, role_id, sealed],
            )?;
            record(
                tx,
                "profile-login",
                Some(&profile.profile),
                None,
                Some(&kind_text),
            )
        })
    }
}

/// Every sealed login, for re-encryption under a new master key (read inside the rotation's
/// write transaction).
pub fn sealed_logins(conn: &rusqlite::Connection) -> Result<Vec<SealedLogin>> {
    let mut stmt =
        conn.prepare("SELECT profile_id, login FROM profile_backends WHERE login IS NOT NULL")?;
    let rows = stmt.query_map([], |r| {
        Ok(SealedLogin {
            profile_id: r.get(0)?,
            ciphertext: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replace a sealed login inside `master rotate`'s transaction.
pub fn reseal_login(tx: &rusqlite::Transaction<'_>, profile_id: i64, sealed: &[u8]) -> Result<()> {
    tx.execute(
        "UPDATE profile_backends SET login = ?2 WHERE profile_id = ?1",
        rusqlite::params![profile_id, sealed],
    )?;
    Ok(())
}

impl Store {
    /// When each credential of `profile` was last handed out on this machine, by credential id
    /// (from the audit log: remote credentials have no local row to stamp).
    pub fn last_used(&self, profile: &str) -> Result<std::collections::HashMap<String, i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT credential_id, max(at) FROM audit
             WHERE profile = ?1 AND credential_id IS NOT NULL
               AND action IN ('key', 'exec', 'env', 'run', 'bench')
             GROUP BY credential_id",
        )?;
        let rows = stmt.query_map([profile], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Refuse to store a credential locally in a profile kept in OpenBao / Vault.
pub(super) fn refuse_remote(conn: &rusqlite::Connection, profile: &str) -> Result<()> {
    let remote: Option<String> = conn
        .query_row(
            "SELECT b.address FROM profile_backends b JOIN profiles p ON p.id = b.profile_id
             WHERE p.name = ?1",
            [profile],
            |r| r.get(0),
        )
        .optional()?;
    match remote {
        None => Ok(()),
        Some(address) => Err(Error::conflict(
            format!("profile '{profile}' keeps its credentials in the secret engine at {address}"),
            "this operation only works on profiles kept in this store",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_credential_is_refused_in_a_vault_profile() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        super::super::migrate(&conn).unwrap();
        conn.execute_batch(
            "INSERT INTO profiles(id, name, created_at) VALUES (1, 'team', 0), (2, 'mine', 0);
             INSERT INTO profile_backends(profile_id, kind, address, mount, prefix)
                 VALUES (1, 'vault', 'http://127.0.0.1:8200', 'secret', 'omc/team');",
        )
        .unwrap();
        let err = refuse_remote(&conn, "team").unwrap_err();
        assert!(err.to_string().contains("secret engine"), "{err}");
        refuse_remote(&conn, "mine").unwrap();
        refuse_remote(&conn, "absent").unwrap();
    }
}
