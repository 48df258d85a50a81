//! The one bounded reader: every file, pipe and body omc reads from outside goes through here,
//! so a link to `/proc/self/pagemap`, a FIFO, an endless HTTP body or a pasted disk image ends
//! with a clear error naming the limit, never with omc reading until it runs out of memory.
//!
//! Files must be regular files (a FIFO, a device or a directory is refused before a byte is
//! read); `/proc` files, which claim to be regular and empty, are cut off by the limit all the
//! same, since nothing here trusts the size the file system reports.

use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// What is being read and how much of it omc accepts: named in the error when it is too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What the bytes are, for the message ("agent file", "bundle", "OpenBao reply").
    pub what: &'static str,
    /// The most bytes accepted.
    pub max: u64,
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

impl Limit {
    pub const fn new(what: &'static str, max: u64) -> Limit {
        Limit { what, max }
    }

    /// An agent file (`NAME.toml`).
    pub const AGENT_FILE: Limit = Limit::new("agent file", MIB);
    /// omc's own config.toml.
    pub const CONFIG: Limit = Limit::new("config file", MIB);
    /// A sharing bundle made by `omc export`.
    pub const BUNDLE: Limit = Limit::new("bundle", 16 * MIB);
    /// A file `omc import` reads: llm's keys.json, an aichat config, a dotenv file.
    pub const IMPORT: Limit = Limit::new("file to import", 4 * MIB);
    /// An age identity file or SSH private key (`omc import bundle --identity`).
    pub const IDENTITY: Limit = Limit::new("identity file", MIB);
    /// A recipients file (`omc export --recipients-file`), one recipient a line.
    pub const RECIPIENTS: Limit = Limit::new("recipients file", MIB);
    /// A prompts file for `omc bench`.
    pub const PROMPTS: Limit = Limit::new("prompts file", 64 * MIB);
    /// A reply from OpenBao / HashiCorp Vault.
    pub const ENGINE_REPLY: Limit = Limit::new("reply from OpenBao/Vault", 4 * MIB);
    /// A secret read from a pipe (`--key-stdin`, `--token-stdin`).
    pub const SECRET: Limit = Limit::new("secret", 64 * KIB);
    /// A prompt piped to `omc run` on standard input.
    pub const PIPED_PROMPT: Limit = Limit::new("prompt", 64 * MIB);
    /// A request body a program sends through `omc exec --proxy` (attachments included).
    pub const PROXY_REQUEST: Limit = Limit::new("proxied request", 64 * MIB);
    /// A JSON Schema file for `omc run --schema`.
    pub const SCHEMA: Limit = Limit::new("schema file", MIB);
    /// A file attached to a prompt (`omc run -a`): the most any provider takes in a request.
    pub const ATTACHMENT: Limit = Limit::new("attachment", 50 * MIB);

    /// The limit in words: "1 MiB", "64 KiB", "100 bytes".
    pub fn shown(&self) -> String {
        human(self.max)
    }

    fn too_long(&self, source: &str) -> Error {
        Error::usage_hint(
            format!(
                "{source} is larger than omc reads for {} {} ({})",
                article(self.what),
                self.what,
                self.shown()
            ),
            format!(
                "{} {} is at most {}",
                article(self.what),
                self.what,
                self.shown()
            ),
        )
    }
}

fn article(what: &str) -> &'static str {
    if what.starts_with(['a', 'e', 'i', 'o', 'u', 'O']) {
        "an"
    } else {
        "a"
    }
}

