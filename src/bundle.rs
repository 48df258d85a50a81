//! Sharing bundles: credentials encrypted with age to named people, so keys move between
//! people and machines without a plaintext copy and without a server.
//!
//! A bundle is an ordinary age file (binary or ASCII-armored) to age X25519 recipients and
//! `ssh-ed25519` / `ssh-rsa` public keys, as the `age` and `rage` tools make and open them. Its
//! plaintext is versioned JSON (README, "Sharing bundles"):
//!
//! ```json
//! {"omc_bundle": 1, "created_at": "2026-01-01T00:00:00Z",
//!  "credentials": [{"name": "openai", "provider": "openai", "model": null,
//!                   "base_url": null, "key": "sk-…"}]}
//! ```

use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::terminal::Untrusted;
use crate::ui::Interaction;

/// The plaintext format version this omc writes and reads.
pub const VERSION: u32 = 1;

/// One credential as it travels in a bundle.
pub struct Entry {
    pub name: String,
    pub provider: String,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub key: SecretString,
}

/// One credential as it came out of a bundle: its text is the sender's, [`Untrusted`] until
/// checked, and shown only escaped.
pub struct Received {
    pub name: Untrusted,
    pub provider: Untrusted,
    pub model: Option<Untrusted>,
    pub base_url: Option<Untrusted>,
    pub key: SecretString,
}

#[derive(Serialize)]
struct OutBundle<'a> {
    omc_bundle: u32,
    created_at: String,
    credentials: Vec<OutEntry<'a>>,
}

#[derive(Serialize)]
struct OutEntry<'a> {
    name: &'a str,
    provider: &'a str,
    model: Option<&'a str>,
    base_url: Option<&'a str>,
    key: &'a str,
}

/// Only the version, read first so a newer format gets a clear message.
#[derive(Deserialize)]
struct Version {
    omc_bundle: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct InBundle {
    credentials: Vec<InEntry>,
}

#[derive(Deserialize)]
struct InEntry {
    name: Untrusted,
    provider: Untrusted,
    #[serde(default)]
    model: Option<Untrusted>,
    #[serde(default)]
    base_url: Option<Untrusted>,
    key: SecretString,
}

/// A recipient as given, parsed, with a public description for the audit log.
pub struct Recipient {
    pub inner: Box<dyn age::Recipient + Send>,
    /// `age1…` in full, or `ssh-ed25519 SHA256:… comment` (as `ssh-keygen -l` shows it).
    pub describe: String,
}

impl Recipient {
    pub fn parse(text: &str) -> Result<Recipient> {
        let text = text.trim();
        if text.starts_with("age1") {
            let r = age::x25519::Recipient::from_str(text).map_err(|_| {
                Error::usage_hint(
                    format!("'{text}' is not an age recipient"),
                    "an age recipient is one age1… word, as `age-keygen -y` prints it",
                )
            })?;
            return Ok(Recipient {
                describe: r.to_string(),
                inner: Box::new(r),
            });
        }
        if text.starts_with("ssh-") || text.starts_with("ecdsa-") || text.starts_with("sk-") {
            let r = age::ssh::Recipient::from_str(text).map_err(|e| {
                use age::ssh::ParseRecipientKeyError as P;
                let why = match e {
                    P::Unsupported(kind) => format!("{kind} keys are not supported"),
                    P::RsaModulusTooSmall => "the RSA key is shorter than 2048 bits".into(),
                    P::RsaModulusTooLarge => "the RSA key is too large".into(),
                    _ => "it is not a valid SSH public key".into(),
                };
                Error::usage_hint(
                    format!("cannot encrypt to SSH key '{}': {why}", short(text)),
                    "give an ssh-ed25519 or ssh-rsa public key line, as in ~/.ssh/id_ed25519.pub",
                )
            })?;
            return Ok(Recipient {
                describe: ssh_describe(text),
                inner: Box::new(r),
            });
        }
        Err(Error::usage_hint(
            format!("'{}' is not a recipient", short(text)),
            "give an age recipient (age1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …)",
        ))
    }
}

/// Recipients from a file as `age -R` reads it: one per line, `#` comments and blank lines
/// ignored.
pub fn recipients_file(path: &Path) -> Result<Vec<Recipient>> {
    let text = crate::bounded::read_file_string(path, crate::bounded::Limit::RECIPIENTS)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(Recipient::parse(line).map_err(|e| {
            Error::usage_hint(
                format!("{} line {}: {e}", path.display(), i + 1),
                e.hint().unwrap_or_default(),
            )
        })?);
    }
    Ok(out)
}

fn short(text: &str) -> String {
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// `ssh-ed25519 SHA256:… comment`: the fingerprint `ssh-keygen -l` prints.
fn ssh_describe(line: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let mut parts = line.split_whitespace();
    let kind = parts.next().unwrap_or("");
    let blob = parts.next().unwrap_or("");
    let comment: Vec<&str> = parts.collect();
    let fingerprint = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .map(|raw| {
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(raw))
        })
        .unwrap_or_default();
    let mut out = format!("{kind} SHA256:{fingerprint}");
    if !comment.is_empty() {
        out.push(' ');
        out.push_str(&comment.join(" "));
    }
    out
}

