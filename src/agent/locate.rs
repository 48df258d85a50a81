//! Where agents live: the user's agents dir, and a project's `.omc/agents/` found walking up
//! from the current directory (which wins by name, and runs only once trusted).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where an agent file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `$XDG_CONFIG_HOME/omc/agents/` or `$OMC_HOME/agents/`.
    User,
    /// `.omc/agents/` in the current directory or above: needs `omc agent trust`.
    Project,
    /// Named by path on the command line.
    Path,
}

/// An agent file and how it was found.
#[derive(Debug, Clone)]
pub struct Located {
    pub name: String,
    pub path: PathBuf,
    pub origin: Origin,
}

/// The two directories agents are looked up in.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub user: Option<PathBuf>,
    pub project: Option<PathBuf>,
}

impl Dirs {
    /// From the environment and the current directory.
    pub fn from_env() -> Dirs {
        let user = match std::env::var_os("OMC_HOME").filter(|v| !v.is_empty()) {
            Some(home) => Some(PathBuf::from(home).join("agents")),
            None => {
                directories::ProjectDirs::from("", "", "omc").map(|d| d.config_dir().join("agents"))
            }
        };
        let project = std::env::current_dir()
            .ok()
            .and_then(|cwd| project_dir(&cwd));
        Dirs { user, project }
    }

    /// Find the agent called `name_or_path`: a path when it ends in `.toml` or holds a path
    /// separator, else a name looked up in the project dir first, then the user's.
    pub fn find(&self, name_or_path: &str) -> Result<Located> {
        if is_path(name_or_path) {
            let path = PathBuf::from(name_or_path);
            if !path.is_file() {
                return Err(Error::usage_hint(
                    format!("agent file {} does not exist", path.display()),
                    "give the path of an agent .toml file, or an agent's name (`omc agent list`)",
                ));
            }
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("agent")
                .to_owned();
            return Ok(Located {
                name,
                path,
                origin: Origin::Path,
            });
        }
        check_name(name_or_path)?;
        for (dir, origin) in self.search_order() {
            let path = dir.join(format!("{name_or_path}.toml"));
            if path.is_file() {
                return Ok(Located {
                    name: name_or_path.to_owned(),
                    path,
                    origin,
                });
            }
        }
        Err(Error::Missing {
            message: format!("no agent named '{name_or_path}'"),
            hint: format!(
                "looked in {}; create one with `omc agent new {name_or_path}`",
                self.search_order()
                    .iter()
                    .map(|(d, _)| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        })
    }

    fn search_order(&self) -> Vec<(PathBuf, Origin)> {
        let mut out = Vec::new();
        if let Some(p) = &self.project {
            out.push((p.clone(), Origin::Project));
        }
        if let Some(u) = &self.user {
            out.push((u.clone(), Origin::User));
        }
        out
    }

    /// Every agent, by name; a project agent hides a user agent of the same name (`shadows`).
    pub fn list(&self) -> Result<Vec<(Located, Option<PathBuf>)>> {
        let mut out: Vec<(Located, Option<PathBuf>)> = Vec::new();
        for (dir, origin) in self.search_order() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io_path("read", &dir, e)),
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .collect();
            files.sort();
            for path in files {
                let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned)
                else {
                    continue;
                };
                if let Some(existing) = out.iter_mut().find(|(f, _)| f.name == name) {
                    existing.1 = Some(path);
                    continue;
                }
                out.push((Located { name, path, origin }, None));
            }
        }
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(out)
    }

    /// Where `omc agent new NAME` writes: the user's agents dir.
    pub fn user_dir(&self) -> Result<&Path> {
        self.user.as_deref().ok_or_else(|| {
            Error::usage_hint(
                "cannot find a config directory for agents",
                "set OMC_HOME, or give a path: omc agent new ./NAME.toml",
            )
        })
    }
}

/// Whether an agent argument is a path rather than a name.
pub fn is_path(arg: &str) -> bool {
    arg.ends_with(".toml") || arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR)
}

/// Agent names are file stems: letters, digits, `_`, `-`, `.`, not starting with `.`.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::usage_hint(
            format!("'{name}' is not an agent name"),
            "use letters, digits, '_', '-' or '.', or give a path to a .toml file",
        ))
    }
}

/// The nearest `.omc/agents/` at or above `start`.
pub fn project_dir(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(".omc").join("agents"))
        .find(|d| d.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_wins_by_name_and_paths_are_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let user = tmp.path().join("user");
        let proj = tmp.path().join("repo/.omc/agents");
        std::fs::create_dir_all(&user).unwrap();
        std::fs::create_dir_all(&proj).unwrap();
        std::fs::create_dir_all(tmp.path().join("repo/src/deep")).unwrap();
        for (d, n) in [(&user, "a"), (&user, "b"), (&proj, "a"), (&proj, "c")] {
            std::fs::write(d.join(format!("{n}.toml")), "").unwrap();
        }
        let dirs = Dirs {
            user: Some(user.clone()),
            project: project_dir(&tmp.path().join("repo/src/deep")),
        };
        assert_eq!(dirs.project.as_deref(), Some(proj.as_path()));
        let a = dirs.find("a").unwrap();
        assert_eq!(
            (a.origin, a.path.clone()),
            (Origin::Project, proj.join("a.toml"))
        );
        assert_eq!(dirs.find("b").unwrap().origin, Origin::User);
        assert!(matches!(dirs.find("zz"), Err(Error::Missing { .. })));
        let p = dirs.find(user.join("b.toml").to_str().unwrap()).unwrap();
        assert_eq!((p.origin, p.name.as_str()), (Origin::Path, "b"));
        let list = dirs.list().unwrap();
        let names: Vec<_> = list
            .iter()
            .map(|(f, _)| (f.name.as_str(), f.origin))
            .collect();
        assert_eq!(
            names,
            [
                ("a", Origin::Project),
                ("b", Origin::User),
                ("c", Origin::Project)
            ]
        );
        assert_eq!(list[0].1.as_deref(), Some(user.join("a.toml").as_path()));
        assert!(check_name("../x").is_err());
    }
}
