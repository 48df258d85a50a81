//! One agent session preparation, for everything that touches an agent file: `omc run
//! --agent`, `omc agent show | check | list | trust` and TAB completion.
//!
//! 1. [`Session::read`]: the file is read once, through the bounded reader (a regular file of
//!    at most 1 MiB), and those bytes are hashed and parsed: what is checked is what runs.
//! 2. [`Session::trust`]: the trust check is on that hash (see [`super::trust`]).
//! 3. [`Session::trusted`] hands out a [`Trusted`] only for an agent that may run, and only a
//!    [`Trusted`] makes a [`Registry`] that can start MCP servers. Every child process (servers,
//!    command tools) starts through `crate::process`, shielded from the unlocked master key.
//! 4. [`Registry::check_names`]: `--approve` / `--deny` against the tools the servers listed.
//!
//! Relative programs and working directories resolve against the session's base: a project
//! agent's project root (the directory holding its `.omc/`, which its trust record names), else
//! the current directory.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::file::Agent;
use super::locate::{Dirs, Located, Origin};
use super::tools::{Grants, Registry};
use super::trust::Trust;
use crate::bounded::{self, Limit};
use crate::error::{Error, Result};
use crate::store::Store;

/// An agent file, read once and parsed.
#[derive(Debug, Clone)]
pub struct Session {
    pub found: Located,
    /// Parsed from exactly the bytes hashed in `sha256`.
    pub agent: Agent,
    /// SHA-256 (hex) of the bytes read.
    pub sha256: String,
    /// The file's canonical path (links resolved): the key of its trust record.
    pub canonical: PathBuf,
    /// A project agent's project root, canonical: the directory holding its `.omc/`.
    pub root: Option<PathBuf>,
    /// Where relative programs and working directories resolve.
    pub base: PathBuf,
}

/// Proof that a session's agent may run (a user agent, a path, or a trusted project agent).
pub struct Trusted<'a>(&'a Session);

impl Session {
    /// Find `name_or_path` (see [`Dirs::find`]) and [`Session::read`] it.
    pub fn open(dirs: &Dirs, name_or_path: &str) -> Result<Session> {
        Session::read(dirs.find(name_or_path)?)
    }

    /// Read the agent file once (a regular file of at most 1 MiB), hash those bytes and parse
    /// them.
    pub fn read(found: Located) -> Result<Session> {
        let path = &found.path;
        let shown = path.display().to_string();
        let file = bounded::open_regular(path, Limit::AGENT_FILE)?;
        let bytes = bounded::read(&file, &shown, Limit::AGENT_FILE)?;
        // The trust record is keyed by the canonical path: it must name the file just read.
        let canonical = path
            .canonicalize()
            .map_err(|e| Error::io_path("resolve", path, e))?;
        if !same_file(&file, &canonical) {
            return Err(Error::usage_hint(
                format!("agent file {shown} was replaced while omc read it"),
                "run the command again",
            ));
        }
        let sha256 = hex(&Sha256::digest(&bytes[..]));
        let text = bounded::into_string(bytes, &shown, Limit::AGENT_FILE)?;
        let root = match found.origin {
            Origin::Project => Some(project_root(path)?),
            Origin::User | Origin::Path => None,
        };
        let base = match &root {
            Some(r) => r.clone(),
            None => std::env::current_dir()
                .map_err(|e| Error::io("cannot read the current directory", e))?,
        };
        let mut agent = Agent::parse(&found.name, path, &text)?;
        agent.resolve_paths(&base);
        Ok(Session {
            found,
            agent,
            sha256,
            canonical,
            root,
            base,
        })
    }

    /// What the store says of these bytes; `store` None: there is no store yet.
    pub fn trust(&self, store: Option<&Store>) -> Result<Trust> {
        Trust::of(store, self)
    }