/// Encrypt `entries` to `recipients`. Nothing is written anywhere; the caller writes the bytes.
pub fn seal(entries: &[Entry], recipients: &[Recipient], armor: bool) -> Result<Vec<u8>> {
    if recipients.is_empty() {
        return Err(Error::usage("a bundle needs at least one recipient"));
    }
    let bundle = OutBundle {
        omc_bundle: VERSION,
        created_at: crate::time::rfc3339(crate::time::now_ms()),
        credentials: entries
            .iter()
            .map(|e| OutEntry {
                name: &e.name,
                provider: &e.provider,
                model: e.model.as_deref(),
                base_url: e.base_url.as_deref(),
                key: e.key.expose_secret(),
            })
            .collect(),
    };
    // Sized up front so the plaintext is not copied around by reallocation, then zeroized.
    let size: usize = 256
        + entries
            .iter()
            .map(|e| 256 + e.key.expose_secret().len())
            .sum::<usize>();
    let mut plain = Zeroizing::new(Vec::with_capacity(size * 2));
    serde_json::to_writer_pretty(&mut *plain, &bundle)
        .map_err(|e| Error::Other(format!("cannot build the bundle: {e}")))?;
    plain.push(b'\n');

    let encryptor = age::Encryptor::with_recipients(
        recipients
            .iter()
            .map(|r| r.inner.as_ref() as &dyn age::Recipient),
    )
    .map_err(|e| Error::Crypto(format!("cannot encrypt the bundle: {e}")))?;
    let crypto = |e: std::io::Error| Error::Crypto(format!("cannot encrypt the bundle: {e}"));
    let mut out = Vec::with_capacity(plain.len() + 1024);
    let format = if armor {
        Format::AsciiArmor
    } else {
        Format::Binary
    };
    let armored = ArmoredWriter::wrap_output(&mut out, format).map_err(crypto)?;
    let mut writer = encryptor.wrap_output(armored).map_err(crypto)?;
    writer.write_all(&plain).map_err(crypto)?;
    writer.finish().and_then(|a| a.finish()).map_err(crypto)?;
    Ok(out)
}

/// Decrypt a bundle (binary or armored) with any of `identities` and read its credentials.
/// No matching identity is exit 4; a damaged or altered file is refused (exit 1).
/// `identities` are those given with `--identity`, or (`given` false) the store's own master key.
pub fn open(
    ciphertext: &[u8],
    identities: &[Box<dyn age::Identity>],
    given: bool,
) -> Result<Vec<Received>> {
    let damaged = || {
        Error::Crypto("the bundle is damaged or has been tampered with: age refused it".into())
            .with_hint("nothing was imported; ask the sender to export it again")
    };
    let decryptor =
        age::Decryptor::new_buffered(ArmoredReader::new(ciphertext)).map_err(|e| match e {
            age::DecryptError::UnknownFormat
            | age::DecryptError::InvalidHeader
            | age::DecryptError::Io(_) => Error::usage_hint(
                "this is not an age file",
                "a bundle is what `omc export` (or `age -r …`) writes",
            ),
            _ => damaged(),
        })?;
    if decryptor.is_scrypt() {
        return Err(Error::usage_hint(
            "this age file is encrypted with a passphrase, not to a key",
            "bundles are encrypted to recipients: `omc export --recipient …`",
        ));
    }
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref()))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys if !given => Error::master(
                "no --identity was given, and this store's master key cannot open this bundle",
                "it was encrypted to other keys: pass the identity it was made for with \
                 --identity FILE (an age identity file or an SSH private key)",
            ),
            age::DecryptError::NoMatchingKeys => Error::master(
                "none of the identities given can open this bundle",
                "it was encrypted to other keys: pass the identity it was made for with \
                 --identity FILE (an age identity file or an SSH private key)",
            ),
            age::DecryptError::KeyDecryptionFailed => Error::master(
                "cannot decrypt the SSH private key (wrong passphrase?)",
                "retry, and type the key's passphrase",
            ),
            _ => damaged(),
        })?;
    let mut plain = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut plain).map_err(|_| damaged())?;
    let version = serde_json::from_slice::<Version>(&plain)
        .ok()
        .and_then(|v| v.omc_bundle)
        .ok_or_else(|| {
            Error::usage_hint(
                "the file decrypts, but it is not an omc bundle",
                "an omc bundle's plaintext is JSON with \"omc_bundle\": 1 (see the README)",
            )
        })?;
    if version.as_u64() != Some(u64::from(VERSION)) {
        return Err(Error::usage_hint(
            format!("bundle format {version} is not one this omc reads"),
            "upgrade omc on this machine",
        ));
    }
    let bundle: InBundle = serde_json::from_slice(&plain).map_err(|e| {
        Error::usage_hint(
            format!(
                "the bundle's JSON does not fit format {VERSION} (line {}, column {})",
                e.line(),
                e.column()
            ),
            "each credential needs name, provider and key (see the README)",
        )
    })?;
    Ok(bundle
        .credentials
        .into_iter()
        .map(|e| Received {
            name: e.name,
            provider: e.provider,
            model: e.model,
            base_url: e.base_url,
            key: e.key,
        })
        .collect())
}