fn human(n: u64) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Read at most `limit.max` bytes from `reader`; more is an error naming `source` and the limit.
/// The buffer is wiped when dropped (it may hold keys).
pub fn read(mut reader: impl Read, source: &str, limit: Limit) -> Result<Zeroizing<Vec<u8>>> {
    // Whole 8 KiB reads: some /proc files (`pagemap`) refuse a read that is not a multiple of
    // their entry size, which a last one-byte read past the limit would be.
    let mut buf = Zeroizing::new(Vec::new());
    let mut chunk = Zeroizing::new([0u8; 8192]);
    loop {
        let n = match reader.read(&mut chunk[..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(format!("cannot read {source}"), e)),
        };
        if (buf.len() + n) as u64 > limit.max {
            return Err(limit.too_long(source));
        }
        if buf.capacity() < buf.len() + n {
            // Grow by copying into a larger buffer, so the old one is wiped, not just freed.
            let mut bigger = Zeroizing::new(Vec::with_capacity((buf.len() + n).max(2 * buf.len())));
            bigger.extend_from_slice(&buf);
            buf = bigger;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}

/// A regular file's bytes, at most `limit.max` of them. Anything that is not a regular file
/// once opened (a FIFO, a device, a directory) is refused without reading from it.
pub fn read_file(path: &Path, limit: Limit) -> Result<Zeroizing<Vec<u8>>> {
    let file = open_regular(path, limit)?;
    read(file, &path.display().to_string(), limit)
}

/// [`read_file`] as UTF-8 text.
pub fn read_file_string(path: &Path, limit: Limit) -> Result<Zeroizing<String>> {
    let bytes = read_file(path, limit)?;
    into_string(bytes, &path.display().to_string(), limit)
}

/// `bytes` as UTF-8, or an error naming `source` (the bytes are wiped either way).
pub fn into_string(
    mut bytes: Zeroizing<Vec<u8>>,
    source: &str,
    limit: Limit,
) -> Result<Zeroizing<String>> {
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(s) => Ok(Zeroizing::new(s)),
        Err(e) => {
            // Wipe what was read before reporting.
            drop(Zeroizing::new(e.into_bytes()));
            Err(Error::usage(format!(
                "{source} is not UTF-8 text (a {} must be)",
                limit.what
            )))
        }
    }
}

/// Open `path` for reading and check, on the opened file (no window for a swap), that it is a
/// regular file.
pub fn open_regular(path: &Path, limit: Limit) -> Result<std::fs::File> {
    let file = open_nonblocking(path).map_err(|e| Error::io_path("read", path, e))?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io_path("read", path, e))?;
    if !meta.is_file() {
        return Err(Error::usage_hint(
            format!(
                "{} is not a regular file (a {} must be one)",
                path.display(),
                limit.what
            ),
            "give the path of a file, not a pipe, device or directory",
        ));
    }
    if meta.len() > limit.max {
        return Err(limit.too_long(&path.display().to_string()));
    }
    Ok(file)
}

/// Opening a FIFO for reading blocks until a writer comes; `O_NONBLOCK` makes the open return
/// at once so the type check can refuse it. Reads from a regular file ignore the flag.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path)
}

/// Read an HTTP body as it arrives, at most `limit.max` bytes: an endless body ends at the limit
/// with an error naming `source`, not when memory runs out.
pub async fn body(
    mut response: reqwest::Response,
    source: &str,
    limit: Limit,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::new());
    if let Some(len) = response.content_length()
        && len > limit.max
    {
        return Err(limit.too_long(source));
    }
    loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|e| Error::Other(format!("cannot read {source}: {e}")))?;
        let Some(chunk) = chunk else { break };
        if (buf.len() + chunk.len()) as u64 > limit.max {
            return Err(limit.too_long(source));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Read a request body that an HTTP server received, at most `limit.max` bytes, the same way.
pub async fn request_body<B>(body: B, source: &str, limit: Limit) -> Result<Zeroizing<Vec<u8>>>
where
    B: hyper::body::Body<Data = bytes::Bytes>,
    B::Error: std::fmt::Display,
{
    use http_body_util::BodyExt;
    let mut body = std::pin::pin!(body);
    let mut buf = Zeroizing::new(Vec::new());
    if body.size_hint().lower() > limit.max {
        return Err(limit.too_long(source));
    }
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::Other(format!("cannot read {source}: {e}")))?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        if (buf.len() + chunk.len()) as u64 > limit.max {
            return Err(limit.too_long(source));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_with_the_limit_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.toml");
        std::fs::write(&path, vec![b'a'; 2049]).unwrap();
        let limit = Limit::new("agent file", 2048);
        let err = read_file(&path, limit).unwrap_err().to_string();
        assert!(err.contains("agent file") && err.contains("2 KiB"), "{err}");
        std::fs::write(&path, vec![b'a'; 2048]).unwrap();
        assert_eq!(read_file(&path, limit).unwrap().len(), 2048);
    }

    #[test]
    fn proc_files_that_claim_to_be_empty_are_cut_at_the_limit() {
        // /proc/self/pagemap says it is a regular, empty file and reads without end.
        let path = Path::new("/proc/self/pagemap");
        if !path.exists() {
            return;
        }
        // (pagemap takes reads in whole 8-byte entries: a limit of 8n - 1 reads 8n.)
        let err = read_file(path, Limit::new("agent file", 4095))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("larger than") && err.contains("4095 bytes"),
            "{err}"
        );
        // A limit of whole entries too: no read of a part of one is ever asked for.
        let err = read_file(path, Limit::AGENT_FILE).unwrap_err().to_string();
        assert!(
            err.contains("larger than omc reads for an agent file (1 MiB)"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &path,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let err = read_file(&path, Limit::AGENT_FILE).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn readers_stop_at_the_limit() {
        let endless = std::io::repeat(b'x');
        let err = read(endless, "stdin", Limit::new("secret", 100))
            .unwrap_err()
            .to_string();
        assert!(err.contains("stdin") && err.contains("100 bytes"), "{err}");
        assert_eq!(&*read(&b"abc"[..], "stdin", Limit::SECRET).unwrap(), b"abc");
    }

    #[test]
    fn text_that_is_not_utf8_is_refused() {
        let err = into_string(Zeroizing::new(vec![0xff, 0xfe]), "x.toml", Limit::CONFIG)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }
}