    /// The proof that this agent may run, or the error saying why it may not.
    pub fn trusted(&self, store: Option<&Store>) -> Result<Trusted<'_>> {
        self.trust(store)?.require(self)?;
        Ok(Trusted(self))
    }

    /// The agent's command tools, for showing: its MCP servers never start from this one.
    pub fn listing(&self) -> Registry {
        Registry::new(
            self.agent.clone(),
            Grants::default(),
            self.base.clone(),
            false,
        )
    }

    /// `--approve` / `--deny` names that cannot be right whatever the servers list (neither a
    /// command tool, nor a server, nor `SERVER_…`): refused before anything is decrypted or
    /// started. [`Registry::check_names`] checks the rest once the servers are up.
    pub fn precheck_names(&self, flag: &str, names: &[String]) -> Result<()> {
        let agent = &self.agent;
        for n in names {
            if n == "all" && flag == "--approve" {
                continue;
            }
            let may_be = agent.tools.iter().any(|t| &t.name == n)
                || agent
                    .mcp
                    .iter()
                    .any(|s| &s.name == n || n.starts_with(&format!("{}_", s.name)));
            if !may_be {
                let mut all: Vec<String> = agent.tools.iter().map(|t| t.name.clone()).collect();
                all.extend(agent.mcp.iter().map(|s| format!("{} (MCP server)", s.name)));
                return Err(super::tools::unknown_name(&agent.name, flag, n, &all));
            }
        }
        Ok(())
    }
}

impl Trusted<'_> {
    /// The tools of a run: command tools now, MCP servers (given `grants`) once started.
    pub fn registry(&self, grants: Grants) -> Registry {
        Registry::new(self.0.agent.clone(), grants, self.0.base.clone(), true)
    }
}

/// `<root>/.omc/agents/NAME.toml` → `<root>`, canonical.
fn project_root(path: &Path) -> Result<PathBuf> {
    let root = path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .ok_or_else(|| Error::Other(format!("{} is not in .omc/agents/", path.display())))?;
    root.canonicalize()
        .map_err(|e| Error::io_path("resolve", root, e))
}

/// Whether the open `file` is the file at `path` now.
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo/.omc/agents");
        std::fs::create_dir_all(&dir).unwrap();
        (tmp, dir)
    }

    fn found(dir: &Path, name: &str) -> Located {
        Located {
            name: name.into(),
            path: dir.join(format!("{name}.toml")),
            origin: Origin::Project,
        }
    }

    #[test]
    fn the_hash_is_of_the_bytes_parsed_and_paths_resolve_at_the_project_root() {
        let (tmp, dir) = project();
        let text = "[[tool]]\nname = \"t\"\ncommand = [\"./bin/t\", \"x\"]\ncwd = \"sub\"\n";
        std::fs::write(dir.join("a.toml"), text).unwrap();
        let s = Session::read(found(&dir, "a")).unwrap();
        let root = tmp.path().join("repo").canonicalize().unwrap();
        assert_eq!(s.sha256, hex(&Sha256::digest(text.as_bytes())));
        assert_eq!(s.root.as_deref(), Some(root.as_path()));
        assert_eq!(s.base, root);
        let t = &s.agent.tools[0];
        assert_eq!(Path::new(t.command[0].expose_raw()), root.join("./bin/t"));
        assert_eq!(t.command[1].expose_raw(), "x");
        assert_eq!(t.cwd.as_deref(), Some(root.join("sub").as_path()));
        assert_eq!(s.trust(None).unwrap(), Trust::Untrusted);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_out_of_the_project_is_never_trusted_and_one_inside_may_be() {
        let (tmp, dir) = project();
        let outside = tmp.path().join("elsewhere.toml");
        std::fs::write(&outside, "").unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("out.toml")).unwrap();
        let inside = tmp.path().join("repo/tools.toml");
        std::fs::write(&inside, "").unwrap();
        std::os::unix::fs::symlink("../../tools.toml", dir.join("in.toml")).unwrap();
        let out = Session::read(found(&dir, "out")).unwrap();
        assert!(matches!(out.trust(None).unwrap(), Trust::Outside { .. }));
        let err = out.trusted(None).err().unwrap().to_string();
        assert!(err.contains("outside the project"), "{err}");
        let inn = Session::read(found(&dir, "in")).unwrap();
        assert_eq!(inn.trust(None).unwrap(), Trust::Untrusted);
    }

    #[test]
    fn files_over_the_limit_and_not_regular_are_refused() {
        let (_tmp, dir) = project();
        std::fs::write(dir.join("big.toml"), vec![b'#'; 2 * 1024 * 1024]).unwrap();
        let err = Session::read(found(&dir, "big")).unwrap_err().to_string();
        assert!(err.contains("1 MiB"), "{err}");
        #[cfg(unix)]
        {
            std::fs::create_dir(dir.join("d.toml")).unwrap();
            let err = Session::read(found(&dir, "d")).unwrap_err().to_string();
            assert!(err.contains("not a regular file"), "{err}");
        }
    }
}