/// Identities from `--identity FILE`: an age identity file (`AGE-SECRET-KEY-1…` lines, as
/// `age-keygen` writes) or an SSH private key (passphrase-protected ones ask on the terminal).
pub fn identities_from_file(path: &Path, ui: Interaction) -> Result<Vec<Box<dyn age::Identity>>> {
    let text = crate::bounded::read_file(path, crate::bounded::Limit::IDENTITY)?;
    let unusable = |why: &str| {
        Error::usage_hint(
            format!("{} {why}", path.display()),
            "give an age identity file (age-keygen) or an unencrypted or passphrase-protected \
             ssh-ed25519 / ssh-rsa private key",
        )
    };
    if text.windows(11).any(|w| w == b"-----BEGIN ") {
        let identity = age::ssh::Identity::from_buffer(&text[..], Some(path.display().to_string()))
            .map_err(|_| unusable("is not an SSH private key omc can read"))?;
        return match identity {
            age::ssh::Identity::Unsupported(_) => {
                Err(unusable("is an SSH key of a kind age cannot decrypt with"))
            }
            age::ssh::Identity::Encrypted(_) if !ui.allowed => Err(Error::master(
                format!(
                    "{} is protected by a passphrase, and omc may not prompt here",
                    path.display()
                ),
                "run on a terminal without --no-input, or give an unencrypted identity",
            )),
            identity => Ok(vec![Box::new(identity.with_callbacks(Prompt(ui)))]),
        };
    }
    let file =
        age::IdentityFile::from_buffer(&text[..]).map_err(|_| unusable("holds no age identity"))?;
    let identities = file
        .into_identities()
        .map_err(|_| unusable("holds no age identity"))?;
    if identities.is_empty() {
        return Err(unusable("holds no identity"));
    }
    Ok(identities
        .into_iter()
        .map(|i| i as Box<dyn age::Identity>)
        .collect())
}

/// Asks for an SSH key's passphrase on the terminal.
#[derive(Clone, Copy)]
struct Prompt(Interaction);

impl age::Callbacks for Prompt {
    fn display_message(&self, _: &str) {}

    fn confirm(&self, _: &str, _: &str, _: Option<&str>) -> Option<bool> {
        None
    }

    fn request_public_string(&self, _: &str) -> Option<String> {
        None
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        self.0.secret(description, false, "an unencrypted key").ok()
    }
}

/// Read a bundle file whole, at most [`Limit::BUNDLE`](crate::bounded::Limit::BUNDLE) of it
/// (age adds to what it encrypts, so the plaintext is smaller still).
pub fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    crate::bounded::read_file(path, crate::bounded::Limit::BUNDLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, key: &str) -> Entry {
        Entry {
            name: name.into(),
            provider: "openai".into(),
            model: None,
            base_url: Some("http://127.0.0.1:1/v1".into()),
            key: SecretString::from(key.to_owned()),
        }
    }

    #[test]
    fn round_trip_binary_and_armored() {
        let id = age::x25519::Identity::generate();
        let r = Recipient::parse(&id.to_public().to_string()).unwrap();
        for armor in [false, true] {
            let ct = seal(
                &[entry("a", "sk-CANARY-round-trip")],
                std::slice::from_ref(&r),
                armor,
            )
            .unwrap();
            assert!(!ct.windows(6).any(|w| w == b"CANARY"));
            assert_eq!(ct.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"), armor);
            let back = open(&ct, &[Box::new(id.clone())], true).unwrap();
            assert_eq!(back[0].key.expose_secret(), "sk-CANARY-round-trip");
            assert_eq!(
                back[0].base_url.as_ref().map(Untrusted::expose_raw),
                Some("http://127.0.0.1:1/v1")
            );
        }
    }

    #[test]
    fn wrong_identity_is_a_master_key_error_and_tampering_is_refused() {
        let id = age::x25519::Identity::generate();
        let r = Recipient::parse(&id.to_public().to_string()).unwrap();
        let ct = seal(&[entry("a", "sk-x")], &[r], false).unwrap();
        let other: Box<dyn age::Identity> = Box::new(age::x25519::Identity::generate());
        assert_eq!(open(&ct, &[other], true).err().unwrap().exit_code(), 4);
        let mut bad = ct.clone();
        let n = bad.len();
        bad[n - 5] ^= 1;
        let err = open(&bad, &[Box::new(id)], true).err().unwrap();
        assert!(err.to_string().contains("tampered"), "{err}");
    }

    #[test]
    fn recipients_parse_or_explain() {
        assert!(Recipient::parse("age1nope").is_err());
        assert!(Recipient::parse("ecdsa-sha2-nistp256 AAAA x").is_err());
        assert!(Recipient::parse("hello").is_err());
        let ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@laptop";
        let r = Recipient::parse(ssh).unwrap();
        assert!(
            r.describe.starts_with("ssh-ed25519 SHA256:"),
            "{}",
            r.describe
        );
        assert!(r.describe.ends_with(" alice@laptop"));
    }
}
