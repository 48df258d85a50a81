//! The key hierarchy: one age X25519 master identity; every API key sealed to its recipient
//! together with the identity of the row it belongs to.
//!
//! age has no associated data, so the row's credential id, profile id and provider travel inside
//! the encrypted payload and are compared on open: a ciphertext copied to another row fails to
//! open instead of handing out the wrong key.

pub mod keyring;
pub mod master;
pub mod passfile;
pub mod pin;
pub mod unlock_cache;

use std::str::FromStr;

use age::x25519::{Identity, Recipient};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const PAYLOAD_TAG: &str = "omc-credential-v1";

/// The row a ciphertext belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    pub credential_id: &'a str,
    pub profile_id: i64,
    pub provider: &'a str,
}

impl<'a> Binding<'a> {
    pub fn new(credential_id: &'a str, profile_id: i64, provider: &'a str) -> Binding<'a> {
        Binding {
            credential_id,
            profile_id,
            provider,
        }
    }
}

/// Encrypt `key` to the store's recipient, bound to `binding`.
pub fn seal(recipient: &Recipient, binding: &Binding<'_>, key: &SecretString) -> Result<Vec<u8>> {
    let mut payload = Zeroizing::new(Vec::with_capacity(128));
    payload.extend_from_slice(header(binding).as_bytes());
    payload.extend_from_slice(key.expose_secret().as_bytes());
    age::encrypt(recipient, &payload).map_err(|e| Error::Crypto(format!("encryption failed: {e}")))
}

/// Decrypt a ciphertext and check that it belongs to `binding`.
pub fn open(identity: &Identity, binding: &Binding<'_>, ciphertext: &[u8]) -> Result<SecretString> {
    let plain = Zeroizing::new(age::decrypt(identity, ciphertext).map_err(|e| {
        Error::Crypto(format!(
            "cannot decrypt credential {}: {e}",
            binding.credential_id
        ))
    })?);
    let expected = header(binding);
    let Some(rest) = plain.strip_prefix(expected.as_bytes()) else {
        return Err(Error::Crypto(format!(
            "credential {} holds a ciphertext that belongs to another credential; \
             the store has been tampered with",
            binding.credential_id
        )));
    };
    let key = std::str::from_utf8(rest)
        .map_err(|_| Error::Crypto("credential payload is not UTF-8".into()))?;
    Ok(SecretString::from(key.to_owned()))
}

fn header(b: &Binding<'_>) -> String {
    format!(
        "{PAYLOAD_TAG}\n{}\n{}\n{}\n",
        b.credential_id, b.profile_id, b.provider
    )
}

/// Parse an `AGE-SECRET-KEY-1…` identity without echoing it in the error.
pub fn parse_identity(text: &str) -> Result<Identity> {
    let text = text.trim();
    Identity::from_str(text).map_err(|_| {
        Error::master(
            "the master key is not an age identity",
            "it must be one line starting with AGE-SECRET-KEY-1 (as `age-keygen` prints)",
        )
    })
}

pub fn parse_recipient(text: &str) -> Result<Recipient> {
    Recipient::from_str(text.trim()).map_err(|_| Error::Store {
        message: "the store's master recipient is not a valid age recipient".into(),
        hint: "the database is damaged: restore omc.db and omc.db-wal together from a backup"
            .into(),
    })
}

pub fn recipient_string(identity: &Identity) -> String {
    identity.to_public().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding<'a>(id: &'a str, provider: &'a str) -> Binding<'a> {
        Binding::new(id, 1, provider)
    }

    #[test]
    fn sealed_key_opens_with_its_binding() {
        let id = Identity::generate();
        let key = SecretString::from("sk-test-1234567890abcdef".to_owned());
        let ct = seal(&id.to_public(), &binding("c1", "openai"), &key).unwrap();
        assert!(!ct.windows(8).any(|w| w == b"34567890"));
        let back = open(&id, &binding("c1", "openai"), &ct).unwrap();
        assert_eq!(back.expose_secret(), key.expose_secret());
    }

    #[test]
    fn sealed_key_refuses_another_binding() {
        let id = Identity::generate();
        let key = SecretString::from("sk-test".to_owned());
        let ct = seal(&id.to_public(), &binding("c1", "openai"), &key).unwrap();
        for other in [binding("c2", "openai"), binding("c1", "anthropic")] {
            let err = open(&id, &other, &ct).unwrap_err().to_string();
            assert!(err.contains("belongs to another credential"), "{err}");
        }
    }

    #[test]
    fn wrong_identity_cannot_open() {
        let key = SecretString::from("sk-test".to_owned());
        let ct = seal(
            &Identity::generate().to_public(),
            &binding("c1", "openai"),
            &key,
        )
        .unwrap();
        assert!(open(&Identity::generate(), &binding("c1", "openai"), &ct).is_err());
    }

    #[test]
    fn identity_parse_error_does_not_echo_input() {
        let Err(err) = parse_identity("AGE-SECRET-KEY-1NOTAKEYCANARY") else {
            panic!("not an identity");
        };
        assert!(!format!("{err} {err:?}").contains("CANARY"));
    }
}
