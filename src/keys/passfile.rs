//! `master.age`: the master identity in a standard age passphrase (scrypt) file, readable by the
//! `age` and `rage` tools.

use std::io::{Read, Write};
use std::path::Path;

use age::x25519::Identity;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::paths;

/// The scrypt work factor (log2 N) omc writes: age's own default, about a second and 256 MiB.
/// Fixed rather than timed on this machine, so that the limit below can be tight.
pub const WORK_FACTOR: u8 = 18;

/// The largest work factor accepted on decrypt: what omc writes plus a margin of two (4×, for a
/// file written by `age -p` on a fast machine). Each step doubles time and memory, so a hostile
/// `master.age` costs at most about 1 GiB and a few seconds, not 4 GiB and 17 s (2^22).
pub const MAX_WORK_FACTOR: u8 = WORK_FACTOR + 2;

/// Encrypt the identity with `passphrase` and write it atomically, mode 0600.
pub fn write(path: &Path, identity: &Identity, passphrase: &SecretString) -> Result<()> {
    let mut out = Vec::new();
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(WORK_FACTOR);
    // Tests: a cheap work factor, so rotation races can loop. Never in a release build.
    if let Some(log_n) =
        crate::hardening::test_hook("OMC_TEST_SCRYPT_LOG_N").and_then(|v| v.parse().ok())
    {
        recipient.set_work_factor(log_n);
    }
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| Error::Crypto(format!("cannot encrypt master.age: {e}")))?;
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|e| Error::Crypto(format!("cannot encrypt master.age: {e}")))?;
    writer
        .write_all(identity.to_string().expose_secret().as_bytes())
        .and_then(|_| writer.write_all(b"\n"))
        .and_then(|_| writer.finish().map(|_| ()))
        .map_err(|e| Error::Crypto(format!("cannot encrypt master.age: {e}")))?;
    paths::write_private_atomic(path, &out)
}

/// Decrypt `master.age` with `passphrase`.
pub fn read(path: &Path, passphrase: &SecretString) -> Result<Identity> {
    let bytes = std::fs::read(path).map_err(|e| Error::io_path("read", path, e))?;
    let decryptor = age::Decryptor::new_buffered(&bytes[..]).map_err(|e| {
        Error::master(
            format!("{} is not an age file: {e}", path.display()),
            "restore master.age from a backup",
        )
    })?;
    if !decryptor.is_scrypt() {
        return Err(Error::master(
            format!("{} is not a passphrase-encrypted age file", path.display()),
            "restore master.age from a backup",
        ));
    }
    let mut identity = age::scrypt::Identity::new(passphrase.clone());
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                Error::master(
                    "wrong passphrase for master.age",
                    "check OMC_PASSPHRASE, or type the passphrase again",
                )
            }
            age::DecryptError::ExcessiveWork { required, .. } => Error::master(
                format!(
                    "master.age asks for scrypt work factor {required}, above omc's limit of {MAX_WORK_FACTOR}"
                ),
                "re-create it with `omc master rotate` on a trusted machine",
            ),
            other => Error::master(
                format!("cannot decrypt master.age: {other}"),
                "restore master.age from a backup",
            ),
        })?;
    let mut text = Zeroizing::new(String::new());
    reader.read_to_string(&mut text).map_err(|e| {
        Error::master(
            format!("cannot decrypt master.age: {e}"),
            "restore master.age from a backup",
        )
    })?;
    super::parse_identity(&text)
}
