//! Where omc keeps its files, and the file-mode rules that protect them.
//!
//! `OMC_HOME` wins and holds everything; otherwise the XDG data and config dirs.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config_file: PathBuf,
}

impl Paths {
    /// Resolve from the environment; `config_override` is `--config FILE`.
    pub fn from_env(config_override: Option<PathBuf>) -> Result<Self> {
        let home = std::env::var_os("OMC_HOME").filter(|v| !v.is_empty());
        let (data_dir, config_file) = match home {
            Some(home) => {
                let home = PathBuf::from(home);
                (home.clone(), home.join("config.toml"))
            }
            None => {
                let dirs = directories::ProjectDirs::from("", "", "omc").ok_or_else(|| {
                    Error::usage_hint(
                        "cannot find a home directory for omc's data",
                        "set OMC_HOME to a directory omc may use",
                    )
                })?;
                (
                    dirs.data_dir().to_path_buf(),
                    dirs.config_dir().join("config.toml"),
                )
            }
        };
        Ok(Paths {
            data_dir,
            config_file: config_override.unwrap_or(config_file),
        })
    }

    pub fn db(&self) -> PathBuf {
        self.data_dir.join("omc.db")
    }

    pub fn master_age(&self) -> PathBuf {
        self.data_dir.join("master.age")
    }

    /// Create the data dir 0700 (whatever the umask) if it is missing.
    pub fn ensure_data_dir(&self) -> Result<()> {
        ensure_private_dir(&self.data_dir)
    }
}

pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| Error::io_path("create", dir, e))?;
        set_mode(dir, 0o700)?;
    }
    Ok(())
}

/// Set a file's mode exactly (the umask does not apply to chmod).
pub fn set_mode(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io_path("set permissions on", path, e))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Refuse a file or dir that group or others may read or write.
pub fn check_private(path: &Path, want: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode();
                if mode & 0o077 != 0 {
                    return Err(Error::insecure_mode(path.to_path_buf(), mode, want));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io_path("inspect", path, e)),
        }
    }
    #[cfg(not(unix))]
    let _ = (path, want);
    Ok(())
}

/// The mode bits of a path, for `omc doctor`.
pub fn mode_of(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Write a file atomically with mode 0600: temp file in the same dir, fsync, rename, fsync dir.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let result = (|| {
        let mut file = opts
            .open(&tmp)
            .map_err(|e| Error::io_path("create", &tmp, e))?;
        set_mode(&tmp, 0o600)?;
        file.write_all(bytes)
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io_path("write", &tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| Error::io_path("replace", path, e))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
